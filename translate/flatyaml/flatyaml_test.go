package flatyaml

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	yaml "go.yaml.in/yaml/v3"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

var kinds = map[string]any{
	"GatewayClass":         gwapiv1.GatewayClass{},
	"Gateway":              gwapiv1.Gateway{},
	"HTTPRoute":            gwapiv1.HTTPRoute{},
	"Backend":              egv1a1.Backend{},
	"EnvoyProxy":           egv1a1.EnvoyProxy{},
	"EnvoyGateway":         egv1a1.EnvoyGateway{},
	"SecurityPolicy":       egv1a1.SecurityPolicy{},
	"BackendTrafficPolicy": egv1a1.BackendTrafficPolicy{},
	"HTTPRouteFilter":      egv1a1.HTTPRouteFilter{},
}

func typeOf(_, kind string) reflect.Type {
	if v, ok := kinds[kind]; ok {
		return reflect.TypeOf(v)
	}
	return nil
}

func parseAll(t *testing.T, s string) []any {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(s))
	var docs []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%v in:\n%s", err, s)
		}
		docs = append(docs, v)
	}
}

// TestSeedExamples re-indents every YAML example of the Envoy Gateway 1.2
// release note, as the note prints them (flattened), and compares them with
// the same examples indented by hand.
func TestSeedExamples(t *testing.T) {
	flats, _ := filepath.Glob("testdata/*.flat.yaml")
	if len(flats) == 0 {
		t.Fatal("no testdata")
	}
	for _, flat := range flats {
		want := strings.TrimSuffix(flat, ".flat.yaml") + ".yaml"
		t.Run(filepath.Base(want), func(t *testing.T) {
			in, _ := os.ReadFile(flat)
			exp, err := os.ReadFile(want)
			if err != nil {
				t.Fatal(err)
			}
			got, changed := ReindentAll(string(in), typeOf)
			if !changed {
				t.Fatal("not recognised as flattened")
			}
			if g, w := parseAll(t, got), parseAll(t, string(exp)); !reflect.DeepEqual(g, w) {
				t.Errorf("re-indented:\n%s\nwant the structure of %s", got, want)
			}
			// Indented YAML is left alone.
			if _, changed := ReindentAll(string(exp), typeOf); changed {
				t.Errorf("%s is indented but was re-indented", want)
			}
		})
	}
}

func TestNotFlat(t *testing.T) {
	cases := map[string]string{
		"indented":     "apiVersion: v1\nkind: Gateway\nmetadata:\n  name: x\n",
		"no nesting":   "apiVersion: v1\nkind: Gateway\n",
		"list at root": "- a\n- b\n",
		"unknown kind": "apiVersion: v1\nkind: Unknown\nmetadata:\nname: x\n",
	}
	for name, doc := range cases {
		if got, changed := Reindent(doc, typeOf); changed || got != doc {
			t.Errorf("%s: changed to\n%s", name, got)
		}
	}
}

func TestFreeFormMapsTakeAnyKey(t *testing.T) {
	doc := "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\nname: eg\nlabels:\napp: web\ntier: edge\nspec:\ngatewayClassName: eg\n"
	got, _ := Reindent(doc, typeOf)
	want := "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: eg\n  labels:\n    app: web\n    tier: edge\nspec:\n  gatewayClassName: eg\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
