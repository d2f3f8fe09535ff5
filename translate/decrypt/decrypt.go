package decrypt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/keyservice"
	sopsjson "github.com/getsops/sops/v3/stores/json"
	sopsyaml "github.com/getsops/sops/v3/stores/yaml"
	"google.golang.org/grpc"
)

var (
	// ErrNoKey is returned for a SOPS file when no key was given
	// (decryption.ageKeyFile is not set).
	ErrNoKey = errors.New("decrypt: the file is SOPS-encrypted and no age key is configured (decryption.ageKeyFile, or --age-key-file)")
	// ErrNoMatchingKey is returned for a SOPS file that none of the keys
	// opens.
	ErrNoMatchingKey = errors.New("decrypt: no age key given opens the file")
	// ErrInvalidFile is returned for a SOPS file that cannot be read or
	// whose MAC does not match (it was altered).
	ErrInvalidFile = errors.New("decrypt: invalid SOPS file")
	// ErrInvalidKeys is returned by ParseAgeKeys for content that holds no
	// age identity.
	ErrInvalidKeys = errors.New("decrypt: invalid age key file")
)

// Keys are age identities that open SOPS files. A nil *Keys opens none.
// Keys is safe for concurrent use.
type Keys struct {
	ids        sopsage.ParsedIdentities
	recipients []string // of ids, for messages
}

// ParseAgeKeys reads age identities (AGE-SECRET-KEY-1..., one a line, #
// comments allowed), as age-keygen writes them. The error never holds
// key material.
func ParseAgeKeys(data []byte) (*Keys, error) {
	ids, err := age.ParseIdentities(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKeys, err)
	}
	k := &Keys{ids: ids}
	for _, id := range ids {
		if x, ok := id.(*age.X25519Identity); ok {
			k.recipients = append(k.recipients, x.Recipient().String())
		}
	}
	return k, nil
}

// Recipients returns the public keys of k's identities.
func (k *Keys) Recipients() []string {
	if k == nil {
		return nil
	}
	return k.recipients
}

// sopsMarker finds SOPS metadata: a top-level "sops" key of a YAML
// document, or a "sops" object in JSON, holding a "mac".
var (
	yamlMarker = regexp.MustCompile(`(?m)^sops:[ \t]*(#.*)?$`)
	jsonMarker = regexp.MustCompile(`"sops"\s*:\s*\{`)
)

// IsEncrypted says whether data, the content of the file name, is a SOPS
// file (YAML for .yaml and .yml, JSON for .json).
func IsEncrypted(name string, data []byte) bool {
	if !bytes.Contains(data, []byte("mac")) {
		return false
	}
	switch path.Ext(name) {
	case ".yaml", ".yml":
		return yamlMarker.Match(data)
	case ".json":
		return jsonMarker.Match(data)
	}
	return false
}

// Decrypt returns the plaintext of the SOPS file name, whose content is
// data, checking its MAC. Errors name the recipients the file is
// encrypted for and never hold plaintext.
func (k *Keys) Decrypt(name string, data []byte) ([]byte, error) {
	store := storeFor(name)
	tree, err := store.LoadEncryptedFile(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidFile, err)
	}
	needs := recipientsOf(tree.Metadata)
	if k == nil || len(k.ids) == 0 {
		return nil, fmt.Errorf("%w; it is encrypted for %s", ErrNoKey, needs)
	}
	key, err := tree.Metadata.GetDataKeyWithKeyServices([]keyservice.KeyServiceClient{ageService{k.ids}}, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: it is encrypted for %s; the keys given are for %s", ErrNoMatchingKey, needs, strings.Join(k.recipients, ", "))
	}
	cipher := aes.NewCipher()
	mac, err := tree.Decrypt(key, cipher)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidFile, err)
	}
	stored, err := cipher.Decrypt(tree.Metadata.MessageAuthenticationCode, key, tree.Metadata.LastModified.Format(time.RFC3339))
	if err != nil || stored != mac {
		return nil, fmt.Errorf("%w: the MAC does not match: the file was changed after it was encrypted", ErrInvalidFile)
	}
	return store.EmitPlainFile(tree.Branches)
}

// sopsStore is what Decrypt needs of SOPS's YAML and JSON stores.
type sopsStore interface {
	LoadEncryptedFile([]byte) (sops.Tree, error)
	EmitPlainFile(sops.TreeBranches) ([]byte, error)
}

func storeFor(name string) sopsStore {
	if path.Ext(name) == ".json" {
		return sopsjson.NewStore(&config.JSONStoreConfig{})
	}
	return sopsyaml.NewStore(&config.YAMLStoreConfig{})
}

// recipientsOf lists the keys a file is encrypted for ("age1...", or the
// kind and name of a key of another type), for messages.
func recipientsOf(m sops.Metadata) string {
	var out []string
	for _, group := range m.KeyGroups {
		for _, key := range group {
			if a, ok := key.(*sopsage.MasterKey); ok {
				out = append(out, a.Recipient)
			} else {
				out = append(out, key.TypeToIdentifier()+" "+key.ToString())
			}
		}
	}
	if len(out) == 0 {
		return "no recipient"
	}
	return strings.Join(out, ", ")
}

// ageService is a SOPS key service that opens data keys with age
// identities in memory; it never reads the environment or files.
type ageService struct {
	ids sopsage.ParsedIdentities
}

var errOnlyAge = errors.New("decrypt: only age recipients are supported")

func (s ageService) Encrypt(context.Context, *keyservice.EncryptRequest, ...grpc.CallOption) (*keyservice.EncryptResponse, error) {
	return nil, errors.New("decrypt: encryption is not supported")
}

func (s ageService) Decrypt(_ context.Context, req *keyservice.DecryptRequest, _ ...grpc.CallOption) (*keyservice.DecryptResponse, error) {
	k := req.GetKey().GetAgeKey()
	if k == nil {
		return nil, errOnlyAge
	}
	mk := &sopsage.MasterKey{Recipient: k.GetRecipient(), EncryptedKey: string(req.GetCiphertext())}
	s.ids.ApplyToMasterKey(mk)
	plain, err := mk.Decrypt()
	if err != nil {
		return nil, err
	}
	return &keyservice.DecryptResponse{Plaintext: plain}, nil
}
