package serve_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluice-gitops/sluice/serve"
	"github.com/sluice-gitops/sluice/serve/notify"
	"github.com/sluice-gitops/sluice/serve/reconcile"
	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/serve/xdstest"
	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/translate"
)

// wait bounds every wait for an xDS or server-side condition.
const wait = 10 * time.Second

// allTypes are the types every quickstart gateway serves.
var allTypes = []string{resourcev3.ClusterType, resourcev3.EndpointType, resourcev3.ListenerType, resourcev3.RouteType}

// revision makes a Git revision whose SHA is derived from subject.
func revision(subject string) gitsync.Revision {
	sum := sha1.Sum([]byte(subject))
	return gitsync.Revision{
		Source:    gitsync.SourceGit,
		Branch:    "main",
		SHA:       hex.EncodeToString(sum[:]),
		Author:    gitsync.Signature{Name: "Ada", Email: "ada@example.com", When: time.Now()},
		Subject:   subject,
		FetchedAt: time.Now(),
	}
}

// gatewayYAML is one Gateway named name on port with an HTTPRoute to a
// Backend at 0.0.0.0:backendPort, as in Envoy Gateway's quickstart.
func gatewayYAML(name string, port, backendPort int) string {
	return fmt.Sprintf(`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: %[1]s
spec:
  gatewayClassName: eg
  listeners:
    - name: http
      protocol: HTTP
      port: %[2]d
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: %[1]s-backend
spec:
  parentRefs:
    - name: %[1]s
  hostnames:
    - "www.example.com"
  rules:
    - backendRefs:
        - group: "gateway.envoyproxy.io"
          kind: Backend
          name: %[1]s-backend
      matches:
        - path:
            type: PathPrefix
            value: /
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: %[1]s-backend
spec:
  endpoints:
    - ip:
        address: 0.0.0.0
        port: %[3]d
`, name, port, backendPort)
}

const gatewayClassYAML = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: eg
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
`

// translateYAML translates the given documents as one revision and checks
// the gateways it must hold.
func translateYAML(t testing.TB, gateways []string, docs ...string) *translate.Result {
	t.Helper()
	fsys := fstest.MapFS{"class.yaml": {Data: []byte(gatewayClassYAML)}}
	for i, d := range docs {
		fsys[fmt.Sprintf("doc%d.yaml", i)] = &fstest.MapFile{Data: []byte(d)}
	}
	res, err := translate.Translate(fsys, translate.Options{})
	if err != nil {
		t.Fatalf("translate: %v", err)
	}
	var got []string
	for _, g := range res.Gateways {
		got = append(got, g.Key())
	}
	if strings.Join(got, ",") != strings.Join(gateways, ",") {
		t.Fatalf("translated gateways %v, want %v; rejected %v", got, gateways, res.Rejected())
	}
	return res
}

// harness is a Server with its xDS gRPC listener, admin HTTP server and
// Prometheus registry, all real.
type harness struct {
	srv *revisions.History
	// rec is the reconciler of harnessOpts.source, nil without one.
	rec   *reconcile.Reconciler
	reg   *prometheus.Registry
	xds   string
	admin *httptest.Server
}

type harnessOpts struct {
	token   string
	sync    func(context.Context) error
	onApply func(*revisions.Record)
	// dataDir, keep and rollbackOnNack are the Options of the same names
	// (see revisions.Options).
	dataDir        string
	keep           int
	rollbackOnNack bool
	// source, when set, is read again by a reconciler for rollback, unpin
	// and diff.
	source gitsync.Source
	// logs, when set, receives the history's log as JSON lines.
	logs io.Writer
	// notify, when set, is told of the history's events.
	notify func(notify.Event)
}

func start(t *testing.T, ho harnessOpts) *harness {
	t.Helper()
	reg := prometheus.NewRegistry()
	logger := slog.New(slog.DiscardHandler)
	if ho.logs != nil {
		logger = slog.New(slog.NewJSONHandler(ho.logs, nil))
	}
	srv, err := revisions.New(revisions.Options{
		Logger:         logger,
		Registerer:     reg,
		OnApply:        ho.onApply,
		DataDir:        ho.dataDir,
		KeepRevisions:  ho.keep,
		RollbackOnNack: ho.rollbackOnNack,
		Notify:         ho.notify,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Publisher().Serve(ctx, lis) }()
	// Registered first, so it runs after the clients' cleanups.
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeXDS: %v", err)
		}
	})
	var rec *reconcile.Reconciler
	aopts := serve.AdminOptions{Token: ho.token, Gatherer: reg, Sync: ho.sync}
	if ho.source != nil {
		rec = reconcile.New(reconcile.Options{Source: ho.source, History: srv, Logger: slog.New(slog.DiscardHandler)})
		aopts.Actions = rec
	}
	admin := httptest.NewServer(serve.AdminHandler(srv, aopts))
	t.Cleanup(admin.Close)
	return &harness{srv: srv, rec: rec, reg: reg, xds: lis.Addr().String(), admin: admin}
}

func (h *harness) dial(t *testing.T, opts xdstest.Options) *xdstest.Client {
	t.Helper()
	return xdstest.Dial(t.Context(), t, h.xds, opts)
}

// apply applies a revision and fails the test unless it reaches want.
func (h *harness) apply(t *testing.T, rev gitsync.Revision, res *translate.Result, want revisions.State) *revisions.Record {
	t.Helper()
	rec := h.srv.Apply(rev, res, nil, time.Millisecond)
	if rec.State != want {
		t.Fatalf("Apply(%s) state = %s (%s), want %s", rev.Subject, rec.State, rec.Reason, want)
	}
	return rec
}

// get does an HTTP request on the admin server and returns status and body.
func (h *harness) get(t *testing.T, method, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, h.admin.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := h.admin.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// metrics returns the /metrics exposition text.
func (h *harness) metrics(t *testing.T) string {
	t.Helper()
	code, body := h.get(t, http.MethodGet, "/metrics", "")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	return body
}

// waitUntil polls cond until it holds or fails the test after wait.
func waitUntil(t *testing.T, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v: %v", what, wait, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// health returns the health of gateway in the record of sha.
func (h *harness) health(t *testing.T, sha, gateway string) *revisions.GatewayHealth {
	t.Helper()
	rec := h.srv.Revision(sha)
	if rec == nil {
		t.Fatalf("revision %s unknown", sha)
	}
	for _, g := range rec.Gateways {
		if g.Gateway == gateway {
			return g
		}
	}
	t.Fatalf("revision %s has no gateway %s: %+v", sha[:7], gateway, rec.Gateways)
	return nil
}

// atVersion holds when the client ACKed the version of every type that g
// gives it.
func atVersion(g *revisions.GatewayHealth) func(xdstest.State) bool {
	return func(s xdstest.State) bool {
		for _, typ := range allTypes {
			if v := g.Types[typeName(typ)]; v == "" || s.Versions[typ] != v {
				return false
			}
		}
		return true
	}
}

// typeName is the name a GatewayHealth gives a type URL.
func typeName(typeURL string) string {
	return typeURL[strings.LastIndex(typeURL, ".")+1:]
}

// endpointPort returns the port of the only endpoint the client holds.
func endpointPort(s xdstest.State) uint32 {
	for _, cla := range s.Endpoints {
		for _, l := range cla.GetEndpoints() {
			for _, e := range l.GetLbEndpoints() {
				return e.GetEndpoint().GetAddress().GetSocketAddress().GetPortValue()
			}
		}
	}
	return 0
}

// metricValue finds the exposition line of a series and returns its value.
func metricValue(exposition, series string) (string, error) {
	for _, line := range strings.Split(exposition, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v, nil
		}
	}
	return "", errors.New("no series " + series)
}

// metricIs reports whether series has value in the exposition.
func metricIs(exposition, series, value string) error {
	v, err := metricValue(exposition, series)
	if err != nil {
		return err
	}
	if v != value {
		return fmt.Errorf("%s = %s, want %s", series, v, value)
	}
	return nil
}

// repo is a source of revisions to read again by SHA (or prefix), each
// holding the GatewayClass and the documents it was added with. It has no
// branch to sync.
type repo struct {
	revs map[string]gitsync.Revision
}

var _ gitsync.Source = (*repo)(nil)

func newRepo() *repo { return &repo{revs: map[string]gitsync.Revision{}} }

// add keeps rev with docs as its files and returns it.
func (r *repo) add(rev gitsync.Revision, docs ...string) gitsync.Revision {
	fsys := fstest.MapFS{"class.yaml": {Data: []byte(gatewayClassYAML)}}
	for i, d := range docs {
		fsys[fmt.Sprintf("doc%d.yaml", i)] = &fstest.MapFile{Data: []byte(d)}
	}
	rev.FS = fsys
	r.revs[rev.SHA] = rev
	return rev
}

func (r *repo) Sync(context.Context) (gitsync.Revision, bool, error) {
	return gitsync.Revision{}, false, errors.New("repo has no branch")
}

func (r *repo) Revision(sha string) (gitsync.Revision, error) {
	for full, rev := range r.revs {
		if strings.HasPrefix(full, sha) {
			return rev, nil
		}
	}
	return gitsync.Revision{}, fmt.Errorf("sync: commit %s is not in the mirror of test: %w", sha, gitsync.ErrUnknownRevision)
}

func (r *repo) VerifiedRevision(sha string) (gitsync.Revision, error) { return r.Revision(sha) }
func (r *repo) TakeRejections() []gitsync.Rejection                   { return nil }
func (r *repo) SetApplied(string)                                     {}
func (r *repo) Close() error                                          { return nil }
