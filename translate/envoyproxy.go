package translate

import (
	"fmt"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
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
	if inf := gw.Spec.Infrastructure; problem == "" && inf != nil && inf.ParametersRef != nil {
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
			cond(CondAccepted, false, ReasonInvalidParameters, problem),
			cond(CondProgrammed, false, ReasonInvalid, "the Gateway is not accepted"))
		return false
	}
	if proxy != nil && proxy.Spec.IPFamily != nil {
		g.ir.IPFamily = string(*proxy.Spec.IPFamily)
	}
	return true
}

// overrideProxy applies Envoy Gateway's rule: a Gateway's EnvoyProxy
// replaces its class's, unless its spec.mergeType asks for a merge; then
// the fields it leaves unset (here: ipFamily) come from the class's.
func overrideProxy(class, own *egv1a1.EnvoyProxy) *egv1a1.EnvoyProxy {
	switch {
	case own == nil:
		return class
	case class == nil || own.Spec.MergeType == nil || *own.Spec.MergeType == egv1a1.Replace:
		return own
	case own.Spec.IPFamily == nil:
		merged := own.DeepCopy()
		merged.Spec.IPFamily = class.Spec.IPFamily
		return merged
	}
	return own
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
