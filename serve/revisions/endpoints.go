package revisions

import (
	"sort"
	"time"

	"github.com/sluice-gitops/sluice/translate"
)

// Endpoints fills in the endpoints of Services that the repository has no
// EndpointSlices for, from the cluster (serve/endpoints, in cluster
// mode). Its methods are called with the History's lock held and must not
// call back into it.
type Endpoints interface {
	// Overlay returns g with the live endpoints of g.LiveServices in its
	// ClusterLoadAssignments. It must not change g, which is kept.
	Overlay(g *translate.GatewayResult) *translate.GatewayResult
	// Generation counts the changes of the live endpoints.
	Generation() uint64
	// Problems names what keeps endpoints from being live; none when
	// healthy.
	Problems() []string
}

// EndpointsServed is the generation of the live endpoints a revision is
// served with, and how often they changed its snapshots since it was
// applied (each an EDS-only update, no new revision).
type EndpointsServed struct {
	Generation uint64    `json:"generation"`
	Updates    int       `json:"updates"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

// UseEndpoints makes e fill in the live endpoints of every snapshot
// planned from now on; RefreshEndpoints serves its changes.
func (s *History) UseEndpoints(e Endpoints) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live = e
}

// overlay is g with its live endpoints. Callers hold s.mu.
func (s *History) overlay(g *translate.GatewayResult) *translate.GatewayResult {
	if s.live == nil || len(g.LiveServices) == 0 {
		return g
	}
	return s.live.Overlay(g)
}

// noteEndpoints records on rec the generation of the live endpoints it is
// served with. Callers hold s.mu.
func (s *History) noteEndpoints(rec *Record, updates int) {
	if s.live == nil {
		return
	}
	next := EndpointsServed{Generation: s.live.Generation(), Updates: updates, UpdatedAt: time.Now().UTC()}
	s.store.update(func() {
		if rec.Endpoints != nil && updates > 0 {
			next.Updates += rec.Endpoints.Updates
		}
		// A new value each time: copies of the record share the pointer.
		rec.Endpoints = &next
		s.store.saveLater(rec)
	})
}

// RefreshEndpoints serves the live endpoints as they are now to every
// gateway whose snapshot they change: an EDS-only update of the applied
// revision, not a new revision. The revision's record takes the new
// versions (its Envoys are pending again) and the endpoint generation. A
// snapshot that fails its checks is logged and the last good one keeps
// serving. It returns how many gateways were pushed.
func (s *History) RefreshEndpoints() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live == nil || s.applied == nil {
		return 0
	}
	keys := make([]string, 0, len(s.current))
	for key, cur := range s.current {
		if cur.res != nil && len(cur.res.LiveServices) > 0 {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	pushed := 0
	for _, key := range keys {
		cur := s.current[key]
		p, err := s.plan(key, cur.res)
		if err != nil {
			s.log.Error("live endpoints do not make a valid snapshot; the last good one keeps serving", "gateway", key, "err", err)
			continue
		}
		if p.versions.Gateway == cur.version {
			continue
		}
		// Before the push: an Envoy may ACK before setSnapshot returns.
		var undo func()
		s.store.update(func() { undo = s.applied.repoint(s.store.byVersion, key, cur.version, p) })
		if err := s.setSnapshot(key, p.snap); err != nil {
			s.store.update(undo)
			s.log.Error("serve live endpoints", "gateway", key, "err", err)
			continue
		}
		s.current[key] = p.served()
		pushed++
	}
	if pushed > 0 {
		s.noteEndpoints(s.applied, pushed)
		s.log.Debug("live endpoints served", "gateways", pushed, "generation", s.live.Generation())
	}
	return pushed
}

// repoint makes the health entry of gateway key follow its new versions
// p (the EDS version moved; the other types' stay): its Envoys must ACK
// that one now. It returns what undoes it. Callers hold the store's lock.
func (r *Record) repoint(byVersion map[versionKey]*Record, key, old string, p gatewayPlan) (undo func()) {
	h := r.gateway(key)
	if h == nil {
		return func() {}
	}
	oldKey, newKey := versionKey{key, old}, versionKey{key, p.versions.Gateway}
	was, wasOld := *h, byVersion[oldKey]
	if wasOld == r {
		delete(byVersion, oldKey)
	}
	byVersion[newKey] = r
	h.Version, h.Types, h.Pushed, h.Resources = p.versions.Gateway, p.typeVersions(), true, p.counts
	h.Acked, h.Nacked, h.MoreAcked, h.MoreNacked = nil, nil, 0, 0
	return func() {
		*h = was
		delete(byVersion, newKey)
		if wasOld != nil {
			byVersion[oldKey] = wasOld
		}
	}
}

// LiveServices lists the Services of the served gateways whose endpoints
// are live, sorted and without repeats.
func (s *History) LiveServices() []translate.LiveService {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[translate.LiveService]bool{}
	var out []translate.LiveService
	for _, cur := range s.current {
		if cur.res == nil {
			continue
		}
		for _, ls := range cur.res.LiveServices {
			if !seen[ls] {
				seen[ls] = true
				out = append(out, ls)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Cluster() < out[j].Cluster() })
	return out
}

// EndpointProblems names what keeps the live endpoints from being
// current, and reports whether there are live endpoints (cluster mode).
func (s *History) EndpointProblems() (problems []string, live bool) {
	s.mu.Lock()
	e := s.live
	s.mu.Unlock()
	if e == nil {
		return nil, false
	}
	return e.Problems(), true
}
