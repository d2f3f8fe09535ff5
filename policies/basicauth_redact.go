package policies

import "bytes"

// The credentials basicauth.go and apikeyauth.go put in the xDS (the
// htpasswd list of a basic_auth filter, the keys of an api_key_auth route
// config) go to Envoy inline, not over SDS. RedactCredentials removes
// them from the printed form of listeners and routes (translate's
// Document, behind `sluice translate`, golden files and diffs); the
// snapshot served to Envoy keeps them. Credentials lists them as printed,
// so that translate can redact them by value wherever an EnvoyPatchPolicy
// copied them.

// redactedCredential replaces a credential in printed output.
const redactedCredential = "[redacted]"

// Type URLs of the messages that hold credentials.
const (
	typeBasicAuth          = "type.googleapis.com/envoy.extensions.filters.http.basic_auth.v3.BasicAuth"
	typeBasicAuthPerRoute  = "type.googleapis.com/envoy.extensions.filters.http.basic_auth.v3.BasicAuthPerRoute"
	typeAPIKeyAuth         = "type.googleapis.com/envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuth"
	typeAPIKeyAuthPerRoute = "type.googleapis.com/envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuthPerRoute"
)

// RedactCredentials walks v, a resource printed as protojson and decoded
// into plain values (maps, lists), and replaces in place the users of
// every basic_auth config and the keys of every api_key_auth config,
// wherever they are nested, whatever their data source. User and client
// names of api_key_auth stay; the htpasswd list goes whole.
func RedactCredentials(v any) {
	eachCredential(v, func(m map[string]any, key string) {
		if key == "users" {
			m[key] = map[string]any{"inlineBytes": redactedCredential}
		} else {
			m[key] = redactedCredential
		}
	})
}

// Credentials returns the credentials RedactCredentials would replace in
// v, each string as printed (the base64 of inline bytes, an inline
// string, a key).
func Credentials(v any) []string {
	var out []string
	eachCredential(v, func(m map[string]any, key string) {
		out = appendStrings(out, m[key])
	})
	return out
}

// appendStrings appends the strings of v, a plain value, to out.
func appendStrings(out []string, v any) []string {
	switch v := v.(type) {
	case string:
		return append(out, v)
	case map[string]any:
		for _, e := range v {
			out = appendStrings(out, e)
		}
	case []any:
		for _, e := range v {
			out = appendStrings(out, e)
		}
	}
	return out
}

// eachCredential calls f with the map and key of every credential of v:
// "users" of a basic_auth config, "key" of an api_key_auth credential.
func eachCredential(v any, f func(m map[string]any, key string)) {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			eachCredential(e, f)
		}
	case map[string]any:
		switch v["@type"] {
		case typeBasicAuth, typeBasicAuthPerRoute:
			if _, ok := v["users"]; ok {
				f(v, "users")
			}
		case typeAPIKeyAuth, typeAPIKeyAuthPerRoute:
			if creds, ok := v["credentials"].([]any); ok {
				for _, c := range creds {
					if m, ok := c.(map[string]any); ok {
						if _, ok := m["key"]; ok {
							f(m, "key")
						}
					}
				}
			}
		}
		for _, e := range v {
			eachCredential(e, f)
		}
	}
}

// MayHoldCredentials reports whether a resource printed as protojson may
// hold a basic_auth or api_key_auth config, whose credentials
// RedactCredentials removes: printers that skip plain values for speed
// take them for the others only.
func MayHoldCredentials(protoJSON []byte) bool {
	return bytes.Contains(protoJSON, []byte("basic_auth.v3.")) || bytes.Contains(protoJSON, []byte("api_key_auth.v3."))
}
