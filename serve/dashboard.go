package serve

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/sluice-gitops/sluice/serve/revisions"
	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/translate"
	"github.com/sluice-gitops/sluice/translate/status"
)

// web holds the dashboard's templates, stylesheet and script: the pages
// load nothing from elsewhere.
//
//go:embed web
var web embed.FS

// webStatic is what GET /ui/{file} serves.
var webStatic, _ = fs.Sub(web, "web/static")

// pages are the dashboard's templates, each with the shared layout.
var pages = map[string]*template.Template{
	"index":    page("index.html"),
	"revision": page("revision.html"),
	"diff":     page("diff.html"),
	"error":    page("error.html"),
}

func page(name string) *template.Template {
	return template.Must(template.New(name).Funcs(dashboardFuncs).ParseFS(web, "web/layout.html", "web/"+name))
}

var dashboardFuncs = template.FuncMap{
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12]
		}
		return s
	},
	"secs": func(f *float64) string {
		if f == nil {
			return "–"
		}
		return fmt.Sprintf("%.3f s", *f)
	},
	"when": func(t any) string {
		switch t := t.(type) {
		case time.Time:
			if !t.IsZero() {
				return t.UTC().Format("2006-01-02 15:04:05 MST")
			}
		case *time.Time:
			if t != nil && !t.IsZero() {
				return t.UTC().Format("2006-01-02 15:04:05 MST")
			}
		}
		return "–"
	},
	"signer": gitsync.Revision.SignedBy,
	// ago prints an age in seconds as "12s ago".
	"ago": func(secs *float64) string {
		return (time.Duration(*secs) * time.Second).String() + " ago"
	},
	// conditions lists an object's conditions and its parents' as
	// "Type=Status".
	"conditions": func(o *translate.ObjectStatus) []string {
		var out []string
		for _, c := range o.Conditions {
			out = append(out, c.Type+"="+c.Status)
		}
		for _, p := range o.Parents {
			for _, c := range p.Conditions {
				out = append(out, "parent "+p.ParentRef+": "+c.Type+"="+c.Status)
			}
		}
		return out
	},
	"problems":  problems,
	"difflines": diffLines,
}

// problems lists the conditions that reject an object, its listeners or
// its parent attachments, as "Type=Status Reason: message".
func problems(o *translate.ObjectStatus) []string {
	var out []string
	add := func(where string, cs []translate.Condition) {
		for _, c := range cs {
			bad := c.Status != "True"
			if c.Type == status.CondConflicted {
				bad = c.Status == "True"
			}
			if !bad {
				continue
			}
			p := fmt.Sprintf("%s%s=%s %s", where, c.Type, c.Status, c.Reason)
			if c.Message != "" {
				p += ": " + c.Message
			}
			out = append(out, p)
		}
	}
	add("", o.Conditions)
	for _, l := range o.Listeners {
		add("listener "+l.Name+": ", l.Conditions)
	}
	for _, p := range o.Parents {
		add("parent "+p.ParentRef+": ", p.Conditions)
	}
	return out
}

// diffLine is one line of a unified diff with its kind, for styling.
type diffLine struct {
	Class string
	Text  string
}

func diffLines(d string) []diffLine {
	var out []diffLine
	for _, l := range strings.Split(strings.TrimSuffix(d, "\n"), "\n") {
		c := "ctx"
		switch {
		case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
			c = "file"
		case strings.HasPrefix(l, "@@"):
			c = "hunk"
		case strings.HasPrefix(l, "+"):
			c = "add"
		case strings.HasPrefix(l, "-"):
			c = "del"
		}
		out = append(out, diffLine{Class: c, Text: l})
	}
	return out
}

// revisionRow is a revisions.Record as the revisions table shows it.
type revisionRow struct {
	*revisions.Record
	Served bool
	// Previous is the SHA of the newest older revision that was not
	// rejected, to diff with; "" when there is none or this one was
	// rejected (it has no translation).
	Previous string
	// servedSHA is the commit served now.
	servedSHA string
}

// Rollbackable reports whether the dashboard offers to roll back to it:
// a revision that translated, of a commit other than the one served.
func (r revisionRow) Rollbackable() bool {
	return r.SHA != r.servedSHA && r.State != revisions.StateRejected
}

func (s *admin) rows() []revisionRow {
	servedSHA := s.hist.AppliedSHA()
	served := servedSHA
	recs := s.hist.Revisions()
	out := make([]revisionRow, len(recs))
	for i, r := range recs {
		// Only the newest record of the served SHA is served: a rollback
		// records the commit again.
		out[i] = revisionRow{Record: r, Served: served != "" && r.SHA == served, servedSHA: servedSHA}
		if out[i].Served {
			served = ""
		}
		for _, older := range recs[i+1:] {
			if r.State != revisions.StateRejected && older.State != revisions.StateRejected && older.SHA != r.SHA {
				out[i].Previous = older.SHA
				break
			}
		}
	}
	return out
}

// dashboardRoutes registers the dashboard's pages and files on mux.
func (s *admin) dashboardRoutes(mux *http.ServeMux, acts Actions, opts AdminOptions) {
	mux.HandleFunc("GET /{$}", s.htmlPage("index", s.dashboard(opts)))
	mux.HandleFunc("GET /revisions/{sha}", s.htmlPage("revision", s.revisionPage(acts)))
	mux.HandleFunc("GET /diff", s.htmlPage("diff", func(r *http.Request) (any, error) { return s.diffPage(r, acts) }))
	static := http.StripPrefix("/ui/", http.FileServerFS(webStatic))
	mux.HandleFunc("GET /ui/{file}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		static.ServeHTTP(w, r)
	})
}

// contentPolicy lets the pages load only sluice's own stylesheet and
// script, and call only sluice's API.
const contentPolicy = "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// htmlPage renders a page from the data its handler returns; an error
// renders the error page with the error's status.
func (s *admin) htmlPage(name string, data func(r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", contentPolicy)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		status, tmpl := http.StatusOK, pages[name]
		// Read before the data: a change while it is gathered makes a
		// newer generation, which the page's live updates then fetch.
		gen := s.hist.Generation()
		v, err := data(r)
		if err != nil {
			ae := apiError(err)
			status, tmpl, v = ae.HTTPStatus, pages["error"], ae
		}
		var buf bytes.Buffer
		if err := tmpl.ExecuteTemplate(&buf, "layout", map[string]any{"Page": name, "Data": v, "Served": s.hist.AppliedSHA(), "Generation": gen}); err != nil {
			s.log.Error("render dashboard", "page", name, "err", err)
			http.Error(w, "render page: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(status)
		w.Write(buf.Bytes())
	}
}

// dashboard is GET /: the source, the pin, the gateways, the revisions
// and the connected Envoys.
func (s *admin) dashboard(opts AdminOptions) func(r *http.Request) (any, error) {
	return func(r *http.Request) (any, error) {
		return map[string]any{"Revisions": s.rows(), "Nodes": s.nodes(), "Status": s.status(opts), "Now": time.Now()}, nil
	}
}

// revisionDetails is the revision page: the record, the status of every
// object and the xDS diff with the previous revision, each with the error
// that kept it from being read.
type revisionDetails struct {
	revisionRow
	Objects               []*translate.ObjectStatus
	ObjectsError          string
	PreviousDiff          *revisions.RevisionDiff
	PreviousDiffError     string
	RejectedBeforeObjects bool
}

// revisionPage is GET /revisions/{sha}: one revision's commit, signer,
// objects, health and diff with the previous revision.
func (s *admin) revisionPage(acts Actions) func(r *http.Request) (any, error) {
	return func(r *http.Request) (any, error) {
		sha := r.PathValue("sha")
		for _, row := range s.rows() {
			if len(sha) < 7 || !strings.HasPrefix(row.SHA, sha) {
				continue
			}
			d := revisionDetails{revisionRow: row}
			if row.State == revisions.StateRejected && len(row.Rejected) == 0 {
				d.RejectedBeforeObjects = true // unparseable, unsigned: nothing to translate
				return d, nil
			}
			if objs, err := acts.Objects(row.SHA); err != nil {
				d.ObjectsError = apiError(err).Message
			} else {
				d.Objects = objs
			}
			if row.Previous != "" {
				if diff, err := acts.Diff(row.Previous, row.SHA); err != nil {
					d.PreviousDiffError = apiError(err).Message
				} else {
					d.PreviousDiff = diff
				}
			}
			return d, nil
		}
		return nil, &APIError{HTTPStatus: http.StatusNotFound, Message: "revision " + sha + " is unknown"}
	}
}

// diffPage is GET /diff?from=SHA&to=SHA: the xDS difference of two
// revisions, with the choice of two others.
func (s *admin) diffPage(r *http.Request, acts Actions) (any, error) {
	from, to := strings.TrimSpace(r.URL.Query().Get("from")), strings.TrimSpace(r.URL.Query().Get("to"))
	rows := s.rows()
	data := map[string]any{"Revisions": rows, "From": from, "To": to}
	if from == "" || to == "" {
		if from == "" && to == "" && len(rows) > 1 {
			data["From"], data["To"] = rows[1].SHA, rows[0].SHA // preselect the newest two
		}
		return data, nil
	}
	d, err := acts.Diff(from, to)
	if err != nil {
		data["Error"] = apiError(err).Message
		return data, nil
	}
	data["From"], data["To"], data["Diff"] = d.FromSHA, d.ToSHA, d
	return data, nil
}
