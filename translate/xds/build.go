package xds

import (
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sluice-gitops/sluice/translate/feature"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// Gateway holds the xDS resources of one Gateway, each list sorted by
// resource name.
type Gateway struct {
	Namespace string                              `json:"namespace" yaml:"namespace"`
	Name      string                              `json:"name" yaml:"name"`
	Listeners []*listenerv3.Listener              `json:"-" yaml:"-"`
	Routes    []*routev3.RouteConfiguration       `json:"-" yaml:"-"`
	Clusters  []*clusterv3.Cluster                `json:"-" yaml:"-"`
	Endpoints []*endpointv3.ClusterLoadAssignment `json:"-" yaml:"-"`
	// Secrets hold private keys: never print them (see Document).
	Secrets []*tlsv3.Secret `json:"-" yaml:"-"`
	// credentials are those an EnvoyPatchPolicy may have moved, as
	// printed: Document redacts them by value (redact.go).
	credentials []string
	// LiveServices are the Service ports whose endpoints come from the
	// cluster (Options.LiveEndpoints), sorted.
	LiveServices []LiveService `json:"-" yaml:"-"`
}

// Key is the gateway's NAMESPACE/NAME, which Envoys send as node.cluster.
func (g *Gateway) Key() string { return g.Namespace + "/" + g.Name }

// adsSource points Envoy at the ADS stream for a dependent resource.
func adsSource() *corev3.ConfigSource {
	return &corev3.ConfigSource{
		ResourceApiVersion:    corev3.ApiVersion_V3,
		ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
	}
}

func mustAny(m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	if err != nil {
		panic(err) // only for messages of linked-in types
	}
	return a
}

func socketAddress(host string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address: host, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
	}}}
}

// Build turns the IR of one Gateway into xDS resources, reusing
// those of unchanged IR objects that m kept (m may be nil).
func Build(g *ir.Gateway, m *Memo) *Gateway {
	out := &Gateway{Namespace: g.Namespace, Name: g.Name}
	for _, l := range g.Listeners {
		switch {
		case len(l.TLSChains) > 0:
			lis, rcs := buildTLSListener(l, m)
			out.Listeners = append(out.Listeners, lis)
			out.Routes = append(out.Routes, rcs...)
		case l.TCP != nil:
			out.Listeners = append(out.Listeners, buildTCPListener(l))
		default:
			out.Listeners = append(out.Listeners, buildListener(l))
			out.Routes = append(out.Routes, buildRouteConfig(l, m))
		}
		bindAdditional(out.Listeners[len(out.Listeners)-1], l.AdditionalAddresses)
		out.Listeners = append(out.Listeners, quicListeners(g, l, out.Routes)...) // HTTP/3 (quic.go)
	}
	for _, u := range g.UDPListeners {
		out.Listeners = append(out.Listeners, buildUDPListener(u))
		bindAdditional(out.Listeners[len(out.Listeners)-1], u.AdditionalAddresses)
	}
	for _, s := range g.Secrets {
		out.Secrets = append(out.Secrets, buildSecret(s))
	}
	out.Clusters = make([]*clusterv3.Cluster, 0, len(g.Clusters))
	for _, c := range g.Clusters {
		cl, cla := m.cluster(c, g.IPFamily)
		out.Clusters = append(out.Clusters, cl)
		if cla != nil {
			out.Endpoints = append(out.Endpoints, cla)
		}
	}
	return out
}

func buildListener(l *ir.Listener) *listenerv3.Listener {
	lis := &listenerv3.Listener{
		Name:    l.Name,
		Address: socketAddress(l.Address, l.Port),
		FilterChains: []*listenerv3.FilterChain{{
			Filters: []*listenerv3.Filter{httpConnectionManager(l)},
		}},
	}
	listenerFeatures(lis, l)
	return lis
}

// listenerFeatures has every feature edit a listener built from l.
func listenerFeatures(lis *listenerv3.Listener, l *ir.Listener) {
	for _, f := range features {
		f.Listener(lis, l)
	}
}

// httpConnectionManager serves HTTP with the routes of l, fetched over
// RDS under l's name.
func httpConnectionManager(l *ir.Listener) *listenerv3.Filter {
	hcm := &hcmv3.HttpConnectionManager{
		StatPrefix: l.Name,
		RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{
			RouteConfigName: l.Name,
			ConfigSource:    adsSource(),
		}},
		HttpFilters:    httpFilters(l),
		UpgradeConfigs: websocketUpgrade(),
	}
	hcm.AccessLog = accessLogs(l)
	for _, f := range features {
		f.ConnectionManager(hcm, l)
	}
	return &listenerv3.Filter{
		Name:       "envoy.filters.network.http_connection_manager",
		ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(hcm)},
	}
}

// websocketUpgrade lets every HTTP listener proxy WebSocket upgrades, as
// Envoy Gateway does on each of its listeners: a backend that speaks
// WebSocket (appProtocol kubernetes.io/ws) is reached with no setting.
// Neither Gateway API nor Envoy Gateway 1.2 has a field to turn upgrades
// off; an EnvoyPatchPolicy that removes upgrade_configs from the
// listener's HTTP connection manager does it (README).
func websocketUpgrade() []*hcmv3.HttpConnectionManager_UpgradeConfig {
	return []*hcmv3.HttpConnectionManager_UpgradeConfig{{UpgradeType: "websocket"}}
}

// httpFilters is the HTTP filter chain of a listener: the filters of
// every feature, in the order of the features list (features.go), then
// moved by the EnvoyProxy's filterOrder (filterorder.go).
func httpFilters(l *ir.Listener) []*hcmv3.HttpFilter {
	var fs []*hcmv3.HttpFilter
	for _, f := range features {
		fs = append(fs, f.HTTPFilters(l)...)
	}
	return orderFilters(fs, l)
}

// routerFeature is the router filter, the last of every chain: it
// forwards requests upstream (a feature.Feature).
type routerFeature struct{ feature.Base }

// HTTPFilters is the listener's router filter.
func (routerFeature) HTTPFilters(*ir.Listener) []*hcmv3.HttpFilter {
	return []*hcmv3.HttpFilter{{Name: routerFilter, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(&routerv3.Router{})}}}
}

const connectTimeout = 10 * time.Second

// buildCluster returns the cluster and, for EDS clusters, its endpoints.
// Requests go to the least loaded endpoint (of two picked at random), as
// Envoy Gateway balances wherever no BackendTrafficPolicy loadBalancer
// says otherwise (policies, btp_lb.go); features then edit it.
func buildCluster(c *ir.Cluster) (*clusterv3.Cluster, *endpointv3.ClusterLoadAssignment) {
	cla := &endpointv3.ClusterLoadAssignment{ClusterName: c.Name, Endpoints: localities(c)}
	cl := &clusterv3.Cluster{
		Name:           c.Name,
		ConnectTimeout: durationpb.New(connectTimeout),
		LbPolicy:       clusterv3.Cluster_LEAST_REQUEST,
	}
	applyUpstream(cl, c)
	applyFailover(cl, c)
	applyHealth(cl, c)
	for _, f := range features {
		f.Cluster(cl, c)
	}
	if c.DNS {
		cl.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STRICT_DNS}
		cl.DnsLookupFamily = clusterv3.Cluster_V4_PREFERRED
		cl.LoadAssignment = cla
		return cl, nil
	}
	cl.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS}
	cl.EdsClusterConfig = &clusterv3.Cluster_EdsClusterConfig{EdsConfig: adsSource(), ServiceName: c.Name}
	return cl, cla
}
