package config

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/sluice-gitops/sluice/serve/notify"
)

// Notify is one target of notifications (sluice.yaml's notify list):
// exactly one of Webhook, Slack and Command.
type Notify struct {
	// Name names the target in logs and metrics; defaults to the kind and
	// the position ("webhook-1").
	Name string `json:"name,omitempty" yaml:"name"`
	// Events are the event types sent (notify.AllEvents); empty sends all.
	Events  []string       `json:"events,omitempty" yaml:"events"`
	Webhook *NotifyWebhook `json:"webhook,omitempty" yaml:"webhook"`
	Slack   *NotifySlack   `json:"slack,omitempty" yaml:"slack"`
	Command *NotifyCommand `json:"command,omitempty" yaml:"command"`
	// Retries after a failed delivery (default notify.DefaultRetries; -1
	// for none); QueueSize bounds the events waiting (default
	// notify.DefaultQueueSize), the oldest being dropped.
	Retries   int `json:"retries,omitempty" yaml:"retries"`
	QueueSize int `json:"queueSize,omitempty" yaml:"queueSize"`
}

// NotifyWebhook posts events as JSON to URL, signed with the secret in
// SecretFile (HMAC-SHA256, header X-Sluice-Signature-256).
type NotifyWebhook struct {
	URL        string `json:"url" yaml:"url"`
	SecretFile string `json:"secretFile,omitempty" yaml:"secretFile"`
}

// NotifySlack posts events to a Slack-compatible incoming webhook whose
// URL, a secret, is in URLFile.
type NotifySlack struct {
	URLFile string `json:"urlFile" yaml:"urlFile"`
}

// NotifyCommand runs Path with Args for each event, the event's JSON on
// its standard input.
type NotifyCommand struct {
	Path string   `json:"path" yaml:"path"`
	Args []string `json:"args,omitempty" yaml:"args"`
}

// kind names the target's kind, "" when none or several are set.
func (n *Notify) kind() string {
	var kinds []string
	if n.Webhook != nil {
		kinds = append(kinds, "webhook")
	}
	if n.Slack != nil {
		kinds = append(kinds, "slack")
	}
	if n.Command != nil {
		kinds = append(kinds, "command")
	}
	if len(kinds) != 1 {
		return ""
	}
	return kinds[0]
}

// validateNotify checks the notify targets and names those without a name.
func (c *Config) validateNotify() []error {
	var errs []error
	names := map[string]bool{}
	for i := range c.Notify {
		n := &c.Notify[i]
		field := fmt.Sprintf("field notify[%d]", i)
		kind := n.kind()
		if kind == "" {
			errs = append(errs, fmt.Errorf("%s: set exactly one of webhook, slack and command", field))
			continue
		}
		if n.Name == "" {
			n.Name = fmt.Sprintf("%s-%d", kind, i+1)
		}
		if names[n.Name] {
			errs = append(errs, fmt.Errorf("%s.name: %q names two targets", field, n.Name))
		}
		names[n.Name] = true
		for _, e := range n.Events {
			if !slices.Contains(notify.AllEvents, e) {
				errs = append(errs, fmt.Errorf("%s.events: unknown event %q; want one of %s", field, e, strings.Join(notify.AllEvents, ", ")))
			}
		}
		if n.Retries < -1 || n.QueueSize < 0 {
			errs = append(errs, fmt.Errorf("%s: retries must be -1 or more, queueSize 0 or more", field))
		}
		errs = append(errs, n.validateKind(field)...)
	}
	return errs
}

func (n *Notify) validateKind(field string) []error {
	switch {
	case n.Webhook != nil:
		u, err := url.Parse(n.Webhook.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return []error{fmt.Errorf("%s.webhook.url: want an http(s) URL", field)}
		}
	case n.Slack != nil && n.Slack.URLFile == "":
		return []error{fmt.Errorf("%s.slack.urlFile is required (the incoming webhook's URL is a secret: keep it in a file)", field)}
	case n.Command != nil && n.Command.Path == "":
		return []error{errors.New(field + ".command.path is required")}
	}
	return nil
}

// resolveNotify makes the targets' file paths relative to the config
// file's directory (abs); a command without a slash is looked up in PATH.
func (c *Config) resolveNotify(abs func(string) string) {
	for i := range c.Notify {
		n := &c.Notify[i]
		if n.Webhook != nil {
			n.Webhook.SecretFile = abs(n.Webhook.SecretFile)
		}
		if n.Slack != nil {
			n.Slack.URLFile = abs(n.Slack.URLFile)
		}
		if n.Command != nil && strings.Contains(n.Command.Path, "/") {
			n.Command.Path = abs(n.Command.Path)
		}
	}
}
