package translate

import (
	"crypto/tls"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

// Certificates come from core v1 Secrets of type kubernetes.io/tls and go
// to Envoy over SDS. Their content never appears in a message, a warning
// or printed output: messages name the Secret and the key only.

// secretState is a Secret checked once as a certificate.
type secretState struct {
	secret *ir.Secret
	err    string // why the Secret is no certificate, naming the key
}

// sdsName is the SDS resource name of a Secret.
func sdsName(namespace, name string) string {
	return "secret/" + namespace + "/" + name
}

// resolveCertificates resolves the certificateRefs of a listener that
// terminates TLS. It returns the SDS names of the certificates and, when
// any reference fails, the problems (reason and messages naming fields).
// from is the referrer: the Gateway, or the ListenerSet whose listener it
// is; a Secret of another namespace needs a ReferenceGrant trusting it.
func (t *translator) resolveCertificates(g *gatewayState, from refFrom, field string, refs []gwapiv1.SecretObjectReference) ([]string, refProblems) {
	var names []string
	var probs refProblems
	if len(refs) == 0 {
		probs.add(status.ReasonInvalidCertificateRef, fmt.Sprintf("field %s.certificateRefs: certificateRefs or options must be specified when mode is Terminate; sluice takes certificates from certificateRefs only", field))
		return nil, probs
	}
	for i, ref := range refs {
		f := fmt.Sprintf("%s.certificateRefs[%d]", field, i)
		group, kind := "", "Secret"
		if ref.Group != nil {
			group = string(*ref.Group)
		}
		if ref.Kind != nil {
			kind = string(*ref.Kind)
		}
		ns := from.namespace
		if ref.Namespace != nil {
			ns = string(*ref.Namespace)
		}
		if group != "" || kind != "Secret" {
			probs.add(status.ReasonInvalidCertificateRef, fmt.Sprintf("field %s.kind: %s/%s is not supported; certificateRefs must name a core Secret", f, group, kind))
			continue
		}
		if ns != from.namespace && !t.res.refGranted(from, refTo{group: "", kind: "Secret", namespace: ns, name: string(ref.Name)}) {
			probs.add(status.ReasonRefNotPermitted, fmt.Sprintf("field %s.namespace: Secret %s/%s is in another namespace than the %s; no ReferenceGrant in namespace %q allows %ss of namespace %q to use it", f, ns, ref.Name, from.kind, ns, from.kind, from.namespace))
			continue
		}
		s := t.secret(ns, string(ref.Name))
		switch {
		case s == nil:
			probs.add(status.ReasonInvalidCertificateRef, fmt.Sprintf("field %s.name: Secret %s/%s does not exist", f, ns, ref.Name))
		case s.err != "":
			probs.add(status.ReasonInvalidCertificateRef, fmt.Sprintf("field %s: Secret %s/%s is not a valid certificate: %s", f, ns, ref.Name, s.err))
		default:
			g.secrets[s.secret.Name] = s.secret
			names = append(names, s.secret.Name)
		}
	}
	return names, probs
}

// secret checks a Secret once and caches the result; nil means it does
// not exist.
func (t *translator) secret(namespace, name string) *secretState {
	key := namespace + "/" + name
	if s, ok := t.secrets[key]; ok {
		return s
	}
	var obj *corev1.Secret
	for _, s := range t.res.Secrets {
		if s.Namespace == namespace && s.Name == name {
			obj = s
		}
	}
	if obj == nil {
		return nil
	}
	s := &secretState{}
	s.secret, s.err = certificateOf(obj)
	t.secrets[key] = s
	return s
}

// certificateOf checks that a Secret holds a certificate chain and its
// private key (PEM, tls.crt and tls.key, from data or stringData) that
// belong together. The error names the key, never the content.
func certificateOf(s *corev1.Secret) (*ir.Secret, string) {
	if s.Type != corev1.SecretTypeTLS {
		typ := string(s.Type)
		if typ == "" {
			typ = string(corev1.SecretTypeOpaque) // the Kubernetes default
		}
		return nil, fmt.Sprintf("field type: %q is not %q", typ, corev1.SecretTypeTLS)
	}
	value := func(key string) []byte {
		if v, ok := s.StringData[key]; ok { // stringData wins, as in Kubernetes
			return []byte(v)
		}
		return s.Data[key]
	}
	crt, key := value(corev1.TLSCertKey), value(corev1.TLSPrivateKeyKey)
	for _, k := range []struct {
		name string
		v    []byte
	}{{corev1.TLSCertKey, crt}, {corev1.TLSPrivateKeyKey, key}} {
		if len(k.v) == 0 {
			return nil, fmt.Sprintf("field data[%q]: missing or empty", k.name)
		}
	}
	if _, err := tls.X509KeyPair(crt, key); err != nil {
		// crypto/tls names what is wrong, not what the key is.
		return nil, fmt.Sprintf("fields data[%q] and data[%q]: not a PEM certificate chain and matching private key: %v", corev1.TLSCertKey, corev1.TLSPrivateKeyKey, err)
	}
	return &ir.Secret{Name: sdsName(s.Namespace, s.Name), Certificate: crt, PrivateKey: key}, ""
}
