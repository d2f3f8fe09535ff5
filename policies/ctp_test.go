package policies

import (
	"strings"
	"testing"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	xffv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/http/original_ip_detection/xff/v3"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

func ctpPolicy(name string, spec egv1a1.ClientTrafficPolicySpec, sections ...string) *egv1a1.ClientTrafficPolicy {
	if len(sections) == 0 {
		sections = []string{""}
	}
	for _, s := range sections {
		ref := gwapiv1.LocalPolicyTargetReferenceWithSectionName{LocalPolicyTargetReference: gwapiv1.LocalPolicyTargetReference{
			Group: gwapiv1.GroupName, Kind: KindGateway, Name: "eg",
		}}
		if s != "" {
			sn := gwapiv1.SectionName(s)
			ref.SectionName = &sn
		}
		spec.TargetRefs = append(spec.TargetRefs, ref)
	}
	return &egv1a1.ClientTrafficPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}, Spec: spec}
}

func TestCTPSpecProblems(t *testing.T) {
	t.Parallel()
	u32 := func(n uint32) *uint32 { return &n }
	v13, v12 := egv1a1.TLSv13, egv1a1.TLSv12
	auto := egv1a1.TLSAuto
	q := resource.MustParse("0")
	cases := map[string]struct {
		spec egv1a1.ClientTrafficPolicySpec
		want string // a substring of the problems; "" for none
	}{
		"valid hops": {spec: egv1a1.ClientTrafficPolicySpec{ClientIPDetection: &egv1a1.ClientIPDetectionSettings{
			XForwardedFor: &egv1a1.XForwardedForSettings{NumTrustedHops: u32(2)}}}},
		"bad cidr": {spec: egv1a1.ClientTrafficPolicySpec{ClientIPDetection: &egv1a1.ClientIPDetectionSettings{
			XForwardedFor: &egv1a1.XForwardedForSettings{TrustedCIDRs: []egv1a1.CIDR{"10.0.0.0/40"}}}},
			want: "spec.clientIPDetection.xForwardedFor.trustedCIDRs[0]"},
		"two detections": {spec: egv1a1.ClientTrafficPolicySpec{ClientIPDetection: &egv1a1.ClientIPDetectionSettings{
			XForwardedFor: &egv1a1.XForwardedForSettings{NumTrustedHops: u32(1)},
			CustomHeader:  &egv1a1.CustomHeaderExtensionSettings{Name: "x"}}},
			want: "exactly one of"},
		"min above max": {spec: egv1a1.ClientTrafficPolicySpec{TLS: &egv1a1.ClientTLSSettings{
			TLSSettings: egv1a1.TLSSettings{MinVersion: &v13, MaxVersion: &v12}}}, want: "spec.tls.minVersion"},
		"auto max is highest": {spec: egv1a1.ClientTrafficPolicySpec{TLS: &egv1a1.ClientTLSSettings{
			TLSSettings: egv1a1.TLSSettings{MinVersion: &v13, MaxVersion: &auto}}}},
		"max under default min": {spec: egv1a1.ClientTrafficPolicySpec{TLS: &egv1a1.ClientTLSSettings{
			TLSSettings: egv1a1.TLSSettings{MaxVersion: func() *egv1a1.TLSVersion { v := egv1a1.TLSv11; return &v }()}}},
			want: "spec.tls.minVersion"},
		"unknown cipher": {spec: egv1a1.ClientTrafficPolicySpec{TLS: &egv1a1.ClientTLSSettings{
			TLSSettings: egv1a1.TLSSettings{Ciphers: []string{"RC4-MD5"}}}}, want: "spec.tls.ciphers[0]"},
		"bad san regex": {spec: egv1a1.ClientTrafficPolicySpec{TLS: &egv1a1.ClientTLSSettings{ClientValidation: &egv1a1.ClientValidationContext{
			Mode: func() *egv1a1.ClientValidationModeType { m := egv1a1.ClientValidationRequest; return &m }(),
			SubjectAltNames: &egv1a1.SubjectAltNames{URIs: []egv1a1.StringMatch{{
				Type: func() *egv1a1.StringMatchType { t := egv1a1.StringMatchRegularExpression; return &t }(), Value: "(",
			}}}}}}, want: "spec.tls.clientValidation.subjectAltNames.uris[0].value"},
		"zero buffer": {spec: egv1a1.ClientTrafficPolicySpec{Connection: &egv1a1.ClientConnection{BufferLimit: &q}},
			want: "spec.connection.bufferLimit"},
		"negative limit": {spec: egv1a1.ClientTrafficPolicySpec{Connection: &egv1a1.ClientConnection{
			ConnectionLimit: &egv1a1.ConnectionLimit{Value: func() *int64 { v := int64(-1); return &v }()}}},
			want: "spec.connection.connectionLimit.value"},
		"bad duration": {spec: egv1a1.ClientTrafficPolicySpec{Timeout: &egv1a1.ClientTimeout{TCP: &egv1a1.TCPClientTimeout{
			IdleTimeout: func() *gwapiv1.Duration { d := gwapiv1.Duration("1 hour"); return &d }()}}},
			want: "spec.timeout.tcp.idleTimeout"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, _, errs := ctpSpec(ctpPolicy("p", tc.spec), ClientTrafficInput{})
			got := fields.Message(errs)
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("problems %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCTPPerPort(t *testing.T) {
	t.Parallel()
	timeout := func(d string) egv1a1.ClientTrafficPolicySpec {
		gd := gwapiv1.Duration(d)
		return egv1a1.ClientTrafficPolicySpec{Timeout: &egv1a1.ClientTimeout{HTTP: &egv1a1.HTTPClientTimeout{RequestReceivedTimeout: &gd}}}
	}
	// a and b share port 80, c has port 81.
	targets := Targets{Gateways: []Gateway{{Namespace: "default", Name: "eg", Listeners: []string{"a", "b", "c"}, Ports: []uint32{80, 80, 81}}}}
	g := &ir.Gateway{Namespace: "default", Name: "eg", Listeners: []*ir.Listener{{Name: "default/eg/a", Port: 80}, {Name: "default/eg/c", Port: 81}}}
	sts := ApplyClientTrafficPolicies(ClientTrafficInput{
		Policies: []*egv1a1.ClientTrafficPolicy{
			ctpPolicy("gw", timeout("1s")),
			ctpPolicy("on-a", timeout("2s"), "a"),
			ctpPolicy("on-c", timeout("3s"), "c"),
		},
		Targets: targets,
	}, []*ir.Gateway{g})
	if c := g.Listeners[0].Client; c == nil || c.Policy != "default/gw" {
		t.Errorf("port 80 got %+v, want the Gateway's policy", c)
	}
	if c := g.Listeners[1].Client; c == nil || c.Policy != "default/on-c" {
		t.Errorf("port 81 got %+v, want on-c", c)
	}
	if a := sts[1].Ancestors; len(a) != 1 || a[0].Conditions[0].Reason != status.ReasonInvalid {
		t.Errorf("on-a status %+v, want Invalid", a)
	}
	gw := sts[0].Ancestors[0].Conditions
	if len(gw) != 2 || gw[1].Type != status.CondOverridden || !strings.HasSuffix(gw[1].Message, "listener(s) c") {
		t.Errorf("gw conditions %+v, want Overridden for c only", gw)
	}
}

func TestCTPHCM(t *testing.T) {
	t.Parallel()
	no := false
	l := &ir.Listener{Client: &ir.ClientTraffic{
		ClientIP: &ir.ClientIPDetection{XFF: &ir.XFFDetection{TrustedHops: 3}},
		Headers:  &ir.ClientHeaders{EnvoyHeaders: &no},
	}}
	hcm := &hcmv3.HttpConnectionManager{HttpFilters: []*hcmv3.HttpFilter{{
		Name: ctpRouterFilter, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(&routerv3.Router{})},
	}}}
	ClientHCM(l, hcm)
	x := &xffv3.XffConfig{}
	if err := hcm.OriginalIpDetectionExtensions[0].GetTypedConfig().UnmarshalTo(x); err != nil {
		t.Fatal(err)
	}
	if x.XffNumTrustedHops != 2 || hcm.GetUseRemoteAddress().GetValue() {
		t.Errorf("xff hops %d use_remote_address %v, want 2 and false", x.XffNumTrustedHops, hcm.GetUseRemoteAddress())
	}
	r := &routerv3.Router{}
	if err := hcm.HttpFilters[0].GetTypedConfig().UnmarshalTo(r); err != nil || !r.SuppressEnvoyHeaders {
		t.Errorf("router %v (%v), want suppress_envoy_headers", r, err)
	}
}

func TestCTPCertificates(t *testing.T) {
	t.Parallel()
	if _, err := ctpCertificates([]byte("not pem")); err == nil {
		t.Error("garbage was taken as certificates")
	}
	bad := "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
	if _, err := ctpCertificates([]byte(bad)); err == nil || !strings.Contains(err.Error(), "does not parse") {
		t.Errorf("a broken certificate gave %q", err)
	}
}
