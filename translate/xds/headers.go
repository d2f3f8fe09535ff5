package xds

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// headerOptions turns a modifier into Envoy's headers-to-add and
// headers-to-remove: set overwrites, add appends a value.
func headerOptions(m *ir.HeaderModifier) ([]*corev3.HeaderValueOption, []string) {
	if m == nil {
		return nil, nil
	}
	var add []*corev3.HeaderValueOption
	for _, h := range m.Set {
		add = append(add, &corev3.HeaderValueOption{
			Header:       &corev3.HeaderValue{Key: h.Name, Value: h.Value},
			AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
		})
	}
	for _, h := range m.Add {
		add = append(add, &corev3.HeaderValueOption{
			Header:       &corev3.HeaderValue{Key: h.Name, Value: h.Value},
			AppendAction: corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD,
		})
	}
	return add, m.Remove
}

// hasHeaders reports whether a backend changes headers of its own.
func hasHeaders(b ir.WeightedBackend) bool {
	return b.RequestHeaders != nil || b.ResponseHeaders != nil
}
