package translate

import (
	"testing"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestRefGranted(t *testing.T) {
	name := gwapiv1.ObjectName("app")
	grant := &gwapiv1.ReferenceGrant{Spec: gwapiv1.ReferenceGrantSpec{
		From: []gwapiv1.ReferenceGrantFrom{
			{Group: groupGateway, Kind: "HTTPRoute", Namespace: "web"},
			{Group: groupGateway, Kind: "TCPRoute", Namespace: "tcp"},
		},
		To: []gwapiv1.ReferenceGrantTo{
			{Group: "", Kind: "Service", Name: &name},
			{Group: groupEG, Kind: "Backend"},
		},
	}}
	grant.Namespace = "backends"
	res := &Resources{ReferenceGrants: []*gwapiv1.ReferenceGrant{grant}}
	http := refFrom{groupGateway, "HTTPRoute", "web"}
	tests := map[string]struct {
		from refFrom
		to   refTo
		want bool
	}{
		"named service":         {http, refTo{"", "Service", "backends", "app"}, true},
		"other service":         {http, refTo{"", "Service", "backends", "db"}, false},
		"any backend":           {http, refTo{groupEG, "Backend", "backends", "db"}, true},
		"entries are OR-ed":     {refFrom{groupGateway, "TCPRoute", "tcp"}, refTo{"", "Service", "backends", "app"}, true},
		"kind from other ns":    {refFrom{groupGateway, "TCPRoute", "web"}, refTo{"", "Service", "backends", "app"}, false},
		"other target ns":       {http, refTo{"", "Service", "elsewhere", "app"}, false},
		"service in core group": {http, refTo{"core", "Service", "backends", "app"}, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := res.refGranted(tc.from, tc.to); got != tc.want {
				t.Errorf("refGranted(%v, %v) = %v, want %v", tc.from, tc.to, got, tc.want)
			}
		})
	}
}
