package translate

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// LiveService is a Service port that a served route references and whose
// endpoints the repository does not hold (no EndpointSlice is labelled
// with the Service's name). With Options.LiveEndpoints, sluice serve
// reads them from the cluster's EndpointSlices instead and fills in the
// ClusterLoadAssignments named by Cluster (and the copies policies made of
// it) over EDS.
type LiveService struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Port is the Service port; PortName and Protocol find its number in
	// an EndpointSlice, as in slicePort.
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

// SlicePort returns the number an EndpointSlice gives the Service port (the
// slice's port of the same name and protocol), or 0 when it has none.
func (s LiveService) SlicePort(slice *discoveryv1.EndpointSlice) uint32 {
	return slicePort(slice, corev1.ServicePort{Name: s.PortName, Protocol: s.Protocol})
}

// ServiceOfCluster returns the Service port cluster
// ("service/NAMESPACE/NAME/PORT") that a cluster name is, or is a copy of
// ("service/NAMESPACE/NAME/PORT/btp/..."), and whether it is one.
func ServiceOfCluster(name string) (string, bool) {
	parts := strings.SplitN(name, "/", 5)
	if len(parts) < 4 || parts[0] != "service" {
		return "", false
	}
	return strings.Join(parts[:4], "/"), true
}

// liveServices lists, for each gateway, the Service ports its endpoints
// name (clusters and failover localities) that have no EndpointSlice in
// the repository. It reads the output, so it holds whatever incremental
// translation reused.
func (t *translator) liveServices(gateways []*GatewayResult) {
	if !t.opts.LiveEndpoints {
		return
	}
	idx := t.res.idx()
	for _, g := range gateways {
		seen := map[string]bool{}
		var names []string
		for _, cla := range g.Endpoints {
			names = append(names, cla.ClusterName)
			for _, loc := range cla.Endpoints {
				if loc.Locality != nil {
					names = append(names, loc.Locality.Region) // failover groups
				}
			}
		}
		g.LiveServices = nil
		for _, name := range names {
			prefix, ok := ServiceOfCluster(name)
			if !ok || seen[prefix] {
				continue
			}
			seen[prefix] = true
			if s, ok := liveService(idx, prefix); ok {
				g.LiveServices = append(g.LiveServices, s)
			}
		}
		slices.SortFunc(g.LiveServices, func(a, b LiveService) int {
			return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Port, b.Port))
		})
	}
}

// liveService returns the Service port of a cluster prefix
// ("service/NS/NAME/PORT") when the repository has no EndpointSlices for
// the Service (nor is it an ExternalName). A port number that the Service
// has for several protocols is taken as TCP, then UDP, then SCTP.
func liveService(idx *resourceIndex, prefix string) (LiveService, bool) {
	parts := strings.Split(prefix, "/")
	key := parts[1] + "/" + parts[2]
	svc := idx.services[key]
	port, err := strconv.Atoi(parts[3])
	if svc == nil || err != nil || len(idx.slices[key]) > 0 || svc.Spec.Type == corev1.ServiceTypeExternalName {
		return LiveService{}, false
	}
	for _, proto := range []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP} {
		if sp, ok := servicePort(svc, int32(port), proto); ok {
			return LiveService{Namespace: svc.Namespace, Name: svc.Name, Port: sp.Port, PortName: sp.Name, Protocol: proto}, true
		}
	}
	return LiveService{}, false
}
