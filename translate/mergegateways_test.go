package translate

import (
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

func member(name string, created time.Time, g *ir.Gateway) *gatewayState {
	g.Namespace, g.Name = "default", name
	return &gatewayState{ir: g, obj: &gwapiv1.Gateway{ObjectMeta: metav1.ObjectMeta{
		Namespace: "default", Name: name, CreationTimestamp: metav1.NewTime(created)}}}
}

func TestOlderGateway(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	gs := []*gatewayState{
		member("a", t0.Add(time.Hour), &ir.Gateway{}),
		member("c", t0, &ir.Gateway{}),
		member("b", t0, &ir.Gateway{}),
	}
	slices.SortStableFunc(gs, olderGateway)
	var got []string
	for _, g := range gs {
		got = append(got, g.obj.Name)
	}
	if want := "b c a"; strings.Join(got, " ") != want {
		t.Errorf("order = %v, want %s (age, then name)", got, want)
	}
}

// TestMergeIRs checks the safety net of the IR merge: what an older
// member serves is kept, a clash from a younger one is left out and
// named in a warning.
func TestMergeIRs(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	vh := func(name, domain string) *ir.VirtualHost {
		return &ir.VirtualHost{Name: name, Domains: []string{domain}}
	}
	old := member("old", t0, &ir.Gateway{
		Listeners: []*ir.Listener{
			{Name: "default/old/http", Port: 80, VirtualHosts: []*ir.VirtualHost{vh("default/old/http/a", "a.example.com")}},
			{Name: "default/old/tls", Port: 443, TLSChains: []*ir.TLSChain{{Name: "default/old/tls", ServerNames: []string{"a.example.com"}}}},
		},
		Clusters: []*ir.Cluster{{Name: "backend/default/web"}},
		Secrets:  []*ir.Secret{{Name: "default/cert"}},
	})
	young := member("young", t0.Add(time.Hour), &ir.Gateway{
		Listeners: []*ir.Listener{
			{Name: "default/young/http", Port: 80, VirtualHosts: []*ir.VirtualHost{
				vh("default/young/http/b", "b.example.com"),
				vh("default/young/http/a", "a.example.com"), // clashes
			}},
			{Name: "default/young/tls", Port: 443, TLSChains: []*ir.TLSChain{
				{Name: "default/young/tls", ServerNames: []string{"a.example.com"}}, // clashes
				{Name: "default/young/tls-b", ServerNames: []string{"b.example.com"}},
			}},
			{Name: "default/young/tcp", Port: 5432, TCP: &ir.TCPProxy{Name: "default/young/tcp"}},
		},
		Clusters: []*ir.Cluster{{Name: "backend/default/web", DNS: true}, {Name: "backend/default/api"}},
		Secrets:  []*ir.Secret{{Name: "default/cert"}},
	})
	tr := newTranslator(&Resources{}, Options{})
	got := tr.mergeIRs([]*gatewayState{old, young})

	if got.Namespace != "default" || got.Name != "old" {
		t.Errorf("merged IR is %s/%s, want the oldest member's name", got.Namespace, got.Name)
	}
	var names []string
	for _, l := range got.Listeners {
		names = append(names, l.Name)
		for _, v := range l.VirtualHosts {
			names = append(names, v.Name)
		}
		for _, c := range l.TLSChains {
			names = append(names, c.Name)
		}
	}
	want := "default/old/http default/old/http/a default/young/http/b default/old/tls default/old/tls default/young/tls-b default/young/tcp"
	if strings.Join(names, " ") != want {
		t.Errorf("listeners:\n got %s\nwant %s", strings.Join(names, " "), want)
	}
	if len(got.Clusters) != 2 || got.Clusters[1].Name != "backend/default/web" || got.Clusters[1].DNS {
		t.Errorf("clusters = %+v, want api and the older member's web", got.Clusters)
	}
	if len(got.Secrets) != 1 {
		t.Errorf("secrets = %d, want 1 (shared by name)", len(got.Secrets))
	}
	// The members' own IRs are not changed.
	if n := len(old.ir.Listeners[0].VirtualHosts); n != 1 {
		t.Errorf("older member's listener has %d virtual hosts after the merge, want 1", n)
	}
	for _, w := range []string{"virtual host default/young/http/a", "TLS chain default/young/tls:", "cluster backend/default/web"} {
		if !slices.ContainsFunc(tr.warnings, func(s string) bool { return strings.Contains(s, w) }) {
			t.Errorf("no warning names %q; warnings: %q", w, tr.warnings)
		}
	}
}
