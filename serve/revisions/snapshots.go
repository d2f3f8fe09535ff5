package revisions

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/sluice-gitops/sluice/translate"
)

// build makes and checks the snapshot of every gateway to serve for a
// translation: the translated gateways (keys), and an empty snapshot for
// gateways served before and Envoys of unknown gateways. Callers hold s.mu.
func (s *History) build(res *translate.Result) ([]gatewayPlan, map[string]bool, error) {
	var plans []gatewayPlan
	var errs []error
	keys := map[string]bool{}
	for _, g := range res.Gateways {
		p, err := s.plan(g.Key(), g)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		keys[g.Key()] = true
		plans = append(plans, p)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	// Gateways that were served before but are gone now get an empty
	// snapshot. (Envoys of gateways never served get the unknown
	// gateways' one: serveUnknown.)
	for key := range s.current {
		if !keys[key] {
			p, err := s.plan(key, &translate.GatewayResult{})
			if err != nil {
				return nil, nil, err
			}
			plans = append(plans, p)
		}
	}
	sort.Slice(plans, func(i, j int) bool { return plans[i].key < plans[j].key })
	return plans, keys, nil
}

// publish serves the plans of rec: it records rec's health entries
// (keeping the ACKs of an entry whose version is unchanged, as after a
// restart), sets the snapshots that changed and makes rec the applied
// record, superseding the previous one. It is the one path of Apply,
// Rollback, Unpin and a restart. Callers hold s.mu and call finish.
func (s *History) publish(rec *Record, plans []gatewayPlan, keys map[string]bool) error {
	// Record the health entries before publishing: an Envoy may ACK before
	// SetSnapshot returns.
	start := time.Now()
	var health []*GatewayHealth
	push := map[string]bool{}
	for _, p := range plans {
		cur, ok := s.current[p.key]
		pushed := !ok || cur.version != p.versions.Gateway
		push[p.key] = pushed
		if !pushed && !keys[p.key] {
			continue // a gateway that stays absent is not news
		}
		h := &GatewayHealth{Gateway: p.key, Version: p.versions.Gateway, Types: p.typeVersions(), Resources: p.counts, Pushed: pushed}
		if pushed {
			h.PublishedAt = &start
		}
		s.store.update(func() {
			if old := rec.gateway(p.key); old != nil && old.Version == h.Version {
				h.Acked, h.Nacked, h.FirstAckSeconds, h.LastAckSeconds = old.Acked, old.Nacked, old.FirstAckSeconds, old.LastAckSeconds
				h.PublishedAt, h.AllAckedSeconds = old.PublishedAt, old.AllAckedSeconds
				h.Failed, h.FailReason = old.Failed, old.FailReason
			}
		})
		health = append(health, h)
	}
	s.store.update(func() {
		rec.Gateways = health
		for _, h := range health {
			if k := (versionKey{h.Gateway, h.Version}); h.Pushed || s.store.byVersion[k] == nil {
				s.store.byVersion[k] = rec
			}
		}
	})
	if err := s.serveUnknown(rec.SHA); err != nil {
		return err
	}
	nodes := s.pub.Connected()
	for _, p := range plans {
		if push[p.key] {
			if cur, ok := s.current[p.key]; ok {
				s.store.freezePending(p.key, cur.version, nodes)
			}
			if err := s.setSnapshot(p.key, p.snap); err != nil {
				return fmt.Errorf("set snapshot of %s: %w", p.key, err)
			}
			s.current[p.key] = p.served()
		}
		for typ, n := range p.counts {
			s.metrics.snapshotRes.WithLabelValues(p.key, typ).Set(float64(n))
		}
	}
	// The record served before is superseded; before the first publish
	// after a restart, any record the store still has as served.
	s.store.update(func() {
		for _, r := range s.store.records {
			if r != rec && (r == s.applied || s.applied == nil) && (r.State == StateApplied || r.State == StatePinned) {
				r.State, r.Reason = StateSuperseded, ""
				s.store.dirty[r] = true // written with rec by finish
			}
		}
		now := time.Now()
		rec.AppliedAt = &now
	})
	s.applied = rec
	s.noteEndpoints(rec, 0)
	s.metrics.lastApplied.SetToCurrentTime()
	return nil
}

// hold records the health entries of a revision that is not served (a
// pending one): its versions and resource counts, nothing pushed. Callers
// hold s.mu.
func (s *History) hold(rec *Record, plans []gatewayPlan, keys map[string]bool) {
	var health []*GatewayHealth
	for _, p := range plans {
		if keys[p.key] {
			health = append(health, &GatewayHealth{Gateway: p.key, Version: p.versions.Gateway, Types: p.typeVersions(), Resources: p.counts})
		}
	}
	s.store.update(func() { rec.Gateways = health })
}

// meta is what the store keeps besides the records. Callers hold s.mu.
func (s *History) meta() map[string]string {
	m := map[string]string{string(metaPin): s.pin, string(metaHead): s.head}
	if s.applied != nil {
		m[string(metaServed)] = s.applied.SHA
	}
	return m
}

// shortSHA is the first 12 characters of a SHA.
func shortSHA(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
