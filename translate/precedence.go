package translate

import (
	"slices"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// routeKey holds what Gateway API precedence looks at for one route.
type routeKey struct {
	r       *ir.Route
	created string // RFC 3339, UTC
	id      string // namespace/name
	rule    int
	match   int
	// grpc marks a GRPCRoute's route, ordered by the characters of its
	// service and method matches instead of its path.
	grpc            bool
	service, method int
}

// pathRank orders path match types: exact first, then regular expressions,
// then prefixes (the spec leaves regular expressions to the implementation;
// this is Envoy Gateway's choice).
func pathRank(p ir.PathMatch) (rank, length int) {
	switch {
	case p.Exact != "":
		return 0, len(p.Exact)
	case p.Regex != "":
		return 1, len(p.Regex)
	default:
		return 2, len(p.Prefix)
	}
}

// less orders two routes as the Gateway API spec does: exact path, longest
// path, method, most headers, most query params, then oldest route, then
// namespace/name, then rule and match order.
func (a routeKey) less(b routeKey) bool {
	if a.grpc && b.grpc {
		return a.lessGRPC(b)
	}
	ra, la := pathRank(a.r.Path)
	rb, lb := pathRank(b.r.Path)
	if ra != rb {
		return ra < rb
	}
	if la != lb {
		return la > lb
	}
	if (a.r.Method != "") != (b.r.Method != "") {
		return a.r.Method != ""
	}
	if len(a.r.Headers) != len(b.r.Headers) {
		return len(a.r.Headers) > len(b.r.Headers)
	}
	if len(a.r.QueryParams) != len(b.r.QueryParams) {
		return len(a.r.QueryParams) > len(b.r.QueryParams)
	}
	return a.lessAge(b)
}

// lessGRPC orders two routes of GRPCRoutes as the GRPCRoute spec does
// within one hostname: most characters in the service match, then in the
// method match, then most header matches, then as any route.
func (a routeKey) lessGRPC(b routeKey) bool {
	if a.service != b.service {
		return a.service > b.service
	}
	if a.method != b.method {
		return a.method > b.method
	}
	if len(a.r.Headers) != len(b.r.Headers) {
		return len(a.r.Headers) > len(b.r.Headers)
	}
	return a.lessAge(b)
}

// lessAge breaks ties: oldest route, then namespace/name, then rule and
// match order.
func (a routeKey) lessAge(b routeKey) bool {
	if a.created != b.created {
		return a.created < b.created
	}
	if a.id != b.id {
		return a.id < b.id
	}
	if a.rule != b.rule {
		return a.rule < b.rule
	}
	return a.match < b.match
}

// sort puts the routes in vh in precedence order.
func (vb *vhostBuilder) sort(vh *ir.VirtualHost) {
	if len(vb.keys) > 1 {
		slices.SortStableFunc(vb.keys, func(a, b routeKey) int {
			switch {
			case a.less(b):
				return -1
			case b.less(a):
				return 1
			}
			return 0
		})
	}
	vh.Routes = make([]*ir.Route, 0, len(vb.keys))
	for _, k := range vb.keys {
		vh.Routes = append(vh.Routes, k.r)
	}
}
