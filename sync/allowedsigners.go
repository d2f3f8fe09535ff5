package sync

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// allowedSigner is one line of an OpenSSH allowed_signers file (see
// ssh-keygen(1), "ALLOWED SIGNERS"): principals, options, a public key.
type allowedSigner struct {
	line        int
	principals  string // as written, comma-separated
	key         ssh.PublicKey
	namespaces  []string  // nil: every namespace
	validAfter  time.Time // zero: no bound
	validBefore time.Time // zero: no bound
}

// readAllowedSigners parses the allowed_signers file at path. Certificate
// authorities (cert-authority) are refused: only plain keys are supported.
func readAllowedSigners(path string) ([]allowedSigner, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sync: read ssh allowed signers: %w", err)
	}
	var signers []allowedSigner
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := parseAllowedSigner(line)
		if err != nil {
			return nil, fmt.Errorf("sync: %s:%d: %w", path, i+1, err)
		}
		s.line = i + 1
		signers = append(signers, s)
	}
	if len(signers) == 0 {
		return nil, fmt.Errorf("sync: %s: no allowed signers", path)
	}
	return signers, nil
}

func parseAllowedSigner(line string) (allowedSigner, error) {
	var s allowedSigner
	var rest string
	if strings.HasPrefix(line, `"`) {
		end := strings.Index(line[1:], `"`)
		if end < 0 {
			return s, errors.New("unterminated quoted principals")
		}
		s.principals, rest = line[1:end+1], line[end+2:]
	} else {
		i := strings.IndexAny(line, " \t")
		if i < 0 {
			return s, errors.New("want principals, optional options and a public key")
		}
		s.principals, rest = line[:i], line[i:]
	}
	if s.principals == "" {
		return s, errors.New("empty principals")
	}
	// ParseAuthorizedKey reads "[options] keytype base64 [comment]", the
	// same syntax as the rest of an allowed_signers line.
	key, _, options, _, err := ssh.ParseAuthorizedKey([]byte(strings.TrimSpace(rest)))
	if err != nil {
		return s, fmt.Errorf("parse public key: %w", err)
	}
	if _, ok := key.(*ssh.Certificate); ok {
		return s, errors.New("certificates are not supported; list the signing key itself")
	}
	s.key = key
	for _, opt := range options {
		name, value, _ := strings.Cut(opt, "=")
		value = strings.Trim(value, `"`)
		switch strings.ToLower(name) {
		case "namespaces":
			s.namespaces = strings.Split(value, ",")
		case "valid-after":
			s.validAfter, err = parseSSHTime(value)
		case "valid-before":
			s.validBefore, err = parseSSHTime(value)
		case "cert-authority":
			return s, errors.New("cert-authority is not supported; list the signing key itself")
		default:
			return s, fmt.Errorf("unknown option %q", name)
		}
		if err != nil {
			return s, fmt.Errorf("option %s: %w", name, err)
		}
	}
	return s, nil
}

// parseSSHTime reads the time formats of ssh-keygen: YYYYMMDD,
// YYYYMMDDHHMM or YYYYMMDDHHMMSS, in local time or in UTC with a "Z"
// suffix.
func parseSSHTime(v string) (time.Time, error) {
	loc := time.Local
	if u, ok := strings.CutSuffix(v, "Z"); ok {
		v, loc = u, time.UTC
	}
	layout := map[int]string{8: "20060102", 12: "200601021504", 14: "20060102150405"}[len(v)]
	if layout == "" {
		return time.Time{}, fmt.Errorf("%q is not a time such as 20240131 or 20240131235959Z", v)
	}
	t, err := time.ParseInLocation(layout, v, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a time such as 20240131 or 20240131235959Z", v)
	}
	return t, nil
}

// allows reports why signer s does not accept a signature of namespace ns
// made at when; "" and "" when it does.
func (s allowedSigner) allows(ns string, when time.Time) (reason, why string) {
	switch {
	case s.namespaces != nil && !slices.Contains(s.namespaces, ns):
		return ReasonUnknownKey, fmt.Sprintf("its key is not allowed for namespace %q (line %d)", ns, s.line)
	case !s.validAfter.IsZero() && when.Before(s.validAfter):
		return ReasonExpiredKey, fmt.Sprintf("its key is valid only after %s (line %d)", s.validAfter.Format(time.RFC3339), s.line)
	case !s.validBefore.IsZero() && !when.Before(s.validBefore):
		return ReasonExpiredKey, fmt.Sprintf("its key expired at %s (line %d)", s.validBefore.Format(time.RFC3339), s.line)
	}
	return "", ""
}

// signersOf returns the allowed signers whose key is key.
func signersOf(signers []allowedSigner, key ssh.PublicKey) []allowedSigner {
	want := key.Marshal()
	var out []allowedSigner
	for _, s := range signers {
		if bytes.Equal(s.key.Marshal(), want) {
			out = append(out, s)
		}
	}
	return out
}
