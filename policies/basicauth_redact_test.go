package policies

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	basicauthv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/basic_auth/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// TestRedactCredentials prints the basic_auth filter, a route's
// api_key_auth config and a BasicAuthPerRoute nested in a FilterConfig,
// redacts them, and demands that no htpasswd list or API key is left
// (plain or base64) while the protos, which Envoy is served, keep them.
func TestRedactCredentials(t *testing.T) {
	t.Parallel()
	users := []byte("alice:{SHA}5DuqC45RvfmvDSUqgalkYO1Ix+0=")
	const key = "fake-api-key-0123456789"
	r := &ir.Route{Name: "r", Security: &ir.Security{
		Policy:    "securitypolicy/default/p",
		BasicAuth: &ir.BasicAuth{Users: users, ForwardUsernameHeader: "x-user"},
		APIKeyAuth: &ir.APIKeyAuth{
			Credentials: []ir.APIKeyCredential{{Client: "client-a", Key: []byte(key)}},
			KeySources:  []ir.APIKeySource{{Header: "x-api-key"}},
		},
	}}
	vhs := []*ir.VirtualHost{{Name: "v", Routes: []*ir.Route{r}}}
	route := &routev3.Route{Name: "r"}
	BasicAuth{}.Route(route, r)
	APIKeyAuth{}.Route(route, r)
	nested := &routev3.Route{Name: "nested", TypedPerFilterConfig: map[string]*anypb.Any{
		"f": mustAny(&routev3.FilterConfig{Config: mustAny(&basicauthv3.BasicAuthPerRoute{
			Users: &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: string(users)}}})}),
	}}
	msgs := []proto.Message{route, nested}
	for _, f := range (BasicAuth{}).HTTPFilters(&ir.Listener{VirtualHosts: vhs}) {
		msgs = append(msgs, f)
	}
	var printed []any
	for _, m := range msgs {
		b, err := protojson.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		printed = append(printed, v)
	}
	before, _ := json.Marshal(printed)
	for _, secret := range []string{key, base64.StdEncoding.EncodeToString(users)} {
		if !strings.Contains(string(before), secret) {
			t.Fatalf("the unredacted print lacks %q: the test checks nothing", secret)
		}
	}
	RedactCredentials(printed)
	after, _ := json.Marshal(printed)
	for _, secret := range []string{key, string(users), base64.StdEncoding.EncodeToString(users), "5DuqC45R"} {
		if strings.Contains(string(after), secret) {
			t.Errorf("printed output holds %q: %s", secret, after)
		}
	}
	for _, kept := range []string{"client-a", "x-api-key", "x-user", redactedCredential} {
		if !strings.Contains(string(after), kept) {
			t.Errorf("printed output lost %q: %s", kept, after)
		}
	}
	// The protos, what Envoy is served, are untouched.
	filter, ok := msgs[len(msgs)-1].(*hcmv3.HttpFilter)
	if !ok {
		t.Fatal("no basic_auth filter")
	}
	var cfg basicauthv3.BasicAuth
	if err := filter.GetTypedConfig().UnmarshalTo(&cfg); err != nil {
		t.Fatal(err)
	}
	if string(cfg.GetUsers().GetInlineBytes()) != string(users) {
		t.Errorf("the filter serves users %q", cfg.GetUsers().GetInlineBytes())
	}
}
