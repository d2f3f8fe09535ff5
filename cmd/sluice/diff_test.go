package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sluice-gitops/sluice/cmd/sluice/config"
	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/serve/xdstest"
	"github.com/sluice-gitops/sluice/sync/gittest"
)

// history is a running sluice that has seen three commits: the
// quickstart (superseded), a move of its backend to port 3001 with a route
// to a missing Service (applied; ACKed by envoy-1, NACKed by envoy-picky)
// and YAML that cannot be parsed (rejected).
type history struct {
	*running
	first, second, third string
	// repo pushes to the server's repository.
	repo *gittest.Repo
}

// lostRoute is an HTTPRoute whose backend does not exist: it is rejected
// alone, the rest of its revision is served.
const lostRoute = `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: lost, namespace: default}
spec:
  parentRefs: [{name: eg}]
  hostnames: [lost.example.com]
  rules: [{backendRefs: [{name: nowhere, port: 80}]}]
`

// startHistory needs a token: it syncs through POST /api/v1/sync.
func startHistory(t *testing.T, token string) *history {
	t.Helper()
	git := gittest.NewServer(t)
	repo := gittest.NewRepo(t, git.Dir)
	repo.WriteFile("gateways/quickstart.yaml", quickstart(t))
	h := &history{first: repo.Commit("Add the quickstart"), repo: repo}
	repo.Push()
	cfg, err := config.Parse([]byte("source: {git: {url: " + git.URL() + ", branch: main, path: gateways/, interval: 1h, verify: {insecureSkipVerify: true}}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	h.running = startServe(t, cfg, token)
	sync := func() {
		t.Helper()
		repo.Push()
		if code, body := h.do(t, http.MethodPost, "/api/v1/sync"); code != http.StatusAccepted {
			t.Fatalf("sync: %d %s", code, body)
		}
	}
	ctx := context.Background()
	envoy := xdstest.Dial(ctx, t, h.xds, xdstest.Options{NodeID: "envoy-1", Cluster: "default/eg"})
	envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3000" && acked(s) })
	xdstest.Dial(ctx, t, h.xds, xdstest.Options{NodeID: "envoy-picky", Cluster: "default/eg", Reject: func(typeURL string, res []proto.Message) error {
		for _, m := range res {
			if cla, ok := m.(*endpointv3.ClusterLoadAssignment); ok && typeURL == resourcev3.EndpointType && strings.Contains(cla.String(), "3001") {
				return errors.New("endpoint port 3001 is not allowed here")
			}
		}
		return nil
	}})

	repo.WriteFile("gateways/quickstart.yaml", strings.Replace(quickstart(t), "port: 3000", "port: 3001", 1)+lostRoute)
	h.second = repo.Commit("Move the backend to port 3001")
	sync()
	envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3001" && acked(s) })
	h.waitRevisions(t, func(recs []*revisions.Record) bool {
		return len(recs) == 2 && len(recs[0].Gateways) == 1 && len(recs[0].Gateways[0].Acked) == 1 && len(recs[0].Gateways[0].Nacked) == 1
	})

	repo.WriteFile("gateways/quickstart.yaml", quickstart(t)+"---\nkind: [unclosed\n")
	h.third = repo.Commit("Break the YAML")
	sync()
	h.waitRevisions(t, func(recs []*revisions.Record) bool { return len(recs) == 3 })
	return h
}

// TestDiffCommand: `sluice diff` prints the xDS difference of two
// revisions as a patch (abbreviated SHAs work), or as JSON, and fails on a
// revision it cannot read.
func TestDiffCommand(t *testing.T) {
	h := startHistory(t, "s3cret")

	out, _, err := run(t, "diff", h.first[:10], h.second, "--server", h.admin)
	if code := exitCode(err, io.Discard); code != 1 {
		t.Fatalf("diff of revisions that differ: exit %d (%v), want 1\n%s", code, err, out)
	}
	for _, want := range []string{
		"# from main@sha1:" + h.first + "\n# to   main@sha1:" + h.second + "\n",
		"# gateway default/eg: changed",
		"--- a/default/eg/endpoints/",
		"-          portValue: 3000\n",
		"+          portValue: 3001\n",
		"--- a/default/eg/routes/",
		"+  - lost.example.com\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diff output lacks %q:\n%s", want, out)
		}
	}

	out, _, err = run(t, "diff", h.second, h.second, "--server", h.admin)
	if err != nil || !strings.Contains(out, "# the xDS is the same\n") {
		t.Errorf("diff of a revision with itself: %v\n%s", err, out)
	}

	out, _, err = run(t, "diff", h.first, h.second, "--server", h.admin, "-o", "json")
	var d revisions.RevisionDiff
	if exitCode(err, io.Discard) != 1 || json.Unmarshal([]byte(out), &d) != nil || d.FromSHA != h.first || d.ToSHA != h.second || len(d.Gateways) != 1 {
		t.Fatalf("diff -o json: %v\n%s", err, out)
	}

	// A commit the mirror does not hold is not found.
	if _, _, err := run(t, "diff", h.first, "0123456789abcdef", "--server", h.admin); exitCode(err, io.Discard) != 2 || !strings.Contains(err.Error(), "404") {
		t.Errorf("diff with an unknown commit: err = %v; want a 404", err)
	}
	// The broken commit has no translation to compare.
	if _, _, err := run(t, "diff", h.second, h.third, "--server", h.admin); err == nil || !strings.Contains(err.Error(), h.third) {
		t.Errorf("diff with the unparseable revision: err = %v; want one naming %s", err, h.third)
	}
}
