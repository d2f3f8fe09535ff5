package xds

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Document is the printable form of one Gateway's resources: Envoy's own
// JSON shape (protojson), grouped by type.
type Document struct {
	Gateway   string `json:"gateway"`
	Listeners []any  `json:"listeners,omitempty"`
	Routes    []any  `json:"routes,omitempty"`
	Clusters  []any  `json:"clusters,omitempty"`
	Endpoints []any  `json:"endpoints,omitempty"`
	// Secrets print with their private keys and generic secret values
	// redacted.
	Secrets []any `json:"secrets,omitempty"`
}

// Document converts the resources of a Gateway to plain values, with
// every credential redacted: where the builder puts them, and by value
// wherever an EnvoyPatchPolicy copied them (redact.go).
func (g *Gateway) Document() (*Document, error) {
	d, err := g.plainDocument()
	if err != nil {
		return nil, err
	}
	d.redactPositions()
	if len(g.credentials) > 0 {
		newValueRedactor(g.credentials).redact(d.resourceLists())
	}
	return d, nil
}

// plainDocument is Document before redaction.
func (g *Gateway) plainDocument() (*Document, error) {
	d := &Document{Gateway: g.Key()}
	var err error
	if d.Listeners, err = plainList(g.Listeners); err != nil {
		return nil, err
	}
	if d.Routes, err = plainList(g.Routes); err != nil {
		return nil, err
	}
	if d.Clusters, err = plainList(g.Clusters); err != nil {
		return nil, err
	}
	if d.Endpoints, err = plainList(g.Endpoints); err != nil {
		return nil, err
	}
	if d.Secrets, err = plainList(g.Secrets); err != nil {
		return nil, err
	}
	return d, nil
}

func plainList[M proto.Message](ms []M) ([]any, error) {
	var out []any
	for _, m := range ms {
		b, err := protojson.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("marshal %T: %w", m, err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// redacted replaces private key material in printed output.
const redacted = "[redacted]"

// redactSecret replaces the private key or the generic secret value
// (OIDC client and HMAC secrets) of a printed SDS Secret, whatever its
// data source (inline bytes or string, file, environment variable).
// Certificates are public and stay.
func redactSecret(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	if tc, ok := m["tlsCertificate"].(map[string]any); ok {
		if _, ok := tc["privateKey"]; ok {
			tc["privateKey"] = map[string]any{"inlineBytes": redacted}
		}
	}
	if gs, ok := m["genericSecret"].(map[string]any); ok {
		if _, ok := gs["secret"]; ok {
			gs["secret"] = map[string]any{"inlineBytes": redacted}
		}
	}
}
