package serve

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sluice-gitops/sluice/serve/envoyproc"
	"github.com/sluice-gitops/sluice/serve/revisions"
	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/translate"
)

// AdminOptions configure the admin HTTP API.
type AdminOptions struct {
	// Token is the bearer token mutating calls need. Empty refuses them.
	Token string
	// Gatherer serves /metrics; nil serves an empty exposition.
	Gatherer prometheus.Gatherer
	// Sync runs a sync of the source now and returns its result; POST
	// /api/v1/sync waits for it. Nil answers 501.
	Sync func(context.Context) error
	// Trigger asks for a sync soon without waiting (POST /hooks/git).
	// Nil answers 501.
	Trigger func()
	// WebhookSecret authenticates POST /hooks/git (HMAC-SHA256 of the
	// body, or GitLab's token). Empty disables the webhook.
	WebhookSecret string
	// Branch, when set, makes POST /hooks/git ignore pushes to other refs.
	Branch string
	// Logger logs refused webhooks and dashboard errors; nil is slog's
	// default.
	Logger *slog.Logger
	// Actions read revisions again for rollback, unpin and diff (the
	// reconciler, serve/reconcile). Nil answers 501.
	Actions Actions
	// Source describes the source for GET /api/v1/status.
	Source SourceInfo
	// NextSync says when the next scheduled sync starts (the zero time
	// when unknown or under way); nil leaves it out of the status.
	NextSync func() time.Time
	// Processes, in host mode, reports the Envoys sluice runs
	// (serve/envoyproc); GET /api/v1/nodes and the dashboard show them.
	Processes func() []envoyproc.Status
}

// Actions are what the admin API asks of the reconciler: each may read a
// revision of the source again and translate it.
type Actions interface {
	Rollback(sha string) (*revisions.Record, error)
	Unpin() (*revisions.Record, error)
	Diff(from, to string) (*revisions.RevisionDiff, error)
	// Objects returns the status of every object of a revision.
	Objects(ref string) ([]*translate.ObjectStatus, error)
}

// APIError is the one error shape of the admin API.
type APIError struct {
	HTTPStatus int    `json:"-"`
	Message    string `json:"error"`
}

func (e *APIError) Error() string { return e.Message }

// handlerFunc is an admin handler that returns its error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// wrap writes a handler's error as JSON, the only place that does.
func wrap(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			ae := apiError(err)
			writeJSON(w, ae.HTTPStatus, ae)
		}
	}
}

// apiError maps an error to the admin API's answer: the one place where
// errors of the state machine, the reconciler and the source become
// status codes.
func apiError(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, gitsync.ErrUnknownRevision):
		status = http.StatusNotFound
	case errors.Is(err, gitsync.ErrUnverifiedRevision), errors.Is(err, revisions.ErrNotPinned):
		status = http.StatusConflict
	case errors.Is(err, revisions.ErrInvalidRevision):
		status = http.StatusUnprocessableEntity
	case errors.Is(err, ErrNoActions):
		status = http.StatusNotImplemented
	case errors.Is(err, revisions.ErrBusy), errors.Is(err, revisions.ErrStore):
		status = http.StatusServiceUnavailable
	}
	return &APIError{HTTPStatus: status, Message: err.Error()}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// admin is the HTTP layer over the revision history.
type admin struct {
	hist      *revisions.History
	log       *slog.Logger
	processes func() []envoyproc.Status
}

// AdminHandler serves the admin API, metrics and the dashboard of hist.
func AdminHandler(hist *revisions.History, opts AdminOptions) http.Handler {
	s := &admin{hist: hist, log: opts.Logger, processes: opts.Processes}
	if s.log == nil {
		s.log = slog.Default()
	}
	mux := http.NewServeMux()
	gatherer := opts.Gatherer
	if gatherer == nil {
		gatherer = prometheus.NewRegistry()
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", wrap(s.readyz))
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /api/v1/revisions", wrap(s.revisionsAPI))
	mux.HandleFunc("GET /api/v1/status", wrap(s.statusAPI(opts)))
	mux.HandleFunc("GET /api/v1/events", wrap(s.eventsAPI(opts)))
	mux.HandleFunc("GET /api/v1/revisions/{sha}", wrap(func(w http.ResponseWriter, r *http.Request) error {
		rec := s.hist.Find(r.PathValue("sha"))
		if rec == nil {
			return &APIError{HTTPStatus: http.StatusNotFound, Message: "revision " + r.PathValue("sha") + " is unknown"}
		}
		writeJSON(w, http.StatusOK, rec)
		return nil
	}))
	mux.HandleFunc("GET /api/v1/nodes", wrap(func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, http.StatusOK, s.nodes())
		return nil
	}))
	mux.HandleFunc("POST /api/v1/sync", wrap(authorized(opts.Token, func(w http.ResponseWriter, r *http.Request) error {
		if opts.Sync == nil {
			return &APIError{HTTPStatus: http.StatusNotImplemented, Message: "this source cannot be synced on demand"}
		}
		if err := opts.Sync(r.Context()); err != nil {
			return &APIError{HTTPStatus: http.StatusBadGateway, Message: err.Error()}
		}
		writeJSON(w, http.StatusAccepted, map[string]string{"status": "sync requested"})
		return nil
	})))
	mux.HandleFunc("POST /hooks/git", wrap(s.webhook(opts)))
	acts := actionsOrNone(opts.Actions)
	mux.HandleFunc("POST /api/v1/rollback", wrap(authorized(opts.Token, rollbackAPI(acts))))
	mux.HandleFunc("DELETE /api/v1/pin", wrap(authorized(opts.Token, unpinAPI(acts))))
	mux.HandleFunc("GET /api/v1/diff", wrap(diffAPI(acts)))
	s.dashboardRoutes(mux, acts, opts) // GET /, /revisions/{sha}, /diff, /ui/{file}
	return mux
}

// authorized demands "Authorization: Bearer <token>", compared in constant time.
func authorized(token string, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if token == "" {
			return &APIError{HTTPStatus: http.StatusForbidden, Message: "no admin token is configured (admin.tokenFile); mutating calls are disabled"}
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="sluice"`)
			return &APIError{HTTPStatus: http.StatusUnauthorized, Message: "a valid bearer token is required"}
		}
		return h(w, r)
	}
}

// readiness is the body of /readyz.
type readiness struct {
	Ready    bool   `json:"ready"`
	Revision string `json:"revision,omitempty"`
	Source   string `json:"source"`
	Error    string `json:"error,omitempty"`
	// Kubernetes is "ok" or "degraded" in a cluster (live endpoints),
	// KubernetesErrors what degrades it.
	Kubernetes       string   `json:"kubernetes,omitempty"`
	KubernetesErrors []string `json:"kubernetesErrors,omitempty"`
}

// readyz is 200 once a revision is served. A failing source or a lost
// Kubernetes API server does not make sluice unready (Envoys are still
// served, with the last endpoints listed), but the body says degraded.
func (s *admin) readyz(w http.ResponseWriter, r *http.Request) error {
	served, sourceErr := s.hist.Readiness()
	rd := readiness{Ready: served != nil, Source: "ok", Error: sourceErr}
	if served != nil {
		rd.Revision = served.String()
	}
	if rd.Error != "" {
		rd.Source = "degraded"
	}
	if problems, live := s.hist.EndpointProblems(); live {
		rd.Kubernetes, rd.KubernetesErrors = "ok", problems
		if len(problems) > 0 {
			rd.Kubernetes = "degraded"
		}
	}
	status := http.StatusOK
	if !rd.Ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, rd)
	return nil
}
