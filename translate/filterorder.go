package translate

import (
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// EnvoyProxy filterOrder. (scaffold: to be implemented)

// orderFilters moves the filters of fs as l.Proxy's filterOrder says.
func orderFilters(fs []*hcmv3.HttpFilter, l *ir.Listener) []*hcmv3.HttpFilter { return fs }
