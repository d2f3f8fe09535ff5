package serve_test

import (
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	clusterservice "github.com/envoyproxy/go-control-plane/envoy/service/cluster/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/sluice-gitops/sluice/serve/revisions"
)

// TestPerTypeCDS: an Envoy configured with a CDS gRPC service of its own
// rather than ADS gets its gateway's clusters, and after it ACKs, the
// clusters of the next revision that changes them (only them: a revision
// that moves an endpoint is not news to CDS).
func TestPerTypeCDS(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOpts{})
	h.apply(t, revision("first"), translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8888, 3000)), revisions.StateApplied)

	conn, err := grpc.NewClient(h.xds, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stream, err := clusterservice.NewClusterDiscoveryServiceClient(conn).StreamClusters(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	node := &corev3.Node{Id: "cds-only", Cluster: "default/eg"}
	if err := stream.Send(&discoveryv3.DiscoveryRequest{Node: node, TypeUrl: resourcev3.ClusterType}); err != nil {
		t.Fatal(err)
	}
	first := recvClusters(t, stream)
	if len(first.names) != 1 || first.names[0] != "backend/default/eg-backend" {
		t.Fatalf("first response: clusters %v, want [backend/default/eg-backend]", first.names)
	}

	h.apply(t, revision("second: endpoints only"), translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8888, 3001)), revisions.StateApplied)
	if err := stream.Send(&discoveryv3.DiscoveryRequest{Node: node, TypeUrl: resourcev3.ClusterType,
		VersionInfo: first.version, ResponseNonce: first.nonce}); err != nil {
		t.Fatal(err)
	}
	h.apply(t, revision("third: other clusters"), translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8888, 3001), extraRouteYAML), revisions.StateApplied)
	second := recvClusters(t, stream)
	if second.version == first.version || len(second.names) != 2 {
		t.Errorf("second response: version %s clusters %v, want a new version and two clusters", second.version, second.names)
	}
}

type clustersResponse struct {
	version, nonce string
	names          []string
}

func recvClusters(t *testing.T, stream clusterservice.ClusterDiscoveryService_StreamClustersClient) clustersResponse {
	t.Helper()
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	out := clustersResponse{version: resp.GetVersionInfo(), nonce: resp.GetNonce()}
	for _, a := range resp.GetResources() {
		var c clusterv3.Cluster
		if err := a.UnmarshalTo(&c); err != nil {
			t.Fatal(err)
		}
		if err := c.ValidateAll(); err != nil {
			t.Errorf("cluster %s: %v", c.GetName(), err)
		}
		out.names = append(out.names, c.GetName())
	}
	return out
}

// extraRouteYAML adds a route to its own Backend, so a cluster, to the
// Gateway of gatewayYAML("eg", ...).
const extraRouteYAML = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: eg-extra
spec:
  parentRefs:
    - name: eg
  hostnames:
    - "extra.example.com"
  rules:
    - backendRefs:
        - group: "gateway.envoyproxy.io"
          kind: Backend
          name: eg-extra
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: eg-extra
spec:
  endpoints:
    - ip:
        address: 0.0.0.0
        port: 5000
`
