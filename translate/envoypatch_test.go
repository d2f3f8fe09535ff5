package translate

import (
	"strings"
	"testing"
	"time"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSortedPatchPolicies(t *testing.T) {
	t.Parallel()
	at := func(s int) metav1.Time { return metav1.NewTime(time.Unix(int64(s), 0)) }
	p := func(ns, name string, prio int32, created metav1.Time) *egv1a1.EnvoyPatchPolicy {
		return &egv1a1.EnvoyPatchPolicy{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: created},
			Spec:       egv1a1.EnvoyPatchPolicySpec{Priority: prio},
		}
	}
	in := []*egv1a1.EnvoyPatchPolicy{
		p("b", "late", 0, at(20)),
		p("b", "z", 0, at(10)),
		p("a", "z", 0, at(10)),
		p("a", "y", 0, at(10)),
		p("a", "last", 5, at(1)),
		p("a", "first", -3, at(30)),
	}
	var got []string
	for _, x := range sortedPatchPolicies(in) {
		got = append(got, x.Namespace+"/"+x.Name)
	}
	want := "a/first a/y a/z b/z b/late a/last"
	if strings.Join(got, " ") != want {
		t.Errorf("order %v, want %s", got, want)
	}
	if in[0].Name != "late" {
		t.Error("the input slice was reordered")
	}
}

func patchOp(op, path, value string) egv1a1.JSONPatchOperation {
	o := egv1a1.JSONPatchOperation{Op: egv1a1.JSONPatchOperationType(op), Path: &path}
	if value != "" {
		o.Value = &apiextensionsv1.JSON{Raw: []byte(value)}
	}
	return o
}

// A policy is applied all or none: a failing patch after a good one
// leaves the Gateway's resources as they were.
func TestPatchGatewayAllOrNothing(t *testing.T) {
	t.Parallel()
	orig := &clusterv3.Cluster{
		Name:                 "c",
		ConnectTimeout:       durationpb.New(time.Second),
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
	}
	g := &GatewayResult{Namespace: "ns", Name: "gw", Clusters: []*clusterv3.Cluster{orig}}
	cluster := egv1a1.ClusterEnvoyResourceType
	good := egv1a1.EnvoyJSONPatchConfig{Type: cluster, Name: "c", Operation: patchOp("replace", "/connect_timeout", `"5s"`)}
	bad := egv1a1.EnvoyJSONPatchConfig{Type: cluster, Name: "c", Operation: patchOp("test", "/name", `"other"`)}

	if _, fail := patchGateway(g, []egv1a1.EnvoyJSONPatchConfig{good, bad}); fail == nil || !strings.Contains(fail.message, "spec.jsonPatches[1]") {
		t.Fatalf("failure %+v, want one naming spec.jsonPatches[1]", fail)
	}
	if g.Clusters[0] != orig || orig.GetConnectTimeout().AsDuration() != time.Second {
		t.Fatalf("the failed policy changed the Gateway: %v", g.Clusters[0])
	}

	out, fail := patchGateway(g, []egv1a1.EnvoyJSONPatchConfig{good})
	if fail != nil {
		t.Fatalf("good patch failed: %+v", fail)
	}
	if got := out.Clusters[0].GetConnectTimeout().AsDuration(); got != 5*time.Second {
		t.Errorf("patched connect_timeout %v, want 5s", got)
	}
	if orig.GetConnectTimeout().AsDuration() != time.Second {
		t.Error("patching changed the original message")
	}
}

// Messages about a Secret never quote what the patch wrote into it.
func TestPatchSecretMessagesWithhold(t *testing.T) {
	t.Parallel()
	g := &GatewayResult{Namespace: "ns", Name: "gw"}
	const material = "TOP SECRET MATERIAL!"
	patches := []egv1a1.EnvoyJSONPatchConfig{{
		Type:      egv1a1.SecretEnvoyResourceType,
		Operation: patchOp("add", "", `{"name":"s","tls_certificate":{"private_key":{"inline_bytes":"`+material+`"}}}`),
	}}
	_, fail := patchGateway(g, patches)
	if fail == nil {
		t.Fatal("an invalid Secret was added")
	}
	if strings.Contains(fail.message, material) || strings.Contains(fail.message, "SECRET MATERIAL") {
		t.Errorf("message quotes the secret: %s", fail.message)
	}
}
