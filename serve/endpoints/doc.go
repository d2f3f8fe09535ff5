// Package endpoints serves live endpoints in a cluster: for the Services
// that served routes reference and the repository has no EndpointSlices
// for (translate's LiveServices), it has sync/kube watch their
// EndpointSlices and fills them into the gateways' ClusterLoadAssignments
// (overlay.go): ready and serving endpoints, by zone, IPv4 and IPv6, the
// port named as the Service port. Changes are gathered for a short window
// and then served at once (live.go), as EDS-only updates of the applied
// revision (revisions.History.RefreshEndpoints), not as new revisions.
//
// It must not translate nor keep history: the reconciler (serve/reconcile)
// tells it which Services are served and hands it to the History.
package endpoints
