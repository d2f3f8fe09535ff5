package decrypt_test

import (
	"bytes"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/sluice-gitops/sluice/translate/decrypt"
	"github.com/sluice-gitops/sluice/translate/decrypt/sopstest"
)

const secretYAML = `apiVersion: v1
kind: Secret
metadata:
  name: api-keys
type: Opaque
stringData:
  ci: key-for-ci-7f3a
`

const secretJSON = `{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "api-keys"}, "stringData": {"ci": "key-for-ci-7f3a"}}`

func keys(t *testing.T, identities ...string) *decrypt.Keys {
	t.Helper()
	k, err := decrypt.ParseAgeKeys([]byte("# created: by the test\n" + strings.Join(identities, "\n") + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestDecryptRoundTrip(t *testing.T) {
	id, rcpt := sopstest.NewKey(t)
	otherID, otherRcpt := sopstest.NewKey(t)
	for name, plain := range map[string]string{"secret.yaml": secretYAML, "secret.json": secretJSON} {
		t.Run(name, func(t *testing.T) {
			enc := sopstest.Encrypt(t, name, []byte(plain), otherRcpt, rcpt)
			if bytes.Contains(enc, []byte("key-for-ci-7f3a")) || !decrypt.IsEncrypted(name, enc) {
				t.Fatalf("encrypted file holds the plaintext or is not seen as SOPS:\n%s", enc)
			}
			if decrypt.IsEncrypted(name, []byte(plain)) {
				t.Fatal("a plain file is seen as SOPS")
			}
			// Either recipient's key opens it.
			for _, k := range []*decrypt.Keys{keys(t, id), keys(t, otherID)} {
				out, err := k.Decrypt(name, enc)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Contains(out, []byte("key-for-ci-7f3a")) || bytes.Contains(out, []byte("sops")) || !bytes.Contains(out, []byte("api-keys")) {
					t.Fatalf("plaintext:\n%s", out)
				}
			}
		})
	}
}

func TestDecryptErrors(t *testing.T) {
	_, rcpt := sopstest.NewKey(t)
	wrongID, wrongRcpt := sopstest.NewKey(t)
	enc := sopstest.Encrypt(t, "s.yaml", []byte(secretYAML), rcpt)
	tampered := tamper(t, enc)
	tests := map[string]struct {
		keys *decrypt.Keys
		data []byte
		want error
		says []string
	}{
		"no key":    {nil, enc, decrypt.ErrNoKey, []string{"decryption.ageKeyFile", rcpt}},
		"wrong key": {keys(t, wrongID), enc, decrypt.ErrNoMatchingKey, []string{"encrypted for " + rcpt, "keys given are for " + wrongRcpt}},
		"tampered":  {keys(t, wrongID), tampered, decrypt.ErrNoMatchingKey, nil},
		"garbage":   {keys(t, wrongID), []byte("sops: [\nmac"), decrypt.ErrInvalidFile, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := tc.keys.Decrypt("s.yaml", tc.data)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

// tamper changes one encrypted value of a SOPS file to another's.
func tamper(t *testing.T, enc []byte) []byte {
	t.Helper()
	i := bytes.Index(enc, []byte("ENC[AES256_GCM,data:"))
	if i < 0 {
		t.Fatalf("no encrypted value:\n%s", enc)
	}
	out := bytes.Clone(enc)
	j := i + len("ENC[AES256_GCM,data:")
	if out[j] == 'A' {
		out[j] = 'B'
	} else {
		out[j] = 'A'
	}
	return out
}

func TestTamperedFileFailsTheMAC(t *testing.T) {
	id, rcpt := sopstest.NewKey(t)
	enc := sopstest.Encrypt(t, "s.yaml", []byte(secretYAML), rcpt)
	if _, err := keys(t, id).Decrypt("s.yaml", tamper(t, enc)); !errors.Is(err, decrypt.ErrInvalidFile) {
		t.Fatalf("err = %v, want ErrInvalidFile", err)
	}
}

func TestParseAgeKeys(t *testing.T) {
	_, err := decrypt.ParseAgeKeys([]byte("AGE-SECRET-KEY-1NOTAKEY-secretish\n"))
	if !errors.Is(err, decrypt.ErrInvalidKeys) || strings.Contains(err.Error(), "secretish") {
		t.Fatalf("err = %v; want ErrInvalidKeys without the content", err)
	}
	id, rcpt := sopstest.NewKey(t)
	if got := keys(t, id).Recipients(); len(got) != 1 || got[0] != rcpt {
		t.Fatalf("recipients = %v, want [%s]", got, rcpt)
	}
}

func TestFS(t *testing.T) {
	id, rcpt := sopstest.NewKey(t)
	fsys := fstest.MapFS{
		"plain.yaml":      {Data: []byte("kind: ConfigMap\n")},
		"sub/secret.yaml": {Data: sopstest.Encrypt(t, "secret.yaml", []byte(secretYAML), rcpt)},
		"notes.txt":       {Data: []byte("sops:\nmac\n")},
	}
	dfs := keys(t, id).FS(fsys)
	if err := fstest.TestFS(dfs, "plain.yaml", "sub/secret.yaml", "notes.txt"); err != nil {
		t.Fatal(err)
	}
	got, err := fs.ReadFile(dfs, "sub/secret.yaml")
	if err != nil || !bytes.Contains(got, []byte("ci: key-for-ci-7f3a")) {
		t.Fatalf("sub/secret.yaml: %v\n%s", err, got)
	}
	for _, name := range []string{"plain.yaml", "notes.txt"} {
		if got, _ := fs.ReadFile(dfs, name); !bytes.Equal(got, fsys[name].Data) {
			t.Errorf("%s reads %q", name, got)
		}
	}
	_, err = fs.ReadFile((*decrypt.Keys)(nil).FS(fsys), "sub/secret.yaml")
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != "sub/secret.yaml" || !errors.Is(err, decrypt.ErrNoKey) {
		t.Fatalf("without keys: %v; want a PathError naming the file, ErrNoKey", err)
	}
}
