package xdstest

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// State is what a Client holds: the resources it accepted, by name, and the
// version it last ACKed for each type. The messages are shared with the
// client and must not be modified.
type State struct {
	// Versions maps a type URL to the last ACKed version_info (SotW) or
	// system_version_info (delta).
	Versions  map[string]string
	Listeners map[string]*listenerv3.Listener
	Routes    map[string]*routev3.RouteConfiguration
	Clusters  map[string]*clusterv3.Cluster
	Endpoints map[string]*endpointv3.ClusterLoadAssignment
	Secrets   map[string]*tlsv3.Secret
	// NACKs holds the error_detail messages of the NACKs sent, in order.
	NACKs []string
}

func newState() State {
	return State{
		Versions:  map[string]string{},
		Listeners: map[string]*listenerv3.Listener{},
		Routes:    map[string]*routev3.RouteConfiguration{},
		Clusters:  map[string]*clusterv3.Cluster{},
		Endpoints: map[string]*endpointv3.ClusterLoadAssignment{},
		Secrets:   map[string]*tlsv3.Secret{},
	}
}

func (s State) clone() State {
	return State{
		Versions:  maps.Clone(s.Versions),
		Listeners: maps.Clone(s.Listeners),
		Routes:    maps.Clone(s.Routes),
		Clusters:  maps.Clone(s.Clusters),
		Endpoints: maps.Clone(s.Endpoints),
		Secrets:   maps.Clone(s.Secrets),
		NACKs:     slices.Clone(s.NACKs),
	}
}

// String summarizes the state: versions, resource names per type and NACKs.
func (s State) String() string {
	var b strings.Builder
	for _, typeURL := range slices.Sorted(maps.Keys(s.Versions)) {
		fmt.Fprintf(&b, "version %s=%q\n", shortType(typeURL), s.Versions[typeURL])
	}
	fmt.Fprintf(&b, "clusters %v\n", slices.Sorted(maps.Keys(s.Clusters)))
	fmt.Fprintf(&b, "endpoints %v\n", slices.Sorted(maps.Keys(s.Endpoints)))
	fmt.Fprintf(&b, "listeners %v\n", slices.Sorted(maps.Keys(s.Listeners)))
	fmt.Fprintf(&b, "routes %v\n", slices.Sorted(maps.Keys(s.Routes)))
	fmt.Fprintf(&b, "secrets %v\n", slices.Sorted(maps.Keys(s.Secrets)))
	fmt.Fprintf(&b, "nacks %q", s.NACKs)
	return b.String()
}

func shortType(typeURL string) string {
	return strings.TrimPrefix(typeURL, resourcev3.APITypePrefix)
}

// put stores a decoded resource under its name.
func (s State) put(name string, m proto.Message) {
	switch r := m.(type) {
	case *clusterv3.Cluster:
		s.Clusters[name] = r
	case *endpointv3.ClusterLoadAssignment:
		s.Endpoints[name] = r
	case *listenerv3.Listener:
		s.Listeners[name] = r
	case *routev3.RouteConfiguration:
		s.Routes[name] = r
	case *tlsv3.Secret:
		s.Secrets[name] = r
	}
}

// remove deletes a resource of the given type by name.
func (s State) remove(typeURL, name string) {
	switch typeURL {
	case resourcev3.ClusterType:
		delete(s.Clusters, name)
	case resourcev3.EndpointType:
		delete(s.Endpoints, name)
	case resourcev3.ListenerType:
		delete(s.Listeners, name)
	case resourcev3.RouteType:
		delete(s.Routes, name)
	case resourcev3.SecretType:
		delete(s.Secrets, name)
	}
}

// names returns the names held for a type URL.
func (s State) names(typeURL string) []string {
	switch typeURL {
	case resourcev3.ClusterType:
		return slices.Collect(maps.Keys(s.Clusters))
	case resourcev3.EndpointType:
		return slices.Collect(maps.Keys(s.Endpoints))
	case resourcev3.ListenerType:
		return slices.Collect(maps.Keys(s.Listeners))
	case resourcev3.RouteType:
		return slices.Collect(maps.Keys(s.Routes))
	case resourcev3.SecretType:
		return slices.Collect(maps.Keys(s.Secrets))
	}
	return nil
}

// newMessage returns an empty message of the type a type URL names.
func newMessage(typeURL string) (proto.Message, error) {
	switch typeURL {
	case resourcev3.ClusterType:
		return &clusterv3.Cluster{}, nil
	case resourcev3.EndpointType:
		return &endpointv3.ClusterLoadAssignment{}, nil
	case resourcev3.ListenerType:
		return &listenerv3.Listener{}, nil
	case resourcev3.RouteType:
		return &routev3.RouteConfiguration{}, nil
	case resourcev3.SecretType:
		return &tlsv3.Secret{}, nil
	}
	return nil, fmt.Errorf("xdstest: unsupported type %q", typeURL)
}

// decode unmarshals one resource of a response whose type URL is typeURL.
// It unwraps a discovery Resource wrapper (sent when a TTL is set).
func decode(typeURL string, a *anypb.Any) (string, proto.Message, error) {
	if a.GetTypeUrl() == "type.googleapis.com/envoy.service.discovery.v3.Resource" {
		var wrapped discoveryv3.Resource
		if err := a.UnmarshalTo(&wrapped); err != nil {
			return "", nil, fmt.Errorf("decode resource wrapper: %w", err)
		}
		a = wrapped.GetResource()
	}
	if a.GetTypeUrl() != typeURL {
		return "", nil, fmt.Errorf("decode resource: type %q in a %q response", a.GetTypeUrl(), typeURL)
	}
	m, err := newMessage(typeURL)
	if err != nil {
		return "", nil, err
	}
	if err := a.UnmarshalTo(m); err != nil {
		return "", nil, fmt.Errorf("decode %s: %w", shortType(typeURL), err)
	}
	return resourceName(m), m, nil
}

func resourceName(m proto.Message) string {
	switch r := m.(type) {
	case *clusterv3.Cluster:
		return r.GetName()
	case *endpointv3.ClusterLoadAssignment:
		return r.GetClusterName()
	case *listenerv3.Listener:
		return r.GetName()
	case *routev3.RouteConfiguration:
		return r.GetName()
	case *tlsv3.Secret:
		return r.GetName()
	}
	return ""
}

// edsNames returns the sorted EDS service names of the EDS-type clusters.
func edsNames(clusters map[string]*clusterv3.Cluster) []string {
	var names []string
	for _, c := range clusters {
		if c.GetType() != clusterv3.Cluster_EDS {
			continue
		}
		name := c.GetEdsClusterConfig().GetServiceName()
		if name == "" {
			name = c.GetName()
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// rdsNames returns the sorted route configuration names that the listeners'
// HTTP connection managers fetch over RDS.
func rdsNames(listeners map[string]*listenerv3.Listener) []string {
	var names []string
	for _, l := range listeners {
		chains := slices.Clone(l.GetFilterChains())
		if l.GetDefaultFilterChain() != nil {
			chains = append(chains, l.GetDefaultFilterChain())
		}
		for _, fc := range chains {
			for _, f := range fc.GetFilters() {
				var hcm hcmv3.HttpConnectionManager
				tc := f.GetTypedConfig()
				if tc == nil || !tc.MessageIs(&hcm) {
					continue
				}
				if err := tc.UnmarshalTo(&hcm); err != nil {
					continue
				}
				if name := hcm.GetRds().GetRouteConfigName(); name != "" {
					names = append(names, name)
				}
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}
