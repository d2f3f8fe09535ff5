package serve

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/sluice-gitops/sluice/sync/logtext"
)

// MaxWebhookBody bounds the body of POST /hooks/git. Push events of GitHub
// and GitLab are capped at 25 MB but rarely pass a few kilobytes; sluice
// reads only "ref".
const MaxWebhookBody = 1 << 20

// webhookProvider is how one Git host signs its push webhooks: the header
// it sends and how that header proves knowledge of the secret.
type webhookProvider struct {
	name   string
	header string
	valid  func(secret, body []byte, value string) bool
}

// webhookProviders are looked for in this order; the first header present
// decides. Forgejo also sends Gitea's and GitHub's headers, and Gitea
// GitHub's, so the more specific ones come first.
var webhookProviders = []webhookProvider{
	{"forgejo", "X-Forgejo-Signature", hexHMAC},
	{"gitea", "X-Gitea-Signature", hexHMAC},
	{"github", "X-Hub-Signature-256", sha256HMAC},
	{"gitlab", "X-Gitlab-Token", sameToken},
	{"generic", "X-Signature-256", sha256HMAC},
}

// hexHMAC checks value = hex(HMAC-SHA256(secret, body)), as Gitea and
// Forgejo send it.
func hexHMAC(secret, body []byte, value string) bool {
	got, err := hex.DecodeString(strings.TrimSpace(value))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// sha256HMAC checks value = "sha256=" + hex(HMAC-SHA256(secret, body)), as
// GitHub sends it.
func sha256HMAC(secret, body []byte, value string) bool {
	hexSum, ok := strings.CutPrefix(strings.TrimSpace(value), "sha256=")
	return ok && hexHMAC(secret, body, hexSum)
}

// sameToken checks that value is the secret itself, as GitLab sends it.
// Comparing digests keeps the time independent of the secret's length.
func sameToken(secret, _ []byte, value string) bool {
	a, b := sha256.Sum256([]byte(value)), sha256.Sum256(secret)
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// webhookResponse is the body of a webhook call that passed.
type webhookResponse struct {
	// Status is "sync triggered" or "ignored".
	Status   string `json:"status"`
	Provider string `json:"provider"`
	Ref      string `json:"ref,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// webhook serves POST /hooks/git: a push webhook signed with the shared
// secret triggers a sync and answers 202 at once; the sync itself runs in
// the background. The bearer token is not needed: the signature proves
// the caller.
func (s *admin) webhook(opts AdminOptions) handlerFunc {
	secret := []byte(opts.WebhookSecret)
	return func(w http.ResponseWriter, r *http.Request) error {
		if len(secret) == 0 {
			return &APIError{HTTPStatus: http.StatusForbidden, Message: "no webhook secret is configured (source.git.webhook.secretFile); webhooks are disabled"}
		}
		if opts.Trigger == nil {
			return &APIError{HTTPStatus: http.StatusNotImplemented, Message: "this source cannot be synced on demand"}
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return &APIError{HTTPStatus: http.StatusRequestEntityTooLarge, Message: "webhook body is larger than 1 MiB"}
		case err != nil:
			return &APIError{HTTPStatus: http.StatusBadRequest, Message: "read webhook body: " + err.Error()}
		}
		p, ok := findProvider(r.Header)
		if !ok {
			return &APIError{HTTPStatus: http.StatusUnauthorized, Message: "webhook is not signed: send X-Hub-Signature-256, X-Gitea-Signature, X-Forgejo-Signature, X-Gitlab-Token or X-Signature-256"}
		}
		if !p.valid(secret, body, r.Header.Get(p.header)) {
			s.log.Warn("webhook refused: bad signature", "provider", p.name, "header", p.header, "remote", r.RemoteAddr)
			return &APIError{HTTPStatus: http.StatusUnauthorized, Message: p.header + " does not match the webhook secret"}
		}
		resp := webhookResponse{Provider: p.name, Ref: pushedRef(r.Header.Get("Content-Type"), body)}
		if want := "refs/heads/" + opts.Branch; opts.Branch != "" && resp.Ref != "" && resp.Ref != want {
			resp.Status, resp.Reason = "ignored", "sluice follows "+want
			s.log.Debug("webhook ignored: another ref", "provider", p.name, "ref", logtext.Truncate(resp.Ref, 256))
			writeJSON(w, http.StatusOK, resp)
			return nil
		}
		opts.Trigger()
		resp.Status = "sync triggered"
		s.log.Info("webhook: sync triggered", "provider", p.name, "ref", logtext.Truncate(resp.Ref, 256))
		writeJSON(w, http.StatusAccepted, resp)
		return nil
	}
}

func findProvider(h http.Header) (webhookProvider, bool) {
	for _, p := range webhookProviders {
		if h.Get(p.header) != "" {
			return p, true
		}
	}
	return webhookProvider{}, false
}

// pushedRef returns the "ref" of a push event ("refs/heads/main"), or ""
// when the payload has none (a ping, a non-push event, not JSON). GitHub
// may send the JSON form-encoded as payload=.
func pushedRef(contentType string, body []byte) string {
	if mt, _, _ := mime.ParseMediaType(contentType); mt == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return ""
		}
		body = []byte(form.Get("payload"))
	}
	var event struct {
		Ref string `json:"ref"`
	}
	if json.Unmarshal(body, &event) != nil {
		return ""
	}
	return event.Ref
}
