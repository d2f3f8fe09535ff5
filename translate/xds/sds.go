package xds

import (
	"fmt"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sluice-gitops/sluice/policies"
)

// httpFilterSDSReferences returns the SDS secret names the HTTP filters
// of the listeners use (the oauth2 filters' client and HMAC secrets),
// possibly repeated.
func httpFilterSDSReferences(ls []*listenerv3.Listener) ([]string, error) {
	var out []string
	for _, l := range ls {
		for _, fc := range l.GetFilterChains() {
			for _, f := range fc.GetFilters() {
				a := f.GetTypedConfig()
				if a == nil || !a.MessageIs(&hcmv3.HttpConnectionManager{}) {
					continue
				}
				var hcm hcmv3.HttpConnectionManager
				if err := anypb.UnmarshalTo(a, &hcm, proto.UnmarshalOptions{}); err != nil {
					return nil, fmt.Errorf("listener %q: chain %q: %w", l.GetName(), fc.GetName(), err)
				}
				for _, hf := range hcm.GetHttpFilters() {
					names, err := policies.OAuth2SecretNames(hf)
					if err != nil {
						return nil, fmt.Errorf("listener %q: filter %q: %w", l.GetName(), hf.GetName(), err)
					}
					out = append(out, names...)
				}
			}
		}
	}
	return out, nil
}
