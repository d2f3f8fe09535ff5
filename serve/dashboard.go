package serve

import (
	_ "embed"
	"html/template"
	"net/http"
)

//go:embed dashboard.html
var dashboardHTML string

var dashboardTmpl = template.Must(template.New("dashboard").Funcs(template.FuncMap{
	"deref": func(f *float64) float64 { return *f },
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12]
		}
		return s
	},
}).Parse(dashboardHTML))

// dashboard renders the revisions and connected Envoys on the server; the
// page needs no script and no external asset.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return dashboardTmpl.Execute(w, map[string]any{
		"Revisions": s.Revisions(),
		"Nodes":     s.Nodes(),
	})
}
