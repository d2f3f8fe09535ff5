package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/sluice-gitops/sluice/cmd/sluice/config"
	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/serve/xdstest"
	"github.com/sluice-gitops/sluice/sync/gittest"
)

const waitTimeout = 20 * time.Second

// running is a sluice serve started by a test.
type running struct {
	xds, admin string
	token      string
	// stop ends the server and waits for it; safe to call twice.
	stop func()
}

// startServe runs runServe in the background until the test ends.
func startServe(t *testing.T, cfg *config.Config, token string) *running {
	t.Helper()
	return startServeLogging(t, cfg, token, testWriter{t})
}

// startServeLogging is startServe with sluice's log written to logs.
func startServeLogging(t *testing.T, cfg *config.Config, token string, logs io.Writer) *running {
	t.Helper()
	cfg.XDS.Address, cfg.Admin.Address = "127.0.0.1:0", "127.0.0.1:0"
	if token != "" {
		cfg.Admin.TokenFile = filepath.Join(t.TempDir(), "token")
		os.WriteFile(cfg.Admin.TokenFile, []byte(token+"\n"), 0o600)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan [2]net.Addr, 1)
	done := make(chan error, 1)
	logger := slog.New(slog.NewTextHandler(logs, nil))
	go func() {
		done <- runServe(ctx, cfg, logger, func(x, a net.Addr) { addrs <- [2]net.Addr{x, a} })
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	select {
	case a := <-addrs:
		return &running{xds: a[0].String(), admin: "http://" + a[1].String(), token: token, stop: stop}
	case err := <-done:
		t.Fatalf("serve did not start: %v", err)
	case <-time.After(waitTimeout):
		t.Fatal("serve did not start")
	}
	return nil
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// do calls the admin API and returns the status and body.
func (r *running) do(t *testing.T, method, path string) (int, []byte) {
	t.Helper()
	return r.call(t, method, path, "")
}

// post calls the admin API with a JSON body.
func (r *running) post(t *testing.T, path, body string) (int, []byte) {
	t.Helper()
	return r.call(t, http.MethodPost, path, body)
}

// call calls the admin API with the token and a JSON body ("" for none).
func (r *running) call(t *testing.T, method, path, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, r.admin+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (r *running) revisions(t *testing.T) []*revisions.Record {
	t.Helper()
	code, body := r.do(t, http.MethodGet, "/api/v1/revisions")
	if code != http.StatusOK {
		t.Fatalf("revisions: %d %s", code, body)
	}
	var recs []*revisions.Record
	if err := json.Unmarshal(body, &recs); err != nil {
		t.Fatal(err)
	}
	return recs
}

// waitRevisions polls the revisions API until cond holds.
func (r *running) waitRevisions(t *testing.T, cond func([]*revisions.Record) bool) []*revisions.Record {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		recs := r.revisions(t)
		if cond(recs) {
			return recs
		}
		if time.Now().After(deadline) {
			b, _ := json.MarshalIndent(recs, "", "  ")
			t.Fatalf("revisions never reached the expected state:\n%s", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func quickstart(t *testing.T) string {
	b, err := os.ReadFile("../../examples/quickstart/quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// endpointOf returns host:port of the only endpoint of the cluster that the
// route "/" of www.example.com on port 8888 points to, or "".
func endpointOf(s xdstest.State) string {
	for _, l := range s.Listeners {
		if l.GetAddress().GetSocketAddress().GetPortValue() != 8888 {
			continue
		}
		rc := s.Routes[l.GetName()]
		for _, vh := range rc.GetVirtualHosts() {
			if len(vh.GetDomains()) != 1 || vh.GetDomains()[0] != "www.example.com" {
				continue
			}
			for _, r := range vh.GetRoutes() {
				if r.GetMatch().GetPrefix() != "/" {
					continue
				}
				cla := s.Endpoints[s.Clusters[r.GetRoute().GetCluster()].GetEdsClusterConfig().GetServiceName()]
				eps := cla.GetEndpoints()
				if len(eps) != 1 || len(eps[0].GetLbEndpoints()) != 1 {
					return ""
				}
				sa := eps[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress()
				return net.JoinHostPort(sa.GetAddress(), strconv.Itoa(int(sa.GetPortValue())))
			}
		}
	}
	return ""
}

// acked reports whether the client ACKed a version of every type (each
// type has its own, from its content) and rejected nothing.
func acked(s xdstest.State) bool {
	for _, typ := range []string{resourcev3.ListenerType, resourcev3.ClusterType, resourcev3.RouteType, resourcev3.EndpointType} {
		if s.Versions[typ] == "" {
			return false
		}
	}
	return len(s.NACKs) == 0
}

// TestEndToEnd: a Git HTTP server, commits of the seed's quickstart, sluice
// serve against it, and ADS clients acting as Envoys.
func TestEndToEnd(t *testing.T) {
	e := startEndToEnd(t)
	e.checkStrayAndDelta()
	e.moveBackend()
	e.checkMovedRevisions()
	e.breakYAML()
	e.checkMetrics()
}

// endToEnd is the world of TestEndToEnd: a Git repository, sluice serving
// it, an Envoy and a delta client, and what they have seen so far.
type endToEnd struct {
	t                    *testing.T
	repo                 *gittest.Repo
	sl                   *running
	envoy, delta         *xdstest.Client
	first, second, third string // the commits
	v1, v2               string // the versions served of first and second
}

// startEndToEnd commits the quickstart, serves it and checks an Envoy gets
// its endpoint at a version named by the commit.
func startEndToEnd(t *testing.T) *endToEnd {
	git := gittest.NewServer(t)
	e := &endToEnd{t: t, repo: gittest.NewRepo(t, git.Dir)}
	e.repo.WriteFile("gateways/quickstart.yaml", quickstart(t))
	e.repo.WriteFile("README.md", "not configuration\n")
	e.first = e.repo.Commit("Add the quickstart")
	e.repo.Push()

	cfg, err := config.Parse([]byte(`
source:
  git:
    url: ` + git.URL() + `
    branch: main
    path: gateways/
    interval: 1h
    verify: {insecureSkipVerify: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	e.sl = startServe(t, cfg, "s3cret")

	e.envoy = xdstest.Dial(context.Background(), t, e.sl.xds, xdstest.Options{NodeID: "envoy-1", Cluster: "default/eg"})
	e.envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3000" && acked(s) })
	e.v1 = e.envoy.Snapshot().Versions[resourcev3.EndpointType]
	if strings.Contains(e.v1, e.first[:12]) || len(e.v1) != 16 {
		t.Errorf("version %q is not 16 hex digits of content alone (commit %s)", e.v1, e.first[:12])
	}
	return e
}

// checkStrayAndDelta checks an Envoy of a Gateway that does not exist gets
// an empty snapshot, and a delta client sees the endpoint.
func (e *endToEnd) checkStrayAndDelta() {
	ctx := context.Background()
	stray := xdstest.Dial(ctx, e.t, e.sl.xds, xdstest.Options{NodeID: "stray", Cluster: "default/nope"})
	stray.WaitFor(waitTimeout, func(s xdstest.State) bool {
		return s.Versions[resourcev3.ListenerType] != "" && len(s.Listeners) == 0 && len(s.Clusters) == 0
	})
	// A delta client sees the same.
	e.delta = xdstest.Dial(ctx, e.t, e.sl.xds, xdstest.Options{NodeID: "envoy-delta", Cluster: "eg", Delta: true})
	e.delta.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3000" })
}

// moveBackend pushes a second commit, moving the Backend to port 3001,
// and checks both clients get it at a new version.
func (e *endToEnd) moveBackend() {
	t := e.t
	e.repo.WriteFile("gateways/quickstart.yaml", strings.Replace(quickstart(t), "port: 3000", "port: 3001", 1))
	e.second = e.repo.Commit("Move the backend to port 3001")
	e.repo.Push()
	pushed := time.Now()
	if code, body := e.sl.do(t, http.MethodPost, "/api/v1/sync"); code != http.StatusAccepted {
		t.Fatalf("sync: %d %s", code, body)
	}
	e.envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3001" && acked(s) })
	t.Logf("commit pushed → new endpoint ACKed by the client: %s", time.Since(pushed))
	e.v2 = e.envoy.Snapshot().Versions[resourcev3.EndpointType]
	if e.v2 == e.v1 {
		t.Errorf("second endpoints version %q is the first's", e.v2)
	}
	e.delta.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3001" })
}

// checkMovedRevisions checks the revisions API once envoy-1 ACKed the
// second commit: it is applied with its metadata and the health of its
// one Gateway, the first is superseded.
func (e *endToEnd) checkMovedRevisions() {
	t := e.t
	recs := e.sl.waitRevisions(t, func(recs []*revisions.Record) bool {
		return len(recs) == 2 && len(recs[0].Gateways) > 0 && contains(recs[0].Gateways[0].Acked, "envoy-1")
	})
	if recs[0].SHA != e.second || recs[0].State != revisions.StateApplied || recs[1].SHA != e.first || recs[1].State != revisions.StateSuperseded {
		t.Fatalf("revisions = %s %s, %s %s; want %s applied, %s superseded", recs[0].SHA, recs[0].State, recs[1].SHA, recs[1].State, e.second, e.first)
	}
	if recs[0].Subject != "Move the backend to port 3001" || recs[0].Author.Name == "" || recs[0].Branch != "main" {
		t.Errorf("revision metadata: %+v", recs[0].Revision)
	}
	if len(recs[0].Gateways) != 1 {
		t.Errorf("second revision lists %d gateways; want default/eg only (the stray Envoy's empty snapshot did not change)", len(recs[0].Gateways))
	}
	g := recs[0].Gateways[0]
	if g.Gateway != "default/eg" || !g.Pushed || g.FirstAckSeconds == nil {
		t.Errorf("gateway health: %+v", g)
	} else {
		t.Logf("revision fetched → first ACK (server side): %.4fs", *g.FirstAckSeconds)
	}
}

// breakYAML pushes a third commit of YAML that cannot be parsed. It is
// rejected with file and line, and the previous snapshot keeps serving.
func (e *endToEnd) breakYAML() {
	t := e.t
	e.repo.WriteFile("gateways/quickstart.yaml", quickstart(t)+"---\nkind: [unclosed\n")
	e.third = e.repo.Commit("Break the YAML")
	e.repo.Push()
	e.sl.do(t, http.MethodPost, "/api/v1/sync")
	recs := e.sl.waitRevisions(t, func(recs []*revisions.Record) bool { return len(recs) == 3 })
	if recs[0].SHA != e.third || recs[0].State != revisions.StateRejected || !strings.Contains(recs[0].Reason, "quickstart.yaml:") {
		t.Fatalf("broken revision: %s %s %q; want rejected naming quickstart.yaml:LINE", recs[0].SHA, recs[0].State, recs[0].Reason)
	}
	if recs[1].SHA != e.second || recs[1].State != revisions.StateApplied {
		t.Errorf("after a rejected revision, %s is %s; want it still applied", recs[1].SHA, recs[1].State)
	}
	if s := e.envoy.Snapshot(); endpointOf(s) != "0.0.0.0:3001" || s.Versions[resourcev3.EndpointType] != e.v2 {
		t.Errorf("the client moved off the last good version: %s", s)
	}
	if code, body := e.sl.do(t, http.MethodGet, "/readyz"); code != http.StatusOK || !strings.Contains(string(body), e.second) {
		t.Errorf("readyz: %d %s", code, body)
	}
}

// checkMetrics checks /metrics counts the revisions and the proxies, and
// that the Envoy never NACKed.
func (e *endToEnd) checkMetrics() {
	t := e.t
	_, metrics := e.sl.do(t, http.MethodGet, "/metrics")
	for _, want := range []string{
		`sluice_revisions_total{state="applied"} 2`,
		`sluice_revisions_total{state="rejected"} 1`,
		`sluice_xds_connected_proxies{gateway="default/eg"} 2`,
		`sluice_revision_info{revision="` + e.third + `"} 1`,
		`sluice_history_revisions{state="rejected"} 1`,
		`sluice_served_revision_info{revision="` + e.second + `"} 1`,
		`sluice_build_info{goversion="` + runtime.Version() + `",revision="`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if n := e.envoy.Stats().NACKs; n != 0 {
		t.Errorf("client NACKed %d times", n)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestRestartServesFromMirror: after a restart with the remote unreachable,
// sluice serves the last applied revision from its mirror at once and
// /readyz says the source is degraded.
func TestRestartServesFromMirror(t *testing.T) {
	git := gittest.NewServer(t)
	repo := gittest.NewRepo(t, git.Dir)
	repo.WriteFile("quickstart.yaml", quickstart(t))
	sha := repo.Commit("Add the quickstart")
	repo.Push()
	yaml := func(url string) *config.Config {
		cfg, err := config.Parse([]byte("source: {git: {url: " + url + ", interval: 1h, verify: {insecureSkipVerify: true}}}\n"))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	dataDir := t.TempDir()
	cfg := yaml(git.URL())
	cfg.DataDir = dataDir
	first := startServe(t, cfg, "")
	first.waitRevisions(t, func(recs []*revisions.Record) bool { return len(recs) == 1 && recs[0].State == revisions.StateApplied })
	first.stop()

	// The remote is gone: nothing listens on port 1.
	cfg = yaml("http://127.0.0.1:1/repo.git")
	cfg.DataDir = dataDir
	second := startServe(t, cfg, "")
	recs := second.revisions(t)
	if len(recs) != 1 || recs[0].SHA != sha || recs[0].State != revisions.StateApplied {
		t.Fatalf("after restart, revisions = %+v; want %s applied from the mirror", recs, sha)
	}
	envoy := xdstest.Dial(context.Background(), t, second.xds, xdstest.Options{NodeID: "e", Cluster: "default/eg"})
	envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3000" && acked(s) })
	deadline := time.Now().Add(waitTimeout)
	for {
		code, body := second.do(t, http.MethodGet, "/readyz")
		if code == http.StatusOK && strings.Contains(string(body), `"source": "degraded"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz = %d %s; want 200 and a degraded source", code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
