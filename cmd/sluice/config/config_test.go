package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseDefaults(t *testing.T) {
	cfg, err := Parse([]byte("source:\n  git:\n    url: https://git.example.com/r.git\n    verify: {insecureSkipVerify: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Source.Git
	if cfg.XDS.Address != ":18000" || cfg.Admin.Address != "127.0.0.1:19000" || cfg.DataDir != "./.sluice" ||
		g.Branch != "main" || g.Interval.Duration != 30*time.Second ||
		cfg.XDS.MaxStreams != 10000 || cfg.XDS.MaxStreamsPerIP != 1000 {
		t.Errorf("defaults not applied: %+v %+v", cfg, g)
	}
}

func TestParseErrorsNameTheField(t *testing.T) {
	cases := map[string]struct{ in, want string }{
		"no source":      {"xds: {address: ':1'}\n", "field source"},
		"both sources":   {"source: {git: {url: x}, dir: {paths: [a]}}\n", "only one"},
		"typo":           {"source: {dir: {pathz: [a]}}\n", "line 1: field pathz not found in type config.Dir"},
		"bad interval":   {"source:\n  git: {url: x, interval: soon}\n", `line 2: "soon" is not a duration`},
		"short interval": {"source: {git: {url: x, interval: 10ms}}\n", "field source.git.interval"},
		"no url":         {"source: {git: {branch: main}}\n", "source.git.url"},
		"no paths":       {"source: {dir: {}}\n", "source.dir.paths"},
		"bad limit":      {"source: {dir: {paths: [a]}}\nxds: {maxStreamsPerIP: -5}\n", "field xds.maxStreamsPerIP"},
		"eg kubernetes":  {"apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\nprovider: {type: Kubernetes}\n", "provider.custom"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestEnvoyGatewayStandalone(t *testing.T) {
	// The seed's standalone.yaml, indented.
	standalone, err := os.ReadFile("../../../translate/flatyaml/testdata/standalone.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(standalone)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Source.Dir == nil || len(cfg.Source.Dir.Paths) != 1 || cfg.Source.Dir.Paths[0] != "/tmp/envoy-gateway-test" {
		t.Errorf("paths not mapped: %+v", cfg.Source)
	}
	if cfg.Gateway.ControllerName != "gateway.envoyproxy.io/gatewayclass-controller" {
		t.Errorf("controllerName = %q", cfg.Gateway.ControllerName)
	}
}

// The seed prints standalone.yaml without indentation; it must load as is.
func TestEnvoyGatewayStandaloneFlattened(t *testing.T) {
	flat, err := os.ReadFile("../../../translate/flatyaml/testdata/standalone.flat.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(flat)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Source.Dir == nil || len(cfg.Source.Dir.Paths) != 1 || cfg.Source.Dir.Paths[0] != "/tmp/envoy-gateway-test" {
		t.Errorf("paths not mapped: %+v", cfg.Source)
	}
}

func TestLoadResolvesRelativePaths(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sluice.yaml")
	os.WriteFile(path, []byte("source: {dir: {paths: [config, /abs]}}\nadmin: {tokenFile: token}\n"), 0o600)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Source.Dir.Paths; got[0] != filepath.Join(dir, "config") || got[1] != "/abs" {
		t.Errorf("paths = %v", got)
	}
	if cfg.Admin.TokenFile != filepath.Join(dir, "token") {
		t.Errorf("tokenFile = %q", cfg.Admin.TokenFile)
	}
	if cfg.DataDir != DefaultDataDir {
		t.Errorf("default dataDir = %q, want it relative to the working directory", cfg.DataDir)
	}
}

// Secrets go to unauthenticated xDS clients by default only on a
// loopback-only listener; allowInsecureSecrets says otherwise either way.
func TestInsecureSecretsDefault(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		address string
		allow   *bool
		want    bool
	}{
		{":18000", nil, false},
		{"0.0.0.0:18000", nil, false},
		{"10.0.0.1:18000", nil, false},
		{"127.0.0.1:18000", nil, true},
		{"[::1]:18000", nil, true},
		{"localhost:18000", nil, true},
		{":18000", &yes, true},
		{"127.0.0.1:18000", &no, false},
	} {
		x := XDS{Address: tc.address, AllowInsecureSecrets: tc.allow}
		if got := x.InsecureSecrets(); got != tc.want {
			t.Errorf("address %s, allowInsecureSecrets %v: InsecureSecrets = %v, want %v", tc.address, tc.allow, got, tc.want)
		}
	}
}

// TestNotifyConfig: notify targets get names, their files are resolved,
// and a target of two kinds, an unknown event and a Slack target without
// its URL file are refused naming the field.
func TestNotifyConfig(t *testing.T) {
	cfg, err := Parse([]byte("source: {dir: {paths: [.]}}\nnotify:\n- webhook: {url: 'https://hooks.example.com/x', secretFile: s}\n- name: pager\n  command: {path: /bin/true}\n  events: [nack, source.failing]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Notify[0].Name != "webhook-1" || cfg.Notify[1].Name != "pager" || len(cfg.Notify[1].Events) != 2 {
		t.Errorf("notify = %+v", cfg.Notify)
	}
	for bad, want := range map[string]string{
		"- webhook: {url: 'https://x.example'}\n  command: {path: x}\n": "field notify[0]: set exactly one of webhook, slack and command",
		"- webhook: {url: 'https://x.example'}\n  events: [nak]\n":      `field notify[0].events: unknown event "nak"`,
		"- slack: {}\n":                         "field notify[0].slack.urlFile is required",
		"- webhook: {url: 'ftp://x.example'}\n": "field notify[0].webhook.url: want an http(s) URL",
	} {
		if _, err := Parse([]byte("source: {dir: {paths: [.]}}\nnotify:\n" + bad)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", bad, err, want)
		}
	}
}

func TestDecryptionKeyFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "age.key"), []byte("AGE-SECRET-KEY-1...\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "sluice.yaml"), []byte("source: {dir: {paths: [.]}}\ndecryption: {ageKeyFile: age.key}\n"), 0o600)
	cfg, err := Load(filepath.Join(dir, "sluice.yaml"))
	if err != nil || cfg.Decryption.AgeKeyFile != filepath.Join(dir, "age.key") {
		t.Fatalf("Load: %v, ageKeyFile %q", err, cfg.Decryption.AgeKeyFile)
	}
	_, err = Parse([]byte("source: {dir: {paths: [.]}}\ndecryption: {ageKeyFile: /no/such/age.key}\n"))
	if err == nil || !strings.Contains(err.Error(), "field decryption.ageKeyFile") {
		t.Fatalf("missing key file: %v; want an error naming the field", err)
	}
}

func TestEnvoyConfig(t *testing.T) {
	cfg, err := Parse([]byte("source: {dir: {paths: [.]}}\nenvoy: {binary: /opt/envoy/bin/envoy, gateways: [default/eg, other], baseID: 3, args: [--concurrency, '2'], logLevel: debug, drainTime: 5s}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if e := cfg.Envoy; e.Binary != "/opt/envoy/bin/envoy" || len(e.Gateways) != 2 || e.BaseID != 3 || e.LogLevel != "debug" || e.DrainTime.Duration != 5*time.Second {
		t.Fatalf("envoy = %+v", e)
	}
	for in, want := range map[string]string{
		"envoy: {gateways: [Default/EG]}":                  "field envoy.gateways[0]",
		"envoy: {logLevel: loud}":                          "field envoy.logLevel",
		"envoy: {}\nxds: {tls: {certFile: a, keyFile: b}}": "field envoy.xdsTLS.caFile",
	} {
		if _, err := Parse([]byte("source: {dir: {paths: [.]}}\n" + in + "\n")); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want an error naming %s", in, err, want)
		}
	}
}
