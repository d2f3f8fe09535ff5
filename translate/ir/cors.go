package ir

import (
	"regexp"
	"strings"
)

// OriginMatch is how Envoy matches the Origin header against one allowed
// origin of a CORS policy other than "*": exactly (exact, ignoring case),
// or, with a "*" in the host, by the regex re (re is "" otherwise).
// Browsers leave the scheme's default port out of Origin, so a configured
// default port is dropped; "*" stands for any labels to its left. Both
// the xDS builder and the validation of CORS policies (the RE2 program
// size of re) use it.
func OriginMatch(o string) (exact, re string) {
	o = strings.ToLower(o)
	if rest, ok := strings.CutPrefix(o, "http://"); ok {
		o = "http://" + strings.TrimSuffix(rest, ":80")
	} else if rest, ok := strings.CutPrefix(o, "https://"); ok {
		o = "https://" + strings.TrimSuffix(rest, ":443")
	}
	if !strings.Contains(o, "*") {
		return o, ""
	}
	return "", "(?i)^" + strings.ReplaceAll(regexp.QuoteMeta(o), `\*`, `.*`) + "$"
}
