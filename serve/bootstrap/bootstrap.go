package bootstrap

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	upstreamhttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"sigs.k8s.io/yaml"
)

// Defaults applied by Build to empty Options fields.
const (
	DefaultNamespace    = "default"
	DefaultXDSAddress   = "127.0.0.1:18000"
	DefaultAdminAddress = "127.0.0.1:19001"
	// XDSCluster names the static cluster that reaches sluice.
	XDSCluster = "xds_cluster"

	httpProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
	connectTimeout         = 5 * time.Second
)

var (
	// ErrInvalidGateway is returned for a gateway that is not NAME or NAMESPACE/NAME.
	ErrInvalidGateway = errors.New("bootstrap: invalid gateway")
	// ErrInvalidAddress is returned for an address that is not HOST:PORT.
	ErrInvalidAddress = errors.New("bootstrap: invalid address")
)

// Options describe the Envoy to bootstrap.
type Options struct {
	// Gateway is "NAMESPACE/NAME" or "NAME" (namespace "default").
	Gateway string
	// XDSAddress is sluice's ADS "HOST:PORT"; DefaultXDSAddress when empty.
	XDSAddress string
	// NodeID is node.id; "envoy-NAMESPACE-NAME" when empty.
	NodeID string
	// AdminAddress is Envoy's admin "IP:PORT"; DefaultAdminAddress when empty.
	AdminAddress string
	// XDSCAFile, when set, makes Envoy dial sluice over TLS and trust only
	// the CA certificates in this PEM file (a path on Envoy's host). The
	// server certificate must name the xDS host (DNS or IP SAN).
	XDSCAFile string
	// XDSCertFile and XDSKeyFile, when set, are the certificate and key
	// Envoy presents to sluice (mTLS). They need XDSCAFile.
	XDSCertFile string
	XDSKeyFile  string
	// RegexProgramSize, when set, raises the largest RE2 program size
	// Envoy accepts in a regex (runtime re2.max_program_size.error_level,
	// 100 by default) with a layered runtime (runtime.go). Set sluice's
	// limits.regexProgramSize to the same value.
	RegexProgramSize uint32
}

// Kubernetes name rules: a namespace is a DNS-1123 label, a Gateway name a
// DNS-1123 subdomain.
var (
	labelRE     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	subdomainRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)
)

// ParseGateway splits "NAMESPACE/NAME" or "NAME" (namespace "default").
func ParseGateway(s string) (namespace, name string, err error) {
	namespace, name = DefaultNamespace, s
	if ns, n, ok := strings.Cut(s, "/"); ok {
		namespace, name = ns, n
	}
	if !labelRE.MatchString(namespace) || !subdomainRE.MatchString(name) {
		return "", "", fmt.Errorf("%w %q: want NAME or NAMESPACE/NAME in lowercase DNS form", ErrInvalidGateway, s)
	}
	return namespace, name, nil
}

// splitAddress parses "HOST:PORT" with a non-empty host and a port in 1-65535.
func splitAddress(field, addr string) (string, uint32, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %s %q: %v", ErrInvalidAddress, field, addr, err)
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if host == "" || err != nil || port == 0 {
		return "", 0, fmt.Errorf("%w: %s %q: want HOST:PORT with a port in 1-65535", ErrInvalidAddress, field, addr)
	}
	return host, uint32(port), nil
}

func socketAddress(host string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address:       host,
		PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
	}}}
}

// Build returns the bootstrap for opts, or an error naming the bad option.
func Build(opts Options) (*bootstrapv3.Bootstrap, error) {
	ns, name, err := ParseGateway(opts.Gateway)
	if err != nil {
		return nil, err
	}
	if opts.XDSAddress == "" {
		opts.XDSAddress = DefaultXDSAddress
	}
	if opts.AdminAddress == "" {
		opts.AdminAddress = DefaultAdminAddress
	}
	if opts.NodeID == "" {
		opts.NodeID = "envoy-" + ns + "-" + name
	}
	xdsHost, xdsPort, err := splitAddress("xds address", opts.XDSAddress)
	if err != nil {
		return nil, err
	}
	adminHost, adminPort, err := splitAddress("admin address", opts.AdminAddress)
	if err != nil {
		return nil, err
	}
	if net.ParseIP(adminHost) == nil {
		return nil, fmt.Errorf("%w: admin address %q: Envoy binds it, so the host must be an IP", ErrInvalidAddress, opts.AdminAddress)
	}
	xds, err := xdsCluster(xdsHost, xdsPort)
	if err != nil {
		return nil, err
	}
	if xds.TransportSocket, err = xdsTransportSocket(opts, xdsHost); err != nil {
		return nil, err
	}

	ads := &corev3.ConfigSource{
		ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
		ResourceApiVersion:    corev3.ApiVersion_V3,
	}
	b := &bootstrapv3.Bootstrap{
		Node: &corev3.Node{Id: opts.NodeID, Cluster: ns + "/" + name},
		DynamicResources: &bootstrapv3.Bootstrap_DynamicResources{
			AdsConfig: &corev3.ApiConfigSource{
				ApiType:             corev3.ApiConfigSource_GRPC,
				TransportApiVersion: corev3.ApiVersion_V3,
				GrpcServices: []*corev3.GrpcService{{
					TargetSpecifier: &corev3.GrpcService_EnvoyGrpc_{
						EnvoyGrpc: &corev3.GrpcService_EnvoyGrpc{ClusterName: XDSCluster},
					},
				}},
				SetNodeOnFirstMessageOnly: true,
			},
			CdsConfig: ads,
			LdsConfig: ads,
		},
		StaticResources: &bootstrapv3.Bootstrap_StaticResources{Clusters: []*clusterv3.Cluster{xds}},
		Admin:           &bootstrapv3.Admin{Address: socketAddress(adminHost, adminPort)},
	}
	if opts.RegexProgramSize > 0 {
		if b.LayeredRuntime, err = regexRuntime(opts.RegexProgramSize); err != nil {
			return nil, err
		}
	}
	if err := b.ValidateAll(); err != nil {
		return nil, fmt.Errorf("bootstrap: build for %s/%s: %w", ns, name, err)
	}
	return b, nil
}

// xdsCluster is the static cluster that dials sluice over HTTP/2 (gRPC):
// STATIC for an IP literal, STRICT_DNS for a host name.
func xdsCluster(host string, port uint32) (*clusterv3.Cluster, error) {
	discovery := clusterv3.Cluster_STRICT_DNS
	if net.ParseIP(host) != nil {
		discovery = clusterv3.Cluster_STATIC
	}
	h2, err := anypb.New(&upstreamhttpv3.HttpProtocolOptions{
		UpstreamProtocolOptions: &upstreamhttpv3.HttpProtocolOptions_ExplicitHttpConfig_{
			ExplicitHttpConfig: &upstreamhttpv3.HttpProtocolOptions_ExplicitHttpConfig{
				ProtocolConfig: &upstreamhttpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{
					Http2ProtocolOptions: &corev3.Http2ProtocolOptions{},
				},
			},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("bootstrap: encode http protocol options: %w", err)
	}
	return &clusterv3.Cluster{
		Name:                          XDSCluster,
		ClusterDiscoveryType:          &clusterv3.Cluster_Type{Type: discovery},
		ConnectTimeout:                durationpb.New(connectTimeout),
		TypedExtensionProtocolOptions: map[string]*anypb.Any{httpProtocolOptionsKey: h2},
		LoadAssignment: &endpointv3.ClusterLoadAssignment{
			ClusterName: XDSCluster,
			Endpoints: []*endpointv3.LocalityLbEndpoints{{
				LbEndpoints: []*endpointv3.LbEndpoint{{
					HostIdentifier: &endpointv3.LbEndpoint_Endpoint{
						Endpoint: &endpointv3.Endpoint{Address: socketAddress(host, port)},
					},
				}},
			}},
		},
	}, nil
}

// YAML renders b in Envoy's own field names (protojson with proto names),
// as YAML with keys sorted.
func YAML(b *bootstrapv3.Bootstrap) ([]byte, error) {
	js, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: marshal: %w", err)
	}
	out, err := yaml.JSONToYAML(js)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: convert to yaml: %w", err)
	}
	return out, nil
}
