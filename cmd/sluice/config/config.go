package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"time"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	yaml3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"

	"github.com/sluice-gitops/sluice/serve/publish"
	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/translate/flatyaml"
)

// Defaults applied when a field is omitted.
const (
	DefaultXDSAddress   = ":18000"
	DefaultAdminAddress = "127.0.0.1:19000"
	DefaultDataDir      = "./.sluice"
	DefaultInterval     = 30 * time.Second
	DefaultSyncTimeout  = 60 * time.Second
	DefaultDirInterval  = 2 * time.Second
	DefaultBranch       = "main"
	DefaultHistoryKeep  = 1000
)

// Config is sluice.yaml.
type Config struct {
	Source  Source  `json:"source" yaml:"source"`
	XDS     XDS     `json:"xds" yaml:"xds"`
	Admin   Admin   `json:"admin" yaml:"admin"`
	DataDir string  `json:"dataDir" yaml:"dataDir"`
	Gateway Gateway `json:"gateway" yaml:"gateway"`
	// Rollback configures automatic rollbacks.
	Rollback Rollback `json:"rollback" yaml:"rollback"`
	// History configures the revision store in DataDir.
	History History `json:"history" yaml:"history"`
	// Kubernetes, when set, serves live endpoints (kubernetes.go).
	Kubernetes *Kubernetes `json:"kubernetes,omitempty" yaml:"kubernetes"`
	// Notify lists where events are sent (notify.go).
	Notify []Notify `json:"notify,omitempty" yaml:"notify"`
	// Limits bound what one revision may cost (limits.go).
	Limits Limits `json:"limits" yaml:"limits"`
	// Decryption opens SOPS-encrypted files of revisions (host.go).
	Decryption Decryption `json:"decryption" yaml:"decryption"`
	// Envoy, when set, runs the Envoys on this host (host.go).
	Envoy *Envoy `json:"envoy,omitempty" yaml:"envoy"`
	// File is the file Load read, to read again on SIGHUP.
	File string `json:"-" yaml:"-"`
}

// Rollback configures automatic rollbacks: with OnNack, a gateway whose
// Envoy NACKs a revision is served the last version its Envoys ACKed.
type Rollback struct {
	OnNack bool `json:"onNack" yaml:"onNack"`
}

// History bounds the revision store: the Keep newest revisions are kept
// (default DefaultHistoryKeep).
type History struct {
	Keep int `json:"keep" yaml:"keep"`
}

// Source is where revisions come from: exactly one of Git or Dir.
type Source struct {
	Git *Git `json:"git,omitempty" yaml:"git,omitempty"`
	Dir *Dir `json:"dir,omitempty" yaml:"dir,omitempty"`
}

// Git is a Git repository source. It is synced every Interval or on a
// cron Schedule ("*/2 * * * *", "@hourly"), not both; Interval defaults to
// DefaultInterval only without a Schedule. Timeout bounds one sync
// (listing refs, fetching, verifying).
type Git struct {
	URL      string   `json:"url" yaml:"url"`
	Branch   string   `json:"branch" yaml:"branch"`
	Path     string   `json:"path" yaml:"path"`
	Interval Duration `json:"interval" yaml:"interval"`
	Schedule string   `json:"schedule,omitempty" yaml:"schedule"`
	Timeout  Duration `json:"timeout" yaml:"timeout"`
	Webhook  Webhook  `json:"webhook" yaml:"webhook"`
	Auth     GitAuth  `json:"auth" yaml:"auth"`
	Verify   Verify   `json:"verify" yaml:"verify"`
	// AllowForcePush accepts a new head that does not descend from the
	// applied revision; by default such a head is refused (NonFastForward).
	AllowForcePush bool `json:"allowForcePush,omitempty" yaml:"allowForcePush"`
}

// Webhook configures POST /hooks/git, which triggers a sync when a Git
// host signals a push.
type Webhook struct {
	// SecretFile holds the shared secret of the webhook (the HMAC key, or
	// GitLab's token). Without it the endpoint is disabled.
	SecretFile string `json:"secretFile,omitempty" yaml:"secretFile"`
}

// GitAuth names the files that hold credentials (never the secrets themselves).
type GitAuth struct {
	TokenFile      string `json:"tokenFile" yaml:"tokenFile"`
	SSHKeyFile     string `json:"sshKeyFile" yaml:"sshKeyFile"`
	KnownHostsFile string `json:"knownHostsFile" yaml:"knownHostsFile"`
}

// validate checks that the named files are there; their content is read,
// and checked against the URL, when the source starts.
func (a GitAuth) validate() []error {
	var errs []error
	if a.TokenFile != "" && a.SSHKeyFile != "" {
		errs = append(errs, errors.New("field source.git.auth: set tokenFile (https) or sshKeyFile (ssh), not both"))
	}
	if a.KnownHostsFile != "" && a.SSHKeyFile == "" {
		errs = append(errs, errors.New("field source.git.auth.knownHostsFile: only used with sshKeyFile"))
	}
	for _, f := range []struct{ field, path string }{
		{"tokenFile", a.TokenFile}, {"sshKeyFile", a.SSHKeyFile}, {"knownHostsFile", a.KnownHostsFile},
	} {
		if f.path == "" {
			continue
		}
		if fi, err := os.Stat(f.path); err != nil {
			errs = append(errs, fmt.Errorf("field source.git.auth.%s: %w", f.field, err))
		} else if !fi.Mode().IsRegular() {
			errs = append(errs, fmt.Errorf("field source.git.auth.%s: %s is not a regular file", f.field, f.path))
		}
	}
	return errs
}

// Verify configures commit signature verification: trusted keys in an
// armored OpenPGP keyring and/or a git allowed_signers file (or
// InsecureSkipVerify), which commits to verify (Mode "all", the default,
// or "head"; Since, the SHA of a trusted commit for a first sync), and
// whether a force-pushed branch is accepted.
type Verify struct {
	OpenPGPKeyring     string `json:"openpgpKeyring" yaml:"openpgpKeyring"`
	SSHAllowedSigners  string `json:"sshAllowedSigners" yaml:"sshAllowedSigners"`
	InsecureSkipVerify bool   `json:"insecureSkipVerify" yaml:"insecureSkipVerify"`
	Mode               string `json:"mode,omitempty" yaml:"mode"`
	Since              string `json:"since,omitempty" yaml:"since"`
}

// sha1Hex matches a full commit SHA.
var sha1Hex = regexp.MustCompile(`^[0-9a-f]{40}$`)

// validate checks the fields and that the key files are there; the keys
// are read when the source starts.
func (v Verify) validate() []error {
	var errs []error
	if v.OpenPGPKeyring == "" && v.SSHAllowedSigners == "" && !v.InsecureSkipVerify {
		errs = append(errs, errors.New("field source.git.verify: set openpgpKeyring or sshAllowedSigners, or insecureSkipVerify: true to run without verification"))
	}
	if v.Mode != "" && v.Mode != gitsync.VerifyAll && v.Mode != gitsync.VerifyHead {
		errs = append(errs, fmt.Errorf("field source.git.verify.mode: %q is not %q or %q", v.Mode, gitsync.VerifyAll, gitsync.VerifyHead))
	}
	if v.Since != "" && !sha1Hex.MatchString(v.Since) {
		errs = append(errs, fmt.Errorf("field source.git.verify.since: %q is not a full commit SHA (40 lower-case hex digits)", v.Since))
	}
	for _, f := range []struct{ field, path string }{
		{"openpgpKeyring", v.OpenPGPKeyring}, {"sshAllowedSigners", v.SSHAllowedSigners},
	} {
		if _, err := os.Stat(f.path); f.path != "" && err != nil {
			errs = append(errs, fmt.Errorf("field source.git.verify.%s: %w", f.field, err))
		}
	}
	return errs
}

// Dir is a watched local directory (or files), for development without Git.
type Dir struct {
	Paths    []string `json:"paths" yaml:"paths"`
	Interval Duration `json:"interval" yaml:"interval"`
}

// XDS configures the ADS gRPC listener.
type XDS struct {
	Address string `json:"address" yaml:"address"`
	// TLS, when set, serves xDS over TLS (mTLS with a client CA).
	TLS *XDSTLS `json:"tls,omitempty" yaml:"tls"`
	// MaxStreams and MaxStreamsPerIP bound the xDS streams open at once,
	// in all and from one remote address (defaults
	// publish.DefaultMaxStreams and DefaultMaxStreamsPerIP; -1: no limit).
	MaxStreams      int `json:"maxStreams" yaml:"maxStreams"`
	MaxStreamsPerIP int `json:"maxStreamsPerIP" yaml:"maxStreamsPerIP"`
	// AllowInsecureSecrets serves gateways whose configuration holds
	// secrets to clients without a verified certificate. Unset, it is true
	// when the listener is loopback-only (its clients are on this host,
	// which holds the Git mirror and so the secrets anyway) and false
	// otherwise: see InsecureSecrets.
	AllowInsecureSecrets *bool `json:"allowInsecureSecrets,omitempty" yaml:"allowInsecureSecrets"`
}

// LoopbackOnly reports whether the xDS address listens on loopback only
// (127.0.0.0/8, ::1 or localhost).
func (x XDS) LoopbackOnly() bool {
	host, _, err := net.SplitHostPort(x.Address)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// InsecureSecrets says whether clients without a verified certificate are
// served secrets: AllowInsecureSecrets, by default LoopbackOnly.
func (x XDS) InsecureSecrets() bool {
	if x.AllowInsecureSecrets != nil {
		return *x.AllowInsecureSecrets
	}
	return x.LoopbackOnly()
}

// XDSTLS names the PEM files of the xDS listener's TLS. They are read again
// when they change (for new connections), so a rotation needs no restart.
type XDSTLS struct {
	CertFile string `json:"certFile" yaml:"certFile"`
	KeyFile  string `json:"keyFile" yaml:"keyFile"`
	// ClientCAFile, when set, makes every Envoy present a certificate
	// signed by one of its CAs.
	ClientCAFile string `json:"clientCAFile,omitempty" yaml:"clientCAFile"`
}

// Admin configures the admin HTTP listener.
type Admin struct {
	Address   string `json:"address" yaml:"address"`
	TokenFile string `json:"tokenFile" yaml:"tokenFile"`
}

// Gateway selects the GatewayClasses sluice manages.
type Gateway struct {
	ControllerName string `json:"controllerName" yaml:"controllerName"`
}

// Duration reads "30s"-style durations.
type Duration struct{ time.Duration }

// UnmarshalYAML accepts a Go duration string such as "30s".
func (d *Duration) UnmarshalYAML(n *yaml3.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || n.Kind != yaml3.ScalarNode {
		return fmt.Errorf("line %d: %q is not a duration such as \"30s\"", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

// MarshalJSON prints the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// Load reads a config file. Relative paths in it are resolved against the
// file's directory.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	cfg, err := parse(data)
	if err == nil {
		// Resolve before defaults: the default dataDir is relative to the
		// working directory, like every default path.
		cfg.resolve(filepath.Dir(path))
		cfg.defaults()
		err = cfg.validate()
	}
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	cfg.File = path
	return cfg, nil
}

// Parse reads the bytes of a config file, applies defaults and validates.
// Unknown fields are errors, so typos do not pass silently.
func Parse(data []byte) (*Config, error) {
	cfg, err := parse(data)
	if err != nil {
		return nil, err
	}
	cfg.defaults()
	return cfg, cfg.validate()
}

func parse(data []byte) (*Config, error) {
	// Envoy Gateway's standalone config is often copied from a page that
	// lost its indentation, as the 1.2 release note did.
	if out, ok := flatyaml.ReindentAll(string(data), func(_, kind string) reflect.Type {
		if kind == "EnvoyGateway" {
			return reflect.TypeFor[egv1a1.EnvoyGateway]()
		}
		return nil
	}); ok {
		data = []byte(out)
	}
	var head struct {
		Kind string `json:"kind" yaml:"kind"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return nil, err
	}
	var cfg *Config
	if head.Kind == "EnvoyGateway" {
		var err error
		if cfg, err = fromEnvoyGateway(data); err != nil {
			return nil, err
		}
	} else {
		cfg = &Config{}
		dec := yaml3.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
			return nil, cleanErr(err)
		}
	}
	return cfg, nil
}

// fromEnvoyGateway maps Envoy Gateway's standalone configuration (provider
// Custom, resource File with paths, infrastructure Host) onto a Config.
func fromEnvoyGateway(data []byte) (*Config, error) {
	var eg egv1a1.EnvoyGateway
	if err := yaml.UnmarshalStrict(data, &eg); err != nil {
		return nil, cleanErr(err)
	}
	cfg := &Config{}
	if eg.Gateway != nil {
		cfg.Gateway.ControllerName = eg.Gateway.ControllerName
	}
	p := eg.Provider
	switch {
	case p == nil || p.Custom == nil:
		return nil, errors.New("field provider.custom: sluice reads EnvoyGateway configs with provider type Custom and a File resource provider")
	case p.Custom.Resource.Type != egv1a1.ResourceProviderTypeFile || p.Custom.Resource.File == nil:
		return nil, fmt.Errorf("field provider.custom.resource.type: %q is not supported; use File", p.Custom.Resource.Type)
	}
	cfg.Source.Dir = &Dir{Paths: p.Custom.Resource.File.Paths}
	if i := p.Custom.Infrastructure; i != nil && i.Type == egv1a1.InfrastructureProviderTypeHost {
		cfg.Envoy = &Envoy{} // Envoy Gateway runs an Envoy per Gateway: so does sluice
	}
	return cfg, nil
}

// cleanErr drops decoder prefixes; what is left names the line and field.
func cleanErr(err error) error {
	msg := err.Error()
	for _, p := range []string{"error unmarshaling JSON: while decoding JSON: ", "json: ", "yaml: unmarshal errors:\n  ", "yaml: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return errors.New(strings.ReplaceAll(msg, "\n  ", "; "))
}

func (c *Config) defaults() {
	if c.XDS.Address == "" {
		c.XDS.Address = DefaultXDSAddress
	}
	if c.XDS.MaxStreams == 0 {
		c.XDS.MaxStreams = publish.DefaultMaxStreams
	}
	if c.XDS.MaxStreamsPerIP == 0 {
		c.XDS.MaxStreamsPerIP = publish.DefaultMaxStreamsPerIP
	}
	if c.Admin.Address == "" {
		c.Admin.Address = DefaultAdminAddress
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.History.Keep == 0 {
		c.History.Keep = DefaultHistoryKeep
	}
	c.Limits.defaults()
	if g := c.Source.Git; g != nil {
		if g.Branch == "" {
			g.Branch = DefaultBranch
		}
		if g.Interval.Duration == 0 && g.Schedule == "" {
			g.Interval.Duration = DefaultInterval
		}
		if g.Timeout.Duration == 0 {
			g.Timeout.Duration = DefaultSyncTimeout
		}
	}
	if d := c.Source.Dir; d != nil && d.Interval.Duration == 0 {
		d.Interval.Duration = DefaultDirInterval
	}
}

func (c *Config) validate() error {
	var errs []error
	switch {
	case c.Source.Git == nil && c.Source.Dir == nil:
		errs = append(errs, errors.New("field source: set source.git or source.dir"))
	case c.Source.Git != nil && c.Source.Dir != nil:
		errs = append(errs, errors.New("field source: set only one of source.git and source.dir"))
	}
	if g := c.Source.Git; g != nil {
		if g.URL == "" {
			errs = append(errs, errors.New("field source.git.url is required"))
		}
		errs = append(errs, g.validateTriggers()...)
		errs = append(errs, g.Auth.validate()...)
		errs = append(errs, g.Verify.validate()...)
	}
	if d := c.Source.Dir; d != nil && len(d.Paths) == 0 {
		errs = append(errs, errors.New("field source.dir.paths: at least one path is required"))
	}
	if t := c.XDS.TLS; t != nil && (t.CertFile == "" || t.KeyFile == "") {
		errs = append(errs, errors.New("field xds.tls: certFile and keyFile are required"))
	}
	for field, v := range map[string]int{"maxStreams": c.XDS.MaxStreams, "maxStreamsPerIP": c.XDS.MaxStreamsPerIP} {
		if v < -1 {
			errs = append(errs, fmt.Errorf("field xds.%s: %d is not a number of streams (or -1 for no limit)", field, v))
		}
	}
	errs = append(errs, c.Decryption.validate()...)
	if c.Envoy != nil {
		errs = append(errs, c.Envoy.validate(c)...)
	}
	if c.History.Keep < 0 {
		errs = append(errs, fmt.Errorf("field history.keep: %d is negative; want the number of revisions to keep", c.History.Keep))
	}
	if k := c.Kubernetes; k != nil {
		errs = append(errs, k.validate()...)
	}
	errs = append(errs, c.validateNotify()...)
	errs = append(errs, c.Limits.validate()...)
	return errors.Join(errs...)
}

// resolve makes relative paths relative to base, the config file's
// directory. A Git URL that is a relative local path is resolved too.
func (c *Config) resolve(base string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(base, p)
	}
	c.DataDir = abs(c.DataDir)
	c.Admin.TokenFile = abs(c.Admin.TokenFile)
	if k := c.Kubernetes; k != nil {
		k.resolve(base)
	}
	c.resolveNotify(abs)
	c.Decryption.AgeKeyFile = abs(c.Decryption.AgeKeyFile)
	if c.Envoy != nil {
		c.Envoy.resolve(abs)
	}
	if t := c.XDS.TLS; t != nil {
		t.CertFile, t.KeyFile, t.ClientCAFile = abs(t.CertFile), abs(t.KeyFile), abs(t.ClientCAFile)
	}
	if d := c.Source.Dir; d != nil {
		for i, p := range d.Paths {
			d.Paths[i] = abs(p)
		}
	}
	if g := c.Source.Git; g != nil && !strings.Contains(g.URL, "://") && !strings.Contains(g.URL, "@") {
		g.URL = abs(g.URL)
	}
	if g := c.Source.Git; g != nil {
		g.Webhook.SecretFile = abs(g.Webhook.SecretFile)
		g.Auth.TokenFile = abs(g.Auth.TokenFile)
		g.Auth.SSHKeyFile = abs(g.Auth.SSHKeyFile)
		g.Auth.KnownHostsFile = abs(g.Auth.KnownHostsFile)
		g.Verify.OpenPGPKeyring = abs(g.Verify.OpenPGPKeyring)
		g.Verify.SSHAllowedSigners = abs(g.Verify.SSHAllowedSigners)
	}
}

// String prints the effective config as YAML, for logs.
func (c *Config) String() string {
	var buf bytes.Buffer
	b, _ := yaml.Marshal(c)
	buf.Write(b)
	return buf.String()
}
