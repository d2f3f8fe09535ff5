package serve

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/sluice-gitops/sluice/serve/publish"
	"github.com/sluice-gitops/sluice/serve/revisions"
)

// SourceInfo says what the source is; sluice serve fills it from the
// configuration (the URL without credentials).
type SourceInfo struct {
	// Kind is "git" or "dir".
	Kind   string `json:"kind"`
	URL    string `json:"url,omitempty"`
	Branch string `json:"branch,omitempty"`
	Path   string `json:"path,omitempty"`
	// Schedule is "every 30s" or a cron spec.
	Schedule string `json:"schedule,omitempty"`
}

// SourceStatus is the source part of GET /api/v1/status.
type SourceStatus struct {
	SourceInfo
	revisions.SourceHealth
	// LastSuccessAgeSeconds is how long ago the last successful sync was.
	LastSuccessAgeSeconds *float64   `json:"lastSuccessAgeSeconds,omitempty"`
	NextSync              *time.Time `json:"nextSync,omitempty"`
	// Webhook is true when POST /hooks/git is enabled.
	Webhook bool `json:"webhook"`
}

// GatewayStatus is one gateway: the version it is served and the Envoys
// connected for it.
type GatewayStatus struct {
	Gateway string `json:"gateway"`
	// Version is the snapshot version of the served revision; "" for a
	// gateway that only has Envoys connected (an empty snapshot).
	Version string `json:"version,omitempty"`
	// SHA is the commit of the served revision.
	SHA    string               `json:"sha,omitempty"`
	Envoys []publish.NodeStatus `json:"envoys"`
	// OnVersion counts the Envoys that run Version.
	OnVersion int `json:"onVersion"`
	// Nacked counts the Envoys whose last answer was a NACK; NackErrors
	// are their errors.
	Nacked     int                   `json:"nacked"`
	NackErrors []revisions.NodeError `json:"nackErrors,omitempty"`
}

// Status is GET /api/v1/status: the source, the served revision, the pin
// and the gateways, in one answer.
type Status struct {
	Source SourceStatus      `json:"source"`
	Served *revisions.Record `json:"served,omitempty"`
	// Pinned is the SHA of the pinned revision; Pending counts the
	// revisions waiting behind it.
	Pinned   string          `json:"pinned,omitempty"`
	Pending  int             `json:"pending"`
	Gateways []GatewayStatus `json:"gateways"`
}

// status gathers a Status.
func (s *admin) status(opts AdminOptions) Status {
	now := time.Now()
	st := Status{
		Source: SourceStatus{SourceInfo: opts.Source, SourceHealth: s.hist.SourceHealth(), Webhook: opts.WebhookSecret != ""},
		Served: s.hist.Served(), Pinned: s.hist.Pinned(), Pending: s.hist.PendingCount(),
	}
	if t := st.Source.LastSuccess; t != nil {
		age := now.Sub(*t).Seconds()
		st.Source.LastSuccessAgeSeconds = &age
	}
	if opts.NextSync != nil {
		if t := opts.NextSync(); !t.IsZero() {
			st.Source.NextSync = &t
		}
	}
	byName := map[string]*GatewayStatus{}
	gateway := func(name string) *GatewayStatus {
		if byName[name] == nil {
			byName[name] = &GatewayStatus{Gateway: name, Envoys: []publish.NodeStatus{}}
		}
		return byName[name]
	}
	if st.Served != nil {
		for _, g := range st.Served.Gateways {
			gateway(g.Gateway).Version = g.Version
			gateway(g.Gateway).SHA = st.Served.SHA
		}
	}
	for _, n := range s.hist.Nodes() {
		g := gateway(n.Gateway)
		g.Envoys = append(g.Envoys, n)
		if n.Version == g.Version && n.Version != "" {
			g.OnVersion++
		}
		if n.LastNack != nil && (n.LastAck == nil || n.LastNack.After(*n.LastAck)) {
			g.Nacked++
			g.NackErrors = append(g.NackErrors, revisions.NodeError{Node: n.Node, Error: n.NackError, At: *n.LastNack})
		}
	}
	st.Gateways = make([]GatewayStatus, 0, len(byName))
	for _, g := range byName {
		st.Gateways = append(st.Gateways, *g)
	}
	sort.Slice(st.Gateways, func(i, j int) bool { return st.Gateways[i].Gateway < st.Gateways[j].Gateway })
	return st
}

func (s *admin) statusAPI(opts AdminOptions) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, http.StatusOK, s.status(opts))
		return nil
	}
}

// revisionsAPI is GET /api/v1/revisions[?limit=N]: the newest N records
// (all without a limit).
func (s *admin) revisionsAPI(w http.ResponseWriter, r *http.Request) error {
	recs := s.hist.Revisions()
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			return &APIError{HTTPStatus: http.StatusBadRequest, Message: "limit " + strconv.Quote(l) + ": want a number ≥ 0"}
		}
		if n > 0 && n < len(recs) {
			recs = recs[:n]
		}
	}
	writeJSON(w, http.StatusOK, recs)
	return nil
}
