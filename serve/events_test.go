package serve_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/sluice-gitops/sluice/serve"
	"github.com/sluice-gitops/sluice/serve/revisions"
)

// TestEventStream: GET /api/v1/events sends a change event at once, and
// another with a newer generation and the new status when a revision is
// applied.
func TestEventStream(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOpts{})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.admin.URL+"/api/v1/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("GET /api/v1/events: %d %s", resp.StatusCode, ct)
	}
	events := bufio.NewScanner(resp.Body)
	next := func() serve.Change {
		t.Helper()
		var event string
		for events.Scan() {
			line := events.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				event = v
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok && event == "change" {
				var c serve.Change
				if err := json.Unmarshal([]byte(v), &c); err != nil {
					t.Fatal(err)
				}
				return c
			}
		}
		t.Fatalf("the stream ended: %v", events.Err())
		return serve.Change{}
	}
	first := next()
	if first.Status.Served != nil {
		t.Errorf("first event serves %+v before any revision", first.Status.Served)
	}
	rev, res := commit(t, 3000)
	h.apply(t, rev, res, revisions.StateApplied)
	for {
		c := next()
		if c.Generation <= first.Generation {
			t.Fatalf("generation %d after %d", c.Generation, first.Generation)
		}
		if c.Status.Served != nil && c.Status.Served.SHA == rev.SHA {
			break
		}
	}
}
