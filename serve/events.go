package serve

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Live updates (GET /api/v1/events) are server-sent events: an event
// "change" with the history's generation and the status each time what
// the dashboard shows changes, and a comment line every eventsKeepAlive
// so that proxies keep the stream open.
const (
	eventsPoll      = 250 * time.Millisecond
	eventsKeepAlive = 15 * time.Second
	// maxEventStreams bounds the streams open at once: each costs a
	// goroutine and a poll.
	maxEventStreams = 64
)

// Change is the data of a "change" event.
type Change struct {
	Generation uint64 `json:"generation"`
	Status     Status `json:"status"`
}

// eventsAPI streams a "change" event at once and after every change.
func (s *admin) eventsAPI(opts AdminOptions) handlerFunc {
	slots := make(chan struct{}, maxEventStreams)
	return func(w http.ResponseWriter, r *http.Request) error {
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
		default:
			return &APIError{HTTPStatus: http.StatusServiceUnavailable, Message: fmt.Sprintf("too many event streams open (%d)", maxEventStreams)}
		}
		rc := http.NewResponseController(w)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		poll, keep := time.NewTicker(eventsPoll), time.NewTicker(eventsKeepAlive)
		defer poll.Stop()
		defer keep.Stop()
		sent := ^uint64(0)
		for {
			if gen := s.hist.Generation(); gen != sent {
				b, err := json.Marshal(Change{Generation: gen, Status: s.status(opts)})
				if err != nil {
					return nil
				}
				if _, err := fmt.Fprintf(w, "event: change\nid: %d\ndata: %s\n\n", gen, b); err != nil {
					return nil // the client went away
				}
				sent = gen
				rc.Flush()
			}
			select {
			case <-r.Context().Done():
				return nil
			case <-keep.C:
				if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
					return nil
				}
				rc.Flush()
			case <-poll.C:
			}
		}
	}
}
