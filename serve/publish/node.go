package publish

import (
	"fmt"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
)

// GatewayKey maps an Envoy's node.cluster to the Gateway it serves:
// "NAMESPACE/NAME", the namespace defaulting to "default".
func GatewayKey(cluster string) string {
	if cluster == "" {
		return ""
	}
	if !strings.Contains(cluster, "/") {
		return "default/" + cluster
	}
	return cluster
}

// nodeKey is the gateway a node is served, so every Envoy of one Gateway
// shares one snapshot.
func nodeKey(node *corev3.Node) string {
	if node == nil {
		return ""
	}
	return GatewayKey(node.GetCluster())
}

// nodeName identifies one Envoy for health tracking, clipped to
// MaxNodeName (it is kept and logged).
func nodeName(node *corev3.Node) string {
	if node == nil {
		return ""
	}
	if node.GetId() == "" {
		return Clip(fmt.Sprintf("(no id)@%s", node.GetCluster()), MaxNodeName)
	}
	return Clip(node.GetId(), MaxNodeName)
}
