package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"

	"github.com/sluice-gitops/sluice/translate"
)

// run executes the CLI in-process and returns stdout, stderr and the error.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := newRootCmd(&out, &errb)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

func writeDir(t *testing.T, files map[string]string) string {
	dir := t.TempDir()
	for name, content := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)
	}
	return dir
}

func TestValidateAccepts(t *testing.T) {
	out, _, err := run(t, "validate", "../../examples/quickstart")
	if err != nil {
		t.Fatalf("validate: %v\n%s", err, out)
	}
	for _, want := range []string{"HTTPRoute", "default/backend", "parent default/eg", "Accepted=True", "Programmed=True"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestValidateRejectsAndExits1(t *testing.T) {
	dir := writeDir(t, map[string]string{"q.yaml": strings.Replace(quickstart(t), "name: backend\nspec:\n  endpoints", "name: other\nspec:\n  endpoints", 1)})
	out, _, err := run(t, "validate", dir, "-o", "json")
	var ee exitError
	if !errors.As(err, &ee) {
		t.Fatalf("validate of a route to a missing Backend: err = %v, want exit 1", err)
	}
	var res translate.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("-o json is not JSON: %v\n%s", err, out)
	}
	rej := res.Rejected()
	if len(rej) != 1 || rej[0].Kind != "HTTPRoute" || !strings.Contains(rej[0].Parents[0].Conditions[1].Message, "spec.rules[0].backendRefs[0].name") {
		t.Errorf("rejected = %+v; want the HTTPRoute, naming the backendRef field", rej)
	}
}

func TestValidateParseErrorNamesFileAndLine(t *testing.T) {
	dir := writeDir(t, map[string]string{"ok.yaml": quickstart(t), "sub/bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: {}\n"})
	_, _, err := run(t, "validate", dir)
	if err == nil || !strings.Contains(err.Error(), "sub/bad.yaml:5") {
		t.Fatalf("err = %v; want it to name sub/bad.yaml:5", err)
	}
}

func TestTranslatePrintsXDS(t *testing.T) {
	out, _, err := run(t, "translate", "../../examples/quickstart", "--gateway", "default/eg")
	if err != nil {
		t.Fatal(err)
	}
	var docs []translate.XDSDocument
	if err := yaml.Unmarshal([]byte(out), &docs); err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs[0].Gateway != "default/eg" || len(docs[0].Listeners) != 1 || len(docs[0].Routes) != 1 ||
		len(docs[0].Clusters) != 1 || len(docs[0].Endpoints) != 1 {
		t.Fatalf("translate -o yaml: %s", out)
	}
	out, _, err = run(t, "translate", "../../examples/quickstart", "-o", "json")
	if err != nil || !strings.Contains(out, `"portValue": 8888`) {
		t.Fatalf("translate -o json: %v\n%s", err, out)
	}
	if _, _, err := run(t, "translate", "../../examples/quickstart", "--gateway", "default/nope"); err == nil {
		t.Error("translate --gateway of a missing gateway succeeded")
	}
}

func TestBootstrapValidates(t *testing.T) {
	out, _, err := run(t, "bootstrap", "--gateway", "default/eg", "--xds-address", "sluice.example.com:18000")
	if err != nil {
		t.Fatal(err)
	}
	js, err := yaml.YAMLToJSON([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	var b bootstrapv3.Bootstrap
	if err := protojson.Unmarshal(js, &b); err != nil {
		t.Fatalf("bootstrap does not parse into the Envoy proto: %v", err)
	}
	if err := b.ValidateAll(); err != nil {
		t.Fatal(err)
	}
	if b.GetNode().GetCluster() != "default/eg" {
		t.Errorf("node.cluster = %q", b.GetNode().GetCluster())
	}
	if _, _, err := run(t, "bootstrap", "--gateway", "a/b/c"); err == nil {
		t.Error("bootstrap --gateway a/b/c succeeded")
	}
}

// TestValidateExplainsAttachments: for every policy, validate prints the
// routes it is in force on through each target and those it lost to a
// more specific policy, naming that policy.
func TestValidateExplainsAttachments(t *testing.T) {
	in, err := os.ReadFile("../../translate/testdata/policy-attach-precedence.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, "validate", writeDir(t, map[string]string{"p.yaml": string(in)}))
	if err != nil {
		t.Fatalf("validate: %v\n%s", err, out)
	}
	var rows []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "default/gateway-wide") && strings.Contains(l, "target Gateway default/eg") {
			rows = append(rows, strings.Join(strings.Fields(l), " "))
		}
	}
	want := []string{
		"BackendTrafficPolicy default/gateway-wide target Gateway default/eg InForce - HTTPRoute default/api on listener http",
		"BackendTrafficPolicy default/gateway-wide target Gateway default/eg Overridden - HTTPRoute default/admin on listener admin (by BackendTrafficPolicy default/admin-listener on Gateway default/eg listener admin), HTTPRoute default/www on listener http (by BackendTrafficPolicy default/www-route on HTTPRoute default/www)",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("attachment rows:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
}
