// Package sopstest makes age keys and SOPS-encrypted files for tests, with
// SOPS's own packages, as `sops --encrypt --age RECIPIENT
// --encrypted-regex '^(data|stringData)$'` does. It is for tests only.
package sopstest

import (
	"crypto/rand"
	"path"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/keys"
	sopsjson "github.com/getsops/sops/v3/stores/json"
	sopsyaml "github.com/getsops/sops/v3/stores/yaml"
)

// EncryptedRegex is what Encrypt encrypts: the values of Secrets.
const EncryptedRegex = "^(data|stringData)$"

// NewKey returns a new age identity (AGE-SECRET-KEY-1...) and its
// recipient (age1...).
func NewKey(t testing.TB) (identity, recipient string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id.String(), id.Recipient().String()
}

type store interface {
	LoadPlainFile([]byte) (sops.TreeBranches, error)
	EmitEncryptedFile(sops.Tree) ([]byte, error)
}

// Encrypt encrypts plain, the content of the file name (YAML, or JSON for
// .json), for the age recipients, as one key group.
func Encrypt(t testing.TB, name string, plain []byte, recipients ...string) []byte {
	t.Helper()
	var st store = sopsyaml.NewStore(&config.YAMLStoreConfig{})
	if path.Ext(name) == ".json" {
		st = sopsjson.NewStore(&config.JSONStoreConfig{})
	}
	branches, err := st.LoadPlainFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	dataKey := make([]byte, 32)
	rand.Read(dataKey)
	var group sops.KeyGroup
	for _, r := range recipients {
		mk, err := sopsage.MasterKeyFromRecipient(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := mk.Encrypt(dataKey); err != nil {
			t.Fatal(err)
		}
		group = append(group, keys.MasterKey(mk))
	}
	tree := sops.Tree{Branches: branches, Metadata: sops.Metadata{
		EncryptedRegex: EncryptedRegex, Version: "3.13.3", KeyGroups: []sops.KeyGroup{group},
		LastModified: time.Now().UTC().Truncate(time.Second),
	}}
	cipher := aes.NewCipher()
	mac, err := tree.Encrypt(dataKey, cipher)
	if err != nil {
		t.Fatal(err)
	}
	if tree.Metadata.MessageAuthenticationCode, err = cipher.Encrypt(mac, dataKey, tree.Metadata.LastModified.Format(time.RFC3339)); err != nil {
		t.Fatal(err)
	}
	out, err := st.EmitEncryptedFile(tree)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
