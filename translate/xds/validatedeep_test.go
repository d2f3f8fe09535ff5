package xds

import (
	"strings"
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
)

// TestValidateDeepLooksInsideAny: a listener whose packed
// HttpConnectionManager lacks its required stat_prefix passes ValidateAll
// but not ValidateDeep, and so not Snapshot.
func TestValidateDeepLooksInsideAny(t *testing.T) {
	l := &listenerv3.Listener{
		Name:    "l",
		Address: socketAddress("0.0.0.0", 8080),
		FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{{
			Name:       "envoy.filters.network.http_connection_manager",
			ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(&hcmv3.HttpConnectionManager{})},
		}}}},
	}
	if err := l.ValidateAll(); err != nil {
		t.Fatalf("the outer listener should pass ValidateAll: %v", err)
	}
	err := ValidateDeep(l)
	if err == nil || !strings.Contains(err.Error(), "HttpConnectionManager") || !strings.Contains(err.Error(), "StatPrefix") {
		t.Fatalf("ValidateDeep = %v; want the packed HttpConnectionManager's StatPrefix named", err)
	}
	if _, err := (&Gateway{Namespace: "default", Name: "eg", Listeners: []*listenerv3.Listener{l}}).Snapshot("v"); err == nil {
		t.Fatal("Snapshot accepted a listener with an invalid packed config")
	}
}
