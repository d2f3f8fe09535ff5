package policies

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// SecurityPolicy extAuth: every request on the policy's routes is first
// checked by an external HTTP or gRPC authorization service, through
// Envoy's ext_authz filter (extauth_xds.go builds it).
//
// The service is one backendRef (backendRefs wins over the deprecated
// backendRef when both are set, as in Envoy Gateway): a Service port or a
// Backend, in the policy's namespace or, with a ReferenceGrant trusting
// SecurityPolicies of the policy's namespace, another one. Envoy reaches
// it through a cluster of its own with the backend's endpoints and
// BackendTLSPolicy, named extauth/BACKEND-CLUSTER (extauth/grpc/... for
// gRPC, which speaks HTTP/2), so that what other policies do to the
// routes' cluster of the same backend does not change it. Check requests
// carry the authority Envoy Gateway gives them: NAME.NAMESPACE:PORT for a
// Service, the first FQDN endpoint HOST:PORT of a Backend, else
// NAME.NAMESPACE.
//
// backendSettings sets the cluster settings of that cluster as a
// BackendTrafficPolicy's do (loadBalancer, circuitBreaker, tcpKeepalive,
// proxyProtocol, connection timeouts, connection.bufferLimit).
//
// Not supported (the policy is Invalid and fails closed): several
// backendRefs, the other backendSettings, contextExtensions read from a ConfigMap or
// Secret (valueRef), includeRouteMetadata (sluice does not give routes
// Envoy Gateway's metadata).

// defaultExtAuthTimeout bounds a check (Envoy Gateway's default).
const defaultExtAuthTimeout = 10 * time.Second

// BackendResolver resolves a backendRef of a policy in namespace policyNS
// to the cluster routes to that backend use (not to be changed), or
// returns the problem, naming field.
type BackendResolver func(policyNS, field string, ref gwapiv1.BackendObjectReference) (*ir.Cluster, error)

// extAuthImplemented are the fields of spec.extAuth sluice implements;
// includeRouteMetadata is only accepted false.
var extAuthImplemented = map[string]bool{
	"grpc": true, "http": true, "headersToExtAuth": true, "bodyToExtAuth": true, "timeout": true,
	"failOpen": true, "recomputeRoute": true, "statusOnError": true, "contextExtensions": true,
	"includeRouteMetadata": true,
}

// extAuthServiceImplemented are the fields of spec.extAuth.http and
// spec.extAuth.grpc sluice implements.
var extAuthServiceImplemented = map[string]bool{
	"backendRef": true, "backendRefs": true, "path": true, "pathOverride": true, "headersToBackend": true,
	"backendSettings": true,
}

// backendSettingsImplemented are the fields of backendSettings sluice
// implements, on the cluster of a policy's service.
var backendSettingsImplemented = map[string]bool{
	"loadBalancer": true, "circuitBreaker": true, "tcpKeepalive": true, "proxyProtocol": true,
	"timeout": true, "connection": true,
}

// backendSettings checks the backendSettings at field and sets them on
// the service's cluster c; it returns the problems, each naming its
// field. Fields a BackendTrafficPolicy would ignore are refused here: the
// policy fails closed rather than call its service otherwise than asked
// (extAuthSettings refuses those outside backendSettingsImplemented).
func backendSettings(field string, bs *egv1a1.ClusterSettings, c *ir.Cluster) []error {
	if bs == nil {
		return nil
	}
	var errs fields.List
	if t := bs.Timeout; t != nil && t.HTTP != nil && (t.HTTP.RequestTimeout != nil || t.HTTP.MaxStreamDuration != nil) {
		errs.Add(field+".timeout.http", "only connectionIdleTimeout and maxConnectionDuration are supported by sluice here")
	}
	ct, ignored, cerrs := clusterSettings(field, *bs)
	errs = append(errs, cerrs...)
	for _, f := range ignored {
		errs.Add(f, "is not supported by sluice")
	}
	c.Traffic = ct
	return errs
}

// statusOnErrorCodes are the codes the CRD lets statusOnError take.
var statusOnErrorCodes = map[int32]bool{
	400: true, 401: true, 402: true, 403: true, 404: true, 405: true, 406: true, 407: true, 408: true, 409: true,
	410: true, 411: true, 412: true, 413: true, 414: true, 415: true, 416: true, 417: true, 421: true, 422: true,
	423: true, 424: true, 426: true, 428: true, 429: true, 431: true, 500: true, 501: true, 502: true, 503: true,
	504: true, 505: true, 506: true, 507: true, 508: true, 510: true, 511: true,
}

// extAuthSpec checks spec.extAuth and writes its IR and its service's
// cluster into f; it returns the problems, each naming its field.
func extAuthSpec(f *spFeatures, p *egv1a1.SecurityPolicy, in SecurityInput) []error {
	e := p.Spec.ExtAuth
	if e == nil {
		return nil
	}
	const field = "spec.extAuth"
	var errs fields.List
	for _, u := range unimplemented(field, e, extAuthImplemented) {
		errs.Add(u, "is not supported by sluice")
	}
	if e.IncludeRouteMetadata != nil && *e.IncludeRouteMetadata {
		errs.Add(field+".includeRouteMetadata", "is not supported by sluice")
	}
	out := extAuthSettings(field, e, &errs)
	var svc *egv1a1.BackendCluster
	sf := field + ".grpc"
	switch {
	case e.GRPC == nil && e.HTTP == nil:
		errs.Add(field, "one of grpc or http must be specified")
	case e.GRPC != nil && e.HTTP != nil:
		errs.Add(field, "only one of grpc or http can be specified")
	case e.GRPC != nil:
		svc, out.GRPC = &e.GRPC.BackendCluster, true
	default:
		svc, sf = &e.HTTP.BackendCluster, field+".http"
	}
	if svc != nil {
		c, authority, err := extAuthBackend(sf, p.Namespace, svc, out.GRPC, in.BackendCluster)
		var bsErrs []error
		if err == nil {
			bsErrs = backendSettings(sf+".backendSettings", svc.BackendSettings, c)
		}
		switch {
		case err != nil:
			errs = append(errs, err)
		case len(bsErrs) > 0:
			errs = append(errs, bsErrs...)
		default:
			out.Cluster, out.Authority = c.Name, authority
			f.clusters = append(f.clusters, c)
		}
	}
	if len(errs) == 0 {
		f.security.ExtAuth = out
	}
	return errs
}

// extAuthSettings checks the settings of spec.extAuth (at field) other
// than which service it calls, adding the problems to errs.
func extAuthSettings(field string, e *egv1a1.ExtAuth, errs *fields.List) *ir.ExtAuth {
	out := &ir.ExtAuth{
		HeadersToExtAuth: e.HeadersToExtAuth,
		FailOpen:         e.FailOpen != nil && *e.FailOpen,
		RecomputeRoute:   e.RecomputeRoute != nil && *e.RecomputeRoute,
		Timeout:          ir.Duration(defaultExtAuthTimeout),
	}
	if e.Timeout != nil {
		d, err := fields.Duration(field+".timeout", string(*e.Timeout), fields.Positive)
		errs.Check(err)
		out.Timeout = ir.Duration(d)
	}
	if b := e.BodyToExtAuth; b != nil {
		if b.MaxRequestBytes < 1 {
			errs.Add(field+".bodyToExtAuth.maxRequestBytes", "must be at least 1")
		}
		out.MaxRequestBytes = b.MaxRequestBytes
	}
	if s := e.StatusOnError; s != nil {
		if !statusOnErrorCodes[*s] {
			errs.Add(field+".statusOnError", "%d is not one of the 4xx and 5xx codes allowed", *s)
		}
		out.StatusOnError = uint32(*s)
	}
	out.ContextExtensions = contextExtensions(field+".contextExtensions", e.ContextExtensions, errs)
	if e.GRPC != nil {
		for _, u := range unimplemented(field+".grpc", e.GRPC, extAuthServiceImplemented) {
			errs.Add(u, "is not supported by sluice")
		}
		unsupportedSettings(field+".grpc.backendSettings", e.GRPC.BackendSettings, errs)
	}
	if h := e.HTTP; h != nil {
		for _, u := range unimplemented(field+".http", h, extAuthServiceImplemented) {
			errs.Add(u, "is not supported by sluice")
		}
		unsupportedSettings(field+".http.backendSettings", h.BackendSettings, errs)
		if h.Path != nil && h.PathOverride != nil {
			errs.Add(field+".http", "only one of path or pathOverride can be specified")
		}
		out.HTTP = &ir.ExtAuthHTTPCall{PathPrefix: deref(h.Path), PathOverride: deref(h.PathOverride), HeadersToBackend: h.HeadersToBackend}
	}
	return out
}

// unsupportedSettings adds to errs the fields of backendSettings sluice
// does not implement.
func unsupportedSettings(field string, bs *egv1a1.ClusterSettings, errs *fields.List) {
	if bs == nil {
		return
	}
	for _, u := range unimplemented(field, *bs, backendSettingsImplemented) {
		errs.Add(u, "is not supported by sluice")
	}
}

// contextExtensions checks contextExtensions and returns them as a map,
// adding its problems to errs.
func contextExtensions(field string, list []*egv1a1.ContextExtension, errs *fields.List) map[string]string {
	if len(list) == 0 {
		return nil
	}
	out := map[string]string{}
	for i, c := range list {
		cf := fmt.Sprintf("%s[%d]", field, i)
		if c == nil {
			errs.Add(cf, "must not be null")
			continue
		}
		_, dup := out[c.Name]
		switch {
		case c.Name == "":
			errs.Add(cf+".name", "is required")
		case dup:
			errs.Add(cf+".name", "%q is listed twice", c.Name)
		}
		switch c.Type {
		case egv1a1.ContextExtensionValueTypeValue, "":
			if c.Value == nil || c.ValueRef != nil {
				errs.Add(cf, "Exactly one of value or valueRef must be set with correct type.")
			}
			out[c.Name] = deref(c.Value)
		case egv1a1.ContextExtensionValueTypeValueRef:
			errs.Add(cf+".valueRef", "is not supported by sluice; use value")
		default:
			errs.Add(cf+".type", "%q is not Value or ValueRef", c.Type)
		}
	}
	return out
}

// extAuthBackend resolves the service's backendRef(s) under field and
// returns the cluster the checks go through and their authority, or the
// problem, naming its field.
func extAuthBackend(field, ns string, svc *egv1a1.BackendCluster, grpc bool, resolve BackendResolver) (*ir.Cluster, string, error) {
	ref, rf := svc.BackendRef, field+".backendRef"
	switch n := len(svc.BackendRefs); {
	case n > 16:
		return nil, "", fields.Invalid(field+".backendRefs", "%d entries are more than the 16 allowed", n)
	case n > 1:
		return nil, "", fields.Invalid(field+".backendRefs", "%d backends are not supported by sluice; use one", n)
	case n == 1:
		b := svc.BackendRefs[0]
		rf = field + ".backendRefs[0]"
		switch {
		case b.Fallback != nil && *b.Fallback:
			return nil, "", fields.Invalid(rf+".fallback", "is not supported by sluice")
		case b.Weight != nil && *b.Weight > 1000000:
			return nil, "", fields.Invalid(rf+".weight", "%d is more than 1000000", *b.Weight)
		case b.Weight != nil && *b.Weight == 0:
			return nil, "", fields.Invalid(rf+".weight", "0 sends no check to the only backend; must be at least 1")
		}
		ref = &b.BackendObjectReference
	case ref == nil:
		return nil, "", fields.Invalid(field, "backendRef or backendRefs needs to be set")
	}
	if resolve == nil {
		return nil, "", fields.Invalid(rf, "backends cannot be resolved here")
	}
	c, err := resolve(ns, rf, *ref)
	if err != nil {
		return nil, "", err
	}
	prefix := "extauth/"
	if grpc {
		prefix = "extauth/grpc/"
	}
	// A fresh cluster: only the endpoints and TLS of the backend, not
	// what other policies set on the routes' cluster.
	own := &ir.Cluster{Name: prefix + c.Name, DNS: c.DNS, Endpoints: c.Endpoints, TLS: c.TLS, HTTP2: grpc}
	return own, extAuthAuthority(ns, *ref, c), nil
}

// extAuthAuthority is the authority of check requests to a backend, as
// Envoy Gateway derives it: NAME.NAMESPACE:PORT for a Service, the first
// FQDN endpoint of a Backend, else NAME.NAMESPACE.
func extAuthAuthority(ns string, ref gwapiv1.BackendObjectReference, c *ir.Cluster) string {
	if ref.Namespace != nil && *ref.Namespace != "" {
		ns = string(*ref.Namespace)
	}
	name := string(ref.Name) + "." + ns
	kind := "Service"
	if ref.Kind != nil {
		kind = string(*ref.Kind)
	}
	switch kind {
	case "Backend":
		for _, ep := range c.Endpoints {
			if _, err := netip.ParseAddr(ep.Host); ep.Host != "" && err != nil {
				return net.JoinHostPort(ep.Host, strconv.Itoa(int(ep.Port)))
			}
		}
	case "Service":
		if ref.Port != nil {
			return net.JoinHostPort(name, strconv.Itoa(int(*ref.Port)))
		}
	}
	return name
}
