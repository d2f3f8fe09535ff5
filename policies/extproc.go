package policies

import (
	"fmt"
	"net"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// EnvoyExtensionPolicy extProc: requests (and, as processingMode says,
// their bodies and responses) of the policy's routes go through an
// external gRPC processor, Envoy's ext_proc filter (extproc_xds.go).
//
// The processor is reached through backendRefs: Services and Backends in
// the policy's namespace or, with a ReferenceGrant there trusting
// EnvoyExtensionPolicies of the policy's namespace, another one. They
// become one HTTP/2 cluster of the entry's own, named like the entry
// (envoyextensionpolicy/NS/NAME/extproc/INDEX), so that its
// backendSettings apply to it alone: one backend's endpoints, or, with
// several, one locality per backend weighted by its backendRef
// (fallback: true ones at a lower priority, as Envoy Gateway does).
// Calls carry the authority Envoy Gateway gives them, NAME.NAMESPACE:PORT
// of the first backendRef (NAME.NAMESPACE without a port).
//
// As in Envoy Gateway 1.2, an entry without processingMode sends nothing
// to the processor; processingMode.request sends the request headers
// (and the body in its body mode), processingMode.response the
// response's.
//
// backendSettings: loadBalancer, circuitBreaker, tcpKeepalive,
// proxyProtocol, timeout and connection apply as in a
// BackendTrafficPolicy; the others are named in status as ignored (Envoy
// Gateway accepts them; unlike an authorization service's, a processor's
// connection settings do not decide who gets in).

// extProcImplemented are the fields of an extProc entry sluice
// implements.
var extProcImplemented = map[string]bool{
	"backendRef": true, "backendRefs": true, "backendSettings": true, "messageTimeout": true,
	"failOpen": true, "processingMode": true, "metadata": true,
}

// extProcAttribute is the CRD's pattern of an attribute name.
var extProcAttribute = regexp.MustCompile(`^(connection\.|source\.|destination\.|request\.|response\.|upstream\.|xds\.route_)[a-z_1-9]*$`)

// extProcSpec checks the extProc entry at field and returns its IR
// (named name), its processor's cluster and the backendSettings fields
// it ignores, or its problems.
func extProcSpec(field, name string, index int, ns string, e egv1a1.ExtProc, in ExtensionInput) (*ir.ExtProc, *ir.Cluster, []string, []error) {
	var errs fields.List
	for _, u := range unimplemented(field, e, extProcImplemented) {
		errs.Add(u, "is not supported by sluice")
	}
	out := &ir.ExtProc{Name: name, Index: index, FailOpen: e.FailOpen != nil && *e.FailOpen}
	if e.MessageTimeout != nil {
		d, err := fields.Duration(field+".messageTimeout", string(*e.MessageTimeout), fields.Positive)
		errs.Check(err)
		out.MessageTimeout = ir.Duration(d)
	}
	extProcMode(field+".processingMode", e.ProcessingMode, out, &errs)
	if m := e.Metadata; m != nil {
		out.ForwardMetadata, out.ReceiveMetadata = m.AccessibleNamespaces, m.WritableNamespaces
		if len(m.WritableNamespaces) > 8 {
			errs.Add(field+".metadata.writableNamespaces", "%d entries are more than the 8 allowed", len(m.WritableNamespaces))
		}
		for i, n := range m.WritableNamespaces {
			if strings.HasPrefix(n, "envoy.filters.http") {
				errs.Add(fmt.Sprintf("%s.metadata.writableNamespaces[%d]", field, i), "writableNamespaces cannot contain well-known Envoy HTTP filter namespaces")
			}
		}
	}
	var traffic *ir.ClusterTraffic
	var ignored []string
	if bs := e.BackendSettings; bs != nil {
		var problems []error
		traffic, ignored, problems = clusterSettings(field+".backendSettings", *bs)
		errs = append(errs, problems...)
		ignored = append(unimplemented(field+".backendSettings", *bs, backendSettingsImplemented), ignored...)
	}
	c, err := extProcCluster(field, name, ns, e.BackendCluster, in.BackendCluster)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, nil, nil, errs
	}
	c.Traffic = traffic
	ref := e.BackendRefs[0].BackendObjectReference
	out.Cluster, out.Authority = c.Name, string(ref.Name)+"."+ns
	if ref.Namespace != nil && *ref.Namespace != "" {
		out.Authority = string(ref.Name) + "." + string(*ref.Namespace)
	}
	if ref.Port != nil {
		out.Authority = net.JoinHostPort(out.Authority, strconv.Itoa(int(*ref.Port)))
	}
	return out, c, ignored, nil
}

// extProcMode checks processingMode (at field) and sets what it sends
// into out.
func extProcMode(field string, m *egv1a1.ExtProcProcessingMode, out *ir.ExtProc, errs *fields.List) {
	if m == nil {
		return
	}
	out.AllowModeOverride = m.AllowModeOverride
	side := func(f string, o *egv1a1.ProcessingModeOptions, headers *bool, body *string, attrs *[]string) {
		if o == nil {
			return
		}
		*headers = true
		if o.Body != nil {
			switch b := string(*o.Body); b {
			case ir.BodyStreamed, ir.BodyBuffered, ir.BodyBufferedPartial:
				*body = b
			default:
				errs.Add(f+".body", "%q is not supported by sluice; use Streamed, Buffered or BufferedPartial", b)
			}
		}
		for i, a := range o.Attributes {
			if !extProcAttribute.MatchString(a) {
				errs.Add(fmt.Sprintf("%s.attributes[%d]", f, i), "%q does not match %s", a, extProcAttribute)
			}
		}
		*attrs = o.Attributes
	}
	side(field+".request", m.Request, &out.RequestHeaders, &out.RequestBody, &out.RequestAttributes)
	side(field+".response", m.Response, &out.ResponseHeaders, &out.ResponseBody, &out.ResponseAttributes)
}

// extProcCluster resolves the backendRefs of svc (at field) into one
// HTTP/2 cluster named name, or returns the problem naming its field.
func extProcCluster(field, name, ns string, svc egv1a1.BackendCluster, resolve BackendResolver) (*ir.Cluster, error) {
	switch n := len(svc.BackendRefs); {
	case svc.BackendRef != nil:
		return nil, fields.Invalid(field+".backendRef", "BackendRefs must be used, backendRef is not supported.")
	case n == 0:
		return nil, fields.Invalid(field+".backendRefs", "must name the processor's service")
	case n > 16:
		return nil, fields.Invalid(field+".backendRefs", "%d entries are more than the 16 allowed", n)
	case resolve == nil:
		return nil, fields.Invalid(field+".backendRefs", "backends cannot be resolved here")
	}
	out := &ir.Cluster{Name: name, HTTP2: true}
	var groups []*ir.EndpointGroup
	primaries := 0
	for i, b := range svc.BackendRefs {
		rf := fmt.Sprintf("%s.backendRefs[%d]", field, i)
		if b.Weight != nil && *b.Weight > 1000000 {
			return nil, fields.Invalid(rf+".weight", "%d is more than 1000000", *b.Weight)
		}
		c, err := resolve(ns, rf, b.BackendObjectReference)
		if err != nil {
			return nil, err
		}
		if i > 0 && !reflect.DeepEqual(c.TLS, out.TLS) {
			return nil, fields.Invalid(rf, "its TLS (BackendTLSPolicy) differs from that of backendRefs[0]; one processor cluster cannot originate TLS per backend")
		}
		out.TLS, out.DNS = c.TLS, out.DNS || c.DNS
		g := &ir.EndpointGroup{Name: c.Name, Weight: 1, Endpoints: c.Endpoints}
		if b.Weight != nil {
			g.Weight = *b.Weight
		}
		switch {
		case g.Weight == 0: // resolved and checked, but sent no calls
			continue
		case b.Fallback != nil && *b.Fallback:
			g.Priority = 1
		default:
			primaries++
		}
		groups = append(groups, g)
	}
	switch len(groups) {
	case 0:
		return nil, fields.Invalid(field+".backendRefs", "every backendRef has weight 0: no processor would be called")
	case 1:
		out.Endpoints = groups[0].Endpoints
		return out, nil
	}
	return out, extProcGroups(field, out, groups, primaries)
}

// extProcGroups makes out the cluster of several backends, one group
// each; without primaries the fallbacks are served as primaries.
func extProcGroups(field string, out *ir.Cluster, groups []*ir.EndpointGroup, primaries int) error {
	for _, g := range groups {
		if primaries == 0 {
			g.Priority = 0
		}
		for _, ep := range g.Endpoints {
			if out.DNS && ep.Unix != "" {
				return fields.Invalid(field+".backendRefs", "Unix socket endpoints cannot share a cluster with fqdn endpoints")
			}
		}
	}
	out.Groups = groups
	if primaries > 0 && primaries < len(groups) {
		out.OutlierDetection = ir.FailoverOutlierDetection()
	}
	return nil
}
