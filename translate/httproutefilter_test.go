package translate

import (
	"strings"
	"testing"
	"testing/fstest"
)

// testGateway is a GatewayClass and a Gateway eg with one HTTP listener
// on port 80, for tests that write revisions of a few objects.
const testGateway = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg}
spec:
  gatewayClassName: eg
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
`

const hrfGateway = testGateway + `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: HTTPRouteFilter
metadata: {name: page}
spec:
  directResponse:
    statusCode: STATUS
    body: {type: ValueRef, valueRef: {group: "", kind: ConfigMap, name: page}}
---
`

func translateHRF(t *testing.T, yaml string) string {
	t.Helper()
	res, err := Translate(fstest.MapFS{"r.yaml": {Data: []byte(yaml)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range res.Gateways {
		if _, err := g.Snapshot("test"); err != nil {
			t.Fatalf("gateway %s: %v", g.Key(), err)
		}
	}
	out, err := res.YAML()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// A ConfigMap body larger than Envoy's default limit (4 KiB) raises the
// limit of the route configuration, else Envoy would reject it.
func TestDirectResponseLargeBody(t *testing.T) {
	body := strings.Repeat("x", 5000)
	out := translateHRF(t, strings.Replace(hrfGateway, "STATUS", "200", 1)+`apiVersion: v1
kind: ConfigMap
metadata: {name: page}
data: {response.body: `+body+`}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
  parentRefs: [{name: eg}]
  rules:
    - filters: [{type: ExtensionRef, extensionRef: {group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: page}}]
`)
	if !strings.Contains(out, "maxDirectResponseBodySizeBytes: 5000") || !strings.Contains(out, body) {
		t.Errorf("the 5000-byte body or its limit is missing:\n%s", out[:min(len(out), 3000)])
	}
}

// A GRPCRoute may use a direct response only to deny: a 2xx answer
// cannot carry a gRPC message.
func TestDirectResponseGRPC(t *testing.T) {
	const route = `apiVersion: v1
kind: ConfigMap
metadata: {name: page}
data: {response.body: denied}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: rpc}
spec:
  parentRefs: [{name: eg}]
  rules:
    - filters: [{type: ExtensionRef, extensionRef: {group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: page}}]
`
	out := translateHRF(t, strings.Replace(hrfGateway, "STATUS", "200", 1)+route)
	if !strings.Contains(out, "only a non-2xx status is supported") || !strings.Contains(out, "status: 500") {
		t.Errorf("a 2xx direct response of a GRPCRoute is not rejected:\n%s", out)
	}
	out = translateHRF(t, strings.Replace(hrfGateway, "STATUS", "403", 1)+route)
	if !strings.Contains(out, "status: 403") || !strings.Contains(out, "inlineString: denied") {
		t.Errorf("a 403 direct response of a GRPCRoute is not served:\n%s", out)
	}
}
