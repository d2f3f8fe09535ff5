package translate

import (
	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// EnvoyProxy access logs. (scaffold: to be implemented)

// accessLogs are the access logs of l's HTTP connection managers.
func accessLogs(l *ir.Listener) []*accesslogv3.AccessLog { return nil }
