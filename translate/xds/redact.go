package xds

import (
	"slices"
	"strings"

	"github.com/sluice-gitops/sluice/policies"
)

// Redacting credentials by value. Document redacts credentials where the
// builder puts them (the private keys and generic secrets of SDS
// Secrets, basic_auth users, api_key_auth keys), but an EnvoyPatchPolicy
// can copy or move one anywhere (an API key into a domain). So a Gateway
// that patches changed carries its credentials as printed
// (Gateway.credentials, set by KeepCredentials); Document and
// WriteDocuments replace each of them wherever it appears.

// minContained is the shortest credential replaced inside a longer
// string; a shorter one is replaced only where it is a whole value.
const minContained = 8

// KeepCredentials gives g, the Gateway before after patches changed it,
// the credentials of before as printed (the strings that redacting by
// position changes, and those before carries) and extra (such as the
// values of the revision's Secrets), for printing to redact by value.
func (g *Gateway) KeepCredentials(before *Gateway, extra []string) error {
	orig, err := before.plainDocument()
	if err != nil {
		return err
	}
	red, err := before.plainDocument()
	if err != nil {
		return err
	}
	red.redactPositions()
	creds := changedStrings(orig.resourceLists(), red.resourceLists(), slices.Clone(before.credentials))
	g.credentials = append(creds, extra...)
	return nil
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

// valueRedactor replaces credentials in plain values: a string that is
// one, or holds one of at least minContained bytes.
type valueRedactor struct {
	whole  map[string]bool
	inside *strings.Replacer // nil without long credentials
}

func newValueRedactor(creds []string) *valueRedactor {
	r := &valueRedactor{whole: make(map[string]bool, len(creds))}
	var pairs []string
	for _, c := range creds {
		if c == "" || c == redacted {
			continue
		}
		r.whole[c] = true
		if len(c) >= minContained {
			pairs = append(pairs, c, redacted)
		}
	}
	if len(pairs) > 0 {
		r.inside = strings.NewReplacer(pairs...)
	}
	return r
}

// redact replaces the credentials of v in place and returns v.
func (r *valueRedactor) redact(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = r.redact(e)
		}
	case []any:
		for i, e := range v {
			v[i] = r.redact(e)
		}
	case string:
		if r.whole[v] {
			return redacted
		}
		if r.inside != nil {
			return r.inside.Replace(v)
		}
	}
	return v
}

// resourceLists returns the resource lists of d.
func (d *Document) resourceLists() []any {
	return []any{d.Listeners, d.Routes, d.Clusters, d.Endpoints, d.Secrets}
}

// redactPositions redacts the credentials where the builder puts them.
func (d *Document) redactPositions() {
	for _, s := range d.Secrets {
		redactSecret(s)
	}
	// Inline credentials of basic_auth and api_key_auth (policies).
	policies.RedactCredentials(d.Listeners)
	policies.RedactCredentials(d.Routes)
}
