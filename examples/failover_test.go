package examples

import (
	"os"
	"testing"

	"github.com/sluice-gitops/sluice/translate"
)

// TestFailoverHealthChecks checks that the failover example's policy is
// accepted with nothing ignored and that the failover cluster Envoy gets
// checks its endpoints actively and passively.
func TestFailoverHealthChecks(t *testing.T) {
	res, err := translate.Translate(os.DirFS("failover"), translate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Status {
		if s.Kind != "BackendTrafficPolicy" {
			continue
		}
		if len(s.Ancestors) == 0 {
			t.Fatalf("%s %s/%s has no ancestor", s.Kind, s.Namespace, s.Name)
		}
		for _, a := range s.Ancestors {
			for _, c := range a.Conditions {
				if c.Type == "Accepted" && (c.Status != "True" || c.Message != "Policy has been accepted.") {
					t.Errorf("%s/%s on %s: %+v", s.Namespace, s.Name, a.AncestorRef, c)
				}
			}
		}
	}
	g := res.Gateway("envoy-gateway", "gateway-1")
	if g == nil {
		t.Fatal("gateway-1 is not served")
	}
	checked := 0
	for _, c := range g.Clusters {
		if len(c.GetLoadAssignment().GetEndpoints()) > 1 || c.GetCommonLbConfig().GetLocalityWeightedLbConfig() != nil {
			if len(c.GetHealthChecks()) != 1 || c.GetOutlierDetection() == nil {
				t.Errorf("failover cluster %s: health checks %v, outlier detection %v", c.GetName(), c.GetHealthChecks(), c.GetOutlierDetection())
			}
			checked++
		}
	}
	if checked != 1 {
		t.Errorf("%d failover clusters, want 1", checked)
	}
}
