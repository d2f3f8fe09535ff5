package xds

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/sluice-gitops/sluice/translate/golden"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// irDir holds the IR → xDS golden cases, next to translate's own.
const irDir = "../testdata/ir"

var update = flag.Bool("update", false, "update golden files")

// TestIRGolden is the IR → xDS stage on its own: it builds the xDS of
// translate/testdata/ir/<case>.ir.yaml (one ir.Gateway, as policies and
// translate would leave it) and compares it with
// translate/testdata/ir/<case>.xds.yaml. A
// filter or policy feature (features.go) is tested here from a few lines
// of IR, without the Gateway API objects around it. -update rewrites the
// outputs and removes those whose input is gone.
func TestIRGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join(irDir, "*.ir.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no IR golden cases in " + irDir)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".ir.yaml")
		out := strings.TrimSuffix(in, ".ir.yaml") + ".xds.yaml"
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			golden.Check(t, out, xdsOfIR(t, in), *update)
		})
	}
	golden.RemoveStale(t, irDir, ".ir.yaml", ".xds.yaml", *update)
}

// xdsOfIR reads one IR Gateway (unknown fields are errors), checks it,
// builds its xDS, checks that a snapshot of it would be served, and
// prints it as `sluice translate` does.
func xdsOfIR(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g ir.Gateway
	if err := yaml.UnmarshalStrict(data, &g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	fillCredentials(&g)
	if err := g.Validate(); err != nil {
		t.Fatalf("%s: invalid IR: %v", path, err)
	}
	res := Build(&g, nil)
	if _, err := res.Snapshot("test"); err != nil {
		t.Fatal(err)
	}
	d, err := res.Document()
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fillCredentials gives g placeholder credentials where IR YAML cannot
// carry them (fields without a json name: basicAuth users, API keys,
// private keys, generic secrets). Printing redacts them all.
func fillCredentials(g *ir.Gateway) {
	for _, l := range g.Listeners {
		for _, vh := range l.VirtualHosts {
			for _, r := range vh.Routes {
				if s := r.Security; s != nil && s.BasicAuth != nil && len(s.BasicAuth.Users) == 0 {
					s.BasicAuth.Users = []byte("user:{SHA}placeholder=")
				}
				if s := r.Security; s != nil && s.APIKeyAuth != nil {
					for i := range s.APIKeyAuth.Credentials {
						if c := &s.APIKeyAuth.Credentials[i]; len(c.Key) == 0 {
							c.Key = []byte("key-of-" + c.Client)
						}
					}
				}
			}
		}
	}
	for _, s := range g.Secrets {
		switch {
		case len(s.Certificate) > 0 && len(s.PrivateKey) == 0:
			s.PrivateKey = []byte("placeholder key")
		case len(s.Certificate) == 0 && len(s.Generic) == 0:
			s.Generic = []byte("placeholder")
		}
	}
}
