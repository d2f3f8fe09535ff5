package translate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	yaml "go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/status"
)

// API groups read by translate.
const (
	groupGateway = gwapiv1.GroupName // gateway.networking.k8s.io
	groupEG      = egv1a1.GroupName  // gateway.envoyproxy.io
)

// Resources are the typed objects of one revision, each list in a stable order
// (namespace, then name).
type Resources struct {
	GatewayClasses []*gwapiv1.GatewayClass
	Gateways       []*gwapiv1.Gateway
	HTTPRoutes     []*gwapiv1.HTTPRoute
	GRPCRoutes     []*gwapiv1.GRPCRoute
	Backends       []*egv1a1.Backend
	TLSRoutes      []*gwapiv1.TLSRoute
	TCPRoutes      []*gwapiv1.TCPRoute
	UDPRoutes      []*gwapiv1.UDPRoute
	Secrets        []*corev1.Secret

	ReferenceGrants []*gwapiv1.ReferenceGrant
	Namespaces      []*corev1.Namespace
	Services        []*corev1.Service
	EndpointSlices  []*discoveryv1.EndpointSlice
	// BackendTLSPolicies make Envoy originate TLS to Services; their CA
	// bundles come from ConfigMaps (backendtlspolicy.go).
	BackendTLSPolicies []*gwapiv1.BackendTLSPolicy
	ConfigMaps         []*corev1.ConfigMap
	// HTTPRouteFilters are Envoy Gateway's filters that HTTPRoute rules
	// name through ExtensionRef (httproutefilter.go).
	HTTPRouteFilters []*egv1a1.HTTPRouteFilter
	// EnvoyProxies configure the proxies of a GatewayClass or Gateway
	// through parametersRef (envoyproxy.go).
	EnvoyProxies []*egv1a1.EnvoyProxy
	// BackendTrafficPolicies are applied by package policies
	// (policies.go).
	BackendTrafficPolicies []*egv1a1.BackendTrafficPolicy
	// SecurityPolicies are applied by package policies (policies.go).
	SecurityPolicies []*egv1a1.SecurityPolicy
	// ClientTrafficPolicies are applied by package policies (policies.go).
	ClientTrafficPolicies []*egv1a1.ClientTrafficPolicy
	// EnvoyPatchPolicies patch the xDS of their Gateway (envoypatchpolicy.go).
	EnvoyPatchPolicies []*egv1a1.EnvoyPatchPolicy

	// index finds objects by the names others use (index.go).
	indexOnce sync.Once
	index     *resourceIndex

	// where holds the location of every object.
	where map[objKey]status.Location
}

// Where returns the file and line an object was read from.
func (r *Resources) Where(kind, namespace, name string) status.Location {
	return r.where[objKey{kind, namespace, name}]
}

// objKey names an object: its kind, namespace and name. As a map key it
// costs no allocation, as objectKey's string does.
type objKey struct {
	kind, namespace, name string
}

func objectKey(kind, namespace, name string) string {
	return kind + "/" + namespace + "/" + name
}

// kindDecoder types the JSON of one kind, and adds an object it typed to
// Resources. Typing is done once per file (and cached); adding, per
// revision.
type kindDecoder struct {
	decode func(raw []byte, strict bool) (metav1.Object, error)
	add    func(r *Resources, obj metav1.Object)
}

func decodeInto[T any, P interface {
	*T
	metav1.Object
}](list func(*Resources) *[]P) kindDecoder {
	return kindDecoder{
		decode: func(raw []byte, strict bool) (metav1.Object, error) {
			obj := P(new(T))
			dec := json.NewDecoder(bytes.NewReader(raw))
			if strict {
				dec.DisallowUnknownFields()
			}
			if err := dec.Decode(obj); err != nil {
				return nil, err
			}
			return obj, nil
		},
		add: func(r *Resources, obj metav1.Object) {
			l := list(r)
			*l = append(*l, obj.(P))
		},
	}
}

// decodeChecked is decodeInto for a kind whose objects the API server
// validates: an object that fails check is not added.
func decodeChecked[T any, P interface {
	*T
	metav1.Object
}](list func(*Resources) *[]P, check func(P) error) kindDecoder {
	kd := decodeInto[T, P](list)
	typed := kd.decode
	kd.decode = func(raw []byte, strict bool) (metav1.Object, error) {
		obj, err := typed(raw, strict)
		if err != nil {
			return nil, err
		}
		if err := check(obj.(P)); err != nil {
			return nil, err
		}
		return obj, nil
	}
	return kd
}

// decoders lists the kinds translate understands, by group and kind. The
// version of the apiVersion is not checked beyond the group: v1 and v1beta1
// of Gateway API share their schema.
var decoders = map[string]kindDecoder{
	groupGateway + "/GatewayClass": decodeInto(func(r *Resources) *[]*gwapiv1.GatewayClass { return &r.GatewayClasses }),
	groupGateway + "/Gateway":      decodeInto(func(r *Resources) *[]*gwapiv1.Gateway { return &r.Gateways }),
	groupGateway + "/HTTPRoute":    decodeInto(func(r *Resources) *[]*gwapiv1.HTTPRoute { return &r.HTTPRoutes }),
	groupGateway + "/GRPCRoute":    decodeInto(func(r *Resources) *[]*gwapiv1.GRPCRoute { return &r.GRPCRoutes }),
	groupEG + "/Backend":           decodeInto(func(r *Resources) *[]*egv1a1.Backend { return &r.Backends }),
	// TLSRoute, TCPRoute and UDPRoute of v1alpha2 and v1 share their JSON
	// shape; validation checks the version's own limits (l4route.go).
	groupGateway + "/TLSRoute": decodeInto(func(r *Resources) *[]*gwapiv1.TLSRoute { return &r.TLSRoutes }),
	groupGateway + "/TCPRoute": decodeInto(func(r *Resources) *[]*gwapiv1.TCPRoute { return &r.TCPRoutes }),
	groupGateway + "/UDPRoute": decodeInto(func(r *Resources) *[]*gwapiv1.UDPRoute { return &r.UDPRoutes }),
	// Core v1 Secrets hold certificates (secrets.go); their content is
	// never printed.
	"/Secret": decodeInto(func(r *Resources) *[]*corev1.Secret { return &r.Secrets }),
	// ReferenceGrant is the same in v1beta1 and v1 (referencegrant.go).
	groupGateway + "/ReferenceGrant": decodeChecked(func(r *Resources) *[]*gwapiv1.ReferenceGrant { return &r.ReferenceGrants }, validateReferenceGrant),
	// Namespaces give their labels to allowedRoutes selectors
	// (namespaces.go); Services and EndpointSlices are backends (service.go).
	"/Namespace":                     decodeInto(func(r *Resources) *[]*corev1.Namespace { return &r.Namespaces }),
	"/Service":                       decodeChecked(func(r *Resources) *[]*corev1.Service { return &r.Services }, validateService),
	"discovery.k8s.io/EndpointSlice": decodeChecked(func(r *Resources) *[]*discoveryv1.EndpointSlice { return &r.EndpointSlices }, validateEndpointSlice),
	// BackendTLSPolicy and the ConfigMaps holding its CA bundles
	// (backendtlspolicy.go).
	groupGateway + "/BackendTLSPolicy": decodeInto(func(r *Resources) *[]*gwapiv1.BackendTLSPolicy { return &r.BackendTLSPolicies }),
	"/ConfigMap":                       decodeInto(func(r *Resources) *[]*corev1.ConfigMap { return &r.ConfigMaps }),
	groupEG + "/EnvoyProxy":            decodeInto(func(r *Resources) *[]*egv1a1.EnvoyProxy { return &r.EnvoyProxies }),
	groupEG + "/HTTPRouteFilter":       decodeInto(func(r *Resources) *[]*egv1a1.HTTPRouteFilter { return &r.HTTPRouteFilters }),
	// Envoy Gateway's policies (policies.go and package policies).
	groupEG + "/BackendTrafficPolicy": decodeInto(func(r *Resources) *[]*egv1a1.BackendTrafficPolicy { return &r.BackendTrafficPolicies }),
	groupEG + "/SecurityPolicy":       decodeInto(func(r *Resources) *[]*egv1a1.SecurityPolicy { return &r.SecurityPolicies }),
	groupEG + "/ClientTrafficPolicy":  decodeInto(func(r *Resources) *[]*egv1a1.ClientTrafficPolicy { return &r.ClientTrafficPolicies }),
	// EnvoyPatchPolicies patch the final xDS resources (envoypatchpolicy.go).
	groupEG + "/EnvoyPatchPolicy": decodeInto(func(r *Resources) *[]*egv1a1.EnvoyPatchPolicy { return &r.EnvoyPatchPolicies }),
}

// clusterScoped kinds have no namespace.
var clusterScoped = map[string]bool{"GatewayClass": true, "Namespace": true}

// decode puts the typed documents in Resources, in order. Objects that
// cannot be typed become warnings naming file, line, object and field;
// unknown kinds, objects without a name and second copies of an object
// become warnings too.
func decode(docs []*document) (*Resources, []string) {
	r := &Resources{where: make(map[objKey]status.Location, len(docs))}
	var warnings []string
	for _, d := range docs {
		dec, ok := decoders[d.group()+"/"+d.Kind]
		switch {
		case !ok:
			warnings = append(warnings, fmt.Sprintf("%s: %s %s: kind %q of %q is not supported; ignored", d.Loc, d.Kind, d.Name, d.Kind, d.APIVersion))
			continue
		case d.Name == "":
			warnings = append(warnings, fmt.Sprintf("%s: %s: field metadata.name is required; ignored", d.Loc, d.Kind))
			continue
		}
		if prev, dup := r.where[d.key]; dup {
			warnings = append(warnings, fmt.Sprintf("%s: %s: already defined at %s; this copy is ignored", d.Loc, d.ref(), prev))
			continue
		}
		warnings = append(warnings, d.notes...)
		if d.obj == nil {
			continue
		}
		dec.add(r, d.obj)
		r.where[d.key] = d.Loc
	}
	r.sort()
	return r, warnings
}

// typeDocument types a document of a supported kind that has a name,
// once: strict first, so the common case decodes once; only an object
// with unknown fields is decoded again, leniently, and warned about. The
// object is complete (its namespace set) and never changed afterwards:
// it may be shared through a Cache. The document's JSON is dropped. node
// gives the document's YAML node, for the lines of typing errors.
func typeDocument(d *document, node func(*document) *yaml.Node) {
	if d.typed {
		return
	}
	d.typed = true
	raw := d.JSON
	d.JSON = nil
	dec, ok := decoders[d.group()+"/"+d.Kind]
	if !ok || d.Name == "" {
		return
	}
	if clusterScoped[d.Kind] {
		d.Namespace = ""
	} else if d.Namespace == "" {
		d.Namespace = "default"
	}
	d.key = objKey{d.Kind, d.Namespace, d.Name}
	obj, err := dec.decode(raw, true)
	if key, unknown := unknownField(err); unknown {
		line := lineOfKey(node(d), key, d.Loc.Line)
		d.notes = append(d.notes, fmt.Sprintf("%s: %s: %s", status.Location{File: d.Loc.File, Line: line}, d.ref(), strings.TrimPrefix(err.Error(), "json: ")))
		obj, err = dec.decode(raw, false)
	}
	if err != nil {
		field, msg := jsonErrorField(err)
		loc := status.Location{File: d.Loc.File, Line: lineOf(node(d), field)}
		d.notes = append(d.notes, fmt.Sprintf("%s: %s: %s; ignored", loc, d.ref(), msg))
		return
	}
	obj.SetNamespace(d.Namespace)
	// The object's copies of the names the document holds are the ones
	// kept (sharedNames, in load.go).
	if name := obj.GetName(); name == d.Name {
		d.Name, d.key.name = name, name
	}
	if k, ok := obj.(interface{ GetObjectKind() schema.ObjectKind }); ok {
		if tm, ok := k.GetObjectKind().(*metav1.TypeMeta); ok && tm.APIVersion == d.APIVersion && tm.Kind == d.Kind {
			tm.APIVersion, tm.Kind = d.APIVersion, d.Kind
		}
	}
	d.obj = obj
}

// ref names the object of a typed document in messages.
func (d *document) ref() string { return d.Kind + " " + qualified(d.Namespace, d.Name) }

// jsonErrorField returns the field path of a JSON decoding error and a
// message that names it.
func jsonErrorField(err error) (string, string) {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Field, fmt.Sprintf("field %s: cannot use %s as %s", te.Field, te.Value, te.Type)
	}
	var oe *objectError
	if errors.As(err, &oe) {
		return oe.path, oe.msg
	}
	return "", strings.TrimPrefix(err.Error(), "json: ")
}

// unknownField returns the key named by encoding/json's
// `json: unknown field "x"` error.
func unknownField(err error) (string, bool) {
	const prefix = `json: unknown field "`
	if err == nil {
		return "", false
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, `"`) {
		return "", false
	}
	return msg[len(prefix) : len(msg)-1], true
}

// lineOfKey returns the line of the first mapping key named key, depth
// first, or def. encoding/json does not say where an unknown field is, and
// the first key with that name is nearly always the one.
func lineOfKey(n *yaml.Node, key string, def int) int {
	if n == nil {
		return def
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i].Line
			}
		}
	}
	for _, c := range n.Content {
		if l := lineOfKey(c, key, 0); l > 0 {
			return l
		}
	}
	return def
}

func qualified(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

func sortObjects[P metav1.Object](list []P) {
	byName := func(a, b P) int {
		if c := strings.Compare(a.GetNamespace(), b.GetNamespace()); c != 0 {
			return c
		}
		return strings.Compare(a.GetName(), b.GetName())
	}
	// decode keeps one object of a kind, namespace and name, so an
	// unstable sort gives the one order, and faster. Files are read in
	// name order, and often hold their objects in order: seeing that
	// costs one pass.
	if !slices.IsSortedFunc(list, byName) {
		slices.SortFunc(list, byName)
	}
}

func (r *Resources) sort() {
	sortObjects(r.GatewayClasses)
	sortObjects(r.Gateways)
	sortObjects(r.HTTPRoutes)
	sortObjects(r.GRPCRoutes)
	sortObjects(r.Backends)
	sortObjects(r.TLSRoutes)
	sortObjects(r.TCPRoutes)
	sortObjects(r.UDPRoutes)
	sortObjects(r.Secrets)
	sortObjects(r.ReferenceGrants)
	sortObjects(r.Namespaces)
	sortObjects(r.Services)
	sortObjects(r.EndpointSlices)
	sortObjects(r.BackendTLSPolicies)
	sortObjects(r.ConfigMaps)
	sortObjects(r.EnvoyProxies)
	sortObjects(r.HTTPRouteFilters)
	sortObjects(r.BackendTrafficPolicies)
	sortObjects(r.SecurityPolicies)
	sortObjects(r.ClientTrafficPolicies)
	sortObjects(r.EnvoyPatchPolicies)
}
