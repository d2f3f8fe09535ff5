package serve_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sluice-gitops/sluice/serve"
	"github.com/sluice-gitops/sluice/serve/revisions"
)

const hookSecret = "It's a Secret to Everybody"

// hookServer serves the admin API with a webhook secret and counts
// triggers.
func hookServer(t *testing.T, opts serve.AdminOptions) (string, *atomic.Int64) {
	t.Helper()
	var triggers atomic.Int64
	if opts.Trigger == nil {
		opts.Trigger = func() { triggers.Add(1) }
	}
	srv, err := revisions.New(revisions.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(serve.AdminHandler(srv, opts))
	t.Cleanup(ts.Close)
	return ts.URL + "/hooks/git", &triggers
}

func hexMAC(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return hex.EncodeToString(mac.Sum(nil))
}

// postHook posts body with headers and returns the status and the decoded
// JSON answer.
func postHook(t *testing.T, url, body string, headers map[string]string) (int, map[string]string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]string
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer %d is not a JSON object: %s", resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// TestWebhookProviders: each provider's signature, right and wrong, over
// real HTTP.
func TestWebhookProviders(t *testing.T) {
	const push = `{"ref":"refs/heads/main","after":"0123456789abcdef0123456789abcdef01234567"}`
	good := hexMAC(hookSecret, push)
	bad := hexMAC("another secret", push)
	tampered := hexMAC(hookSecret, push+" ")
	cases := map[string]struct {
		headers  map[string]string
		status   int
		provider string
	}{
		"github":                 {map[string]string{"X-Hub-Signature-256": "sha256=" + good, "X-GitHub-Event": "push"}, 202, "github"},
		"github upper-case hex":  {map[string]string{"X-Hub-Signature-256": "sha256=" + strings.ToUpper(good)}, 202, "github"},
		"github wrong secret":    {map[string]string{"X-Hub-Signature-256": "sha256=" + bad}, 401, ""},
		"github tampered body":   {map[string]string{"X-Hub-Signature-256": "sha256=" + tampered}, 401, ""},
		"github without sha256=": {map[string]string{"X-Hub-Signature-256": good}, 401, ""},
		"github sha1 only":       {map[string]string{"X-Hub-Signature": "sha1=" + good}, 401, ""},
		"gitea":                  {map[string]string{"X-Gitea-Signature": good, "X-Gitea-Event": "push"}, 202, "gitea"},
		"gitea wrong secret":     {map[string]string{"X-Gitea-Signature": bad}, 401, ""},
		"gitea not hex":          {map[string]string{"X-Gitea-Signature": "zz" + good[2:]}, 401, ""},
		// Forgejo sends its own header and Gitea's and GitHub's.
		"forgejo":              {map[string]string{"X-Forgejo-Signature": good, "X-Gitea-Signature": good, "X-Hub-Signature-256": "sha256=" + good}, 202, "forgejo"},
		"forgejo wrong secret": {map[string]string{"X-Forgejo-Signature": bad}, 401, ""},
		"gitlab":               {map[string]string{"X-Gitlab-Token": hookSecret, "X-Gitlab-Event": "Push Hook"}, 202, "gitlab"},
		"gitlab wrong token":   {map[string]string{"X-Gitlab-Token": "It's a secret to everybody"}, 401, ""},
		"gitlab token prefix":  {map[string]string{"X-Gitlab-Token": hookSecret[:5]}, 401, ""},
		"generic":              {map[string]string{"X-Signature-256": "sha256=" + good}, 202, "generic"},
		"generic wrong secret": {map[string]string{"X-Signature-256": "sha256=" + bad}, 401, ""},
		"unsigned":             {map[string]string{}, 401, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url, triggers := hookServer(t, serve.AdminOptions{WebhookSecret: hookSecret, Branch: "main"})
			status, body := postHook(t, url, push, tc.headers)
			if status != tc.status {
				t.Fatalf("status %d %v; want %d", status, body, tc.status)
			}
			wantTriggers := int64(0)
			if tc.status == http.StatusAccepted {
				wantTriggers = 1
				if body["provider"] != tc.provider || body["status"] != "sync triggered" || body["ref"] != "refs/heads/main" {
					t.Errorf("answer %v; want provider %s, sync triggered", body, tc.provider)
				}
			} else if body["error"] == "" {
				t.Errorf("answer %v has no error message", body)
			}
			if n := triggers.Load(); n != wantTriggers {
				t.Errorf("%d syncs triggered; want %d", n, wantTriggers)
			}
		})
	}
}

// TestWebhookRefusals: no secret, no trigger, an oversize body, a GET.
func TestWebhookRefusals(t *testing.T) {
	t.Run("no secret configured", func(t *testing.T) {
		url, triggers := hookServer(t, serve.AdminOptions{})
		status, body := postHook(t, url, "{}", map[string]string{"X-Hub-Signature-256": "sha256=" + hexMAC("", "{}")})
		if status != http.StatusForbidden || !strings.Contains(body["error"], "secretFile") || triggers.Load() != 0 {
			t.Fatalf("%d %v (%d triggers); want 403 naming secretFile, no trigger", status, body, triggers.Load())
		}
	})
	t.Run("source cannot sync", func(t *testing.T) {
		srv, err := revisions.New(revisions.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(serve.AdminHandler(srv, serve.AdminOptions{WebhookSecret: hookSecret}))
		defer ts.Close()
		status, body := postHook(t, ts.URL+"/hooks/git", "{}", map[string]string{"X-Gitlab-Token": hookSecret})
		if status != http.StatusNotImplemented {
			t.Fatalf("%d %v; want 501", status, body)
		}
	})
	t.Run("oversize body", func(t *testing.T) {
		url, triggers := hookServer(t, serve.AdminOptions{WebhookSecret: hookSecret})
		big := `{"ref":"refs/heads/main","pad":"` + strings.Repeat("x", serve.MaxWebhookBody) + `"}`
		status, body := postHook(t, url, big, map[string]string{"X-Hub-Signature-256": "sha256=" + hexMAC(hookSecret, big)})
		if status != http.StatusRequestEntityTooLarge || triggers.Load() != 0 {
			t.Fatalf("%d %v (%d triggers); want 413, no trigger", status, body, triggers.Load())
		}
	})
	t.Run("GET", func(t *testing.T) {
		url, _ := hookServer(t, serve.AdminOptions{WebhookSecret: hookSecret})
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("GET: %d; want 405", resp.StatusCode)
		}
	})
}

// TestWebhookOtherBranch: a push to another branch or a tag is answered,
// says why, and does not sync; a ping without ref does.
func TestWebhookOtherBranch(t *testing.T) {
	url, triggers := hookServer(t, serve.AdminOptions{WebhookSecret: hookSecret, Branch: "main"})
	for _, ref := range []string{"refs/heads/feature", "refs/tags/v1.0.0"} {
		push := `{"ref":"` + ref + `"}`
		status, body := postHook(t, url, push, map[string]string{"X-Gitea-Signature": hexMAC(hookSecret, push)})
		if status != http.StatusOK || body["status"] != "ignored" || body["ref"] != ref || !strings.Contains(body["reason"], "refs/heads/main") {
			t.Errorf("%s: %d %v; want 200 ignored, naming refs/heads/main", ref, status, body)
		}
	}
	if n := triggers.Load(); n != 0 {
		t.Fatalf("%d syncs triggered by pushes to other refs", n)
	}
	ping := `{"zen":"Design for failure.","hook_id":1}`
	if status, body := postHook(t, url, ping, map[string]string{"X-Hub-Signature-256": "sha256=" + hexMAC(hookSecret, ping)}); status != http.StatusAccepted {
		t.Errorf("ping: %d %v; want 202", status, body)
	}
	if n := triggers.Load(); n != 1 {
		t.Fatalf("ping triggered %d syncs; want 1", n)
	}
}

// TestWebhookFormEncoded: GitHub's application/x-www-form-urlencoded
// delivery is signed over the raw body and its ref is read from payload=.
func TestWebhookFormEncoded(t *testing.T) {
	hook, triggers := hookServer(t, serve.AdminOptions{WebhookSecret: hookSecret, Branch: "main"})
	body := "payload=" + url.QueryEscape(`{"ref":"refs/heads/other"}`)
	req, _ := http.NewRequest(http.MethodPost, hook, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hexMAC(hookSecret, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || triggers.Load() != 0 {
		t.Fatalf("%d, %d triggers; want 200 ignored (ref refs/heads/other)", resp.StatusCode, triggers.Load())
	}
}
