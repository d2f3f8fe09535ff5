package load

import (
	"slices"
	"strings"
	"sync"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/status"
)

// Objects are the typed objects of one revision, grouped by kind, each
// list in a stable order (namespace, then name), with the file and line
// each was read from. They are what the reading stage gives translate.
type Objects struct {
	GatewayClasses []*gwapiv1.GatewayClass
	Gateways       []*gwapiv1.Gateway
	// ListenerSets add listeners to a Gateway that allows them (kind
	// ListenerSet or XListenerSet).
	ListenerSets []*gwapiv1.ListenerSet
	HTTPRoutes   []*gwapiv1.HTTPRoute
	GRPCRoutes   []*gwapiv1.GRPCRoute
	Backends     []*egv1a1.Backend
	TLSRoutes    []*gwapiv1.TLSRoute
	TCPRoutes    []*gwapiv1.TCPRoute
	UDPRoutes    []*gwapiv1.UDPRoute
	Secrets      []*corev1.Secret

	ReferenceGrants []*gwapiv1.ReferenceGrant
	Namespaces      []*corev1.Namespace
	Services        []*corev1.Service
	EndpointSlices  []*discoveryv1.EndpointSlice
	// ServiceImports are Services of a multi-cluster set
	// (serviceimport.go).
	ServiceImports []*ServiceImport
	// BackendTLSPolicies make Envoy originate TLS to Services; their CA
	// bundles come from ConfigMaps.
	BackendTLSPolicies []*gwapiv1.BackendTLSPolicy
	ConfigMaps         []*corev1.ConfigMap
	// HTTPRouteFilters are Envoy Gateway's filters that HTTPRoute rules
	// name through ExtensionRef.
	HTTPRouteFilters []*egv1a1.HTTPRouteFilter
	// EnvoyProxies configure the proxies of a GatewayClass or Gateway
	// through parametersRef.
	EnvoyProxies []*egv1a1.EnvoyProxy
	// Envoy Gateway's policies.
	BackendTrafficPolicies []*egv1a1.BackendTrafficPolicy
	SecurityPolicies       []*egv1a1.SecurityPolicy
	EnvoyExtensionPolicies []*egv1a1.EnvoyExtensionPolicy
	ClientTrafficPolicies  []*egv1a1.ClientTrafficPolicy
	// EnvoyPatchPolicies patch the xDS of their Gateway.
	EnvoyPatchPolicies []*egv1a1.EnvoyPatchPolicy

	// Duplicates are the second copies of objects, left out.
	Duplicates []Duplicate

	// where holds the location of every object.
	where map[Key]status.Location
	// derived is what the reader of the Objects derives from them.
	derived struct {
		once sync.Once
		v    any
	}
}

// Duplicate is a second copy of an object (the same kind, namespace and
// name as one before it in file order), left out: the first copy is the
// object, as a Kubernetes API server keeps the object created first and
// refuses to create it again (AlreadyExists). translate rejects the copy
// in its status, naming both files.
type Duplicate struct {
	Key Key
	// At is where the copy left out is; First, where the object is.
	At, First status.Location
}

// Key names an object: its kind, namespace and name. As a map key it
// costs no allocation, as a string joining them does.
type Key struct {
	Kind, Namespace, Name string
}

// Where returns the file and line an object was read from.
func (o *Objects) Where(kind, namespace, name string) status.Location {
	return o.where[Key{kind, namespace, name}]
}

// WhereKey is Where by Key.
func (o *Objects) WhereKey(k Key) status.Location {
	return o.where[k]
}

// Derived returns what build gives for o, built on the first call only:
// the stage that reads the Objects keeps there what it derives from them
// (translate, its index of objects by name). load neither reads nor sets
// it, and a patch (Revision.Patch) keeps it as it is: whoever built it
// follows the Changes.
func (o *Objects) Derived(build func(*Objects) any) any {
	o.derived.once.Do(func() { o.derived.v = build(o) })
	return o.derived.v
}

// Built returns what Derived built, or nil before it was called.
func (o *Objects) Built() any { return o.derived.v }

func sortObjects[P metav1.Object](list []P) {
	// decode keeps one object of a kind, namespace and name, so an
	// unstable sort gives the one order. Files are read in name order,
	// and often hold their objects in order: seeing that costs one pass.
	if !slices.IsSortedFunc(list, byName) {
		slices.SortFunc(list, byName)
	}
}

// byName orders objects by namespace, then name.
func byName[P metav1.Object](a, b P) int {
	if c := strings.Compare(a.GetNamespace(), b.GetNamespace()); c != 0 {
		return c
	}
	return strings.Compare(a.GetName(), b.GetName())
}

func (o *Objects) sort() {
	sortObjects(o.GatewayClasses)
	sortObjects(o.Gateways)
	sortObjects(o.HTTPRoutes)
	sortObjects(o.GRPCRoutes)
	sortObjects(o.Backends)
	sortObjects(o.TLSRoutes)
	sortObjects(o.TCPRoutes)
	sortObjects(o.UDPRoutes)
	sortObjects(o.Secrets)
	sortObjects(o.ReferenceGrants)
	sortObjects(o.Namespaces)
	sortObjects(o.Services)
	sortObjects(o.EndpointSlices)
	sortObjects(o.ServiceImports)
	sortObjects(o.BackendTLSPolicies)
	sortObjects(o.ConfigMaps)
	sortObjects(o.EnvoyProxies)
	sortObjects(o.HTTPRouteFilters)
	sortObjects(o.BackendTrafficPolicies)
	sortObjects(o.SecurityPolicies)
	sortObjects(o.ListenerSets)
	sortObjects(o.EnvoyExtensionPolicies)
	sortObjects(o.ClientTrafficPolicies)
	sortObjects(o.EnvoyPatchPolicies)
}
