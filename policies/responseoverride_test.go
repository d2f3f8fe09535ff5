package policies

import (
	"regexp"
	"strconv"
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// TestStatusRangeRegex checks every range of status codes against every
// code: the regex matches exactly the codes of the range.
func TestStatusRangeRegex(t *testing.T) {
	t.Parallel()
	for _, r := range [][2]int{{100, 599}, {500, 599}, {501, 511}, {520, 599}, {401, 403}, {199, 201}, {455, 455}, {110, 389}, {100, 101}} {
		expr := StatusRangeRegex(r[0], r[1])
		re := regexp.MustCompile(expr)
		for code := 100; code <= 599; code++ {
			want := code >= r[0] && code <= r[1]
			if got := re.MatchString(strconv.Itoa(code)); got != want {
				t.Errorf("%d-%d: %s matches %d: %v, want %v", r[0], r[1], expr, code, got, want)
			}
		}
	}
	if got := StatusRangeRegex(501, 511); got != "^(?:50[1-9]|51[0-1])$" {
		t.Errorf("501-511: %s", got)
	}
	if got := StatusRangeRegex(100, 599); got != "^(?:[1-5][0-9][0-9])$" {
		t.Errorf("100-599: %s", got)
	}
}

// TestCustomResponseValid builds the filter and per-route config of a
// response override and validates every message, the typed configs
// inside Any included (ValidateAll does not look into Any).
func TestCustomResponseValid(t *testing.T) {
	t.Parallel()
	body := "gone"
	r := &ir.Route{Name: "r", ResponseOverride: &ir.ResponseOverride{Name: "backendtrafficpolicy/default/p", Rules: []ir.ResponseOverrideRule{
		{StatusCodes: []ir.StatusCodeMatch{{Value: 404}}, ContentType: "text/plain", Body: &body},
		{StatusCodes: []ir.StatusCodeMatch{{Value: 500}, {Start: 502, End: 504}}, Status: 503},
	}}}
	fs := CustomResponse{}.HTTPFilters(&ir.Listener{VirtualHosts: []*ir.VirtualHost{{Name: "vh", Routes: []*ir.Route{r}}}})
	if len(fs) != 1 || !fs[0].Disabled || fs[0].Name != "envoy.filters.http.custom_response/backendtrafficpolicy/default/p" {
		t.Fatalf("filters: %v", fs)
	}
	out := &routev3.Route{}
	CustomResponse{}.Route(out, r)
	cfg, ok := out.TypedPerFilterConfig[fs[0].Name]
	if !ok || len(out.TypedPerFilterConfig) != 1 {
		t.Fatalf("route config %v, want one for %q", out.TypedPerFilterConfig, fs[0].Name)
	}
	validateDeep(t, fs[0])
	validateDeep(t, cfg)
	none := &routev3.Route{}
	CustomResponse{}.Route(none, &ir.Route{})
	if none.TypedPerFilterConfig != nil {
		t.Error("a route without override has a config")
	}
}

// validateDeep runs ValidateAll on m and, recursively, on every message
// packed in an Any within it.
func validateDeep(t *testing.T, m proto.Message) {
	t.Helper()
	if v, ok := m.(interface{ ValidateAll() error }); ok {
		if err := v.ValidateAll(); err != nil {
			t.Errorf("%T: %v", m, err)
		}
	}
	var walk func(protoreflect.Message)
	walk = func(pm protoreflect.Message) {
		if a, ok := pm.Interface().(*anypb.Any); ok && a.TypeUrl != "" {
			inner, err := a.UnmarshalNew()
			if err != nil {
				t.Errorf("unpack %s: %v", a.TypeUrl, err)
				return
			}
			validateDeep(t, inner)
			return
		}
		pm.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.IsList() && fd.Message() != nil:
				for i := 0; i < v.List().Len(); i++ {
					walk(v.List().Get(i).Message())
				}
			case fd.IsMap() && fd.MapValue().Message() != nil:
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool { walk(mv.Message()); return true })
			case !fd.IsList() && !fd.IsMap() && fd.Message() != nil:
				walk(v.Message())
			}
			return true
		})
	}
	walk(m.ProtoReflect())
}
