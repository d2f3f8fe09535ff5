package load

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// groupMulticluster is the group of the Multi-Cluster Services API
// (KEP-1645, sigs.k8s.io/mcs-api), whose ServiceImport a route may name
// as a backend, as in Envoy Gateway.
const groupMulticluster = "multicluster.x-k8s.io"

// ServiceImport is a multicluster.x-k8s.io/v1alpha1 ServiceImport: a
// Service exported by the clusters of a cluster set. Its endpoints are
// the EndpointSlices labelled multicluster.kubernetes.io/service-name
// with its name. The type holds every field of the v1alpha1 schema (so
// that none is warned about as unknown); sluice reads spec.ports.
type ServiceImport struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ServiceImportSpec   `json:"spec,omitempty"`
	Status ServiceImportStatus `json:"status,omitempty"`
}

// ServiceImportSpec describes an imported Service.
type ServiceImportSpec struct {
	Ports []ServiceImportPort `json:"ports"`
	// IPs are the cluster set's virtual IPs; sluice routes to the
	// endpoints instead, as Envoy Gateway does by default.
	IPs []string `json:"ips,omitempty"`
	// Type is ClusterSetIP or Headless.
	Type                  string                        `json:"type,omitempty"`
	SessionAffinity       corev1.ServiceAffinity        `json:"sessionAffinity,omitempty"`
	SessionAffinityConfig *corev1.SessionAffinityConfig `json:"sessionAffinityConfig,omitempty"`
}

// ServiceImportPort is a port of a ServiceImport, as a Service port
// without a target port.
type ServiceImportPort struct {
	Name        string          `json:"name,omitempty"`
	Protocol    corev1.Protocol `json:"protocol,omitempty"`
	AppProtocol *string         `json:"appProtocol,omitempty"`
	Port        int32           `json:"port"`
}

// ServiceImportStatus names the clusters that export the Service.
type ServiceImportStatus struct {
	Clusters []ClusterStatus `json:"clusters,omitempty"`
}

// ClusterStatus names one exporting cluster.
type ClusterStatus struct {
	Cluster string `json:"cluster"`
}

// LabelServiceImportName labels the EndpointSlices of a ServiceImport.
const LabelServiceImportName = "multicluster.kubernetes.io/service-name"
