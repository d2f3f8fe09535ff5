package kubetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	discoveryclient "k8s.io/client-go/kubernetes/typed/discovery/v1"
	rbacclient "k8s.io/client-go/kubernetes/typed/rbac/v1"
)

// Objects writes objects to the server as the administrator; each method
// fails the test on error.
type Objects struct {
	t    testing.TB
	ctx  context.Context
	Core corev1client.CoreV1Interface
	Disc discoveryclient.DiscoveryV1Interface
	RBAC rbacclient.RbacV1Interface
}

// Objects returns the administrator's clients for t.
func (s *Server) Objects(t testing.TB) *Objects {
	t.Helper()
	c := s.Config("admin")
	core, err := corev1client.NewForConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	return &Objects{t: t, ctx: t.Context(), Core: core, Disc: discoveryclient.NewForConfigOrDie(c), RBAC: rbacclient.NewForConfigOrDie(c)}
}

// Namespace creates a namespace named prefix-<random> and returns its
// name. Namespaces are never deleted: without a controller manager a
// deleted one stays Terminating, so every test takes a new one.
func (o *Objects) Namespace(prefix string) string {
	o.t.Helper()
	b := make([]byte, 3)
	rand.Read(b)
	name := prefix + "-" + hex.EncodeToString(b)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := o.Core.Namespaces().Create(o.ctx, ns, metav1.CreateOptions{}); err != nil {
		o.t.Fatalf("create namespace %s: %v", name, err)
	}
	return name
}

// Endpoint is one endpoint of a slice.
type Endpoint struct {
	Addr string
	Zone string
	// NotReady sets conditions.ready false; Terminating sets serving false
	// and terminating true.
	NotReady, Terminating bool
}

// SetSlice creates or replaces EndpointSlice ns/name of Service svc with
// one port (portName, port) and the endpoints eps, whose first address
// decides the address type (IPv6 when it has a colon).
func (o *Objects) SetSlice(ns, name, svc, portName string, port int32, eps ...Endpoint) {
	o.t.Helper()
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: &portName, Port: &port}},
	}
	if len(eps) > 0 && strings.Contains(eps[0].Addr, ":") {
		s.AddressType = discoveryv1.AddressTypeIPv6
	}
	for _, e := range eps {
		ready, serving, terminating := !e.NotReady && !e.Terminating, !e.Terminating, e.Terminating
		ep := discoveryv1.Endpoint{Addresses: []string{e.Addr}, Conditions: discoveryv1.EndpointConditions{Ready: &ready, Serving: &serving, Terminating: &terminating}}
		if e.Zone != "" {
			ep.Zone = &e.Zone
		}
		s.Endpoints = append(s.Endpoints, ep)
	}
	client := o.Disc.EndpointSlices(ns)
	old, err := client.Get(o.ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = client.Create(o.ctx, s, metav1.CreateOptions{})
	case err == nil:
		s.ResourceVersion = old.ResourceVersion
		_, err = client.Update(o.ctx, s, metav1.UpdateOptions{})
	}
	if err != nil {
		o.t.Fatalf("set EndpointSlice %s/%s: %v", ns, name, err)
	}
}

// DeleteSlice deletes EndpointSlice ns/name.
func (o *Objects) DeleteSlice(ns, name string) {
	o.t.Helper()
	if err := o.Disc.EndpointSlices(ns).Delete(o.ctx, name, metav1.DeleteOptions{}); err != nil {
		o.t.Fatalf("delete EndpointSlice %s/%s: %v", ns, name, err)
	}
}

// GrantSlices lets user get, list and watch the EndpointSlices of ns, as
// examples/kubernetes's Role does.
func (o *Objects) GrantSlices(ns, user string) {
	o.t.Helper()
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "endpointslice-reader", Namespace: ns},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{discoveryv1.GroupName}, Resources: []string{"endpointslices"},
			Verbs: []string{"get", "list", "watch"},
		}},
	}
	if _, err := o.RBAC.Roles(ns).Create(o.ctx, role, metav1.CreateOptions{}); err != nil {
		o.t.Fatalf("create Role: %v", err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "endpointslice-reader-" + user, Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	}
	if _, err := o.RBAC.RoleBindings(ns).Create(o.ctx, binding, metav1.CreateOptions{}); err != nil {
		o.t.Fatalf("create RoleBinding: %v", err)
	}
}

// Eventually polls cond every 20ms until it holds, failing t with what
// after timeout.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
