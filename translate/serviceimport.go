package translate

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/load"
	"github.com/sluice-gitops/sluice/translate/status"
)

// ServiceImport backends, as in Envoy Gateway: a backendRef of group
// multicluster.x-k8s.io and kind ServiceImport names a Service exported
// by the clusters of a cluster set (the Multi-Cluster Services API) and
// one of its spec.ports. Its endpoints are read as a Service's
// (service.go), from the EndpointSlices of its namespace labelled
// multicluster.kubernetes.io/service-name: <name>: the slice port of the
// ServiceImport port's name and protocol gives the port number. The
// cluster set's virtual IPs (spec.ips) are not used: Envoy balances over
// the endpoints, as Envoy Gateway does by default. FQDN slices make the
// cluster resolve their names itself.
//
// Each ServiceImport port is one cluster, serviceimport/<namespace>/<name>/<port>.
// A cluster without endpoints is still served (Envoy answers 503) and the
// reason is a warning.

// groupMulticluster is the API group of ServiceImport.
const groupMulticluster = "multicluster.x-k8s.io"

// serviceImportCluster resolves a reference to port of ServiceImport
// namespace/name, as serviceCluster a Service's.
func (t *translator) serviceImportCluster(namespace, name string, port *gwapiv1.PortNumber, proto corev1.Protocol, field string) (*ir.Cluster, string, string) {
	si := t.res.idx().imports[namespace+"/"+name]
	if si == nil {
		return nil, status.ReasonBackendNotFound, fmt.Sprintf("field %s.name: ServiceImport %s/%s does not exist", field, namespace, name)
	}
	if port == nil {
		return nil, status.ReasonBackendNotFound, fmt.Sprintf("field %s.port: is required for a ServiceImport", field)
	}
	var sp *corev1.ServicePort
	for _, p := range si.Spec.Ports {
		if p.Port == int32(*port) && protocolOf(p.Protocol) == proto {
			sp = &corev1.ServicePort{Name: p.Name, Protocol: proto, AppProtocol: p.AppProtocol, Port: p.Port}
			break
		}
	}
	if sp == nil {
		return nil, status.ReasonBackendNotFound, fmt.Sprintf("field %s.port: ServiceImport %s/%s has no %s port %d (its ports: %s)", field, namespace, name, proto, *port, importPorts(si))
	}
	key := fmt.Sprintf("%s/%d/%s", objectKey("ServiceImport", namespace, name), sp.Port, proto)
	b := t.serviceImportState(key, si, *sp)
	t.rec.serviceImport(key, si, *sp, b)
	return b.cluster, "", ""
}

// serviceImportState is serviceState for a port of a ServiceImport.
func (t *translator) serviceImportState(key string, si *load.ServiceImport, sp corev1.ServicePort) *backendState {
	return t.portState(key, func() *ir.Cluster { return t.buildImportCluster(si, sp) }, true)
}

// buildImportCluster builds the cluster of one ServiceImport port,
// warning when it has no endpoints.
func (t *translator) buildImportCluster(si *load.ServiceImport, sp corev1.ServicePort) *ir.Cluster {
	c := &ir.Cluster{Name: fmt.Sprintf("serviceimport/%s/%s/%d", si.Namespace, si.Name, sp.Port)}
	c.HTTP2 = sp.AppProtocol != nil && *sp.AppProtocol == "kubernetes.io/h2c"
	t.sliceCluster(c, "ServiceImport", si.Namespace, si.Name, load.LabelServiceImportName, t.res.idx().importSlices[si.Namespace+"/"+si.Name], sp)
	return c
}

func importPorts(si *load.ServiceImport) string {
	ports := make([]corev1.ServicePort, len(si.Spec.Ports))
	for i, p := range si.Spec.Ports {
		ports[i] = corev1.ServicePort{Name: p.Name, Protocol: p.Protocol, Port: p.Port}
	}
	return portList(ports)
}
