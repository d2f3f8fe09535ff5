package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	yaml3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"

	"github.com/sluice-gitops/sluice/translate/flatyaml"
)

// Defaults applied when a field is omitted.
const (
	DefaultXDSAddress   = ":18000"
	DefaultAdminAddress = "127.0.0.1:19000"
	DefaultDataDir      = "./.sluice"
	DefaultInterval     = 30 * time.Second
	DefaultDirInterval  = 2 * time.Second
	DefaultBranch       = "main"
)

// Config is sluice.yaml.
type Config struct {
	Source  Source  `json:"source" yaml:"source"`
	XDS     XDS     `json:"xds" yaml:"xds"`
	Admin   Admin   `json:"admin" yaml:"admin"`
	DataDir string  `json:"dataDir" yaml:"dataDir"`
	Gateway Gateway `json:"gateway" yaml:"gateway"`
}

// Source is where revisions come from: exactly one of Git or Dir.
type Source struct {
	Git *Git `json:"git,omitempty" yaml:"git,omitempty"`
	Dir *Dir `json:"dir,omitempty" yaml:"dir,omitempty"`
}

// Git is a Git repository source.
type Git struct {
	URL      string   `json:"url" yaml:"url"`
	Branch   string   `json:"branch" yaml:"branch"`
	Path     string   `json:"path" yaml:"path"`
	Interval Duration `json:"interval" yaml:"interval"`
	Schedule string   `json:"schedule" yaml:"schedule"`
	Auth     GitAuth  `json:"auth" yaml:"auth"`
	Verify   Verify   `json:"verify" yaml:"verify"`
}

// GitAuth names the files that hold credentials (never the secrets themselves).
type GitAuth struct {
	TokenFile      string `json:"tokenFile" yaml:"tokenFile"`
	SSHKeyFile     string `json:"sshKeyFile" yaml:"sshKeyFile"`
	KnownHostsFile string `json:"knownHostsFile" yaml:"knownHostsFile"`
}

// Verify configures commit signature verification.
type Verify struct {
	OpenPGPKeyring     string `json:"openpgpKeyring" yaml:"openpgpKeyring"`
	SSHAllowedSigners  string `json:"sshAllowedSigners" yaml:"sshAllowedSigners"`
	InsecureSkipVerify bool   `json:"insecureSkipVerify" yaml:"insecureSkipVerify"`
}

// Dir is a watched local directory (or files), for development without Git.
type Dir struct {
	Paths    []string `json:"paths" yaml:"paths"`
	Interval Duration `json:"interval" yaml:"interval"`
}

// XDS configures the ADS gRPC listener.
type XDS struct {
	Address string `json:"address" yaml:"address"`
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
	if c.Admin.Address == "" {
		c.Admin.Address = DefaultAdminAddress
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if g := c.Source.Git; g != nil {
		if g.Branch == "" {
			g.Branch = DefaultBranch
		}
		if g.Interval.Duration == 0 {
			g.Interval.Duration = DefaultInterval
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
		if g.Interval.Duration < time.Second {
			errs = append(errs, fmt.Errorf("field source.git.interval: %s is shorter than 1s", g.Interval.Duration))
		}
		if g.Schedule != "" {
			errs = append(errs, errors.New("field source.git.schedule: cron schedules are not supported yet; use interval"))
		}
		if g.Auth != (GitAuth{}) {
			errs = append(errs, errors.New("field source.git.auth: authentication is not supported yet"))
		}
		if g.Verify.OpenPGPKeyring != "" || g.Verify.SSHAllowedSigners != "" {
			errs = append(errs, errors.New("field source.git.verify: signature verification is not supported yet; set verify.insecureSkipVerify: true"))
		}
	}
	if d := c.Source.Dir; d != nil && len(d.Paths) == 0 {
		errs = append(errs, errors.New("field source.dir.paths: at least one path is required"))
	}
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
	if d := c.Source.Dir; d != nil {
		for i, p := range d.Paths {
			d.Paths[i] = abs(p)
		}
	}
	if g := c.Source.Git; g != nil && !strings.Contains(g.URL, "://") && !strings.Contains(g.URL, "@") {
		g.URL = abs(g.URL)
	}
}

// String prints the effective config as YAML, for logs.
func (c *Config) String() string {
	var buf bytes.Buffer
	b, _ := yaml.Marshal(c)
	buf.Write(b)
	return buf.String()
}
