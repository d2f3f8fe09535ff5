// Package kube watches the EndpointSlices of the Services sluice is told
// to want, in a Kubernetes cluster: one client-go informer per namespace,
// listing only the slices labelled kubernetes.io/service-name with a
// wanted Service's name (watcher.go), and says what keeps it from
// watching: a namespace it may not watch, a missing RBAC permission, an
// unreachable API server (status.go). An informer keeps what it last
// listed through errors, so the last good endpoints stay.
//
// It hands on EndpointSlices as the API server has them. It must not know
// about xDS nor Gateway API: serve/endpoints turns the slices into EDS.
package kube
