package translate

import (
	"encoding/base64"

	corev1 "k8s.io/api/core/v1"
)

// minSecretValue is the shortest Secret value redacted by value; shorter
// ones are left to the exact matches of xds.Gateway.KeepCredentials.
const minSecretValue = 8

// secretValues returns the values of Secrets that may be credentials, as
// they may print: raw and in base64 (protojson's bytes). A Gateway that
// an EnvoyPatchPolicy changed is printed with them redacted wherever
// they appear (envoypatchpolicy.go, translate/xds/redact.go).
// Certificates are public and stay.
func secretValues(secrets []*corev1.Secret) []string {
	var out []string
	for _, s := range secrets {
		add := func(key string, v []byte) {
			if key == corev1.TLSCertKey || key == corev1.ServiceAccountRootCAKey || len(v) < minSecretValue {
				return
			}
			out = append(out, string(v), base64.StdEncoding.EncodeToString(v))
		}
		for k, v := range s.Data {
			add(k, v)
		}
		for k, v := range s.StringData {
			add(k, []byte(v))
		}
	}
	return out
}
