package policies

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/url"
	"path"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// EnvoyExtensionPolicy wasm: a proxy-wasm module runs on the policy's
// routes, through Envoy's wasm filter (wasm_xds.go).
//
// sluice downloads nothing while it translates: a revision must mean the
// same thing whenever it is translated, and what it serves must come from
// the signed commit. So the module of an HTTP code source is a file of the
// repository: the path of code.http.url, from the root of the tree sluice
// reads (the source's path). https://example.com/filters/auth.wasm is
// the file filters/auth.wasm; a url without scheme and host, such as
// filters/auth.wasm, names it directly. The same YAML works with Envoy
// Gateway, which downloads the url. The file must be a Wasm binary module
// and, when code.http.sha256 is set, have that SHA-256; Envoy receives
// its bytes inline in the listener (a local data source), so Envoys need
// no access to the url either. code.http.tls only matters to a download
// and changes nothing. A url whose file is not in the repository is
// refused, naming the path it looked for: sluice would have to download
// it. Image (OCI) code sources are not supported.

// MaxWasmBytes bounds a Wasm module: it is served inline in every
// listener that runs it.
const MaxWasmBytes = 8 << 20

// wasmImplemented are the fields of a wasm entry sluice implements.
var wasmImplemented = map[string]bool{
	"name": true, "rootID": true, "code": true, "config": true, "failOpen": true, "env": true,
}

// wasmSpec checks the wasm entry at field and returns its IR (named
// name), with the module read from the repository, or its problems.
func wasmSpec(field, name string, index int, w egv1a1.Wasm, in ExtensionInput) (*ir.Wasm, []error) {
	var errs fields.List
	for _, u := range unimplemented(field, w, wasmImplemented) {
		errs.Add(u, "is not supported by sluice")
	}
	out := &ir.Wasm{Name: name, Index: index, PluginName: name, RootID: deref(w.RootID), FailOpen: w.FailOpen != nil && *w.FailOpen}
	if w.Name != nil && *w.Name != "" {
		out.PluginName = *w.Name
	}
	if w.Config != nil && len(w.Config.Raw) > 0 {
		out.Config = string(w.Config.Raw)
	}
	if w.Env != nil {
		out.HostKeys = w.Env.HostKeys
	}
	cf := field + ".code"
	switch w.Code.Type {
	case egv1a1.HTTPWasmCodeSourceType:
		if w.Code.Image != nil {
			errs.Add(cf, "If type is Image, image field needs to be set.")
		}
		if w.Code.HTTP == nil {
			errs.Add(cf, "If type is HTTP, http field needs to be set.")
			break
		}
		errs.Check(wasmModule(cf+".http", w.Code.HTTP, in.File, out))
	case egv1a1.ImageWasmCodeSourceType:
		errs.Add(cf+".type", "Image is not supported by sluice, which pulls no OCI image; put the module in the repository and use type HTTP with its path as url")
	default:
		errs.Add(cf+".type", "%q is not HTTP or Image", w.Code.Type)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// wasmModule reads the module of an HTTP code source (at field) from the
// repository into out, or returns the problem.
func wasmModule(field string, h *egv1a1.HTTPWasmCodeSource, file func(string) ([]byte, error), out *ir.Wasm) error {
	p, err := wasmFilePath(h.URL)
	if err != nil {
		return fields.Wrap(field+".url", err)
	}
	if file == nil {
		return fields.Invalid(field+".url", "no repository files to read the module %s from", p)
	}
	code, err := file(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fields.Invalid(field+".url", "the module is not in the repository at %s (the url's path); sluice downloads nothing, so commit the module there", p)
	case err != nil:
		return fields.Invalid(field+".url", "reading %s: %v", p, err)
	case len(code) > MaxWasmBytes:
		return fields.Invalid(field+".url", "%s is %d bytes, more than the %d a module may have", p, len(code), MaxWasmBytes)
	case !strings.HasPrefix(string(code), ir.WasmMagic):
		return fields.Invalid(field+".url", "%s is not a Wasm binary module (no \\0asm header)", p)
	}
	sum := sha256.Sum256(code)
	out.File, out.Code, out.SHA256 = p, code, hex.EncodeToString(sum[:])
	if h.SHA256 != nil && *h.SHA256 != "" && !strings.EqualFold(*h.SHA256, out.SHA256) {
		return fields.Invalid(field+".sha256", "%s has SHA-256 %s, not %s", p, out.SHA256, *h.SHA256)
	}
	return nil
}

// wasmFilePath is the repository path a code source url names: the path
// of an http(s) url, or the url itself when it has no scheme.
func wasmFilePath(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	p := raw
	switch u.Scheme {
	case "http", "https":
		p = u.Path
	case "":
		p = u.Path
		if u.Host != "" {
			return "", errors.New("a url with a host needs the http or https scheme")
		}
	default:
		return "", errors.New("scheme " + u.Scheme + " is not http or https")
	}
	p = strings.TrimPrefix(p, "/")
	if p == "" || !fs.ValidPath(p) || path.Clean(p) != p {
		return "", errors.New("path " + p + " does not name a file of the repository")
	}
	return p, nil
}
