package main

import (
	"bytes"
	"context"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sluice-gitops/sluice/cmd/sluice/config"
	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/serve/xdstest"
	"github.com/sluice-gitops/sluice/sync/gittest"
	"github.com/sluice-gitops/sluice/translate/decrypt/sopstest"
)

// lockedBuffer collects sluice's log.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// routesHold says whether the routes an Envoy holds contain s (in their
// wire form, where Envoy reads credentials).
func routesHold(st xdstest.State, s string) bool {
	for _, r := range st.Routes {
		if b, _ := proto.Marshal(r); bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}

// TestServeSOPS serves examples/sops from Git with its test key: the Envoy
// gets the decrypted API keys; a commit encrypted for another key is
// rejected naming the file and the recipient, and the last good revision
// keeps serving; a rotated key is served; and no plaintext reaches the
// mirror, the store, the log or the admin API.
func TestServeSOPS(t *testing.T) {
	example := func(name string) string {
		b, err := os.ReadFile(filepath.Join("../../examples/sops", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	keyFile, _ := filepath.Abs("../../examples/sops/test-key.agekey")
	git := gittest.NewServer(t)
	repo := gittest.NewRepo(t, git.Dir)
	for _, f := range []string{"infra.yaml", "policies.yaml", "secrets.sops.yaml"} {
		repo.WriteFile("gateways/"+f, example("repo/"+f))
	}
	first := repo.Commit("Add the SOPS example")
	repo.Push()
	cfg, err := config.Parse([]byte("source: {git: {url: " + git.URL() + ", path: gateways/, interval: 1h, verify: {insecureSkipVerify: true}}}\ndecryption: {ageKeyFile: " + keyFile + "}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	logs := &lockedBuffer{}
	sl := startServeLogging(t, cfg, "tok", logs)
	envoy := xdstest.Dial(context.Background(), t, sl.xds, xdstest.Options{NodeID: "e", Cluster: "default/eg"})
	envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return routesHold(s, "example-key-for-ci") && acked(s) })
	v1 := envoy.Snapshot().Versions[resourcev3.RouteType]

	// Encrypted for a key sluice does not have: rejected, v1 keeps serving.
	plain := strings.ReplaceAll(example("../basic-auth/security.yaml"), "example-key-for-ci", "rotated-key-for-ci")
	_, stranger := sopstest.NewKey(t)
	repo.WriteFile("gateways/secrets.sops.yaml", string(sopstest.Encrypt(t, "secrets.sops.yaml", []byte(secretsOf(plain)), stranger)))
	second := repo.Commit("Encrypt for a stranger")
	repo.Push()
	sl.do(t, http.MethodPost, "/api/v1/sync")
	recs := sl.waitRevisions(t, func(r []*revisions.Record) bool { return len(r) == 2 && r[0].SHA == second })
	if recs[0].State != revisions.StateRejected || !strings.Contains(recs[0].Reason, "secrets.sops.yaml") || !strings.Contains(recs[0].Reason, stranger) {
		t.Errorf("revision encrypted for another key: %s %q; want rejected naming the file and %s", recs[0].State, recs[0].Reason, stranger)
	}
	if v := envoy.Snapshot().Versions[resourcev3.RouteType]; v != v1 {
		t.Errorf("routes moved to %s after a rejected revision", v)
	}

	// Rotated, for the right key: served.
	recipient := strings.TrimSpace(strings.TrimPrefix(strings.Split(example("test-key.agekey"), "\n")[2], "# public key:"))
	repo.WriteFile("gateways/secrets.sops.yaml", string(sopstest.Encrypt(t, "secrets.sops.yaml", []byte(secretsOf(plain)), recipient)))
	third := repo.Commit("Rotate the CI key")
	repo.Push()
	sl.do(t, http.MethodPost, "/api/v1/sync")
	envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return routesHold(s, "rotated-key-for-ci") && acked(s) })

	secrets := []string{"example-key-for-ci", "rotated-key-for-ci", "example-key-for-intern", "yG5QQ2lOrF9IfDyTPG7A708ffKY="}
	var seen strings.Builder
	for _, path := range []string{"/api/v1/revisions", "/api/v1/revisions/" + third, "/api/v1/diff?from=" + first + "&to=" + third, "/", "/revisions/" + third, "/diff?from=" + first + "&to=" + third, "/metrics"} {
		code, body := sl.do(t, http.MethodGet, path)
		if code != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, code, body)
		}
		seen.Write(body)
	}
	sl.stop()
	seen.WriteString(logs.String())
	filepath.WalkDir(cfg.DataDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			seen.Write(b)
		}
		return nil
	})
	for _, s := range secrets {
		if strings.Contains(seen.String(), s) {
			t.Errorf("plaintext %q reached the admin API, the log or dataDir", s)
		}
	}
	blob := gittest.Git(t, filepath.Join(cfg.DataDir, "git"), "cat-file", "-p", third+":gateways/secrets.sops.yaml")
	if !strings.Contains(blob, "ENC[AES256_GCM,") {
		t.Errorf("the mirror's secrets file is not the ciphertext:\n%s", blob)
	}
}

// secretsOf keeps the two Secrets of examples/basic-auth/security.yaml,
// without its comments (which quote the keys).
func secretsOf(security string) string {
	var keep []string
	for _, doc := range strings.Split(security, "\n---\n") {
		if !strings.Contains(doc, "\nkind: Secret\n") {
			continue
		}
		var lines []string
		for _, l := range strings.Split(doc, "\n") {
			if !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
		keep = append(keep, strings.Join(lines, "\n"))
	}
	return strings.Join(keep, "\n---\n") + "\n"
}

func TestValidateAgeKeyFile(t *testing.T) {
	const dir, key = "../../examples/sops/repo", "../../examples/sops/test-key.agekey"
	if out, _, err := run(t, "validate", dir, "--age-key-file", key); err != nil || !strings.Contains(out, "SecurityPolicy") {
		t.Fatalf("validate with the key: %v\n%s", err, out)
	}
	if _, _, err := run(t, "validate", dir); err == nil || !strings.Contains(err.Error(), "secrets.sops.yaml") || !strings.Contains(err.Error(), "age-key-file") {
		t.Fatalf("validate without a key: %v; want an error naming the file and the flag", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.agekey")
	os.WriteFile(bad, []byte("not a key\n"), 0o600)
	if _, _, err := run(t, "validate", dir, "--age-key-file", bad); err == nil || !strings.Contains(err.Error(), "--age-key-file "+bad) {
		t.Fatalf("validate with a bad key file: %v; want an error naming it", err)
	}
	out, _, err := run(t, "translate", dir, "--age-key-file", key)
	if err != nil || strings.Contains(out, "example-key-for-ci") || !strings.Contains(out, "[redacted]") {
		t.Fatalf("translate prints credentials or fails: %v", err)
	}
}
