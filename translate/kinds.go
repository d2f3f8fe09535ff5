package translate

import (
	"reflect"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwapiv1b1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// knownTypes are the Go types of every kind of the Gateway API and Envoy
// Gateway APIs, by group and kind, whether translate serves it yet or not.
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
}

// knownType implements flatyaml.TypeFunc.
func knownType(apiVersion, kind string) reflect.Type {
	group := ""
	if i := strings.LastIndex(apiVersion, "/"); i >= 0 {
		group = apiVersion[:i]
	}
	return knownTypes[group+"/"+kind]
}
