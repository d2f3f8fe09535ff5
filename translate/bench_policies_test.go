package translate

import (
	"testing"
	"testing/fstest"
)

// benchPolicies are policies on the bench Gateway and on one of its
// routes: route settings and cluster settings of a BackendTrafficPolicy,
// CORS of a SecurityPolicy and a ClientTrafficPolicy, as a platform team
// sets them once for every route.
const benchPolicies = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: gateway-traffic, namespace: default}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg}]
  retry: {numRetries: 3}
  timeout: {http: {requestTimeout: 10s}}
  circuitBreaker: {maxConnections: 1024}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: route-faults, namespace: default}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: route-7}]
  faultInjection: {abort: {httpStatus: 503, percentage: 1}}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: gateway-cors, namespace: default}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg}]
  cors: {allowOrigins: ["https://*.example.com"], allowMethods: [GET, POST]}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: {name: gateway-client, namespace: default}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg}]
  timeout: {http: {idleTimeout: 60s}}
`

// BenchmarkIncrementalPolicies10k is BenchmarkIncremental10k (over a
// Git-like FS) for a revision whose Gateway and one route have policies.
func BenchmarkIncrementalPolicies10k(b *testing.B) {
	fsys, _ := generateRevision(10000)
	fsys["policies.yaml"] = &fstest.MapFile{Data: []byte(benchPolicies)}
	hashes := map[string]string{}
	for name := range fsys {
		hashes[name] = "v0"
	}
	benchIncremental(b, fsys, hashes, hashFS{fsys, hashes})
}
