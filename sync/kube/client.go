package kube

import (
	"fmt"

	discoveryclient "k8s.io/client-go/kubernetes/typed/discovery/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// RESTConfig is the API server and credentials of a kubeconfig file, or,
// when kubeconfig is "", of the Pod sluice runs in (its ServiceAccount).
func RESTConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig == "" {
		c, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("kubernetes: in-cluster config (set kubernetes.kubeconfig outside a cluster): %w", err)
		}
		return c, nil
	}
	c, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: kubeconfig %s: %w", kubeconfig, err)
	}
	return c, nil
}

// NewClient is an EndpointSlice client of RESTConfig(kubeconfig).
func NewClient(kubeconfig string) (*discoveryclient.DiscoveryV1Client, error) {
	c, err := RESTConfig(kubeconfig)
	if err != nil {
		return nil, err
	}
	c.UserAgent = "sluice"
	return discoveryclient.NewForConfig(c)
}
