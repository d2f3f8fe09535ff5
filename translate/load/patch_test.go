package load

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func routeYAML(name, path string) []byte {
	return []byte("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: " + name +
		"}\nspec:\n  rules:\n    - matches: [{path: {value: " + path + "}}]\n")
}

// readWith reads fsys with cache, failing the test on an error.
func readWith(t *testing.T, cache *Cache, fsys fstest.MapFS) *Files {
	t.Helper()
	files, err := cache.Read(fsys, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestRevisionPatch: a changed, an added and a removed route file patch
// the Objects in place; a file of a kind not allowed does not.
func TestRevisionPatch(t *testing.T) {
	cache := NewCache(Options{})
	fsys := fstest.MapFS{"a.yaml": {Data: routeYAML("a", "/a")}, "b.yaml": {Data: routeYAML("b", "/b")}}
	rev, err := readWith(t, cache, fsys).Decode()
	if err != nil {
		t.Fatal(err)
	}
	objects := rev.Objects()
	fsys["a.yaml"] = &fstest.MapFile{Data: routeYAML("a", "/a2")}
	fsys["c.yaml"] = &fstest.MapFile{Data: routeYAML("c", "/c")}
	delete(fsys, "b.yaml")
	changes, ok := rev.Patch(readWith(t, cache, fsys), "HTTPRoute")
	if !ok || rev.Objects() != objects {
		t.Fatal("the route files were not patched in")
	}
	var got []string
	for _, c := range changes {
		sign := "-"
		if c.Added {
			sign = "+"
		}
		got = append(got, c.Key.Name+sign)
	}
	if strings.Join(got, " ") != "a- b- a+ c+" {
		t.Errorf("changes %v, want a- b- a+ c+", got)
	}
	if n := len(objects.HTTPRoutes); n != 2 || objects.HTTPRoutes[0].Name != "a" || objects.HTTPRoutes[1].Name != "c" {
		t.Errorf("routes after the patch: %d", n)
	}
	if *objects.HTTPRoutes[0].Spec.Rules[0].Matches[0].Path.Value != "/a2" || objects.Where("HTTPRoute", "default", "b").File != "" {
		t.Error("the patched Objects hold the old routes")
	}
	fsys["c.yaml"] = &fstest.MapFile{Data: []byte("apiVersion: v1\nkind: Service\nmetadata: {name: c}\n")}
	if _, ok := rev.Patch(readWith(t, cache, fsys), "HTTPRoute"); ok {
		t.Error("a Service file was patched in")
	}
}

// TestAdmit: an object its Admit check refuses is left out, with a
// warning at the line of the field the ObjectError names.
func TestAdmit(t *testing.T) {
	opts := Options{Admit: map[string]func(metav1.Object) error{"Service": func(o metav1.Object) error {
		var p Problems
		if o.(*corev1.Service).Spec.Type == "Bogus" {
			p.Add("spec.type", "field spec.type: unsupported value %q", "Bogus")
		}
		return p.Err()
	}}}
	src := "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  type: Bogus\n"
	objects, warnings, err := Read(fstest.MapFS{"s.yaml": {Data: []byte(src)}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := `s.yaml:5: Service default/s: field spec.type: unsupported value "Bogus"; ignored`
	if len(objects.Services) != 0 || strings.Join(warnings, "\n") != want {
		t.Errorf("services %d, warnings %q; want none and %q", len(objects.Services), warnings, want)
	}
	var oe *ObjectError
	if err := opts.Admit["Service"](&corev1.Service{Spec: corev1.ServiceSpec{Type: "Bogus"}}); !errors.As(err, &oe) || oe.Path != "spec.type" {
		t.Errorf("Problems.Err gave %v", err)
	}
}
