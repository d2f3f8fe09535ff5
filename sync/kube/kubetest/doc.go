// Package kubetest runs a real kube-apiserver on a real etcd for tests,
// one per test binary (start it in TestMain), on free loopback ports. The
// binaries are built by .ci/kube/build into
// ${XDG_CACHE_HOME:-~/.cache}/sluice-kube/VERSION, or found in
// $SLUICE_KUBE_BIN.
//
// Objects (objects.go) makes the namespaces, Services, EndpointSlices and
// RBAC objects tests need.
//
// It is test support: production code must not import it.
package kubetest
