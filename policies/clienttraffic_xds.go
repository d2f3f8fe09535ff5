package policies

import (
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// The Envoy configuration of a ClientTrafficPolicy. (scaffold: to be implemented)

// ClientHealthCheckFilter is the listener's health_check filter, or nil.
func ClientHealthCheckFilter(l *ir.Listener) *hcmv3.HttpFilter { return nil }

// ClientHCM applies l.Client to an HTTP connection manager.
func ClientHCM(l *ir.Listener, hcm *hcmv3.HttpConnectionManager) {}

// ClientListener applies l.Client to the xDS listener built for l.
func ClientListener(l *ir.Listener, lis *listenerv3.Listener) {}

// ClientTLS applies l.Client to a downstream TLS context of l.
func ClientTLS(l *ir.Listener, ctx *tlsv3.DownstreamTlsContext) {}
