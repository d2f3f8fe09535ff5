package publish

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
)

// Every version is derived from content alone, so that every replica,
// whatever history it saw and however often it restarted, serves the same
// content under the same version (DESIGN.md, Versions):
//   - a resource's version is a hash of its deterministic bytes, computed
//     once when it is marshalled (premarshal); an endpoint resource's also
//     covers the clusters it serves, so that a changed cluster is sent its
//     endpoints again (Envoy warms an updated EDS cluster until its
//     ClusterLoadAssignment arrives, or for initial_fetch_timeout);
//   - a type's version is a hash of its resources' names and versions: a
//     route change moves the routes' version only, and only the types
//     whose version moved are sent;
//   - a gateway's version is a hash of its types' versions: it names the
//     whole snapshot in the revision history, the admin API and the ACK
//     events, and an Envoy has taken it when it ACKed every type it was
//     sent at that version.

// Versions are the versions of a gateway's snapshot.
type Versions struct {
	// Gateway names the whole snapshot.
	Gateway string
	// Types maps a type URL to the version of its resources.
	Types map[string]string
}

// versionLen is the length of a version in hex digits (64 bits).
const versionLen = 16

// Prepare marshals every resource of snap once (see premarshal) and sets
// the version of each type and of each resource from their content. snap
// must be checked (Consistent, ValidateAll) and must not change after;
// preparing it again only reads it.
func Prepare(snap *cachev3.Snapshot) (Versions, error) {
	changed, err := premarshal(snap)
	if err != nil {
		return Versions{}, err
	}
	if changed || snap.VersionMap == nil {
		setVersions(snap)
	}
	v := Versions{Gateway: gatewayVersion(snap), Types: make(map[string]string, len(snap.Resources))}
	for i := range snap.Resources {
		if typeURL, err := cachev3.GetResponseTypeURL(types.ResponseType(i)); err == nil {
			v.Types[typeURL] = snap.Resources[i].Version
		}
	}
	return v, nil
}

// setVersions sets the versions of a premarshalled snapshot's resources
// and types.
func setVersions(snap *cachev3.Snapshot) {
	endpointOf := clusterHashes(snap)
	snap.VersionMap = make(map[string]map[string]string, len(snap.Resources))
	for i := range snap.Resources {
		typeURL, err := cachev3.GetResponseTypeURL(types.ResponseType(i))
		if err != nil {
			continue
		}
		items := snap.Resources[i].Items
		versions := make(map[string]string, len(items))
		for name, r := range items {
			m := r.Resource.(*marshaledResource)
			versions[name] = m.hash
			if typeURL == resourcev3.EndpointType && endpointOf[name] != "" {
				versions[name] = hashOf(m.hash, endpointOf[name])
			}
		}
		snap.VersionMap[typeURL] = versions
		snap.Resources[i].Version = typeVersion(versions)
	}
}

// clusterHashes maps an EDS service name to the hashes of the clusters
// that fetch it.
func clusterHashes(snap *cachev3.Snapshot) map[string]string {
	out := map[string]string{}
	clusters := snap.Resources[types.Cluster].Items
	for _, name := range slices.Sorted(maps.Keys(clusters)) {
		m := clusters[name].Resource.(*marshaledResource)
		c, ok := m.msg.(*clusterv3.Cluster)
		if !ok || c.GetType() != clusterv3.Cluster_EDS {
			continue
		}
		service := c.GetEdsClusterConfig().GetServiceName()
		if service == "" {
			service = name
		}
		out[service] = hashOf(out[service], m.hash)
	}
	return out
}

// typeVersion is the version of a type whose resources have versions.
func typeVersion(versions map[string]string) string {
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(versions)) {
		h.Write([]byte(name))
		h.Write([]byte{0})
		h.Write([]byte(versions[name]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:versionLen]
}

// gatewayVersion is the version of a snapshot whose types have versions.
func gatewayVersion(snap cachev3.ResourceSnapshot) string {
	h := sha256.New()
	for i := range types.UnknownType {
		typeURL, err := cachev3.GetResponseTypeURL(i)
		if err != nil {
			continue
		}
		h.Write([]byte(typeURL))
		h.Write([]byte{0})
		h.Write([]byte(snap.GetVersion(typeURL)))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:versionLen]
}

// hashOf hashes parts, each a version or a resource's bytes.
func hashOf[T string | []byte](parts ...T) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:versionLen]
}
