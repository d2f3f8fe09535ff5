package sync

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

// sshNamespace is the namespace git signs commits in.
const sshNamespace = "git"

// sshArmorHeader starts the signature of a commit signed with gpg.format=ssh.
const sshArmorHeader = "-----BEGIN SSH SIGNATURE-----"

// verifier checks commit signatures against the trusted keys.
type verifier struct {
	armored string // the OpenPGP keyring as read; "" for none
	signers []allowedSigner
}

// newVerifier reads the trusted keys named by cfg. Errors name the file.
func newVerifier(cfg GitConfig) (*verifier, error) {
	v := &verifier{}
	if p := cfg.OpenPGPKeyring; p != "" {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("sync: read openpgp keyring: %w", err)
		}
		if v.armored, err = joinKeyring(string(data)); err != nil {
			return nil, fmt.Errorf("sync: openpgp keyring %s: %w", p, err)
		}
	}
	if p := cfg.SSHAllowedSigners; p != "" {
		var err error
		if v.signers, err = readAllowedSigners(p); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// joinKeyring reads every armored block of public keys in data (a file
// of keys appended to each other) and armors them again as one block,
// because Commit.Verify reads only the first block.
func joinKeyring(data string) (string, error) {
	var ring openpgp.EntityList
	for i, block := range strings.Split(data, "-----BEGIN ")[1:] {
		keys, err := openpgp.ReadArmoredKeyRing(strings.NewReader("-----BEGIN " + block))
		if err != nil {
			return "", fmt.Errorf("block %d: %w", i+1, err)
		}
		ring = append(ring, keys...)
	}
	if len(ring) == 0 {
		return "", errors.New("no armored public keys")
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err != nil {
		return "", err
	}
	for _, e := range ring {
		if err := e.Serialize(w); err != nil {
			return "", err
		}
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// verifyError is why a commit's signature is not accepted.
type verifyError struct {
	reason string
	msg    string // names the commit
}

func (e *verifyError) Error() string { return e.msg }

// verify checks the signature of c. It returns the signer when the key is
// known, also with an error such as ReasonExpiredKey.
func (v *verifier) verify(c *object.Commit) (*Signer, *verifyError) {
	fail := func(reason, format string, args ...any) *verifyError {
		return &verifyError{reason: reason, msg: "commit " + short(c.Hash) + " " + fmt.Sprintf(format, args...)}
	}
	sig := strings.TrimSpace(c.PGPSignature)
	switch {
	case sig == "":
		return nil, fail(ReasonUnsigned, "is not signed")
	case strings.HasPrefix(sig, sshArmorHeader):
		return v.verifySSH(c, fail)
	case v.armored == "":
		return nil, fail(ReasonUnknownKey, "has an OpenPGP signature but no OpenPGP keyring is configured")
	}
	entity, err := c.Verify(v.armored)
	var signer *Signer
	if entity != nil {
		signer = &Signer{Method: SignOpenPGP, Fingerprint: fmt.Sprintf("%X", entity.PrimaryKey.Fingerprint)}
		if id := entity.PrimaryIdentity(); id != nil {
			signer.Principal = id.Name
		}
	}
	switch {
	case err == nil:
		return signer, nil
	case errors.Is(err, pgperrors.ErrUnknownIssuer):
		return nil, fail(ReasonUnknownKey, "is signed by OpenPGP key %s, which is not in the keyring", issuer(sig))
	case errors.Is(err, pgperrors.ErrKeyExpired), errors.Is(err, pgperrors.ErrSignatureExpired):
		return signer, fail(ReasonExpiredKey, "is signed by OpenPGP key %s, which has expired: %v", issuer(sig), err)
	case errors.Is(err, pgperrors.ErrKeyRevoked):
		return signer, fail(ReasonRevokedKey, "is signed by OpenPGP key %s, which is revoked", issuer(sig))
	}
	return nil, fail(ReasonBadSignature, "has an OpenPGP signature that does not match its content: %v", err)
}

func (v *verifier) verifySSH(c *object.Commit, fail func(string, string, ...any) *verifyError) (*Signer, *verifyError) {
	sig, err := sshsig.Unarmor([]byte(c.PGPSignature))
	if err != nil {
		return nil, fail(ReasonBadSignature, "has a malformed SSH signature: %v", err)
	}
	fp := ssh.FingerprintSHA256(sig.PublicKey)
	if len(v.signers) == 0 {
		return nil, fail(ReasonUnknownKey, "is signed by SSH key %s but no allowed signers file is configured", fp)
	}
	candidates := signersOf(v.signers, sig.PublicKey)
	if len(candidates) == 0 {
		return nil, fail(ReasonUnknownKey, "is signed by SSH key %s, which is not in the allowed signers", fp)
	}
	payload := &plumbing.MemoryObject{}
	if err := c.EncodeWithoutSignature(payload); err != nil {
		return nil, fail(ReasonBadSignature, "cannot be encoded for verification: %v", err)
	}
	r, err := payload.Reader()
	if err != nil {
		return nil, fail(ReasonBadSignature, "cannot be encoded for verification: %v", err)
	}
	defer r.Close()
	if err := sshsig.Verify(r, sig, sig.PublicKey, sig.HashAlgorithm, sshNamespace); err != nil {
		return nil, fail(ReasonBadSignature, "has an SSH signature by %s that does not verify: %v", fp, err)
	}
	// As git does, the validity of a key is checked at the committer time.
	var reason, why string
	for _, s := range candidates {
		if reason, why = s.allows(sshNamespace, c.Committer.When); reason == "" {
			return &Signer{Method: SignSSH, Fingerprint: fp, Principal: s.principals}, nil
		}
	}
	return &Signer{Method: SignSSH, Fingerprint: fp, Principal: candidates[0].principals},
		fail(reason, "is signed by SSH key %s, but %s", fp, why)
}

// issuer returns the key of an armored OpenPGP signature, for messages.
func issuer(armored string) string {
	block, err := armor.Decode(strings.NewReader(armored))
	if err != nil {
		return "(unreadable)"
	}
	p, err := packet.Read(block.Body)
	if err != nil {
		return "(unreadable)"
	}
	if s, ok := p.(*packet.Signature); ok {
		if len(s.IssuerFingerprint) > 0 {
			return fmt.Sprintf("%X", s.IssuerFingerprint)
		}
		if s.IssuerKeyId != nil {
			return fmt.Sprintf("%016X", *s.IssuerKeyId)
		}
	}
	return "(unknown)"
}

// short is the first 12 hex digits of h.
func short(h plumbing.Hash) string {
	return h.String()[:12]
}

// hasSealTrailer reports whether msg has the trailer line
// "Sluice-Seal: true" in its last paragraph.
func hasSealTrailer(msg string) bool {
	paras := strings.Split(strings.TrimSpace(strings.ReplaceAll(msg, "\r\n", "\n")), "\n\n")
	if len(paras) < 2 {
		return false
	}
	for line := range strings.SplitSeq(paras[len(paras)-1], "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), "Sluice-Seal") && strings.TrimSpace(v) == "true" {
			return true
		}
	}
	return false
}
