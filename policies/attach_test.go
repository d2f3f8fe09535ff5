package policies

import (
	"fmt"
	"strings"
	"testing"
	"time"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/status"
)

// testTargets: Gateway eg with listeners http and admin; HTTPRoutes www
// and api through http, admin through admin; GRPCRoute echo through http.
var testTargets = Targets{
	Gateways: []Gateway{{Namespace: "default", Name: "eg", Labels: map[string]string{"tier": "edge"}, Listeners: []string{"http", "admin"}}},
	Routes: []Route{
		{Kind: KindHTTPRoute, Namespace: "default", Name: "www", Labels: map[string]string{"team": "web"}, Parents: []Parent{{"default", "eg", "http"}}},
		{Kind: KindHTTPRoute, Namespace: "default", Name: "api", Labels: map[string]string{"team": "api"}, Parents: []Parent{{"default", "eg", "http"}}},
		{Kind: KindHTTPRoute, Namespace: "default", Name: "admin", Parents: []Parent{{"default", "eg", "admin"}}},
		{Kind: KindGRPCRoute, Namespace: "default", Name: "echo", Parents: []Parent{{"default", "eg", "http"}}},
	},
}

// on returns a policy named name that targets kind/name[/section],
// created at minute min.
func on(name string, min int, kind, target, section string) Policy {
	ref := gwapiv1.LocalPolicyTargetReferenceWithSectionName{
		LocalPolicyTargetReference: gwapiv1.LocalPolicyTargetReference{Group: gwapiv1.GroupName, Kind: gwapiv1.Kind(kind), Name: gwapiv1.ObjectName(target)},
	}
	if section != "" {
		s := gwapiv1.SectionName(section)
		ref.SectionName = &s
	}
	return Policy{Kind: "BackendTrafficPolicy", Namespace: "default", Name: name,
		Created: time.Date(2024, 1, 1, 0, min, 0, 0, time.UTC),
		Targets: egv1a1.PolicyTargetReferences{TargetRefs: []gwapiv1.LocalPolicyTargetReferenceWithSectionName{ref}}}
}

func selecting(name, kind string, labels map[string]string) Policy {
	return Policy{Kind: "BackendTrafficPolicy", Namespace: "default", Name: name,
		Targets: egv1a1.PolicyTargetReferences{TargetSelectors: []egv1a1.TargetSelector{{Kind: gwapiv1.Kind(kind), MatchLabels: labels}}}}
}

// summary prints a policy's status as "reason[;reason...]" over its own
// conditions and its ancestors' (type=reason for non-Accepted types).
func summary(s *status.Object) string {
	var parts []string
	for _, c := range s.Conditions {
		parts = append(parts, c.Reason)
	}
	for _, a := range s.Ancestors {
		for _, c := range a.Conditions {
			parts = append(parts, a.AncestorRef+":"+c.Reason)
		}
	}
	return strings.Join(parts, ";")
}

// attachCase is a case of TestAttach: policies attached to testTargets.
type attachCase struct {
	policies []Policy
	// effective names the policy in force per route@listener; "-" none.
	effective map[string]string
	// status is the summary of the status of a policy, by name.
	status map[string]string
}

// attachCases are the cases of TestAttach, by name.
var attachCases = map[string]attachCase{
	"gateway policy reaches every route": {
		policies:  []Policy{on("gw", 0, KindGateway, "eg", "")},
		effective: map[string]string{"www@http": "gw", "admin@admin": "gw", "echo@http": "gw"},
		status:    map[string]string{"gw": "default/eg:Accepted"},
	},
	"route beats gateway": {
		policies:  []Policy{on("gw", 0, KindGateway, "eg", ""), on("rt", 5, KindHTTPRoute, "www", "")},
		effective: map[string]string{"www@http": "rt", "api@http": "gw"},
		status:    map[string]string{"gw": "default/eg:Accepted;default/eg:Overridden", "rt": "default/eg:Accepted"},
	},
	"listener beats gateway, only on its listener": {
		policies:  []Policy{on("gw", 0, KindGateway, "eg", ""), on("ls", 0, KindGateway, "eg", "admin")},
		effective: map[string]string{"admin@admin": "ls", "www@http": "gw"},
		status:    map[string]string{"gw": "default/eg:Accepted;default/eg:Overridden", "ls": "default/eg/admin:Accepted"},
	},
	"route beats listener": {
		policies:  []Policy{on("ls", 0, KindGateway, "eg", "http"), on("rt", 9, KindGRPCRoute, "echo", "")},
		effective: map[string]string{"echo@http": "rt", "www@http": "ls", "admin@admin": "-"},
		status:    map[string]string{"ls": "default/eg/http:Accepted;default/eg/http:Overridden", "rt": "default/eg:Accepted"},
	},
	"older wins a conflict": {
		policies:  []Policy{on("a", 7, KindHTTPRoute, "www", ""), on("z", 1, KindHTTPRoute, "www", "")},
		effective: map[string]string{"www@http": "z"},
		status:    map[string]string{"a": "default/eg:Conflicted", "z": "default/eg:Accepted"},
	},
	"same age: namespace/name wins": {
		policies:  []Policy{on("b", 0, KindGateway, "eg", ""), on("a", 0, KindGateway, "eg", "")},
		effective: map[string]string{"www@http": "a"},
		status:    map[string]string{"a": "default/eg:Accepted", "b": "default/eg:Conflicted"},
	},
	"a conflicted route policy does not override": {
		policies:  []Policy{on("gw", 0, KindGateway, "eg", ""), on("r1", 1, KindHTTPRoute, "api", ""), on("r2", 2, KindHTTPRoute, "api", "")},
		effective: map[string]string{"api@http": "r1", "www@http": "gw"},
		status:    map[string]string{"r2": "default/eg:Conflicted", "gw": "default/eg:Accepted;default/eg:Overridden"},
	},
	"missing targets": {
		policies: []Policy{on("nope", 0, KindHTTPRoute, "nope", ""), on("ls", 0, KindGateway, "eg", "https"),
			on("kind", 0, "TCPRoute", "www", ""), on("gw", 0, KindGateway, "other", "")},
		effective: map[string]string{"www@http": "-"},
		status:    map[string]string{"nope": "TargetNotFound", "ls": "Invalid", "kind": "Invalid", "gw": "TargetNotFound"},
	},
	"no target at all": {
		policies: []Policy{{Kind: "BackendTrafficPolicy", Namespace: "default", Name: "none"}},
		status:   map[string]string{"none": "Invalid"},
	},
	"other namespace": {
		policies:  []Policy{func() Policy { p := on("elsewhere", 0, KindGateway, "eg", ""); p.Namespace = "team"; return p }()},
		effective: map[string]string{"www@http": "-"},
		status:    map[string]string{"elsewhere": "TargetNotFound"},
	},
	"selectors": {
		policies:  []Policy{selecting("web", KindHTTPRoute, map[string]string{"team": "web"}), selecting("edge", KindGateway, map[string]string{"tier": "edge"})},
		effective: map[string]string{"www@http": "web", "api@http": "edge"},
		status:    map[string]string{"web": "default/eg:Accepted", "edge": "default/eg:Accepted;default/eg:Overridden"},
	},
}

func TestAttach(t *testing.T) {
	t.Parallel()
	for name, tc := range attachCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := Attach(tc.policies, testTargets)
			checkEffective(t, a, tc)
			checkAttachStatus(t, a, tc)
		})
	}
}

// checkEffective checks the policy in force on each route@listener of tc.
func checkEffective(t *testing.T, a *Attachments, tc attachCase) {
	t.Helper()
	for where, want := range tc.effective {
		route, listener, _ := strings.Cut(where, "@")
		kind := KindHTTPRoute
		if route == "echo" {
			kind = KindGRPCRoute
		}
		got := "-"
		if i := a.Effective(kind, "default", route, Parent{"default", "eg", listener}); i >= 0 {
			got = tc.policies[i].Name
		}
		if got != want {
			t.Errorf("in force on %s: %s, want %s", where, got, want)
		}
	}
}

// checkAttachStatus checks the status summary of each policy of tc that
// tc.status names.
func checkAttachStatus(t *testing.T, a *Attachments, tc attachCase) {
	t.Helper()
	for i, p := range tc.policies {
		want, ok := tc.status[p.Name]
		if !ok {
			continue
		}
		if got := summary(a.Status(i)); got != want {
			t.Errorf("status of %s: %s, want %s\n%s", p.Name, got, want, fmt.Sprintf("%+v", a.Status(i)))
		}
	}
}

// TestAttachmentsExplain checks that a policy's status says where it is
// in force, where it lost to a more specific policy (naming it) and which
// older policy holds a target it lost, and that long lists are capped.
func TestAttachmentsExplain(t *testing.T) {
	ps := []Policy{
		on("gateway-wide", 0, KindGateway, "eg", ""),
		on("admin-listener", 1, KindGateway, "eg", "admin"),
		on("www-route", 2, KindHTTPRoute, "www", ""),
		on("www-later", 3, KindHTTPRoute, "www", ""),
	}
	a := Attach(ps, testTargets)
	gw := a.Status(0).Attachments
	if len(gw) != 1 || gw[0].Target != "Gateway default/eg" {
		t.Fatalf("gateway-wide attachments %+v", gw)
	}
	if got := strings.Join(gw[0].InForce, "|"); got != "GRPCRoute default/echo on listener http|HTTPRoute default/api on listener http" {
		t.Errorf("gateway-wide in force on %q", got)
	}
	want := []string{
		"HTTPRoute default/admin on listener admin (by BackendTrafficPolicy default/admin-listener on Gateway default/eg listener admin)",
		"HTTPRoute default/www on listener http (by BackendTrafficPolicy default/www-route on HTTPRoute default/www)",
	}
	if fmt.Sprint(gw[0].Overridden) != fmt.Sprint(want) {
		t.Errorf("gateway-wide overridden on\n%q\nwant\n%q", gw[0].Overridden, want)
	}
	if late := a.Status(3).Attachments; len(late) != 1 || late[0].LostTo != "the older BackendTrafficPolicy default/www-route" || len(late[0].InForce) != 0 {
		t.Errorf("www-later attachments %+v", late)
	}

	many := make([]string, 25)
	for i := range many {
		many[i] = fmt.Sprintf("route %02d", i)
	}
	capped := capNotes(append(many, many[0]))
	if len(capped) != maxNotes+1 || capped[0] != "route 00" || capped[maxNotes] != "and 15 more" {
		t.Errorf("capNotes = %q", capped)
	}
}
