package policies

import (
	"bytes"
	"crypto/sha1" //nolint:gosec // the size of the {SHA} hashes Envoy checks
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// htpasswdKey is the key of the htpasswd list in a basicAuth users Secret.
const htpasswdKey = ".htpasswd"

// maxHtpasswdProblems bounds the problems reported for one list.
const maxHtpasswdProblems = 5

// htpasswd checks an htpasswd list as Envoy's basic_auth filter reads it
// and returns it normalized: one USER:{SHA}HASH per line, blank lines,
// comments (#) and CR dropped, surrounding spaces trimmed, so that every
// Envoy version reads it the same way. Envoy accepts only unsalted SHA-1
// hashes ({SHA} and 28 characters of base64, what `htpasswd -s` writes);
// it refuses any other hash, an empty user name and a user listed twice.
//
// The list holds credentials: a problem names the line, never its content.
func htpasswd(data []byte) ([]byte, []error) {
	var out [][]byte
	var problems []error
	seen := map[string]int{} // user → line
	bad := func(format string, args ...any) {
		problems = append(problems, fmt.Errorf(format, args...))
	}
	for i, raw := range strings.Split(string(data), "\n") {
		n := i + 1
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, hash, ok := strings.Cut(line, ":")
		switch {
		case !ok:
			bad("line %d: is not USER:{SHA}HASH", n)
			continue
		case user == "":
			bad("line %d: has no user name", n)
			continue
		case !strings.HasPrefix(hash, "{SHA}"):
			bad("line %d: the password hash is not {SHA}; Envoy supports only SHA-1 hashes (htpasswd -s)", n)
			continue
		}
		sum, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(hash, "{SHA}"))
		if err != nil || len(sum) != sha1.Size {
			bad("line %d: the {SHA} hash is not the base64 of a SHA-1 digest", n)
			continue
		}
		if first, ok := seen[user]; ok {
			bad("line %d: the user of line %d is listed again", n, first)
			continue
		}
		seen[user] = n
		out = append(out, []byte(user+":"+hash))
	}
	if len(problems) > maxHtpasswdProblems {
		more := len(problems) - maxHtpasswdProblems
		problems = append(problems[:maxHtpasswdProblems], fmt.Errorf("%d more lines are invalid", more))
	}
	if len(problems) == 0 && len(out) == 0 {
		problems = append(problems, errors.New("lists no user"))
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return bytes.Join(out, []byte("\n")), nil
}
