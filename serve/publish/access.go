package publish

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"net/url"
	"slices"
	"strings"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// Access says which client may fetch what. Without its server options
// every client may fetch every gateway, secrets included.
//
// A client certificate names the gateways it may fetch with URI SANs
// spiffe://TRUST-DOMAIN/ns/NAMESPACE/gateway/NAME (any trust domain: the
// client CA is what is trusted), one per gateway.
type Access struct {
	// CertGateways: clients present a verified certificate (mTLS) and
	// fetch only the gateways it names; a node.cluster it does not name
	// is refused with PermissionDenied.
	CertGateways bool
	// InsecureSecrets serves clients without a verified certificate the
	// gateways whose snapshot holds secrets (SDS secrets, basic_auth
	// users, api_key_auth keys); else their streams end with
	// PermissionDenied.
	InsecureSecrets bool
}

// ServerOptions are the gRPC options that apply a to every stream and
// fetch of the server.
func (a Access) ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
			return handler(srv, &accessStream{ServerStream: ss, ctx: a.of(ss.Context())})
		}),
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			return handler(a.of(ctx), req)
		}),
	}
}

// clientAccess is what one client may fetch.
type clientAccess struct {
	// check: gateways lists what the client may fetch.
	check    bool
	gateways []string
	who      string
	secrets  bool
}

type accessKey struct{}

// of returns ctx with the access of its client.
func (a Access) of(ctx context.Context) context.Context {
	ca := &clientAccess{check: a.CertGateways, secrets: a.InsecureSecrets, who: "a client without a certificate"}
	if cert := verifiedCert(ctx); cert != nil {
		ca.secrets = true
		ca.gateways = CertGateways(cert)
		ca.who = fmt.Sprintf("client certificate %q", Clip(cert.Subject.String(), MaxNodeName))
	}
	return context.WithValue(ctx, accessKey{}, ca)
}

type accessStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *accessStream) Context() context.Context { return s.ctx }

// verifiedCert returns the client's certificate when TLS verified it.
func verifiedCert(ctx context.Context) *x509.Certificate {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return nil
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.VerifiedChains) == 0 || len(info.State.VerifiedChains[0]) == 0 {
		return nil
	}
	return info.State.VerifiedChains[0][0]
}

// CertGateways lists the gateways (NAMESPACE/NAME) a client certificate
// names: its URI SANs spiffe://TRUST-DOMAIN/ns/NAMESPACE/gateway/NAME.
func CertGateways(cert *x509.Certificate) []string {
	var out []string
	for _, u := range cert.URIs {
		if gw, ok := spiffeGateway(u); ok {
			out = append(out, gw)
		}
	}
	return out
}

func spiffeGateway(u *url.URL) (string, bool) {
	parts := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	if u.Scheme != "spiffe" || u.Host == "" || len(parts) != 4 || parts[0] != "ns" || parts[2] != "gateway" || parts[1] == "" || parts[3] == "" {
		return "", false
	}
	return parts[1] + "/" + parts[3], true
}

// allowGateway says whether the client of ctx may fetch gateway.
func allowGateway(ctx context.Context, gateway string) error {
	ca, _ := ctx.Value(accessKey{}).(*clientAccess)
	if ca == nil || !ca.check || slices.Contains(ca.gateways, gateway) {
		return nil
	}
	named := "names no gateway"
	if len(ca.gateways) > 0 {
		named = "names only " + strings.Join(ca.gateways, ", ")
	}
	return status.Errorf(codes.PermissionDenied, "%s %s, not node.cluster %q: a certificate names each gateway it may fetch with a URI SAN spiffe://TRUST-DOMAIN/ns/NAMESPACE/gateway/NAME",
		ca.who, named, Clip(gateway, MaxNodeName))
}

// allowSecrets says whether the client of ctx may be served g.
func allowSecrets(ctx context.Context, gateway string, g *gatewaySnap) error {
	ca, _ := ctx.Value(accessKey{}).(*clientAccess)
	if ca == nil || ca.secrets || !g.holdsSecrets() {
		return nil
	}
	return status.Errorf(codes.PermissionDenied, "gateway %s's configuration holds secrets, which sluice serves only to clients with a verified certificate (xds.tls.clientCAFile), or to any client with xds.allowInsecureSecrets: true", gateway)
}

// credentialTypes are the type URLs of the messages that carry
// credentials inline in listeners and routes.
var credentialTypes = [][]byte{
	[]byte("type.googleapis.com/envoy.extensions.filters.http.basic_auth.v3.BasicAuth"),
	[]byte("type.googleapis.com/envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuth"),
}

// holdsSecrets reports whether the snapshot has SDS secrets or inline
// credentials (the type URL of a credential filter's config, per-route
// ones included, in a listener's or route's bytes).
func (g *gatewaySnap) holdsSecrets() bool {
	g.secretsOnce.Do(func() {
		if len(g.typ(resourcev3.SecretType).items) > 0 {
			g.secrets = true
			return
		}
		for _, typeURL := range []string{resourcev3.ListenerType, resourcev3.RouteType} {
			t := g.typ(typeURL)
			if t.build() != nil {
				g.secrets = true // cannot tell: assume so
				return
			}
			for _, a := range t.anys {
				for _, c := range credentialTypes {
					if bytes.Contains(a.Value, c) {
						g.secrets = true
						return
					}
				}
			}
		}
	})
	return g.secrets
}
