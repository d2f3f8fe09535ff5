// Package feature is the one interface through which an HTTP filter or a
// policy contributes to the xDS of a Gateway. Each feature implements it
// in its own file (package policies, or package translate/xds for the
// Gateway API's own filters); translate/xds lists the features once, in HTTP
// filter chain order (translate/xds/features.go), and its xDS builder calls
// each of them in that order.
//
// It must not import translate or policies (both import it); it may
// import translate/ir and Envoy's API packages.
package feature

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// Feature is what one HTTP filter or policy contributes to xDS. The xDS
// builder calls every feature of translate's list at each step below, in
// the list's order; a feature embeds Base and implements only the steps
// it takes part in.
//
// Features are stateless values: gateways are built concurrently, so a
// feature is called from several goroutines at once. A feature reads the
// IR it is given and never modifies it; it edits only the xDS message it
// is handed.
//
// Clusters and secrets a feature needs (JWKS and token endpoint clusters,
// ext_authz services, OIDC client and HMAC secrets) are not added here:
// the policy stage puts them into the IR (ir.Gateway.Clusters and
// Secrets), and they are built like every other cluster and secret,
// Cluster edits included.
type Feature interface {
	// HTTPFilters returns the feature's filters for the HTTP connection
	// manager of l, in chain order, or none when no route of l needs
	// them. A filter whose configuration differs between routes is
	// returned disabled; Route enables it on the routes that use it.
	HTTPFilters(l *ir.Listener) []*hcmv3.HttpFilter
	// Route adds the feature's settings for r to its xDS route out:
	// typed_per_filter_config entries (SetFilterConfig) and header edits.
	// It is called for every route, redirects and direct responses
	// included, once its match and headers are set and before its
	// action is.
	Route(out *routev3.Route, r *ir.Route)
	// RouteAction edits the action of a route r that forwards requests
	// to clusters, after the route's own rewrite, mirrors, timeouts and
	// retries are set.
	RouteAction(ra *routev3.RouteAction, r *ir.Route)
	// Cluster edits the xDS cluster cl built from c (HTTP and L4 alike),
	// after its TLS, failover and health checks are set and before its
	// discovery type is.
	Cluster(cl *clusterv3.Cluster, c *ir.Cluster)
	// Listener edits the xDS listener lis built from l (HTTP, HTTPS, TCP
	// and TLS alike; not the QUIC listeners of HTTP/3) once its filter
	// chains are set.
	Listener(lis *listenerv3.Listener, l *ir.Listener)
	// ConnectionManager edits the HTTP connection manager of l once its
	// HTTP filters and access logs are set.
	ConnectionManager(hcm *hcmv3.HttpConnectionManager, l *ir.Listener)
	// DownstreamTLS edits the TLS context with which l's filter chains
	// terminate TLS.
	DownstreamTLS(ctx *tlsv3.DownstreamTlsContext, l *ir.Listener)
}

// Base takes part in no step. Features embed it, so that each implements
// only the steps it contributes to.
type Base struct{}

// HTTPFilters returns no filter.
func (Base) HTTPFilters(*ir.Listener) []*hcmv3.HttpFilter { return nil }

// Route leaves the route as it is.
func (Base) Route(*routev3.Route, *ir.Route) {}

// RouteAction leaves the route action as it is.
func (Base) RouteAction(*routev3.RouteAction, *ir.Route) {}

// Cluster leaves the cluster as it is.
func (Base) Cluster(*clusterv3.Cluster, *ir.Cluster) {}

// Listener leaves the listener as it is.
func (Base) Listener(*listenerv3.Listener, *ir.Listener) {}

// ConnectionManager leaves the connection manager as it is.
func (Base) ConnectionManager(*hcmv3.HttpConnectionManager, *ir.Listener) {}

// DownstreamTLS leaves the TLS context as it is.
func (Base) DownstreamTLS(*tlsv3.DownstreamTlsContext, *ir.Listener) {}

var _ Feature = Base{}

// SetFilterConfig sets out's typed_per_filter_config entry for the filter
// named name to cfg, creating the map when out has none. A nil cfg sets
// nothing.
func SetFilterConfig(out *routev3.Route, name string, cfg *anypb.Any) {
	if cfg == nil {
		return
	}
	if out.TypedPerFilterConfig == nil {
		out.TypedPerFilterConfig = map[string]*anypb.Any{}
	}
	out.TypedPerFilterConfig[name] = cfg
}
