package translate

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
)

// benchBackends is how many Backends a generated revision holds.
const benchBackends = 100

// generateRevision returns a revision of n HTTPRoutes spread over 10 files,
// attached to one Gateway with two HTTP listeners. Each route has two
// hostnames and two rules (a path prefix, and an exact path with a header
// match) whose backendRefs point at benchBackends Backends.
func generateRevision(n int) (fstest.MapFS, int64) {
	const files = 10
	var b [files]strings.Builder
	b[0].WriteString(`apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: eg
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: eg
spec:
  gatewayClassName: eg
  listeners:
    - name: http
      protocol: HTTP
      port: 80
    - name: alt
      protocol: HTTP
      port: 8080
`)
	for i := 0; i < benchBackends; i++ {
		fmt.Fprintf(&b[i%files], `---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: backend-%d
spec:
  endpoints:
    - ip:
        address: 10.0.%d.%d
        port: 8080
`, i, i/250, i%250+1)
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b[i%files], `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: route-%d
spec:
  parentRefs:
    - name: eg
  hostnames:
    - app-%d.example.com
    - api-%d.example.com
  rules:
    - matches:
        - path:
            type: PathPrefix
            value: /svc/%d
      backendRefs:
        - group: gateway.envoyproxy.io
          kind: Backend
          name: backend-%d
          weight: 90
        - group: gateway.envoyproxy.io
          kind: Backend
          name: backend-%d
          weight: 10
    - matches:
        - path:
            type: Exact
            value: /admin
          headers:
            - name: x-tenant
              value: tenant-%d
      backendRefs:
        - group: gateway.envoyproxy.io
          kind: Backend
          name: backend-%d
`, i, i%(n/2+1), i, i, i%benchBackends, (i+1)%benchBackends, i, (i+2)%benchBackends)
	}
	fsys := fstest.MapFS{}
	var size int64
	for i := range b {
		data := []byte(b[i].String())
		size += int64(len(data))
		fsys[fmt.Sprintf("routes-%02d.yaml", i)] = &fstest.MapFile{Data: data}
	}
	return fsys, size
}

func benchmarkTranslate(b *testing.B, routes int) {
	fsys, size := generateRevision(routes)
	res, err := Translate(fsys, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Gateways) != 1 || len(res.Rejected()) != 0 || len(res.Warnings) != 0 {
		b.Fatalf("generated revision does not translate cleanly: %d gateways, %d rejected, warnings %q",
			len(res.Gateways), len(res.Rejected()), res.Warnings)
	}
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		if _, err := Translate(fsys, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTranslate(b *testing.B)    { benchmarkTranslate(b, 1000) }
func BenchmarkTranslate10k(b *testing.B) { benchmarkTranslate(b, 10000) }
