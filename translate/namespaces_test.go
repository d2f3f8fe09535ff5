package translate

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestNamespaceSelected(t *testing.T) {
	prod := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "prod", Labels: map[string]string{
		"env": "prod", corev1.LabelMetadataName: "claimed",
	}}}
	res := &Resources{Namespaces: []*corev1.Namespace{prod}}
	byName := func(ns string) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: ns}}
	}
	tests := map[string]struct {
		sel  *metav1.LabelSelector
		ns   string
		want bool
	}{
		"label of the object":           {&metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}, "prod", true},
		"no object, no label":           {&metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}, "dev", false},
		"implicit name without object":  {byName("dev"), "dev", true},
		"implicit name wins over label": {byName("prod"), "prod", true},
		"claimed name is not the name":  {byName("claimed"), "prod", false},
		"empty selects all":             {&metav1.LabelSelector{}, "dev", true},
		"nil selects none":              {nil, "prod", false},
		"invalid selects none": {&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "env", Operator: metav1.LabelSelectorOpExists, Values: []string{"x"}},
		}}, "prod", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := res.namespaceSelected(tc.sel, tc.ns); got != tc.want {
				t.Errorf("namespaceSelected(%v, %q) = %v, want %v", tc.sel, tc.ns, got, tc.want)
			}
		})
	}
}

func TestSelectorProblem(t *testing.T) {
	selector := gwapiv1.NamespacesFromSelector
	all := gwapiv1.NamespacesFromAll
	bad := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Near"}}}
	tests := map[string]struct {
		ar   *gwapiv1.AllowedRoutes
		want string // substring; "" means no problem
	}{
		"none":        {nil, ""},
		"from all":    {&gwapiv1.AllowedRoutes{Namespaces: &gwapiv1.RouteNamespaces{From: &all, Selector: bad}}, ""},
		"missing":     {&gwapiv1.AllowedRoutes{Namespaces: &gwapiv1.RouteNamespaces{From: &selector}}, "must be specified"},
		"invalid":     {&gwapiv1.AllowedRoutes{Namespaces: &gwapiv1.RouteNamespaces{From: &selector, Selector: bad}}, "spec.listeners[2].allowedRoutes.namespaces.selector: "},
		"valid empty": {&gwapiv1.AllowedRoutes{Namespaces: &gwapiv1.RouteNamespaces{From: &selector, Selector: &metav1.LabelSelector{}}}, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := selectorProblem("spec.listeners[2]", tc.ar)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("selectorProblem = %q, want %q", got, tc.want)
			}
		})
	}
}
