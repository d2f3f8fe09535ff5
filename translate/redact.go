package translate

import (
	"encoding/base64"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/sluice-gitops/sluice/policies"
)

// Redacting credentials by value. Document redacts credentials where
// translate puts them (the private keys and generic secrets of SDS
// Secrets, basic_auth users, api_key_auth keys), but an EnvoyPatchPolicy
// can copy or move one anywhere (an API key into a domain). So the
// Gateways that patches changed carry their credentials as printed
// (GatewayResult.credentials): those found in place before the patches,
// and the values of the revision's Secrets; Document replaces each of
// them wherever it appears.

// minContained is the shortest credential replaced inside a longer
// string; a shorter one is replaced only where it is a whole value.
const minContained = 8

// credentialsOf returns the credentials of g as printed: the strings
// that redacting by position changes, and g's own.
func credentialsOf(g *GatewayResult) ([]string, error) {
	orig, err := g.plainDocument()
	if err != nil {
		return nil, err
	}
	red, err := g.plainDocument()
	if err != nil {
		return nil, err
	}
	red.redactPositions()
	return changedStrings(orig.lists(), red.lists(), slices.Clone(g.credentials)), nil
}

// changedStrings appends the strings of orig that red, its redacted copy,
// does not have at the same place.
func changedStrings(orig, red any, out []string) []string {
	switch o := orig.(type) {
	case map[string]any:
		r, _ := red.(map[string]any)
		for k, v := range o {
			out = changedStrings(v, r[k], out)
		}
	case []any:
		r, _ := red.([]any)
		for i, v := range o {
			var rv any
			if i < len(r) {
				rv = r[i]
			}
			out = changedStrings(v, rv, out)
		}
	case string:
		if r, ok := red.(string); !ok || r != o {
			out = append(out, o)
		}
	}
	return out
}

// secretValues returns the values of Secrets that may be credentials, as
// they may print: raw and in base64 (protojson's bytes). Certificates
// are public and stay; short values are left to the exact matches of
// credentialsOf.
func secretValues(secrets []*corev1.Secret) []string {
	var out []string
	for _, s := range secrets {
		add := func(key string, v []byte) {
			if key == corev1.TLSCertKey || key == corev1.ServiceAccountRootCAKey || len(v) < minContained {
				return
			}
			out = append(out, string(v), base64.StdEncoding.EncodeToString(v))
		}
		for k, v := range s.Data {
			add(k, v)
		}
		for k, v := range s.StringData {
			add(k, []byte(v))
		}
	}
	return out
}

// redactValues replaces every string of d that is one of creds, or holds
// one of at least minContained bytes.
func (d *XDSDocument) redactValues(creds []string) {
	whole := make(map[string]bool, len(creds))
	var pairs []string
	for _, c := range creds {
		if c == "" || c == redacted {
			continue
		}
		whole[c] = true
		if len(c) >= minContained {
			pairs = append(pairs, c, redacted)
		}
	}
	inside := strings.NewReplacer(pairs...)
	var walk func(v any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				v[k] = walk(e)
			}
		case []any:
			for i, e := range v {
				v[i] = walk(e)
			}
		case string:
			if whole[v] {
				return redacted
			}
			if len(pairs) > 0 {
				return inside.Replace(v)
			}
		}
		return v
	}
	for _, l := range d.lists() {
		walk(l)
	}
}

// lists returns the resource lists of d.
func (d *XDSDocument) lists() []any {
	return []any{d.Listeners, d.Routes, d.Clusters, d.Endpoints, d.Secrets}
}

// redactPositions redacts the credentials where translate puts them.
func (d *XDSDocument) redactPositions() {
	for _, s := range d.Secrets {
		redactSecret(s)
	}
	// Inline credentials of basic_auth and api_key_auth (policies).
	policies.RedactCredentials(d.Listeners)
	policies.RedactCredentials(d.Routes)
}
