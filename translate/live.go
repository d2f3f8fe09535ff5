package translate

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/sluice-gitops/sluice/translate/xds"
)

// LiveService is a Service port whose endpoints come from the cluster
// (xds.LiveService).
type LiveService = xds.LiveService

// LiveSlicePort returns the number an EndpointSlice gives the Service
// port s (the slice's port of the same name and protocol), or 0 when it
// has none.
func LiveSlicePort(s LiveService, slice *discoveryv1.EndpointSlice) uint32 {
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
