package policies

import (
	"reflect"

	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

// A Plan is the BackendTrafficPolicies and SecurityPolicies of one
// revision, validated and attached before the IR is built, so that the
// IR is built with what they do rather than edited afterwards:
//
//   - NewPlan computes what each policy does once (btpSpec, spSpec) and
//     attaches the policies to their targets;
//   - while translate builds the routes of a virtual host, InForce names
//     the policies in force on each route and ApplyRoute writes what they
//     do into it;
//   - once a Gateway's routes are built, FinishGateway adds the clusters
//     and secrets they need (cluster copies, JWKS and token endpoints,
//     OIDC secrets) and applies the policies to its TCP, TLS and UDP
//     routes;
//   - Status gives the policies' status.
//
// What a policy does is not changed once computed, and a Plan made with
// the last one keeps the last one's values where they are equal: so an
// InForce is equal (==) from one translation to the next while the
// policies in force on a route are, and translate may keep a virtual host
// built under them (translate/incremental.go). Cluster copies are kept
// the same way, so that their xDS is kept too.
//
// ClientTrafficPolicies concern listeners only and are applied to the
// built IR (ApplyClientTrafficPolicies).
type Plan struct {
	btp *btpPlan // nil without BackendTrafficPolicies
	sp  *spPlan  // nil without SecurityPolicies
	// copies are the cluster copies of this Plan and, until Status, the
	// last one's (btp_cluster_copies.go).
	copies copyMemo
}

// PlanInput is what NewPlan reads.
type PlanInput struct {
	BackendTraffic BackendTrafficInput
	Security       SecurityInput
}

// NewPlan validates and attaches the policies of in. last, if not nil, is
// the Plan of the last translation, whose values this one keeps where
// they are equal. A Plan is used by one translation; it is safe to read
// as another's last Plan.
func NewPlan(in PlanInput, last *Plan) *Plan {
	p := &Plan{copies: copyMemo{made: map[copyKey]*ir.Cluster{}}}
	var lastBTP *btpPlan
	var lastSP *spPlan
	if last != nil {
		lastBTP, lastSP, p.copies.last = last.btp, last.sp, last.copies.made
	}
	if len(in.BackendTraffic.Policies) > 0 {
		p.btp = newBTPPlan(in.BackendTraffic, lastBTP)
	}
	if len(in.Security.Policies) > 0 {
		p.sp = newSPPlan(in.Security, lastSP)
	}
	return p
}

// InForce names the policies in force on a route. It is comparable: two
// are equal when the same policies do the same to the route.
type InForce struct {
	btp *btpFeatures
	sp  *spFeatures
}

// InForce returns the policies in force on the route of o. A nil Plan
// has none.
func (p *Plan) InForce(o *ir.RouteOrigin) InForce {
	var f InForce
	if p == nil {
		return f
	}
	if p.btp != nil {
		f.btp = effective(p.btp.att, p.btp.features, o)
	}
	if p.sp != nil {
		f.sp = effective(p.sp.att, p.sp.features, o)
	}
	return f
}

// effective returns the features of the policy att has in force on the
// route of o, or nil; features are by policy, as given to Attach.
func effective[F any](att *Attachments, features []*F, o *ir.RouteOrigin) *F {
	if j := att.Effective(o.Kind, o.Namespace, o.Name, originParent(o)); j >= 0 {
		return features[j]
	}
	return nil
}

// ApplyRoute writes into route r what the policies f do: first the
// BackendTrafficPolicy's, then the SecurityPolicy's (which may make it
// fail closed). r is a route just built, its Backends possibly shared
// with other routes of its rule (they are copied before being changed).
func (p *Plan) ApplyRoute(r *ir.Route, f InForce) {
	if f.btp != nil {
		f.btp.applyRoute(r)
	}
	if f.sp != nil {
		f.sp.applyRoute(r)
	}
}

// FinishGateway adds to g, whose routes are built, the clusters and
// secrets its routes' policies need, applies the BackendTrafficPolicies
// to its TCP, TLS and UDP routes and removes the clusters that cluster
// copies replaced. g.Clusters is left unsorted.
func (p *Plan) FinishGateway(g *ir.Gateway) {
	if p == nil {
		return
	}
	if p.btp != nil {
		p.btp.finish(g, &p.copies)
	}
	if p.sp != nil {
		p.sp.finish(g)
	}
}

// Status returns the status of every BackendTrafficPolicy and
// SecurityPolicy, each in input order, once every Gateway is finished.
func (p *Plan) Status() (backendTraffic, security []*status.Object) {
	if p == nil {
		return nil, nil
	}
	p.copies.last = nil // the last Plan's copies are needed no more
	if p.btp != nil {
		backendTraffic = p.btp.status()
	}
	if p.sp != nil {
		security = p.sp.status()
	}
	return backendTraffic, security
}

// interned returns last when it equals f, else f.
func interned[T any](f, last *T) *T {
	if last != nil && reflect.DeepEqual(f, last) {
		return last
	}
	return f
}

// originParent is the Gateway listener a route of origin o is reached
// through.
func originParent(o *ir.RouteOrigin) Parent {
	return Parent{Namespace: o.GatewayNamespace, Name: o.GatewayName, Listener: o.Listener}
}
