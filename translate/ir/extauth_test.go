package ir

import (
	"strings"
	"testing"
	"time"
)

// TestExtAuthValidate checks the invariants of ExtAuth that the xDS
// translation relies on.
func TestExtAuthValidate(t *testing.T) {
	t.Parallel()
	clusters := map[string]bool{"auth": true}
	valid := func() *ExtAuth {
		return &ExtAuth{Cluster: "auth", Authority: "auth:80", HTTP: &ExtAuthHTTPCall{PathPrefix: "/x"}, Timeout: Duration(time.Second)}
	}
	tests := map[string]struct {
		edit func(e *ExtAuth)
		want string
	}{
		"valid":           {edit: func(*ExtAuth) {}},
		"grpc":            {edit: func(e *ExtAuth) { e.HTTP, e.GRPC = nil, true }},
		"missing cluster": {edit: func(e *ExtAuth) { e.Cluster = "other" }, want: "does not exist"},
		"both":            {edit: func(e *ExtAuth) { e.GRPC = true }, want: "exactly one"},
		"neither":         {edit: func(e *ExtAuth) { e.HTTP = nil }, want: "exactly one"},
		"no timeout":      {edit: func(e *ExtAuth) { e.Timeout = 0 }, want: "timeout"},
		"bad status":      {edit: func(e *ExtAuth) { e.StatusOnError = 200 }, want: "statusOnError"},
		"two paths":       {edit: func(e *ExtAuth) { e.HTTP.PathOverride = "/y" }, want: "pathOverride"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := valid()
			tc.edit(e)
			err := e.validate(clusters)
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("validate: %v, want %q", err, tc.want)
			}
		})
	}
	if err := (*ExtAuth)(nil).validate(clusters); err != nil {
		t.Errorf("nil: %v", err)
	}
}
