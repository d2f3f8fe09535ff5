package revisions

import (
	"fmt"

	"github.com/sluice-gitops/sluice/serve/notify"
	"github.com/sluice-gitops/sluice/serve/publish"
)

// noteGood remembers the snapshot of gateway that an Envoy just ACKed at
// version, when it is the one served: a later NACK rolls back to it.
func (s *History) noteGood(gateway, version string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.current[gateway]
	if !ok || cur.version != version {
		return
	}
	g := s.good[gateway]
	if n := len(g); n > 0 && g[n-1].version == version {
		return
	}
	g = append(g, cur)
	if len(g) > 2 {
		g = g[len(g)-2:]
	}
	s.good[gateway] = g
}

// rollbackGateway answers a NACK of version by a node of gateway
// (rollback.onNack): the revision that produced it is marked failed for
// the gateway, and the gateway is served again the newest other snapshot
// its Envoys ACKed, under its own version, so Envoys that run it are not
// sent anything. Other gateways keep the revision. Nothing is rolled back
// when version is no longer served or no other version was ever ACKed.
func (s *History) rollbackGateway(gateway, version, node, detail string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.current[gateway]
	if !ok || cur.version != version {
		return // already moved on
	}
	var target *served
	for i := len(s.good[gateway]) - 1; i >= 0; i-- {
		if g := s.good[gateway][i]; g.version != version {
			target = &g
			break
		}
	}
	reason := fmt.Sprintf("Envoy %s NACKed version %s: %s", publish.Clip(node, publish.MaxNodeName), version, publish.Clip(detail, maxLoggedDetail))
	if target == nil {
		reason += "; no earlier version was ACKed by this gateway, so it stays"
	} else {
		if err := s.setSnapshot(gateway, target.snap); err != nil {
			s.log.Error("auto-rollback failed", "gateway", gateway, "version", target.version, "err", err)
			return
		}
		s.store.freezePending(gateway, version, s.pub.Connected())
		s.current[gateway] = *target
		s.metrics.rollbacks.WithLabelValues(gateway, "nack").Inc()
		reason += "; rolled back to version " + target.version
	}
	var rec *Record
	s.store.update(func() {
		rec = s.store.byVersion[versionKey{gateway, version}]
		if rec == nil {
			return
		}
		if g := rec.gateway(gateway); g != nil {
			g.Failed, g.FailReason = true, reason
		}
		if rec.State != StateSuperseded && rec.State != StateRejected {
			rec.State = StateFailed
		}
	})
	s.changed()
	s.log.Warn("gateway rolled back after a NACK", "gateway", gateway, "reason", reason)
	if target != nil && s.notify != nil {
		ev := notify.Event{Type: notify.AutomaticRollback, Gateway: gateway, Node: node, Message: reason}
		s.store.update(func() {
			if rec != nil {
				ev.Revision, ev.SHA, ev.Subject = rec.Revision.String(), rec.SHA, rec.Subject
			}
		})
		s.notify(ev)
	}
	if rec != nil {
		s.store.save(s.meta(), rec)
		s.updateRevisionInfo()
	}
}
