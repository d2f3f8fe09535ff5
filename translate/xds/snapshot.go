package xds

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
)

// validator is what every generated xDS message implements.
type validator interface {
	ValidateAll() error
}

// Resources returns the gateway's resources by xDS type URL.
func (g *Gateway) Resources() map[resourcev3.Type][]types.Resource {
	return map[resourcev3.Type][]types.Resource{
		resourcev3.ListenerType: asResources(g.Listeners),
		resourcev3.RouteType:    asResources(g.Routes),
		resourcev3.ClusterType:  asResources(g.Clusters),
		resourcev3.EndpointType: asResources(g.Endpoints),
		resourcev3.SecretType:   asResources(g.Secrets),
	}
}

func asResources[M types.Resource](ms []M) []types.Resource {
	out := make([]types.Resource, 0, len(ms))
	for _, m := range ms {
		out = append(out, m)
	}
	return out
}

// Snapshot validates every resource with ValidateAll, down into the
// configs packed in Any fields (ValidateDeep), builds a
// go-control-plane snapshot with the given version and checks that it is
// Consistent. Nothing that fails these checks may be served.
func (g *Gateway) Snapshot(version string) (*cachev3.Snapshot, error) {
	res := g.Resources()
	var errs []error
	for _, typ := range slices.Sorted(maps.Keys(res)) {
		for _, r := range res[typ] {
			if err := ValidateDeep(r); err != nil {
				errs = append(errs, fmt.Errorf("%s %q: %w", typ, cachev3.GetResourceName(r), err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("gateway %s: invalid xDS: %w", g.Key(), err)
	}
	snap, err := cachev3.NewSnapshot(version, res)
	if err != nil {
		return nil, fmt.Errorf("gateway %s: snapshot: %w", g.Key(), err)
	}
	if err := snap.Consistent(); err != nil {
		return nil, fmt.Errorf("gateway %s: snapshot is not consistent: %w", g.Key(), err)
	}
	// Consistent does not look at SDS: check that the secrets are exactly
	// those the listeners use (TLS certificates, oauth2 credentials).
	if err := g.secretsConsistent(); err != nil {
		return nil, fmt.Errorf("gateway %s: snapshot is not consistent: %w", g.Key(), err)
	}
	return snap, nil
}

func (g *Gateway) secretsConsistent() error {
	refs, err := sdsReferences(g.Listeners)
	if err != nil {
		return err
	}
	filterRefs, err := httpFilterSDSReferences(g.Listeners)
	if err != nil {
		return err
	}
	refs = append(refs, filterRefs...)
	slices.Sort(refs)
	refs = slices.Compact(refs)
	have := map[string]bool{}
	for _, s := range g.Secrets {
		have[s.GetName()] = true
	}
	var errs []error
	for _, r := range refs {
		if !have[r] {
			errs = append(errs, fmt.Errorf("secret %q is referenced but missing", r))
		}
		delete(have, r)
	}
	if len(have) > 0 {
		errs = append(errs, fmt.Errorf("%d secrets are not referenced by any listener", len(have)))
	}
	return errors.Join(errs...)
}
