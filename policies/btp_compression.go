package policies

import (
	"fmt"
	"math"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	brotliv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/compression/brotli/compressor/v3"
	gzipv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/compression/gzip/compressor/v3"
	zstdv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/compression/zstd/compressor/v3"
	compressorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/compressor/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sluice-gitops/sluice/translate/feature"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// BackendTrafficPolicy compression (deprecated) and compressor, through
// Envoy's compressor filter with the gzip, brotli or zstd library, as
// Envoy Gateway sets them: the listener has one filter per compressor
// configuration its routes use, disabled; the routes under a policy
// enable theirs, and drop the client's Accept-Encoding on the way
// upstream so that the backend does not compress first. The first type a
// policy lists is preferred when the client accepts several equally
// (choose_first); minContentLength is the smallest response compressed.
//
// Filters are named after their configuration, not their policy
// ("envoy.filters.http.compressor.gzip", with "/fallback" when not
// preferred and "/min-length-N" with a minContentLength), so that routes
// of different policies that compress alike share one.
//
// Unlike Envoy Gateway, a compressor entry without its type's settings
// block (gzip: {} for Gzip) still compresses with that type, as the
// deprecated compression field does; Envoy Gateway skips it.

// compressorFilterPrefix is the name of Envoy's compressor filter.
const compressorFilterPrefix = "envoy.filters.http.compressor"

func (v *specValidator) compression(compression, compressor []*egv1a1.Compression) []ir.Compressor {
	field, list := "spec.compression", compression
	if len(compressor) > 0 {
		if len(compression) > 0 {
			v.errs.Add("spec.compressor", "either compression or compressor can be set, not both")
			return nil
		}
		field, list = "spec.compressor", compressor
	}
	var out []ir.Compressor
	seen := map[egv1a1.CompressorType]bool{}
	for i, c := range list {
		f := fmt.Sprintf("%s[%d]", field, i)
		if c == nil {
			v.errs.Add(f, "must not be null")
			continue
		}
		switch {
		case !ir.CompressorTypes[string(c.Type)]:
			v.errs.Add(f+".type", "%q is not one of Gzip, Brotli, Zstd", c.Type)
			continue
		case seen[c.Type]:
			v.errs.Add(f+".type", "%s is listed twice", c.Type)
			continue
		}
		seen[c.Type] = true
		comp := ir.Compressor{Type: string(c.Type), ChooseFirst: len(out) == 0}
		if q := c.MinContentLength; q != nil {
			n, ok := q.AsInt64()
			if !ok || n < 1 || n > math.MaxUint32 {
				v.errs.Add(f+".minContentLength", "%s is not a number of bytes from 1 to %d", q.String(), uint32(math.MaxUint32))
				continue
			}
			u := uint32(n)
			comp.MinContentLength = &u
		}
		out = append(out, comp)
	}
	return out
}

// compressorFilterName names the filter of a compressor configuration.
func compressorFilterName(c ir.Compressor) string {
	name := compressorFilterPrefix + "." + strings.ToLower(c.Type)
	if !c.ChooseFirst {
		name += "/fallback"
	}
	if c.MinContentLength != nil {
		name += fmt.Sprintf("/min-length-%d", *c.MinContentLength)
	}
	return name
}

// Compressor is the compressor filters of BackendTrafficPolicy
// compression and compressor (a feature.Feature).
type Compressor struct{ feature.Base }

// HTTPFilters are the listener's compressor filters: one per compressor
// configuration of its routes, disabled, sorted by name.
func (Compressor) HTTPFilters(l *ir.Listener) []*hcmv3.HttpFilter {
	return disabledFilters(l.VirtualHosts, func(r *ir.Route, add func(string, ir.Compressor)) {
		if r.Traffic != nil {
			for _, c := range r.Traffic.Compressors {
				add(compressorFilterName(c), c)
			}
		}
	}, func(c ir.Compressor) proto.Message { return compressorConfig(c) })
}

// Route enables the compressors of a route under a policy. The route
// drops the request's accept-encoding header, so that the upstream
// answers uncompressed and the listener's filter compresses.
func (Compressor) Route(out *routev3.Route, r *ir.Route) {
	if r.Traffic == nil || len(r.Traffic.Compressors) == 0 {
		return
	}
	for _, c := range r.Traffic.Compressors {
		feature.SetFilterConfig(out, compressorFilterName(c), mustAny(compressorPerRoute()))
	}
	out.RequestHeadersToRemove = appendMissing(out.RequestHeadersToRemove, "accept-encoding")
}

// compressorLibraries are the Envoy extensions of each type.
var compressorLibraries = map[string]struct {
	name string
	msg  func() proto.Message
}{
	"Gzip":   {"envoy.compression.gzip.compressor", func() proto.Message { return &gzipv3.Gzip{} }},
	"Brotli": {"envoy.compression.brotli.compressor", func() proto.Message { return &brotliv3.Brotli{} }},
	"Zstd":   {"envoy.compression.zstd.compressor", func() proto.Message { return &zstdv3.Zstd{} }},
}

func compressorConfig(c ir.Compressor) *compressorv3.Compressor {
	lib := compressorLibraries[c.Type]
	out := &compressorv3.Compressor{
		CompressorLibrary: &corev3.TypedExtensionConfig{Name: lib.name, TypedConfig: mustAny(lib.msg())},
		ChooseFirst:       c.ChooseFirst,
	}
	if c.MinContentLength != nil {
		out.ResponseDirectionConfig = &compressorv3.Compressor_ResponseDirectionConfig{
			CommonConfig: &compressorv3.Compressor_CommonDirectionConfig{MinContentLength: wrapperspb.UInt32(*c.MinContentLength)},
		}
	}
	return out
}

// compressorPerRoute enables response compression on a route.
func compressorPerRoute() *compressorv3.CompressorPerRoute {
	return &compressorv3.CompressorPerRoute{Override: &compressorv3.CompressorPerRoute_Overrides{
		Overrides: &compressorv3.CompressorOverrides{ResponseDirectionConfig: &compressorv3.ResponseDirectionOverrides{}},
	}}
}
