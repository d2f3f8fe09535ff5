package revisions

import (
	"github.com/sluice-gitops/sluice/serve/notify"
)

// event tells Options.Notify what happened to rec (nil for none): one of
// the notify event types, with a message.
func (s *History) event(typ string, rec *Record, msg string) {
	if s.notify == nil {
		return
	}
	ev := notify.Event{Type: typ, Message: msg}
	if rec != nil {
		ev.Revision, ev.SHA, ev.Subject = rec.Revision.String(), rec.SHA, rec.Subject
	}
	s.notify(ev)
}

// recorded tells what became of a revision recorded by Apply or Reject:
// applied or rejected (a pending one waits behind the pin: not news).
func (s *History) recorded(rec *Record) {
	switch rec.State {
	case StateApplied:
		s.event(notify.RevisionApplied, rec, "")
	case StateRejected:
		s.event(notify.RevisionRejected, rec, rec.Reason)
	}
}
