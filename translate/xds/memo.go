package xds

import (
	"reflect"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// Kept is what one build kept of the xDS it made, by IR object: the
// virtual hosts and the clusters (with their endpoints). translate keeps
// the IR objects of unchanged routes and Backends from one revision to
// the next (translate/incremental.go), so the next build finds their xDS
// here instead of making it again. Kept objects are shared by the results
// of two builds and never changed.
type Kept struct {
	vhosts   map[*ir.VirtualHost]vhostXDS
	clusters map[*ir.Cluster]clusterXDS
}

type vhostXDS struct {
	vh *routev3.VirtualHost
	// specific tells that a backend of the virtual host has header
	// filters (buildRouteConfig).
	specific bool
}

type clusterXDS struct {
	family string // the Gateway's IP family
	c      *ir.Cluster
	cl     *clusterv3.Cluster
	cla    *endpointv3.ClusterLoadAssignment
}

// Memo is the memory of one translation's builds: it reads what the last
// one kept and keeps what this one builds. A nil *Memo builds everything
// and keeps nothing. A Memo is used by one translation at a time.
type Memo struct {
	last, next *Kept
	// lastByName indexes last's clusters by name, once needed.
	lastByName map[string]clusterXDS
}

// NewMemo returns the Memo of a translation that may reuse what last
// kept (last may be nil).
func NewMemo(last *Kept) *Memo {
	if last == nil {
		last = &Kept{}
	}
	return &Memo{last: last, next: &Kept{
		vhosts:   make(map[*ir.VirtualHost]vhostXDS, len(last.vhosts)),
		clusters: make(map[*ir.Cluster]clusterXDS, len(last.clusters)),
	}}
}

// Kept returns what the builds with m kept, for the next translation's
// Memo.
func (m *Memo) Kept() *Kept { return m.next }

// virtualHost is buildVirtualHost, kept by IR object.
func (m *Memo) virtualHost(vh *ir.VirtualHost) (*routev3.VirtualHost, bool) {
	if m == nil {
		return buildVirtualHost(vh)
	}
	x, ok := m.last.vhosts[vh]
	if !ok {
		x.vh, x.specific = buildVirtualHost(vh)
	}
	m.next.vhosts[vh] = x
	return x.vh, x.specific
}

// cluster is buildCluster with the DNS lookup family of the Gateway set,
// kept by IR object and family.
func (m *Memo) cluster(c *ir.Cluster, family string) (*clusterv3.Cluster, *endpointv3.ClusterLoadAssignment) {
	if m != nil {
		if x, ok := m.last.clusters[c]; ok && x.family == family {
			m.next.clusters[c] = x
			return x.cl, x.cla
		}
		// Some clusters are copied anew on every translation (those of
		// SecurityPolicies, BackendTrafficPolicies' copies for L4
		// routes): a copy like last time's of its name has its xDS.
		if x, ok := m.lastCluster(c.Name); ok && x.family == family && reflect.DeepEqual(x.c, c) {
			x.c = c
			m.next.clusters[c] = x
			return x.cl, x.cla
		}
	}
	cl, cla := buildCluster(c)
	if cl.GetType() == clusterv3.Cluster_STRICT_DNS {
		cl.DnsLookupFamily = dnsLookupFamily(family)
	}
	if m != nil {
		m.next.clusters[c] = clusterXDS{family: family, c: c, cl: cl, cla: cla}
	}
	return cl, cla
}

// lastCluster returns what the last build made for the cluster of a
// name.
func (m *Memo) lastCluster(name string) (clusterXDS, bool) {
	if m.lastByName == nil {
		m.lastByName = make(map[string]clusterXDS, len(m.last.clusters))
		for _, x := range m.last.clusters {
			m.lastByName[x.c.Name] = x
		}
	}
	x, ok := m.lastByName[name]
	return x, ok
}
