package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"

	"github.com/sluice-gitops/sluice/sync/logtext"
)

// SignatureHeader carries the webhook's HMAC: "sha256=<hex HMAC-SHA256 of
// the body, keyed with the secret>", as GitHub signs its webhooks.
const SignatureHeader = "X-Sluice-Signature-256"

// EventHeader carries the event's type.
const EventHeader = "X-Sluice-Event"

// maxAnswer bounds what is read of a target's answer or a command's output.
const maxAnswer = 4 << 10

// Webhook posts each event as JSON to url, signed with secret (none when
// empty). client nil is http.DefaultClient.
func Webhook(url, secret string, client *http.Client) Sender {
	return &webhook{url: url, secret: []byte(secret), client: client}
}

type webhook struct {
	url    string
	secret []byte
	client *http.Client
}

func (w *webhook) Send(ctx context.Context, ev Event) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return &Permanent{err}
	}
	h := http.Header{"Content-Type": {"application/json"}, EventHeader: {ev.Type}}
	if len(w.secret) > 0 {
		mac := hmac.New(sha256.New, w.secret)
		mac.Write(body)
		h.Set(SignatureHeader, "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	return post(ctx, w.client, w.url, redact(w.url), h, body)
}

// Slack posts each event as a Slack incoming-webhook message ({"text":
// ...}) to url, which is a secret: errors never show it.
func Slack(url string, client *http.Client) Sender { return &slack{url: url, client: client} }

type slack struct {
	url    string
	client *http.Client
}

func (s *slack) Send(ctx context.Context, ev Event) error {
	body, err := json.Marshal(map[string]string{"text": Text(ev)})
	if err != nil {
		return &Permanent{err}
	}
	return post(ctx, s.client, s.url, "the Slack webhook", http.Header{"Content-Type": {"application/json"}}, body)
}

// Text is an event as one line for a person, as the Slack target sends it.
func Text(ev Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "sluice: %s", ev.Type)
	if ev.Revision != "" {
		fmt.Fprintf(&b, " %s", ev.Revision)
		if ev.Subject != "" {
			fmt.Fprintf(&b, " (%q)", ev.Subject)
		}
	}
	if ev.Gateway != "" {
		fmt.Fprintf(&b, " gateway %s", ev.Gateway)
	}
	if ev.Node != "" {
		fmt.Fprintf(&b, " Envoy %s", ev.Node)
	}
	if ev.Message != "" {
		fmt.Fprintf(&b, ": %s", ev.Message)
	}
	return b.String()
}

// post sends body to target (named where for errors) and turns a non-2xx
// answer into an error; 4xx other than 408 and 429 is Permanent.
func post(ctx context.Context, client *http.Client, target, where string, h http.Header, body []byte) error {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return &Permanent{fmt.Errorf("notify %s: %w", where, scrub(err, target, where))}
	}
	req.Header = h
	req.Header.Set("User-Agent", "sluice")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("notify %s: %w", where, scrub(err, target, where))
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	err = fmt.Errorf("notify %s: %s: %s", where, resp.Status, logtext.Truncate(strings.TrimSpace(string(answer)), logtext.Max))
	if resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests {
		return &Permanent{err}
	}
	return err
}

// redact drops the user information of a URL.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "the webhook"
	}
	p.User = nil
	return p.String()
}

// scrub replaces the URL in net/http's errors by its printable name.
func scrub(err error, target, where string) error {
	msg := strings.ReplaceAll(err.Error(), target, where)
	if q, uerr := url.Parse(target); uerr == nil {
		msg = strings.ReplaceAll(msg, q.Redacted(), where)
	}
	return fmt.Errorf("%s", msg)
}

// Command runs path with args for each event, the event's JSON on its
// standard input and its type in $SLUICE_EVENT; a non-zero exit fails.
func Command(path string, args []string) Sender { return &command{path: path, args: args} }

type command struct {
	path string
	args []string
}

func (c *command) Send(ctx context.Context, ev Event) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return &Permanent{err}
	}
	cmd := exec.CommandContext(ctx, c.path, c.args...)
	cmd.Stdin = bytes.NewReader(body)
	cmd.Env = append(os.Environ(), "SLUICE_EVENT="+ev.Type)
	out := &limitedBuffer{max: maxAnswer}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("notify command %s: %w: %s", c.path, err, logtext.Truncate(strings.TrimSpace(out.String()), logtext.Max))
	}
	return nil
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
