package bootstrap_test

import (
	"bytes"
	"errors"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"

	"github.com/sluice-gitops/sluice/serve/bootstrap"
)

// roundTrip renders b as YAML and parses it back as Envoy would read it.
func roundTrip(t *testing.T, b *bootstrapv3.Bootstrap) (*bootstrapv3.Bootstrap, []byte) {
	t.Helper()
	out, err := bootstrap.YAML(b)
	if err != nil {
		t.Fatal(err)
	}
	js, err := yaml.YAMLToJSON(out)
	if err != nil {
		t.Fatalf("parse yaml: %v\n%s", err, out)
	}
	var back bootstrapv3.Bootstrap
	if err := protojson.Unmarshal(js, &back); err != nil {
		t.Fatalf("unmarshal bootstrap: %v\n%s", err, out)
	}
	if err := back.ValidateAll(); err != nil {
		t.Fatalf("ValidateAll: %v\n%s", err, out)
	}
	return &back, out
}

func TestBuild(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		opts        bootstrap.Options
		nodeID      string
		cluster     string
		xdsHost     string
		xdsPort     uint32
		discovery   clusterv3.Cluster_DiscoveryType
		adminHost   string
		adminPort   uint32
		wantYAMLHas []string
	}{
		"defaults": {
			opts:   bootstrap.Options{Gateway: "eg"},
			nodeID: "envoy-default-eg", cluster: "default/eg",
			xdsHost: "127.0.0.1", xdsPort: 18000, discovery: clusterv3.Cluster_STATIC,
			adminHost: "127.0.0.1", adminPort: 19001,
			wantYAMLHas: []string{"set_node_on_first_message_only: true", "envoy.extensions.upstreams.http.v3.HttpProtocolOptions", "http2_protocol_options: {}", "connect_timeout: 5s"},
		},
		"dns host": {
			opts:   bootstrap.Options{Gateway: "infra/public-gw", XDSAddress: "sluice.infra.svc:18000", NodeID: "edge-1", AdminAddress: "0.0.0.0:9901"},
			nodeID: "edge-1", cluster: "infra/public-gw",
			xdsHost: "sluice.infra.svc", xdsPort: 18000, discovery: clusterv3.Cluster_STRICT_DNS,
			adminHost: "0.0.0.0", adminPort: 9901,
		},
		"ipv6": {
			opts:   bootstrap.Options{Gateway: "ns/gw", XDSAddress: "[::1]:18001", AdminAddress: "[::1]:19002"},
			nodeID: "envoy-ns-gw", cluster: "ns/gw",
			xdsHost: "::1", xdsPort: 18001, discovery: clusterv3.Cluster_STATIC,
			adminHost: "::1", adminPort: 19002,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := bootstrap.Build(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got, out := roundTrip(t, b)
			if got.GetNode().GetCluster() != tc.cluster || got.GetNode().GetId() != tc.nodeID {
				t.Errorf("node = %v, want id %q cluster %q", got.GetNode(), tc.nodeID, tc.cluster)
			}
			clusters := got.GetStaticResources().GetClusters()
			if len(clusters) != 1 || clusters[0].GetName() != bootstrap.XDSCluster {
				t.Fatalf("static clusters = %v", clusters)
			}
			xds := clusters[0]
			if xds.GetType() != tc.discovery {
				t.Errorf("xds cluster type = %v, want %v", xds.GetType(), tc.discovery)
			}
			sa := xds.GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress()
			if sa.GetAddress() != tc.xdsHost || sa.GetPortValue() != tc.xdsPort {
				t.Errorf("xds address = %s:%d, want %s:%d", sa.GetAddress(), sa.GetPortValue(), tc.xdsHost, tc.xdsPort)
			}
			admin := got.GetAdmin().GetAddress().GetSocketAddress()
			if admin.GetAddress() != tc.adminHost || admin.GetPortValue() != tc.adminPort {
				t.Errorf("admin address = %s:%d, want %s:%d", admin.GetAddress(), admin.GetPortValue(), tc.adminHost, tc.adminPort)
			}
			grpc := got.GetDynamicResources().GetAdsConfig().GetGrpcServices()
			if len(grpc) != 1 || grpc[0].GetEnvoyGrpc().GetClusterName() != bootstrap.XDSCluster {
				t.Errorf("ads grpc services = %v", grpc)
			}
			if got.GetDynamicResources().GetCdsConfig().GetAds() == nil || got.GetDynamicResources().GetLdsConfig().GetAds() == nil {
				t.Error("cds/lds config is not ADS")
			}
			for _, want := range tc.wantYAMLHas {
				if !bytes.Contains(out, []byte(want)) {
					t.Errorf("yaml lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestBuildDeterministic(t *testing.T) {
	t.Parallel()
	render := func() []byte {
		b, err := bootstrap.Build(bootstrap.Options{Gateway: "default/eg"})
		if err != nil {
			t.Fatal(err)
		}
		out, err := bootstrap.YAML(b)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if a, b := render(), render(); !bytes.Equal(a, b) {
		t.Errorf("two renders differ:\n%s\n---\n%s", a, b)
	}
}

func TestBuildRejects(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		opts bootstrap.Options
		want error
	}{
		"three parts":      {bootstrap.Options{Gateway: "a/b/c"}, bootstrap.ErrInvalidGateway},
		"empty":            {bootstrap.Options{}, bootstrap.ErrInvalidGateway},
		"empty namespace":  {bootstrap.Options{Gateway: "/x"}, bootstrap.ErrInvalidGateway},
		"empty name":       {bootstrap.Options{Gateway: "x/"}, bootstrap.ErrInvalidGateway},
		"uppercase":        {bootstrap.Options{Gateway: "Default/EG"}, bootstrap.ErrInvalidGateway},
		"no port":          {bootstrap.Options{Gateway: "eg", XDSAddress: "127.0.0.1"}, bootstrap.ErrInvalidAddress},
		"no host":          {bootstrap.Options{Gateway: "eg", XDSAddress: ":18000"}, bootstrap.ErrInvalidAddress},
		"port zero":        {bootstrap.Options{Gateway: "eg", XDSAddress: "sluice:0"}, bootstrap.ErrInvalidAddress},
		"port too big":     {bootstrap.Options{Gateway: "eg", XDSAddress: "sluice:70000"}, bootstrap.ErrInvalidAddress},
		"port not number":  {bootstrap.Options{Gateway: "eg", XDSAddress: "sluice:grpc"}, bootstrap.ErrInvalidAddress},
		"admin not ip":     {bootstrap.Options{Gateway: "eg", AdminAddress: "localhost:19001"}, bootstrap.ErrInvalidAddress},
		"admin bad format": {bootstrap.Options{Gateway: "eg", AdminAddress: "19001"}, bootstrap.ErrInvalidAddress},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := bootstrap.Build(tc.opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Build(%+v) = %v, %v; want error %v", tc.opts, b, err, tc.want)
			}
		})
	}
}
