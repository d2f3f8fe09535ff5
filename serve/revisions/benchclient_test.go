package revisions

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// The scale benchmark's Envoys run in a child process (this test binary,
// running TestBenchEnvoys), so that the benchmark's heap is the server's
// alone. Each is a minimal ADS client on its own connection: it subscribes
// as Envoy does (CDS and LDS wildcard, EDS and RDS by name) and ACKs every
// response without decoding the resources.

// benchEnvoysEnv names the JSON file of a benchEnvoys; set, it makes
// TestBenchEnvoys run them.
const benchEnvoysEnv = "SLUICE_BENCH_ENVOYS"

type benchEnvoys struct {
	Addr     string         `json:"addr"`
	Gateways []benchGateway `json:"gateways"`
	PerGW    int            `json:"perGateway"`
	// DeltaEvery makes every DeltaEvery-th Envoy use delta xDS (0: none).
	DeltaEvery int `json:"deltaEvery"`
}

type benchGateway struct {
	Key       string   `json:"key"`
	Endpoints []string `json:"endpoints"`
	Routes    []string `json:"routes"`
}

// TestBenchEnvoys is the child process of BenchmarkRevisionToAllACKs; it
// skips unless started by it. It prints "connected" once every stream is
// open and runs until its stdin closes.
func TestBenchEnvoys(t *testing.T) {
	file := os.Getenv(benchEnvoysEnv)
	if file == "" {
		t.Skip("started by BenchmarkRevisionToAllACKs only")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var cfg benchEnvoys
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	n := 0
	for _, gw := range cfg.Gateways {
		for i := range cfg.PerGW {
			conn, err := grpc.NewClient(cfg.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			node := &corev3.Node{Id: fmt.Sprintf("envoy-%s-%d", gw.Key, i), Cluster: gw.Key}
			delta := cfg.DeltaEvery > 0 && n%cfg.DeltaEvery == 0
			n++
			ads := discoveryv3.NewAggregatedDiscoveryServiceClient(conn)
			run := runSotwEnvoy
			if delta {
				run = runDeltaEnvoy
			}
			wg.Go(func() {
				if err := run(ctx, ads, node, gw); err != nil && ctx.Err() == nil {
					select {
					case errs <- err:
					default:
					}
				}
			})
		}
	}
	fmt.Println("connected")
	done := make(chan struct{})
	go func() {
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		close(done)
	}()
	select {
	case <-done:
	case err := <-errs:
		t.Error(err)
	}
	cancel()
	wg.Wait()
}

func runSotwEnvoy(ctx context.Context, ads discoveryv3.AggregatedDiscoveryServiceClient, node *corev3.Node, gw benchGateway) error {
	st, err := ads.StreamAggregatedResources(ctx)
	if err != nil {
		return err
	}
	names := map[string][]string{resourcev3.EndpointType: gw.Endpoints, resourcev3.RouteType: gw.Routes}
	for i, typ := range []string{resourcev3.ClusterType, resourcev3.ListenerType, resourcev3.EndpointType, resourcev3.RouteType} {
		req := &discoveryv3.DiscoveryRequest{TypeUrl: typ, ResourceNames: names[typ]}
		if i == 0 {
			req.Node = node
		}
		if err := st.Send(req); err != nil {
			return err
		}
	}
	for {
		resp, err := st.Recv()
		if err != nil {
			return err
		}
		typ := resp.GetTypeUrl()
		if err := st.Send(&discoveryv3.DiscoveryRequest{TypeUrl: typ, VersionInfo: resp.GetVersionInfo(), ResponseNonce: resp.GetNonce(), ResourceNames: names[typ]}); err != nil {
			return err
		}
	}
}

func runDeltaEnvoy(ctx context.Context, ads discoveryv3.AggregatedDiscoveryServiceClient, node *corev3.Node, gw benchGateway) error {
	st, err := ads.DeltaAggregatedResources(ctx)
	if err != nil {
		return err
	}
	names := map[string][]string{resourcev3.EndpointType: gw.Endpoints, resourcev3.RouteType: gw.Routes}
	for i, typ := range []string{resourcev3.ClusterType, resourcev3.ListenerType, resourcev3.EndpointType, resourcev3.RouteType} {
		req := &discoveryv3.DeltaDiscoveryRequest{TypeUrl: typ, ResourceNamesSubscribe: names[typ]}
		if i == 0 {
			req.Node = node
		}
		if err := st.Send(req); err != nil {
			return err
		}
	}
	for {
		resp, err := st.Recv()
		if err != nil {
			return err
		}
		if err := st.Send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resp.GetTypeUrl(), ResponseNonce: resp.GetNonce()}); err != nil {
			return err
		}
	}
}
