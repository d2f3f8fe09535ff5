package config

import (
	"fmt"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Kubernetes turns on live endpoints (cluster mode): the EndpointSlices of
// Services that the repository has no slices for are watched through the
// API server and served over EDS as they change.
type Kubernetes struct {
	// Kubeconfig is a kubeconfig file; empty uses the Pod's ServiceAccount
	// (in-cluster config).
	Kubeconfig string `json:"kubeconfig,omitempty" yaml:"kubeconfig"`
	// Namespaces sluice may watch; empty means any. A Service in another
	// namespace gets no endpoints, and /readyz says so.
	Namespaces []string `json:"namespaces,omitempty" yaml:"namespaces"`
	// Batch is how long endpoint changes are gathered before one EDS push
	// (default 100ms, at most 10s).
	Batch Duration `json:"batch" yaml:"batch"`
}

func (k *Kubernetes) validate() []error {
	var errs []error
	for i, ns := range k.Namespaces {
		for _, msg := range validation.IsDNS1123Label(ns) {
			errs = append(errs, fmt.Errorf("field kubernetes.namespaces[%d]: %q is not a namespace name: %s", i, ns, msg))
		}
	}
	if b := k.Batch.Duration; b < 0 || b > 10*time.Second {
		errs = append(errs, fmt.Errorf("field kubernetes.batch: %s is not between 0 and 10s", b))
	}
	return errs
}

func (k *Kubernetes) resolve(base string) {
	if k.Kubeconfig != "" && !filepath.IsAbs(k.Kubeconfig) {
		k.Kubeconfig = filepath.Join(base, k.Kubeconfig)
	}
}
