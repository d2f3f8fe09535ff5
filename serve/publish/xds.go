package publish

import (
	"context"
	"errors"
	"net"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
)

// Serve serves ADS (SotW and delta) and the per-type xDS services on lis
// until ctx is done. opts are added to the gRPC server's, e.g.
// grpc.Creds(credentials.NewTLS(conf)) with conf from XDSTLSConfig.
func (p *Publisher) Serve(ctx context.Context, lis net.Listener, opts ...grpc.ServerOption) error {
	// Envoys hold one long ADS stream each: a connection's write buffer is
	// taken from a shared pool while it writes rather than kept. Stop
	// waits for the handlers, so nothing runs after Serve returns.
	// adsCodec sends SotW responses encoded once for all Envoys.
	opts = append([]grpc.ServerOption{grpc.MaxConcurrentStreams(1 << 20), grpc.SharedWriteBuffer(true), grpc.WaitForHandlers(true), grpc.ForceServerCodecV2(newADSCodec())}, opts...)
	gs := grpc.NewServer(opts...)
	ads := &adsServer{cache: p.ads, tracker: p.tracker}
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(gs, ads)
	ads.registerPerType(gs)
	go func() {
		<-ctx.Done()
		// Envoys keep their ADS streams open until the connection closes
		// (an ADS handler blocks in Recv): a graceful stop would only
		// wait for them. Envoy reconnects.
		gs.Stop()
	}()
	err := gs.Serve(lis)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}
