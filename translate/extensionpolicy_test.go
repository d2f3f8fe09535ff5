package translate

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"testing"
	"testing/fstest"
)

// wasmRevision is a Gateway with one route under an EnvoyExtensionPolicy
// running the module filters/m.wasm; sha256 "" leaves the checksum out.
func wasmRevision(module []byte, sum string) fstest.MapFS {
	pin := ""
	if sum != "" {
		pin = "\n          sha256: " + sum
	}
	yaml := fmt.Sprintf(testGateway+`apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: app}
spec: {endpoints: [{ip: {address: 10.0.0.1, port: 8080}}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: app}
spec:
  parentRefs: [{name: eg}]
  rules: [{backendRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: app}]}]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyExtensionPolicy
metadata: {name: wasm}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg}]
  wasm:
    - code:
        type: HTTP
        http:
          url: https://wasm.example.com/filters/m.wasm%s
`, pin)
	return fstest.MapFS{"gw.yaml": {Data: []byte(yaml)}, "filters/m.wasm": {Data: module}}
}

// TestWasmModuleFollowsRepository commits a new module under unchanged
// YAML: with and without a Cache, the listener serves the new bytes; and
// when the YAML pins the old module's sha256, the new module is refused
// and the route answers 500 instead of running it.
func TestWasmModuleFollowsRepository(t *testing.T) {
	v1 := []byte("\x00asm\x01\x00\x00\x00")
	v2 := []byte("\x00asm\x01\x00\x00\x00\x00\x03\x02v2")
	sum := sha256.Sum256(v1)
	pinned := hex.EncodeToString(sum[:])
	cache := NewCache()
	translateYAML := func(fsys fstest.MapFS, opts Options) []byte {
		t.Helper()
		res, err := Translate(fsys, opts)
		if err != nil {
			t.Fatal(err)
		}
		out, err := res.YAML()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	both := func(fsys fstest.MapFS) []byte {
		t.Helper()
		cold, warm := translateYAML(fsys, Options{}), translateYAML(fsys, Options{Cache: cache})
		if !bytes.Equal(cold, warm) {
			t.Fatal("a warm Cache translated the revision differently")
		}
		return cold
	}
	b64 := func(b []byte) []byte {
		return fmt.Appendf(nil, "inlineBytes: %s", base64.StdEncoding.EncodeToString(b))
	}
	first := both(wasmRevision(v1, ""))
	second := both(wasmRevision(v2, ""))
	if !bytes.Contains(first, b64(v1)) || !bytes.Contains(second, b64(v2)) || bytes.Contains(second, b64(v1)) {
		t.Fatalf("the listener does not serve the committed module:\n%s", second)
	}
	if out := both(wasmRevision(v1, pinned)); !bytes.Contains(out, b64(v1)) {
		t.Fatalf("the pinned module is not served:\n%s", out)
	}
	refused := both(wasmRevision(v2, pinned))
	// The YAML folds long messages: compare with its words run together.
	flat := bytes.Join(bytes.Fields(refused), []byte(" "))
	for _, want := range []string{"has SHA-256 " + hexSum(v2) + ", not " + pinned, "status: 500"} {
		if !bytes.Contains(flat, []byte(want)) {
			t.Errorf("a module that does not match its sha256: output lacks %q", want)
		}
	}
	if bytes.Contains(refused, []byte("inlineBytes")) {
		t.Error("a module that does not match its sha256 is served")
	}
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
