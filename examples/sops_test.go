package examples

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sluice-gitops/sluice/translate"
	"github.com/sluice-gitops/sluice/translate/decrypt"
	"github.com/sluice-gitops/sluice/translate/decrypt/sopstest"
)

// Plaintext of examples/sops/repo/secrets.sops.yaml: an htpasswd hash and
// an API key.
const (
	sopsHtpasswd = "yG5QQ2lOrF9IfDyTPG7A708ffKY="
	sopsAPIKey   = "example-key-for-ci"
)

func sopsKeys(t *testing.T) *decrypt.Keys {
	b, err := os.ReadFile("sops/test-key.agekey")
	if err != nil {
		t.Fatal(err)
	}
	k, err := decrypt.ParseAgeKeys(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestSOPSExample translates examples/sops/repo with its test key: every
// object is accepted, the decrypted credentials reach Envoy's config, and
// the printed document redacts them.
func TestSOPSExample(t *testing.T) {
	enc, err := os.ReadFile("sops/repo/secrets.sops.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(enc), sopsHtpasswd) || strings.Contains(string(enc), sopsAPIKey) {
		t.Fatal("the example's secrets file holds plaintext")
	}
	res, err := translate.Translate(os.DirFS("sops/repo"), translate.Options{Decryption: sopsKeys(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Rejected() {
		t.Errorf("%s %s/%s is rejected: %+v", s.Kind, s.Namespace, s.Name, s)
	}
	if len(res.Gateways) != 1 {
		t.Fatalf("%d gateways served", len(res.Gateways))
	}
	g := res.Gateways[0]
	var served strings.Builder
	// The wire form: the htpasswd list is bytes, base64 in JSON.
	var msgs []proto.Message
	for _, l := range g.Listeners {
		msgs = append(msgs, l)
	}
	for _, r := range g.Routes {
		msgs = append(msgs, r)
	}
	for _, m := range msgs {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		served.Write(b)
	}
	if !strings.Contains(served.String(), sopsAPIKey) || !strings.Contains(served.String(), sopsHtpasswd) {
		t.Error("the served listeners and routes lack the decrypted credentials")
	}
	doc, err := g.Document()
	if err != nil {
		t.Fatal(err)
	}
	printed, _ := json.Marshal(doc)
	if strings.Contains(string(printed), sopsAPIKey) || strings.Contains(string(printed), sopsHtpasswd) {
		t.Error("sluice translate's document prints decrypted credentials")
	}
}

// TestSOPSExampleWithoutKey: without the key, or with another, the
// revision is rejected naming the file and the recipient it needs.
func TestSOPSExampleWithoutKey(t *testing.T) {
	other, _ := sopstest.NewKey(t)
	otherKeys, err := decrypt.ParseAgeKeys([]byte(other))
	if err != nil {
		t.Fatal(err)
	}
	recipient := sopsKeys(t).Recipients()[0]
	for name, tc := range map[string]struct {
		keys *decrypt.Keys
		want error
	}{"no key": {nil, decrypt.ErrNoKey}, "another key": {otherKeys, decrypt.ErrNoMatchingKey}} {
		t.Run(name, func(t *testing.T) {
			_, err := translate.Translate(os.DirFS("sops/repo"), translate.Options{Decryption: tc.keys})
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), "secrets.sops.yaml") || !strings.Contains(err.Error(), recipient) {
				t.Fatalf("err = %v; want %v naming secrets.sops.yaml and %s", err, tc.want, recipient)
			}
		})
	}
}
