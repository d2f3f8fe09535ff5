package ir

import (
	"errors"
	"fmt"
)

// ExtAuth asks an external HTTP or gRPC service whether to let a request
// through (SecurityPolicy extAuth, package policies, extauth.go).
type ExtAuth struct {
	// Cluster is the service's cluster, a cluster of the Gateway; it
	// speaks HTTP/2 when GRPC is set.
	Cluster string `json:"cluster" yaml:"cluster"`
	// Authority is the Host (:authority) of the check requests.
	Authority string `json:"authority" yaml:"authority"`
	// GRPC makes the check an envoy.service.auth.v3.Authorization call;
	// otherwise it is an HTTP request (HTTP).
	GRPC bool             `json:"grpc,omitempty" yaml:"grpc,omitempty"`
	HTTP *ExtAuthHTTPCall `json:"http,omitempty" yaml:"http,omitempty"`
	// HeadersToExtAuth are the request headers sent to the service; none
	// means Envoy's default (all for gRPC; for HTTP Host, Method, Path,
	// Content-Length and Authorization, which are always sent).
	HeadersToExtAuth []string `json:"headersToExtAuth,omitempty" yaml:"headersToExtAuth,omitempty"`
	// MaxRequestBytes, when not 0, sends the request body too, buffered
	// up to that size (larger requests get 413).
	MaxRequestBytes uint32 `json:"maxRequestBytes,omitempty" yaml:"maxRequestBytes,omitempty"`
	// Timeout bounds a check.
	Timeout Duration `json:"timeout" yaml:"timeout"`
	// FailOpen lets requests through when the service cannot answer.
	FailOpen bool `json:"failOpen,omitempty" yaml:"failOpen,omitempty"`
	// RecomputeRoute picks the route again after the check, which may
	// have changed headers the routes match on.
	RecomputeRoute bool `json:"recomputeRoute,omitempty" yaml:"recomputeRoute,omitempty"`
	// StatusOnError is what a request gets when the service cannot
	// answer; 0 is Envoy's default, 403.
	StatusOnError uint32 `json:"statusOnError,omitempty" yaml:"statusOnError,omitempty"`
	// ContextExtensions are passed with each check (a gRPC service sees
	// them in the CheckRequest; Envoy does not send them over HTTP).
	ContextExtensions map[string]string `json:"contextExtensions,omitempty" yaml:"contextExtensions,omitempty"`
}

// ExtAuthHTTPCall is how an HTTP check request is made.
type ExtAuthHTTPCall struct {
	// PathPrefix goes before the request's path; PathOverride, if set,
	// replaces it. At most one is set.
	PathPrefix   string `json:"pathPrefix,omitempty" yaml:"pathPrefix,omitempty"`
	PathOverride string `json:"pathOverride,omitempty" yaml:"pathOverride,omitempty"`
	// HeadersToBackend are the headers of the service's answer copied
	// into the request to the backend (replacing those it has).
	HeadersToBackend []string `json:"headersToBackend,omitempty" yaml:"headersToBackend,omitempty"`
}

func (e *ExtAuth) validate(clusters map[string]bool) error {
	switch {
	case e == nil:
		return nil
	case !clusters[e.Cluster]:
		return fmt.Errorf("cluster %q does not exist", e.Cluster)
	case e.GRPC == (e.HTTP != nil):
		return errors.New("exactly one of grpc and http must be set")
	case e.Timeout <= 0:
		return errors.New("timeout must be positive")
	case e.StatusOnError != 0 && (e.StatusOnError < 400 || e.StatusOnError > 599):
		return fmt.Errorf("statusOnError %d is not a 4xx or 5xx status", e.StatusOnError)
	case e.HTTP != nil && e.HTTP.PathPrefix != "" && e.HTTP.PathOverride != "":
		return errors.New("http has both pathPrefix and pathOverride")
	}
	return nil
}
