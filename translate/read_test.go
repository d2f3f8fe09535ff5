package translate

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestDecodeTypeError checks that a field of the wrong type rejects only
// its object, with a warning naming file, the field's line and its path.
func TestDecodeTypeError(t *testing.T) {
	t.Parallel()
	src := `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: eg
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: bad
spec:
  gatewayClassName: eg
  listeners:
    - name: http
      protocol: HTTP
      port: "abc"
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: good
spec:
  gatewayClassName: eg
  listeners:
    - name: http
      protocol: HTTP
      port: 80
`
	res, err := Translate(fstest.MapFS{"gw/gateways.yaml": {Data: []byte(src)}}, Options{})
	if err != nil {
		t.Fatalf("a type error must not reject the revision: %v", err)
	}
	if len(res.Warnings) != 1 {
		t.Fatalf("warnings %q, want one", res.Warnings)
	}
	w := res.Warnings[0]
	for _, part := range []string{"gw/gateways.yaml:17:", "Gateway default/bad", "field spec.listeners.port", "ignored"} {
		if !strings.Contains(w, part) {
			t.Errorf("warning %q does not contain %q", w, part)
		}
	}
	if res.Gateway("default", "bad") != nil {
		t.Error("the Gateway with a type error is served")
	}
	if res.Gateway("default", "good") == nil {
		t.Error("the valid Gateway is not served")
	}
}

// TestDecodeMissingName checks that an object without metadata.name is a
// warning, not a parse error.
func TestDecodeMissingName(t *testing.T) {
	t.Parallel()
	src := "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\nmetadata: {}\nspec: {}\n"
	res, err := Translate(fstest.MapFS{"b.yaml": {Data: []byte(src)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0], "b.yaml:1: Backend: field metadata.name is required") {
		t.Errorf("warnings %q", res.Warnings)
	}
}
