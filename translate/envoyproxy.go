package translate

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

// Addresses a listener binds: every IPv4 address, every IPv6 address.
const (
	anyIPv4 = "0.0.0.0"
	anyIPv6 = "::"
)

// classParams is what a managed GatewayClass's parametersRef gives: an
// EnvoyProxy, or the problem that makes the class not accepted.
type classParams struct {
	proxy   *egv1a1.EnvoyProxy
	problem string
	// merged are the served Gateways of the class, oldest first, when
	// its EnvoyProxy merges them (mergegateways.go).
	merged []*gatewayState
}

// checkClassParams resolves the parametersRef of a managed GatewayClass
// and returns the problem with it, naming the field, or "".
func (t *translator) checkClassParams(gc *gwapiv1.GatewayClass) string {
	if t.classParams == nil {
		t.classParams = map[string]*classParams{}
	}
	cp := &classParams{}
	t.classParams[gc.Name] = cp
	ref := gc.Spec.ParametersRef
	if ref == nil {
		return ""
	}
	const field = "spec.parametersRef"
	switch {
	case string(ref.Group) != groupEG || string(ref.Kind) != "EnvoyProxy":
		cp.problem = fmt.Sprintf("field %s: %s/%s is not supported; use %s/EnvoyProxy", field, ref.Group, ref.Kind, groupEG)
	case ref.Namespace == nil || *ref.Namespace == "":
		cp.problem = fmt.Sprintf("field %s.namespace: required for an EnvoyProxy, which is namespaced", field)
	default:
		cp.proxy, cp.problem = t.envoyProxy(string(*ref.Namespace), ref.Name, field)
	}
	return cp.problem
}

// applyGatewayParams finds the EnvoyProxy of a Gateway and sets the IP
// family of its IR. When the Gateway's parametersRef or its class's is
// invalid, it marks the Gateway not accepted and returns false: it is not
// served.
func (t *translator) applyGatewayParams(g *gatewayState) bool {
	gw := g.obj
	class := t.classParams[string(gw.Spec.GatewayClassName)]
	problem := ""
	var proxy *egv1a1.EnvoyProxy
	if class != nil {
		proxy = class.proxy
		if class.problem != "" {
			problem = fmt.Sprintf("GatewayClass %s is not accepted: %s", gw.Spec.GatewayClassName, class.problem)
		}
	}
	if inf := gw.Spec.Infrastructure; problem == "" && inf != nil && inf.ParametersRef != nil && t.mergesGateways(gw.Spec.GatewayClassName) {
		// As Envoy Gateway: a merged fleet has its class's EnvoyProxy only.
		loc := t.res.Where("Gateway", gw.Namespace, gw.Name)
		t.warnings = append(t.warnings, fmt.Sprintf("%s: Gateway %s/%s: field spec.infrastructure.parametersRef: ignored; the EnvoyProxy of GatewayClass %s merges its Gateways, which share its settings", loc, gw.Namespace, gw.Name, gw.Spec.GatewayClassName))
	} else if problem == "" && inf != nil && inf.ParametersRef != nil {
		ref := inf.ParametersRef
		const field = "spec.infrastructure.parametersRef"
		var own *egv1a1.EnvoyProxy
		if string(ref.Group) != groupEG || string(ref.Kind) != "EnvoyProxy" {
			problem = fmt.Sprintf("field %s: %s/%s is not supported; use %s/EnvoyProxy", field, ref.Group, ref.Kind, groupEG)
		} else {
			own, problem = t.envoyProxy(gw.Namespace, ref.Name, field)
		}
		proxy = overrideProxy(proxy, own)
	}
	if problem != "" {
		g.status.Conditions = append(g.status.Conditions,
			status.New(status.CondAccepted, false, status.ReasonInvalidParameters, problem),
			status.New(status.CondProgrammed, false, status.ReasonInvalid, "the Gateway is not accepted"))
		return false
	}
	if proxy != nil && proxy.Spec.IPFamily != nil {
		g.ir.IPFamily = string(*proxy.Spec.IPFamily)
	}
	if proxy != nil {
		// envoyProxy checked both halves of a merged EnvoyProxy.
		g.proxy, _, _ = proxySettings(proxy)
	}
	return true
}

// proxySettings reads what an EnvoyProxy configures on the HTTP
// connection managers (access logs, filter order), with the first
// problem that makes it invalid, naming the field, and the fields sluice
// leaves out.
func proxySettings(ep *egv1a1.EnvoyProxy) (*ir.ProxySettings, string, []string) {
	var al *egv1a1.ProxyAccessLog
	if tel := ep.Spec.Telemetry; tel != nil {
		al = tel.AccessLog
	}
	logs, problem, unsupported := accessLogSettings(al)
	if problem != "" {
		return nil, problem, nil
	}
	unsupported = append(unsupported, proxyUnsupported(ep.Spec)...)
	moves, problem := filterOrderSettings(ep.Spec.FilterOrder)
	if problem != "" {
		return nil, problem, nil
	}
	if len(logs) == 0 && len(moves) == 0 {
		return nil, "", unsupported
	}
	return &ir.ProxySettings{AccessLogs: logs, FilterOrder: moves}, "", unsupported
}

// applyProxy binds the listeners of a gateway to the addresses of its IP
// family and gives its listeners the settings of its EnvoyProxy. Access
// logs are written by HTTP connection managers only: a warning names the
// TCP, TLS passthrough and UDP listeners that have none.
func (t *translator) applyProxy(g *gatewayState) {
	applyIPFamily(g.ir)
	var unlogged []string
	for _, l := range g.ir.Listeners {
		l.Proxy = g.proxy
		if l.TCP != nil || slices.ContainsFunc(l.TLSChains, func(c *ir.TLSChain) bool { return !c.HTTP }) {
			unlogged = append(unlogged, l.Name)
		}
	}
	for _, u := range g.ir.UDPListeners {
		unlogged = append(unlogged, u.Name)
	}
	if g.proxy != nil && len(g.proxy.AccessLogs) > 0 && len(unlogged) > 0 {
		loc := t.res.Where("Gateway", g.obj.Namespace, g.obj.Name)
		t.warnings = append(t.warnings, fmt.Sprintf("%s: Gateway %s/%s: its EnvoyProxy's access logs are written for HTTP and HTTPS only; not for %s",
			loc, g.obj.Namespace, g.obj.Name, strings.Join(unlogged, ", ")))
	}
}

// overrideProxy applies Envoy Gateway's rule: a Gateway's EnvoyProxy
// replaces its class's, unless its spec.mergeType asks for a merge; then
// the fields it leaves unset (here: ipFamily, telemetry.accessLog,
// filterOrder) come from the class's.
func overrideProxy(class, own *egv1a1.EnvoyProxy) *egv1a1.EnvoyProxy {
	switch {
	case own == nil:
		return class
	case class == nil || own.Spec.MergeType == nil || *own.Spec.MergeType == egv1a1.Replace:
		return own
	}
	merged := own.DeepCopy()
	if merged.Spec.IPFamily == nil {
		merged.Spec.IPFamily = class.Spec.IPFamily
	}
	if merged.Spec.FilterOrder == nil {
		merged.Spec.FilterOrder = class.Spec.FilterOrder
	}
	if tel := class.Spec.Telemetry; tel != nil && tel.AccessLog != nil {
		if merged.Spec.Telemetry == nil {
			merged.Spec.Telemetry = &egv1a1.ProxyTelemetry{}
		}
		if merged.Spec.Telemetry.AccessLog == nil {
			merged.Spec.Telemetry.AccessLog = tel.AccessLog
		}
	}
	return merged
}

// envoyProxy finds the EnvoyProxy a parametersRef names and checks the
// fields translate reads. field names the reference in the problem.
func (t *translator) envoyProxy(namespace, name, field string) (*egv1a1.EnvoyProxy, string) {
	for _, ep := range t.res.EnvoyProxies {
		if ep.Namespace != namespace || ep.Name != name {
			continue
		}
		if f := ep.Spec.IPFamily; f != nil && *f != egv1a1.IPv4 && *f != egv1a1.IPv6 && *f != egv1a1.DualStack {
			return nil, fmt.Sprintf("field %s: EnvoyProxy %s/%s: field spec.ipFamily: %q is not IPv4, IPv6 or DualStack", field, namespace, name, *f)
		}
		_, problem, unsupported := proxySettings(ep)
		if problem != "" {
			return nil, fmt.Sprintf("field %s: EnvoyProxy %s/%s: %s", field, namespace, name, problem)
		}
		loc := t.res.Where("EnvoyProxy", namespace, name)
		for _, u := range unsupported {
			t.warnOnce(fmt.Sprintf("%s: EnvoyProxy %s/%s: %s", loc, namespace, name, u))
		}
		return ep, ""
	}
	return nil, fmt.Sprintf("field %s.name: EnvoyProxy %s/%s does not exist", field, namespace, name)
}

// applyIPFamily binds the listeners of a gateway to the addresses of its
// IP family: "::" for IPv6; "0.0.0.0" and "::" for DualStack, two sockets
// (the IPv6 one IPv6-only, ipv4_compat false) so that IPv4 clients keep
// their plain addresses.
func applyIPFamily(g *ir.Gateway) {
	addr, more := anyIPv4, []string(nil)
	switch g.IPFamily {
	case ir.IPv6:
		addr = anyIPv6
	case ir.DualStack:
		more = []string{anyIPv6}
	}
	for _, l := range g.Listeners {
		l.Address, l.AdditionalAddresses = addr, more
	}
	for _, u := range g.UDPListeners {
		u.Address, u.AdditionalAddresses = addr, more
	}
}

// warnOnce adds a warning unless it was given already: an EnvoyProxy
// is read once for every Gateway that uses it.
func (t *translator) warnOnce(w string) {
	if !slices.Contains(t.warnings, w) {
		t.warnings = append(t.warnings, w)
	}
}

// proxyProcessFields configure the Envoy process or its deployment,
// which sluice does not run: Envoys are started by whoever runs them,
// with their own bootstrap pointing at sluice.
var proxyProcessFields = map[string]bool{
	"provider": true, "logging": true, "bootstrap": true, "concurrency": true, "extraArgs": true, "shutdown": true,
}

// proxyUnsupported names the fields of an EnvoyProxy spec that sluice
// does not implement, sorted, each saying what becomes of it.
func proxyUnsupported(spec egv1a1.EnvoyProxySpec) []string {
	implemented := map[string]bool{"ipFamily": true, "mergeType": true, "telemetry": true, "filterOrder": true, "mergeGateways": true}
	var out []string
	for _, f := range setFields(spec) {
		switch {
		case implemented[f]:
		case proxyProcessFields[f]:
			out = append(out, fmt.Sprintf("field spec.%s: configures the Envoy process, which sluice does not run; ignored", f))
		default:
			out = append(out, fmt.Sprintf("field spec.%s: not supported by sluice; ignored", f))
		}
	}
	if spec.Telemetry != nil {
		for _, f := range setFields(*spec.Telemetry) {
			if f != "accessLog" {
				out = append(out, fmt.Sprintf("field spec.telemetry.%s: not supported by sluice; ignored", f))
			}
		}
	}
	return out
}

// setFields lists the JSON names of the fields of v (a struct) that are
// set, sorted.
func setFields(v any) []string {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil
	}
	var out []string
	for k, v := range m {
		if s := string(v); s != "null" && s != "{}" && s != "[]" {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
