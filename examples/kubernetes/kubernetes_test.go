// Package kubernetes tests the manifests of examples/kubernetes: the Envoy
// bootstrap is what sluice bootstrap prints, sluice.yaml loads, and the
// whole kustomization is accepted by a real API server, whose RBAC then
// lets sluice's ServiceAccount read EndpointSlices where it should and
// nothing more.
package kubernetes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	discoveryclient "k8s.io/client-go/kubernetes/typed/discovery/v1"

	"github.com/sluice-gitops/sluice/cmd/sluice/config"
	"github.com/sluice-gitops/sluice/serve/bootstrap"
	"github.com/sluice-gitops/sluice/sync/kube"
	"github.com/sluice-gitops/sluice/sync/kube/kubetest"
)

func TestMain(m *testing.M) { kubetest.Main(m) }

// TestBootstrap: the Envoys' bootstrap is sluice bootstrap's output for
// the flags the kustomization names.
func TestBootstrap(t *testing.T) {
	b, err := bootstrap.Build(bootstrap.Options{Gateway: "default/eg", XDSAddress: "sluice.sluice-system.svc.cluster.local:18000", NodeID: "envoy-default-eg"})
	if err != nil {
		t.Fatal(err)
	}
	want, err := bootstrap.YAML(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("envoy-eg/bootstrap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("envoy-eg/bootstrap.yaml is not sluice bootstrap's output; write it again with the command in kustomization.yaml:\n%s", want)
	}
}

// TestConfig: sluice/sluice.yaml loads, with the files the Deployment
// mounts from the Secrets in place.
func TestConfig(t *testing.T) {
	b, err := os.ReadFile("sluice/sluice.yaml")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for _, f := range []string{"git/token", "keys/trusted.asc", "keys/allowed_signers", "admin/token"} {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Parse([]byte(strings.ReplaceAll(string(b), "/etc/sluice/", root+"/")))
	if err != nil {
		t.Fatal(err)
	}
	if k := cfg.Kubernetes; k == nil || k.Kubeconfig != "" || len(k.Namespaces) != 1 || k.Namespaces[0] != "default" {
		t.Fatalf("kubernetes: %+v", cfg.Kubernetes)
	}
	if cfg.Admin.Address != ":19000" || cfg.XDS.Address != ":18000" {
		t.Fatalf("addresses: admin %s, xds %s (the Deployment's ports and probes use 19000 and 18000)", cfg.Admin.Address, cfg.XDS.Address)
	}
}

// TestApply applies the kustomization to a real API server, with
// server-side dry run and then for real, and checks what sluice's
// ServiceAccount may do: read EndpointSlices of default, nothing else.
func TestApply(t *testing.T) {
	srv := kubetest.Shared(t)
	ctx := t.Context()
	kubectl := func(args ...string) string {
		t.Helper()
		out, err := srv.Kubectl(ctx, args...)
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	// A dry run does not create the namespace the other objects go in.
	kubectl("create", "namespace", "sluice-system")
	out := kubectl("apply", "--dry-run=server", "-k", ".")
	for _, obj := range []string{
		"serviceaccount/sluice", "role.rbac.authorization.k8s.io/sluice-endpointslices",
		"rolebinding.rbac.authorization.k8s.io/sluice-endpointslices", "secret/sluice-git",
		"secret/sluice-signing-keys", "secret/sluice-admin", "configmap/sluice-config-",
		"configmap/envoy-eg-bootstrap-", "deployment.apps/sluice", "service/sluice",
		"poddisruptionbudget.policy/sluice", "deployment.apps/envoy-eg", "service/envoy-eg",
	} {
		if !strings.Contains(out, obj) {
			t.Errorf("the dry run did not apply %s:\n%s", obj, out)
		}
	}
	kubectl("apply", "-k", ".")

	sa := "system:serviceaccount:sluice-system:sluice"
	for _, c := range []struct{ verb, resource, ns, want string }{
		{"list", "endpointslices.discovery.k8s.io", "default", "yes"},
		{"watch", "endpointslices.discovery.k8s.io", "default", "yes"},
		{"list", "endpointslices.discovery.k8s.io", "kube-system", "no"},
		{"update", "endpointslices.discovery.k8s.io", "default", "no"},
		{"get", "secrets", "sluice-system", "no"},
		{"list", "services", "default", "no"},
	} {
		out, _ := srv.Kubectl(ctx, "auth", "can-i", c.verb, c.resource, "-n", c.ns, "--as", sa)
		if got := strings.TrimSpace(string(out)); got != c.want {
			t.Errorf("can %s %s %s in %s: %q, want %q", sa, c.verb, c.resource, c.ns, got, c.want)
		}
	}
	watchAsServiceAccount(t, srv, strings.TrimSpace(kubectl("create", "token", "sluice", "-n", "sluice-system")))
}

// watchAsServiceAccount runs sluice's watcher with the ServiceAccount's
// token: the slices of default are listed, those of kube-system are an
// RBAC problem.
func watchAsServiceAccount(t *testing.T, srv *kubetest.Server, token string) {
	c := srv.Config("nobody")
	c.BearerToken = token
	w := kube.New(kube.Config{Client: discoveryclient.NewForConfigOrDie(c)})
	w.Start(t.Context())
	w.Want([]kube.Service{{Namespace: "default", Name: "app"}, {Namespace: "kube-system", Name: "dns"}})
	kubetest.Eventually(t, 20*time.Second, "kube-system named an RBAC problem, and no other", func() bool {
		p := w.Problems()
		return len(p) == 1 && strings.HasPrefix(p[0], "namespace kube-system: missing RBAC permission")
	})
}
