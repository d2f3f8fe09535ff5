// Command fakeenvoy stands in for Envoy in envoyproc's tests, where it
// matters to a supervisor: it takes Envoy's flags, reads and validates the
// bootstrap, serves an admin endpoint whose address it writes to
// --admin-address-path (POST /drain_listeners), dials the bootstrap's ADS
// cluster with node.id and node.cluster and ACKs listeners, logs in
// Envoy's format to stderr, and exits on SIGTERM. It crashes (exit 1)
// while the file named by FAKEENVOY_CRASH exists, at start or later.
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	sotw "github.com/envoyproxy/go-control-plane/pkg/client/sotw/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"
)

func logf(level, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s][%d][%s][main] %s\n", time.Now().Format("2006-01-02 15:04:05.000"), os.Getpid(), level, fmt.Sprintf(format, args...))
}

func flags() map[string]string {
	f := map[string]string{}
	args := os.Args[1:]
	for i := 0; i+1 < len(args); i += 2 {
		f[args[i]] = args[i+1]
	}
	return f
}

func crashing() bool {
	name := os.Getenv("FAKEENVOY_CRASH")
	_, err := os.Stat(name)
	return name != "" && err == nil
}

func main() {
	logf("info", "args: %s", strings.Join(os.Args[1:], " "))
	if crashing() {
		logf("critical", "told to crash")
		os.Exit(1)
	}
	f := flags()
	b, err := readBootstrap(f["--config-path"])
	if err != nil {
		logf("critical", "error initializing configuration '%s': %v", f["--config-path"], err)
		os.Exit(1)
	}
	logf("info", "node %s cluster %s restart epoch %s", b.GetNode().GetId(), b.GetNode().GetCluster(), f["--restart-epoch"])
	admin, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /drain_listeners", func(w http.ResponseWriter, r *http.Request) {
		logf("info", "draining listeners (%s)", r.URL.RawQuery)
	})
	go http.Serve(admin, mux)
	os.WriteFile(f["--admin-address-path"], []byte(admin.Addr().String()), 0o644)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go ads(ctx, b)
	for {
		select {
		case <-ctx.Done():
			logf("warning", "caught SIGTERM")
			logf("info", "exiting")
			return
		case <-time.After(20 * time.Millisecond):
			if crashing() {
				logf("critical", "caught Segmentation fault, suspect faulting address 0x0")
				os.Exit(1)
			}
		}
	}
}

// readBootstrap reads the bootstrap as Envoy would, rejecting unknown
// fields and invalid values.
func readBootstrap(path string) (*bootstrapv3.Bootstrap, error) {
	y, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	j, err := yaml.YAMLToJSON(y)
	if err != nil {
		return nil, err
	}
	b := &bootstrapv3.Bootstrap{}
	if err := protojson.Unmarshal(j, b); err != nil {
		return nil, err
	}
	return b, b.ValidateAll()
}

// ads dials the bootstrap's static xDS cluster and ACKs clusters and
// listeners, each on its own ADS stream.
func ads(ctx context.Context, b *bootstrapv3.Bootstrap) {
	sa := b.GetStaticResources().GetClusters()[0].GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress()
	addr := net.JoinHostPort(sa.GetAddress(), fmt.Sprint(sa.GetPortValue()))
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		logf("error", "xds: %v", err)
		return
	}
	defer conn.Close()
	go subscribe(ctx, conn, b, resourcev3.ClusterType, "cds")
	subscribe(ctx, conn, b, resourcev3.ListenerType, "lds")
}

func subscribe(ctx context.Context, conn *grpc.ClientConn, b *bootstrapv3.Bootstrap, typeURL, name string) {
	for ctx.Err() == nil {
		c := sotw.NewADSClient(ctx, b.GetNode(), typeURL)
		if err := c.InitConnect(conn); err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for {
			resp, err := c.Fetch()
			if err != nil {
				break
			}
			logf("info", "%s: add/update %d resources", name, len(resp.Resources))
			c.Ack()
		}
		time.Sleep(100 * time.Millisecond)
	}
}
