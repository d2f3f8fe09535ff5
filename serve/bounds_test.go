package serve_test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sluice-gitops/sluice/serve/publish"
	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/serve/xdstest"
)

// TestNackFloodIsBounded: clients that make up node ids and NACK every
// response with a long error_detail cost a bounded amount: each detail is
// clipped to 4 KiB, a version lists at most 100 NACKing nodes (the others
// are counted), Envoys of gateways that do not exist get an empty
// snapshot but no store record and no metric series of their own.
func TestNackFloodIsBounded(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	h := start(t, harnessOpts{dataDir: dataDir})
	rec := h.apply(t, revision("one"), translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8888, 3000)), revisions.StateApplied)
	detail := strings.Repeat("x", 64<<10)
	reject := func(string, []proto.Message) error { return errors.New(detail) }
	const known, unknown = 120, 20
	var clients []*xdstest.Client
	for i := range known {
		clients = append(clients, h.dial(t, xdstest.Options{NodeID: fmt.Sprintf("made-up-%d", i), Cluster: "default/eg", Reject: reject}))
	}
	for i := range unknown {
		clients = append(clients, h.dial(t, xdstest.Options{NodeID: fmt.Sprintf("stray-%d", i), Cluster: fmt.Sprintf("flood/gw-%d", i), Reject: reject}))
	}
	for _, c := range clients {
		c.WaitFor(wait, func(s xdstest.State) bool { return len(s.NACKs) > 0 })
	}
	version := versionOf(t, rec, "default/eg").Version
	waitUntil(t, "every NACK of default/eg noted", func() error {
		g := h.health(t, rec.SHA, "default/eg")
		if n := len(g.Nacked) + g.MoreNacked; n != known {
			return fmt.Errorf("%d NACKing nodes noted, want %d: %v", n, known, g.Nacked[len(g.Nacked)-1].Node)
		}
		return nil
	})
	g := h.health(t, rec.SHA, "default/eg")
	if len(g.Nacked) != 100 || g.MoreNacked != known-100 {
		t.Errorf("version %s lists %d NACKs and counts %d more; want 100 listed, %d counted", version, len(g.Nacked), g.MoreNacked, known-100)
	}
	for _, n := range g.Nacked {
		if len(n.Error) > publish.MaxErrorDetail || !strings.Contains(n.Error, fmt.Sprintf("[%d bytes]", len(detail))) {
			t.Fatalf("NACK of %s kept %d bytes (%.40q…), want at most %d saying the length", n.Node, len(n.Error), n.Error, publish.MaxErrorDetail)
		}
	}
	for _, n := range h.srv.Nodes() {
		if len(n.NackError) > publish.MaxErrorDetail {
			t.Fatalf("node %s holds a %d-byte NACK", n.Node, len(n.NackError))
		}
	}
	checkFloodLeftNothing(t, h, rec.SHA, unknown)
	// A new revision writes the store now: its size is what the flood cost.
	h.apply(t, revision("two"), translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8888, 3001)), revisions.StateApplied)
	fi, err := os.Stat(filepath.Join(dataDir, revisions.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > 4<<20 {
		t.Errorf("%s is %d bytes after the flood, want under 4 MiB", revisions.DBFile, fi.Size())
	}
}

// checkFloodLeftNothing checks that the Envoys of unknown gateways left no
// record, series nor oversized API answer.
func checkFloodLeftNothing(t *testing.T, h *harness, sha string, unknown int) {
	t.Helper()
	for _, g := range h.srv.Revision(sha).Gateways {
		if g.Gateway != "default/eg" {
			t.Errorf("revision %s records gateway %s", sha[:7], g.Gateway)
		}
	}
	m := h.metrics(t)
	if strings.Contains(m, "flood/") {
		t.Errorf("/metrics names the made-up gateways:\n%s", grepLines(m, "flood/"))
	}
	if err := metricIs(m, `sluice_xds_connected_proxies{gateway="unknown"}`, fmt.Sprint(unknown)); err != nil {
		t.Error(err)
	}
	if _, err := metricValue(m, `sluice_xds_nacks_total{gateway="unknown"}`); err != nil {
		t.Error(err)
	}
	code, body := h.get(t, http.MethodGet, "/api/v1/revisions", "")
	if code != http.StatusOK || len(body) > 1<<20 {
		t.Errorf("/api/v1/revisions = %d, %d bytes; want 200 under 1 MiB", code, len(body))
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
