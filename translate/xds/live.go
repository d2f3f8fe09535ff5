package xds

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
)

// LiveService is a Service port that a served route references and whose
// endpoints the repository does not hold (no EndpointSlice is labelled
// with the Service's name). With translate's Options.LiveEndpoints,
// sluice serve reads them from the cluster's EndpointSlices instead and
// fills in the ClusterLoadAssignments named by Cluster (and the copies
// policies made of it) over EDS. translate finds them (live.go there).
type LiveService struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Port is the Service port; PortName and Protocol find its number in
	// an EndpointSlice (translate.LiveSlicePort).
	Port     int32           `json:"port"`
	PortName string          `json:"portName,omitempty"`
	Protocol corev1.Protocol `json:"protocol"`
}

// Key is the Service's NAMESPACE/NAME.
func (s LiveService) Key() string { return s.Namespace + "/" + s.Name }

// Cluster is the name of the Service port's cluster
// ("service/NAMESPACE/NAME/PORT"); copies of it are named
// Cluster()+"/...".
func (s LiveService) Cluster() string {
	return "service/" + s.Namespace + "/" + s.Name + "/" + strconv.Itoa(int(s.Port))
}
