package load

import (
	"reflect"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwapiv1b1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// API groups of the kinds read.
const (
	groupGateway = gwapiv1.GroupName // gateway.networking.k8s.io
	groupEG      = egv1a1.GroupName  // gateway.envoyproxy.io
	// groupGatewayX is Gateway API's experimental group, whose
	// XListenerSet (gateway-api v1.3 and v1.4) became ListenerSet.
	groupGatewayX = "gateway.networking.x-k8s.io"
)

// knownTypes are the Go types of every kind of the Gateway API and Envoy
// Gateway APIs, by group and kind, whether load reads it yet or not.
// They give flatyaml the schema to re-indent flattened YAML.
var knownTypes = map[string]reflect.Type{
	groupGateway + "/GatewayClass":     reflect.TypeFor[gwapiv1.GatewayClass](),
	groupGateway + "/Gateway":          reflect.TypeFor[gwapiv1.Gateway](),
	groupGateway + "/HTTPRoute":        reflect.TypeFor[gwapiv1.HTTPRoute](),
	groupGateway + "/GRPCRoute":        reflect.TypeFor[gwapiv1.GRPCRoute](),
	groupGateway + "/TLSRoute":         reflect.TypeFor[gwapiv1.TLSRoute](),
	groupGateway + "/TCPRoute":         reflect.TypeFor[gwapiv1.TCPRoute](),
	groupGateway + "/UDPRoute":         reflect.TypeFor[gwapiv1.UDPRoute](),
	groupGateway + "/ReferenceGrant":   reflect.TypeFor[gwapiv1b1.ReferenceGrant](),
	groupGateway + "/BackendTLSPolicy": reflect.TypeFor[gwapiv1.BackendTLSPolicy](),
	groupEG + "/Backend":               reflect.TypeFor[egv1a1.Backend](),
	"/Secret":                          reflect.TypeFor[corev1.Secret](),
	"/Namespace":                       reflect.TypeFor[corev1.Namespace](),
	"/Service":                         reflect.TypeFor[corev1.Service](),
	"/ConfigMap":                       reflect.TypeFor[corev1.ConfigMap](),
	"discovery.k8s.io/EndpointSlice":   reflect.TypeFor[discoveryv1.EndpointSlice](),
	groupEG + "/SecurityPolicy":        reflect.TypeFor[egv1a1.SecurityPolicy](),
	groupEG + "/BackendTrafficPolicy":  reflect.TypeFor[egv1a1.BackendTrafficPolicy](),
	groupEG + "/ClientTrafficPolicy":   reflect.TypeFor[egv1a1.ClientTrafficPolicy](),
	groupEG + "/HTTPRouteFilter":       reflect.TypeFor[egv1a1.HTTPRouteFilter](),
	groupEG + "/EnvoyProxy":            reflect.TypeFor[egv1a1.EnvoyProxy](),
	groupEG + "/EnvoyPatchPolicy":      reflect.TypeFor[egv1a1.EnvoyPatchPolicy](),
	groupEG + "/EnvoyExtensionPolicy":  reflect.TypeFor[egv1a1.EnvoyExtensionPolicy](),
	groupGateway + "/ListenerSet":      reflect.TypeFor[gwapiv1.ListenerSet](),
	groupGatewayX + "/XListenerSet":    reflect.TypeFor[gwapiv1.ListenerSet](),

	// The Multi-Cluster Services API (serviceimport.go).
	groupMulticluster + "/ServiceImport": reflect.TypeFor[ServiceImport](),
}

// knownType implements flatyaml.TypeFunc.
func knownType(apiVersion, kind string) reflect.Type {
	group := ""
	if i := strings.LastIndex(apiVersion, "/"); i >= 0 {
		group = apiVersion[:i]
	}
	return knownTypes[group+"/"+kind]
}

// decoders lists the kinds read, by group and kind; no two share a kind.
// The version of the apiVersion is not checked beyond the group: v1 and
// v1beta1 of Gateway API share their schema.
var decoders = map[string]kindDecoder{
	groupGateway + "/GatewayClass": decodeInto(func(o *Objects) *[]*gwapiv1.GatewayClass { return &o.GatewayClasses }),
	groupGateway + "/Gateway":      decodeInto(func(o *Objects) *[]*gwapiv1.Gateway { return &o.Gateways }),
	groupGateway + "/HTTPRoute":    decodeInto(func(o *Objects) *[]*gwapiv1.HTTPRoute { return &o.HTTPRoutes }),
	groupGateway + "/GRPCRoute":    decodeInto(func(o *Objects) *[]*gwapiv1.GRPCRoute { return &o.GRPCRoutes }),
	groupEG + "/Backend":           decodeInto(func(o *Objects) *[]*egv1a1.Backend { return &o.Backends }),
	// TLSRoute, TCPRoute and UDPRoute of v1alpha2 and v1 share their JSON
	// shape; translate checks the version's own limits.
	groupGateway + "/TLSRoute": decodeInto(func(o *Objects) *[]*gwapiv1.TLSRoute { return &o.TLSRoutes }),
	groupGateway + "/TCPRoute": decodeInto(func(o *Objects) *[]*gwapiv1.TCPRoute { return &o.TCPRoutes }),
	groupGateway + "/UDPRoute": decodeInto(func(o *Objects) *[]*gwapiv1.UDPRoute { return &o.UDPRoutes }),
	// Core v1 Secrets hold certificates; their content is never printed.
	"/Secret": decodeInto(func(o *Objects) *[]*corev1.Secret { return &o.Secrets }),
	// ReferenceGrant is the same in v1beta1 and v1.
	groupGateway + "/ReferenceGrant":   decodeInto(func(o *Objects) *[]*gwapiv1.ReferenceGrant { return &o.ReferenceGrants }),
	"/Namespace":                       decodeInto(func(o *Objects) *[]*corev1.Namespace { return &o.Namespaces }),
	"/Service":                         decodeInto(func(o *Objects) *[]*corev1.Service { return &o.Services }),
	"discovery.k8s.io/EndpointSlice":   decodeInto(func(o *Objects) *[]*discoveryv1.EndpointSlice { return &o.EndpointSlices }),
	groupGateway + "/BackendTLSPolicy": decodeInto(func(o *Objects) *[]*gwapiv1.BackendTLSPolicy { return &o.BackendTLSPolicies }),
	"/ConfigMap":                       decodeInto(func(o *Objects) *[]*corev1.ConfigMap { return &o.ConfigMaps }),
	groupEG + "/EnvoyProxy":            decodeInto(func(o *Objects) *[]*egv1a1.EnvoyProxy { return &o.EnvoyProxies }),
	groupEG + "/HTTPRouteFilter":       decodeInto(func(o *Objects) *[]*egv1a1.HTTPRouteFilter { return &o.HTTPRouteFilters }),
	groupEG + "/BackendTrafficPolicy":  decodeInto(func(o *Objects) *[]*egv1a1.BackendTrafficPolicy { return &o.BackendTrafficPolicies }),
	groupEG + "/SecurityPolicy":        decodeInto(func(o *Objects) *[]*egv1a1.SecurityPolicy { return &o.SecurityPolicies }),
	groupEG + "/ClientTrafficPolicy":   decodeInto(func(o *Objects) *[]*egv1a1.ClientTrafficPolicy { return &o.ClientTrafficPolicies }),
	groupEG + "/EnvoyPatchPolicy":      decodeInto(func(o *Objects) *[]*egv1a1.EnvoyPatchPolicy { return &o.EnvoyPatchPolicies }),
	groupEG + "/EnvoyExtensionPolicy":  decodeInto(func(o *Objects) *[]*egv1a1.EnvoyExtensionPolicy { return &o.EnvoyExtensionPolicies }),
	// ListenerSet and the experimental XListenerSet share their shape;
	// each object keeps its kind.
	groupGateway + "/ListenerSet":   decodeInto(func(o *Objects) *[]*gwapiv1.ListenerSet { return &o.ListenerSets }),
	groupGatewayX + "/XListenerSet": decodeInto(func(o *Objects) *[]*gwapiv1.ListenerSet { return &o.ListenerSets }),

	// A route's backend in a multi-cluster set, as in Envoy Gateway.
	groupMulticluster + "/ServiceImport": decodeInto(func(o *Objects) *[]*ServiceImport { return &o.ServiceImports }),
}

// clusterScoped kinds have no namespace.
var clusterScoped = map[string]bool{"GatewayClass": true, "Namespace": true}
