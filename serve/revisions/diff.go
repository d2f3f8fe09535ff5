package revisions

import (
	"fmt"
	"sort"

	udiff "github.com/aymanbagabas/go-udiff"
	"sigs.k8s.io/yaml"

	"github.com/sluice-gitops/sluice/translate"
)

// Change says what became of a gateway or a resource between two revisions.
type Change string

// Changes of a GatewayDiff or a ResourceDiff.
const (
	ChangeAdded   Change = "added"
	ChangeRemoved Change = "removed"
	ChangeChanged Change = "changed"
)

// ResourceDiff is the difference of one xDS resource.
type ResourceDiff struct {
	// Type is the resource list of translate.XDSDocument it belongs to:
	// listeners, routes, clusters, endpoints or secrets.
	Type   string `json:"type"`
	Name   string `json:"name"`
	Change Change `json:"change"`
	// Diff is a unified diff of the resource's YAML (protojson, sorted
	// keys, private keys redacted), labelled a/GATEWAY/TYPE/NAME and
	// b/GATEWAY/TYPE/NAME; /dev/null stands for a missing side.
	Diff string `json:"diff"`
}

// GatewayDiff is the difference of one Gateway's xDS resources.
type GatewayDiff struct {
	Gateway   string         `json:"gateway"`
	Change    Change         `json:"change"`
	Resources []ResourceDiff `json:"resources"`
}

// RevisionDiff is the body of GET /api/v1/diff.
type RevisionDiff struct {
	// From and To print the revisions as BRANCH@sha1:SHA.
	From    string `json:"from"`
	To      string `json:"to"`
	FromSHA string `json:"fromSha"`
	ToSHA   string `json:"toSha"`
	// Gateways lists the gateways that differ, by key; empty when the
	// two revisions produce the same xDS.
	Gateways []GatewayDiff `json:"gateways"`
}

// Diff compares the xDS of two translations, gateway by gateway and
// resource by resource. A nil Result counts as one without gateways.
// Gateways and resources come out sorted by key, type and name; those
// that did not change are left out.
func Diff(from, to *translate.Result) ([]GatewayDiff, error) {
	a, err := documents(from)
	if err != nil {
		return nil, fmt.Errorf("diff: %w", err)
	}
	b, err := documents(to)
	if err != nil {
		return nil, fmt.Errorf("diff: %w", err)
	}
	keys := unionKeys(a, b)
	out := []GatewayDiff{}
	for _, key := range keys {
		da, db := a[key], b[key]
		gd := GatewayDiff{Gateway: key, Change: ChangeChanged}
		switch {
		case da == nil:
			gd.Change = ChangeAdded
		case db == nil:
			gd.Change = ChangeRemoved
		}
		if gd.Resources, err = diffDocuments(key, da, db); err != nil {
			return nil, fmt.Errorf("diff gateway %s: %w", key, err)
		}
		if len(gd.Resources) > 0 || gd.Change != ChangeChanged {
			out = append(out, gd)
		}
	}
	return out, nil
}

func documents(r *translate.Result) (map[string]*translate.XDSDocument, error) {
	out := map[string]*translate.XDSDocument{}
	if r == nil {
		return out, nil
	}
	for _, g := range r.Gateways {
		d, err := g.Document()
		if err != nil {
			return nil, fmt.Errorf("print gateway %s: %w", g.Key(), err)
		}
		out[g.Key()] = d
	}
	return out, nil
}

func unionKeys[V any](a, b map[string]V) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// resourceTypes are the lists of an XDSDocument, in the order Envoy needs
// them (clusters before the routes that name them).
var resourceTypes = []struct {
	name string
	list func(*translate.XDSDocument) []any
}{
	{"clusters", func(d *translate.XDSDocument) []any { return d.Clusters }},
	{"endpoints", func(d *translate.XDSDocument) []any { return d.Endpoints }},
	{"secrets", func(d *translate.XDSDocument) []any { return d.Secrets }},
	{"listeners", func(d *translate.XDSDocument) []any { return d.Listeners }},
	{"routes", func(d *translate.XDSDocument) []any { return d.Routes }},
}

func diffDocuments(gateway string, a, b *translate.XDSDocument) ([]ResourceDiff, error) {
	var out []ResourceDiff
	for _, typ := range resourceTypes {
		ra, err := byName(typ.list, a)
		if err != nil {
			return nil, err
		}
		rb, err := byName(typ.list, b)
		if err != nil {
			return nil, err
		}
		for _, name := range unionKeys(ra, rb) {
			ya, inA := ra[name]
			yb, inB := rb[name]
			if ya == yb {
				continue
			}
			label := gateway + "/" + typ.name + "/" + name
			rd := ResourceDiff{Type: typ.name, Name: name, Change: ChangeChanged}
			oldLabel, newLabel := "a/"+label, "b/"+label
			switch {
			case !inA:
				rd.Change, oldLabel = ChangeAdded, "/dev/null"
			case !inB:
				rd.Change, newLabel = ChangeRemoved, "/dev/null"
			}
			rd.Diff = udiff.Unified(oldLabel, newLabel, ya, yb)
			out = append(out, rd)
		}
	}
	return out, nil
}

// byName prints each resource of one type as YAML, by resource name.
func byName(list func(*translate.XDSDocument) []any, d *translate.XDSDocument) (map[string]string, error) {
	out := map[string]string{}
	if d == nil {
		return out, nil
	}
	for i, v := range list(d) {
		name := resourceName(v)
		if name == "" {
			name = fmt.Sprintf("#%d", i)
		}
		b, err := yaml.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("print %s: %w", name, err)
		}
		out[name] = string(b)
	}
	return out, nil
}

// resourceName is the name xDS knows a printed resource by: "name", or
// "clusterName" for a ClusterLoadAssignment.
func resourceName(v any) string {
	m, _ := v.(map[string]any)
	for _, k := range []string{"name", "clusterName"} {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}
