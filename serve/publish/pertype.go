package publish

import (
	"context"
	"strings"

	clusterservice "github.com/envoyproxy/go-control-plane/envoy/service/cluster/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	endpointservice "github.com/envoyproxy/go-control-plane/envoy/service/endpoint/v3"
	listenerservice "github.com/envoyproxy/go-control-plane/envoy/service/listener/v3"
	routeservice "github.com/envoyproxy/go-control-plane/envoy/service/route/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// perTypeServices are the xDS services of one type each, for an Envoy
// configured without ADS. They are served by the ADS streams' own code and
// state (a stream fixed to the one type), so that both paths answer, hold
// NACKs and count ACKs alike.
var perTypeServices = []struct {
	desc    *grpc.ServiceDesc
	typeURL string
}{
	{&clusterservice.ClusterDiscoveryService_ServiceDesc, resourcev3.ClusterType},
	{&endpointservice.EndpointDiscoveryService_ServiceDesc, resourcev3.EndpointType},
	{&listenerservice.ListenerDiscoveryService_ServiceDesc, resourcev3.ListenerType},
	{&routeservice.RouteDiscoveryService_ServiceDesc, resourcev3.RouteType},
}

// registerPerType registers the per-type services on gs. Each keeps the
// generated service's name and method names (StreamX: SotW, DeltaX:
// delta, FetchX: one request) with handlers of a's.
func (a *adsServer) registerPerType(gs *grpc.Server) {
	for _, svc := range perTypeServices {
		desc := grpc.ServiceDesc{ServiceName: svc.desc.ServiceName, HandlerType: svc.desc.HandlerType, Metadata: svc.desc.Metadata}
		for _, sd := range svc.desc.Streams {
			sd.Handler = a.perTypeStream(svc.typeURL, strings.HasPrefix(sd.StreamName, "Delta"))
			desc.Streams = append(desc.Streams, sd)
		}
		for _, md := range svc.desc.Methods {
			md.Handler = a.perTypeFetch(svc.typeURL)
			desc.Methods = append(desc.Methods, md)
		}
		gs.RegisterService(&desc, nil) // the handlers need no service value
	}
}

func (a *adsServer) perTypeStream(typeURL string, delta bool) grpc.StreamHandler {
	if delta {
		return func(_ any, st grpc.ServerStream) error {
			return a.deltaStream(&grpc.GenericServerStream[discoveryv3.DeltaDiscoveryRequest, discoveryv3.DeltaDiscoveryResponse]{ServerStream: st}, typeURL)
		}
	}
	return func(_ any, st grpc.ServerStream) error {
		return a.sotwStream(&grpc.GenericServerStream[discoveryv3.DiscoveryRequest, discoveryv3.DiscoveryResponse]{ServerStream: st}, typeURL)
	}
}

// perTypeFetch answers a REST-style fetch (FetchX) with every resource of
// the type the node's gateway is served, or Unavailable before its first
// snapshot.
func (a *adsServer) perTypeFetch(typeURL string) func(any, context.Context, func(any) error, grpc.UnaryServerInterceptor) (any, error) {
	return func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
		req := new(discoveryv3.DiscoveryRequest)
		if err := dec(req); err != nil {
			return nil, err
		}
		if u := req.GetTypeUrl(); u != "" && u != typeURL {
			return nil, status.Errorf(codes.InvalidArgument, "type URL %s on the %s service", u, typeURL)
		}
		key := nodeKey(req.GetNode())
		if err := allowGateway(ctx, key); err != nil {
			return nil, err
		}
		g := a.cache.snapshot(key)
		if g == nil {
			return nil, status.Error(codes.Unavailable, "no snapshot for this node's gateway yet")
		}
		if err := allowSecrets(ctx, key, g); err != nil {
			return nil, err
		}
		t := g.typ(typeURL)
		if err := t.build(); err != nil {
			return nil, status.Errorf(codes.Internal, "%s", err.Error())
		}
		return &discoveryv3.DiscoveryResponse{VersionInfo: t.version, Resources: t.anys, TypeUrl: typeURL}, nil
	}
}

// requestType returns the type URL of a request on a stream: a per-type
// stream (fixed) takes requests of its own type, with or without the type
// URL; an ADS stream needs it.
func requestType(fixed, typeURL string) (string, error) {
	switch {
	case fixed == "" && typeURL == "":
		return "", status.Errorf(codes.InvalidArgument, "type URL is required for ADS")
	case fixed == "":
		return typeURL, nil
	case typeURL == "" || typeURL == fixed:
		return fixed, nil
	}
	return "", status.Errorf(codes.InvalidArgument, "type URL %s on the %s service", typeURL, fixed)
}
