package ir

import (
	"errors"
	"fmt"
)

// RouteOrigin says where an IR route comes from: the route object and the
// Gateway listener it was attached through. Policies use it to find the
// routes their targets cover.
type RouteOrigin struct {
	// Kind is HTTPRoute or GRPCRoute (TCPRoute, TLSRoute or UDPRoute for
	// TCPProxy and UDPListener).
	Kind      string `json:"kind" yaml:"kind"`
	Namespace string `json:"namespace" yaml:"namespace"`
	Name      string `json:"name" yaml:"name"`
	// GatewayNamespace, GatewayName and Listener name the Gateway listener
	// (sectionName) that owns the route's virtual host.
	GatewayNamespace string `json:"gatewayNamespace" yaml:"gatewayNamespace"`
	GatewayName      string `json:"gatewayName" yaml:"gatewayName"`
	Listener         string `json:"listener" yaml:"listener"`
}

// ResponseOverride replaces responses whose status matches a rule with a
// local response (BackendTrafficPolicy responseOverride). Routes with the
// same Name share one custom_response filter.
type ResponseOverride struct {
	// Name identifies the policy the rules come from
	// (KIND/NAMESPACE/NAME, lower-case kind).
	Name string `json:"name" yaml:"name"`
	// Rules are tried in order; the first that matches wins.
	Rules []ResponseOverrideRule `json:"rules" yaml:"rules"`
}

// ResponseOverrideRule matches responses by status code and says what to
// answer instead.
type ResponseOverrideRule struct {
	// StatusCodes match when any of them does.
	StatusCodes []StatusCodeMatch `json:"statusCodes" yaml:"statusCodes"`
	// ContentType, when set, replaces the Content-Type header.
	ContentType string `json:"contentType,omitempty" yaml:"contentType,omitempty"`
	// Body, when set, replaces the body.
	Body *string `json:"body,omitempty" yaml:"body,omitempty"`
	// Status, when set, replaces the status code.
	Status uint32 `json:"status,omitempty" yaml:"status,omitempty"`
}

// StatusCodeMatch is one status code (Value) or an inclusive range
// (Start to End).
type StatusCodeMatch struct {
	Value uint32 `json:"value,omitempty" yaml:"value,omitempty"`
	Start uint32 `json:"start,omitempty" yaml:"start,omitempty"`
	End   uint32 `json:"end,omitempty" yaml:"end,omitempty"`
}

func (o *ResponseOverride) validate() error {
	if o.Name == "" {
		return errors.New("response override has no name")
	}
	if len(o.Rules) == 0 {
		return fmt.Errorf("response override %q has no rules", o.Name)
	}
	for i, r := range o.Rules {
		if len(r.StatusCodes) == 0 {
			return fmt.Errorf("response override %q: rule %d matches no status code", o.Name, i)
		}
		for _, m := range r.StatusCodes {
			switch {
			case m.Value != 0 && (m.Start != 0 || m.End != 0):
				return fmt.Errorf("response override %q: rule %d: a match is both a value and a range", o.Name, i)
			case m.Value == 0 && (m.Start < 100 || m.End > 599 || m.Start > m.End):
				return fmt.Errorf("response override %q: rule %d: range %d-%d is not within 100-599", o.Name, i, m.Start, m.End)
			case m.Value != 0 && (m.Value < 100 || m.Value > 599):
				return fmt.Errorf("response override %q: rule %d: status %d is not within 100-599", o.Name, i, m.Value)
			}
		}
	}
	return nil
}
