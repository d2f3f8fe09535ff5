package policies

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"sort"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// ClientTrafficPolicy tls: protocol versions, cipher suites, curves,
// signature algorithms and ALPN of the downstream TLS contexts, session
// resumption, and client certificate validation against CA bundles read
// from Secrets or ConfigMaps (key ca.crt). CA certificates are public:
// they go inline into the validation context, as BackendTLSPolicy's do;
// sluice never reads a private key here.

// ctpVersionRank orders TLS versions as the CRD's CEL rule does: Auto is
// the lowest minimum and the highest maximum.
var ctpVersionRank = map[egv1a1.TLSVersion][2]int{
	egv1a1.TLSAuto: {0, 5},
	egv1a1.TLSv10:  {1, 1},
	egv1a1.TLSv11:  {2, 2},
	egv1a1.TLSv12:  {3, 3},
	egv1a1.TLSv13:  {4, 4},
}

// ctpCiphers are the cipher suite names Envoy Gateway accepts (OpenSSL
// and IANA spellings of BoringSSL's TLS 1.0-1.2 suites).
var ctpCiphers = map[string]bool{}

func init() {
	for _, pair := range [][2]string{
		{"ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
		{"ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
		{"ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
		{"ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
		{"ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
		{"ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
		{"ECDHE-ECDSA-AES128-SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
		{"ECDHE-RSA-AES128-SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
		{"AES128-GCM-SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256"},
		{"AES128-SHA", "TLS_RSA_WITH_AES_128_CBC_SHA"},
		{"ECDHE-ECDSA-AES256-SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
		{"ECDHE-RSA-AES256-SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
		{"AES256-GCM-SHA384", "TLS_RSA_WITH_AES_256_GCM_SHA384"},
		{"AES256-SHA", "TLS_RSA_WITH_AES_256_CBC_SHA"},
	} {
		ctpCiphers[pair[0]], ctpCiphers[pair[1]] = true, true
	}
}

// ctpCAKey is the key of a CA bundle in a Secret or ConfigMap.
const ctpCAKey = "ca.crt"

func (c *ctpCheck) tls(ns string, t *egv1a1.ClientTLSSettings, in ClientTrafficInput) *ir.ClientTLS {
	if t == nil {
		return nil
	}
	const f = "spec.tls"
	c.ignore(f, *t, "clientValidation", "minVersion", "maxVersion", "ciphers", "ecdhCurves", "signatureAlgorithms", "alpnProtocols", "session")
	out := &ir.ClientTLS{
		ECDHCurves:          t.ECDHCurves,
		SignatureAlgorithms: t.SignatureAlgorithms,
	}
	minRank, maxRank := 3, 5 // unset: 1.2 and Auto, as the CEL rule counts them
	if v := t.MinVersion; v != nil {
		r, ok := ctpVersionRank[*v]
		if !ok {
			c.errs.Add(f+".minVersion", "%q is not one of Auto, 1.0, 1.1, 1.2, 1.3", *v)
		}
		minRank, out.MinVersion = r[0], string(*v)
	}
	if v := t.MaxVersion; v != nil {
		r, ok := ctpVersionRank[*v]
		if !ok {
			c.errs.Add(f+".maxVersion", "%q is not one of Auto, 1.0, 1.1, 1.2, 1.3", *v)
		}
		maxRank, out.MaxVersion = r[1], string(*v)
	}
	if (t.MinVersion != nil || t.MaxVersion != nil) && minRank > maxRank {
		c.errs.Add(f+".minVersion", "minVersion must be smaller or equal to maxVersion")
	}
	if t.MinVersion != nil && *t.MinVersion == egv1a1.TLSv13 && len(t.Ciphers) > 0 {
		c.errs.Add(f+".ciphers", "setting ciphers has no effect if the minimum possible TLS version is 1.3")
	}
	for i, s := range t.Ciphers {
		if !ctpCiphers[s] {
			c.errs.Add(fmt.Sprintf("%s.ciphers[%d]", f, i), "unsupported cipher suite %q", s)
		}
	}
	out.Ciphers = t.Ciphers
	for i, s := range t.ECDHCurves {
		if s == "" {
			c.errs.Add(fmt.Sprintf("%s.ecdhCurves[%d]", f, i), "must not be empty")
		}
	}
	for i, s := range t.SignatureAlgorithms {
		if s == "" {
			c.errs.Add(fmt.Sprintf("%s.signatureAlgorithms[%d]", f, i), "must not be empty")
		}
	}
	if t.ALPNProtocols != nil {
		out.ALPNSet = true
		for i, p := range t.ALPNProtocols {
			if p == "" || len(p) > 255 {
				c.errs.Add(fmt.Sprintf("%s.alpnProtocols[%d]", f, i), "must be 1 to 255 bytes long")
			}
			out.ALPNProtocols = append(out.ALPNProtocols, string(p))
		}
	}
	if s := t.Session; s != nil {
		out.Session = true
		if r := s.Resumption; r != nil {
			out.StatefulResumption, out.StatelessResumption = r.Stateful != nil, r.Stateless != nil
		}
	}
	out.ClientValidation = c.clientValidation(ns, t.ClientValidation, in)
	return out
}

func (c *ctpCheck) clientValidation(ns string, v *egv1a1.ClientValidationContext, in ClientTrafficInput) *ir.ClientValidation {
	if v == nil {
		return nil
	}
	const f = "spec.tls.clientValidation"
	c.ignore(f, *v, "optional", "mode", "caCertificateRefs", "spkiHashes", "certificateHashes", "allowExpiredCertificate", "subjectAltNames")
	mode := egv1a1.ClientValidationRequireAndVerify
	switch {
	case v.Mode != nil:
		mode = *v.Mode
	case v.Optional:
		mode = egv1a1.ClientValidationVerifyIfGiven
	}
	out := &ir.ClientValidation{
		SPKIHashes:        v.SPKIHashes,
		CertificateHashes: v.CertificateHashes,
		AllowExpired:      v.AllowExpiredCertificate != nil && *v.AllowExpiredCertificate,
	}
	out.SubjectAltNames = c.subjectAltNames(f+".subjectAltNames", v.SubjectAltNames)
	verify := false
	switch mode {
	case egv1a1.ClientValidationRequest:
		out.AcceptUntrusted = true
	case egv1a1.ClientValidationRequireAny:
		out.Require, out.AcceptUntrusted = true, true
	case egv1a1.ClientValidationVerifyIfGiven:
		verify = true
	case egv1a1.ClientValidationRequireAndVerify:
		out.Require, verify = true, true
	default:
		c.errs.Add(f+".mode", "%q is not one of Request, RequireAny, VerifyIfGiven, RequireAndVerify", mode)
	}
	if out.AllowExpired && !verify {
		c.errs.Add(f+".allowExpiredCertificate", "can only be set when mode is VerifyIfGiven or RequireAndVerify")
	}
	if len(v.CACertificateRefs) > 8 {
		c.errs.Add(f+".caCertificateRefs", "must have at most 8 items")
	}
	var bundle []string
	for i, ref := range v.CACertificateRefs {
		pemText, err := ctpCABundle(ns, ref, in)
		if err != nil {
			c.errs.Check(fields.Wrap(fmt.Sprintf("%s.caCertificateRefs[%d]", f, i), err))
			continue
		}
		bundle = append(bundle, pemText)
	}
	out.CACertificates = strings.Join(bundle, "")
	if verify && len(v.CACertificateRefs) == 0 {
		c.errs.Add(f+".caCertificateRefs", "mode %s requires caCertificateRefs", mode)
	}
	return out
}

// ctpCABundle reads the CA certificates a reference names and returns
// them as PEM, or why it cannot.
func ctpCABundle(ns string, ref gwapiv1.SecretObjectReference, in ClientTrafficInput) (string, error) {
	kind := "Secret"
	if ref.Kind != nil {
		kind = string(*ref.Kind)
	}
	if ref.Group != nil && *ref.Group != "" {
		return "", fmt.Errorf("group %q is not supported; name a core Secret or ConfigMap", *ref.Group)
	}
	refNS := ns
	if ref.Namespace != nil && *ref.Namespace != "" {
		refNS = string(*ref.Namespace)
	}
	var data map[string][]byte
	switch kind {
	case "Secret":
		if refNS != ns && (in.SecretGranted == nil || !in.SecretGranted(ns, refNS, string(ref.Name))) {
			return "", fmt.Errorf("Secret %s/%s is in another namespace and no ReferenceGrant in namespace %q allows ClientTrafficPolicies of namespace %q to use it", refNS, ref.Name, refNS, ns)
		}
		var sec *corev1.Secret
		if in.Secret != nil {
			sec = in.Secret(refNS, string(ref.Name))
		}
		if sec == nil {
			return "", fmt.Errorf("Secret %s/%s does not exist", refNS, ref.Name)
		}
		data = map[string][]byte{}
		for k, v := range sec.StringData {
			data[k] = []byte(v)
		}
		for k, v := range sec.Data {
			data[k] = v
		}
	case "ConfigMap":
		if refNS != ns {
			return "", fmt.Errorf("ConfigMap %s/%s is in another namespace; sluice reads CA ConfigMaps of the policy's namespace only", refNS, ref.Name)
		}
		var cm *corev1.ConfigMap
		if in.ConfigMap != nil {
			cm = in.ConfigMap(refNS, string(ref.Name))
		}
		if cm == nil {
			return "", fmt.Errorf("ConfigMap %s/%s does not exist", refNS, ref.Name)
		}
		data = map[string][]byte{}
		for k, v := range cm.Data {
			data[k] = []byte(v)
		}
	default:
		return "", fmt.Errorf("kind %q is not supported; name a Secret or ConfigMap", kind)
	}
	raw, ok := data[ctpCAKey]
	if !ok && len(data) == 1 {
		for _, v := range data {
			raw = v // the only key, as Envoy Gateway takes it
		}
		ok = true
	}
	if !ok || len(raw) == 0 {
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return "", fmt.Errorf("%s %s/%s has no key %s (keys: %s)", kind, refNS, ref.Name, ctpCAKey, strings.Join(keys, ", "))
	}
	certs, err := ctpCertificates(raw)
	if err != nil {
		return "", fmt.Errorf("%s %s/%s key %s: %w", kind, refNS, ref.Name, ctpCAKey, err)
	}
	return certs, nil
}

// ctpCertificates keeps the CERTIFICATE blocks of a PEM bundle that
// parse, or says why there are none.
func ctpCertificates(raw []byte) (string, error) {
	var out []byte
	rest := raw
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return "", fmt.Errorf("a certificate does not parse: %w", err)
		}
		out = append(out, pem.EncodeToMemory(b)...)
	}
	if len(out) == 0 {
		return "", errors.New("holds no PEM certificate")
	}
	return string(out), nil
}

// subjectAltNames turns the SAN matchers into the IR, checking their
// match types and regular expressions.
func (c *ctpCheck) subjectAltNames(f string, s *egv1a1.SubjectAltNames) []ir.SANMatch {
	if s == nil {
		return nil
	}
	var out []ir.SANMatch
	one := func(fi, typ string, m egv1a1.StringMatch) {
		match := string(egv1a1.StringMatchExact)
		if m.Type != nil {
			match = string(*m.Type)
		}
		switch egv1a1.StringMatchType(match) {
		case egv1a1.StringMatchExact, egv1a1.StringMatchPrefix, egv1a1.StringMatchSuffix:
		case egv1a1.StringMatchRegularExpression:
			if err := fields.Regex(m.Value, c.maxRegex); err != nil {
				c.errs.Check(fields.Wrap(fi+".value", err))
			}
		default:
			c.errs.Add(fi+".type", "%q is not one of Exact, Prefix, Suffix, RegularExpression", match)
		}
		if m.Value == "" {
			c.errs.Add(fi+".value", "must not be empty")
		}
		out = append(out, ir.SANMatch{Type: typ, Match: match, Value: m.Value})
	}
	for _, l := range []struct {
		field string
		ms    []egv1a1.StringMatch
	}{{"dnsNames", s.DNSNames}, {"emailAddresses", s.EmailAddresses}, {"ipAddresses", s.IPAddresses}, {"uris", s.URIs}} {
		for i, m := range l.ms {
			one(fmt.Sprintf("%s.%s[%d]", f, l.field, i), ctpSANTypes[l.field], m)
		}
	}
	for i, o := range s.OtherNames {
		fi := fmt.Sprintf("%s.otherNames[%d]", f, i)
		if o.Oid == "" {
			c.errs.Add(fi+".oid", "must not be empty")
		}
		one(fi, o.Oid, o.StringMatch)
	}
	return out
}

// ctpSANTypes maps the policy's SAN lists to Envoy's SAN types.
var ctpSANTypes = map[string]string{
	"dnsNames": "DNS", "emailAddresses": "EMAIL", "ipAddresses": "IP_ADDRESS", "uris": "URI",
}
