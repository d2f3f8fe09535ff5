package examples

import (
	"io/fs"
	"os"
	"testing"

	"github.com/sluice-gitops/sluice/translate"
)

func TestExamplesTranslate(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		// An example repository holds Gateway API YAML; other folders
		// (grafana/, prometheus/, kubernetes/) hold other things and are tested on
		// their own (cmd/sluice: TestGrafanaDashboard, TestAlertRules).
		if yamls, _ := fs.Glob(os.DirFS(e.Name()), "*.y*ml"); !e.IsDir() || len(yamls) == 0 || e.Name() == "prometheus" || e.Name() == "kubernetes" {
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) {
			res, err := translate.Translate(os.DirFS(e.Name()), translate.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range res.Rejected() {
				t.Errorf("%s %s/%s at %s is rejected: %+v", s.Kind, s.Namespace, s.Name, s.Location, s)
			}
			for _, w := range res.Warnings {
				t.Errorf("warning: %s", w)
			}
			if len(res.Gateways) == 0 {
				t.Fatal("no Gateway is served")
			}
			for _, g := range res.Gateways {
				if _, err := g.Snapshot("example"); err != nil {
					t.Error(err)
				}
				if len(g.Listeners) == 0 || len(g.Clusters) == 0 {
					t.Errorf("gateway %s serves %d listeners and %d clusters", g.Key(), len(g.Listeners), len(g.Clusters))
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("no example found")
	}
}
