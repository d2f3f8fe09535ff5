package translate

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Namespaces: a listener's allowedRoutes may admit routes from the
// namespaces a label selector picks (from: Selector). The labels of a
// namespace are those of its Namespace object. A namespace that has no
// Namespace object in the revision still exists, as the namespace of the
// objects in it, with only the label Kubernetes sets on every namespace:
// kubernetes.io/metadata.name: <name>.

// namespaceLabels returns the labels of a namespace.
func (r *Resources) namespaceLabels(name string) labels.Set {
	if set, ok := r.idx().namespaceLabels[name]; ok {
		return set
	}
	return labels.Set{corev1.LabelMetadataName: name}
}

// namespaceSelected reports whether a selector picks a namespace. As in
// Kubernetes, a nil selector picks none and an empty one picks all; an
// invalid one picks none (selectorProblem says why).
func (r *Resources) namespaceSelected(sel *metav1.LabelSelector, namespace string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false
	}
	return s.Matches(r.namespaceLabels(namespace))
}

// selectorProblem returns why a listener's namespace selector cannot
// select anything, naming the field (field names the listener, e.g.
// "spec.listeners[0]"), or "" when it is fine. The Gateway API schema
// accepts both cases; translate does not accept such a listener.
func selectorProblem(field string, ar *gwapiv1.AllowedRoutes) string {
	if ar == nil || ar.Namespaces == nil || ar.Namespaces.From == nil || *ar.Namespaces.From != gwapiv1.NamespacesFromSelector {
		return ""
	}
	field += ".allowedRoutes.namespaces.selector"
	if ar.Namespaces.Selector == nil {
		return fmt.Sprintf("field %s: must be specified when from is Selector", field)
	}
	if _, err := metav1.LabelSelectorAsSelector(ar.Namespaces.Selector); err != nil {
		return fmt.Sprintf("field %s: %v", field, err)
	}
	return ""
}
