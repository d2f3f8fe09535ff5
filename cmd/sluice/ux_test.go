package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/sluice-gitops/sluice/serve"
	"github.com/sluice-gitops/sluice/serve/publish"
	"github.com/sluice-gitops/sluice/serve/revisions"
)

// TestOperatorCommands drives status, revisions, nodes, completion and
// rollback by history number and by ref against a running sluice with
// three revisions (startHistory).
func TestOperatorCommands(t *testing.T) {
	h := startHistory(t, "s3cret")
	admin := []string{"--server", h.admin}
	cli := func(args ...string) string {
		t.Helper()
		out, _, err := run(t, append(args, admin...)...)
		if err != nil {
			t.Fatalf("sluice %v: %v\n%s", args, err, out)
		}
		return out
	}
	checkStatus(t, h, cli)
	checkRevisionsTable(t, h, cli)

	var nodes []publish.NodeStatus
	if err := yaml.Unmarshal([]byte(cli("nodes", "-o", "yaml")), &nodes); err != nil || len(nodes) != 2 || nodes[0].Node != "envoy-1" {
		t.Errorf("nodes -o yaml = %+v, %v", nodes, err)
	}
	if out := cli("nodes", "-o", "wide"); !strings.Contains(out, "endpoint port 3001 is not allowed here") {
		t.Errorf("nodes -o wide lacks the NACK error:\n%s", out)
	}
	// Completion asks the server for SHAs.
	if out, _, _ := run(t, "__complete", "rollback", "--server", h.admin, ""); !strings.Contains(out, shortSHA(h.first)+"\t#1 superseded: Add the quickstart") || !strings.Contains(out, "HEAD~1") {
		t.Errorf("completion of rollback:\n%s", out)
	}
	checkRollbackRefs(t, h, cli)
}

// checkStatus: status prints the source, the served revision and the
// gateway with its Envoys; -o json has the sync times.
func checkStatus(t *testing.T, h *history, cli func(...string) string) {
	t.Helper()
	out := cli("status")
	for _, want := range []string{"Source:", "git http://", "branch main path gateways/", "every 1h0m0s", "Sync:", "ok",
		"Served:", "#2 " + shortSHA(h.second) + " applied", "Pinned:", "no", "default/eg", "envoy-1", "envoy-picky"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	var st serve.Status
	if err := json.Unmarshal([]byte(cli("status", "-o", "json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Source.LastSuccess == nil || st.Source.LastSuccessAgeSeconds == nil || st.Source.NextSync == nil || st.Source.Branch != "main" ||
		st.Served == nil || st.Served.SHA != h.second || len(st.Gateways) != 1 || len(st.Gateways[0].Envoys) != 2 || st.Gateways[0].Nacked != 1 {
		t.Errorf("status -o json = %+v", st)
	}
}

// checkRevisionsTable: the table is short (under 120 columns), with short
// SHAs and an AGE column; --limit bounds it; -o yaml is YAML.
func checkRevisionsTable(t *testing.T, h *history, cli func(...string) string) {
	t.Helper()
	out := cli("revisions")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "#") || !strings.Contains(lines[0], "AGE") ||
		!strings.HasPrefix(lines[2], "2  "+shortSHA(h.second)+"  ") || strings.Contains(out, h.second) {
		t.Errorf("revisions table:\n%s", out)
	}
	for _, l := range lines {
		if len([]rune(l)) > 120 {
			t.Errorf("revisions line of %d columns: %q", len([]rune(l)), l)
		}
	}
	if n := len(strings.Split(strings.TrimSpace(cli("revisions", "--limit", "1")), "\n")); n != 2 {
		t.Errorf("revisions --limit 1 printed %d lines", n)
	}
	if out := cli("revisions", "-o", "wide"); !strings.Contains(out, "main@sha1:"+h.second) || !strings.Contains(out, "default/eg 1/1/0") {
		t.Errorf("revisions -o wide:\n%s", out)
	}
	var recs []*revisions.Record
	if err := yaml.Unmarshal([]byte(cli("revisions", "-o", "yaml", "--limit", "2")), &recs); err != nil || len(recs) != 2 || recs[1].SHA != h.second {
		t.Errorf("revisions -o yaml: %v, %d records", err, len(recs))
	}
}

// checkRollbackRefs: rollback takes a history number and a ref of the
// branch, from the CLI and from the admin API.
func checkRollbackRefs(t *testing.T, h *history, cli func(...string) string) {
	t.Helper()
	t.Setenv("SLUICE_TOKEN", h.token)
	if out := cli("rollback", "#1"); !strings.Contains(out, "pinned main@sha1:"+h.first) {
		t.Errorf("rollback '#1':\n%s", out)
	}
	// HEAD is the tip of the branch: the broken commit; HEAD~1 the second.
	if out := cli("rollback", "HEAD~1"); !strings.Contains(out, "pinned main@sha1:"+h.second) {
		t.Errorf("rollback HEAD~1:\n%s", out)
	}
	code, body := h.post(t, "/api/v1/rollback", `{"revision": "main~2"}`)
	var rec revisions.Record
	if json.Unmarshal(body, &rec); code != http.StatusOK || rec.SHA != h.first || rec.State != revisions.StatePinned {
		t.Errorf("POST /api/v1/rollback main~2: %d %s", code, body)
	}
	code, body = h.post(t, "/api/v1/rollback", `{"revision": "#99"}`)
	if code != http.StatusNotFound || !strings.Contains(string(body), "#99 is not in the history") {
		t.Errorf("rollback to #99: %d %s", code, body)
	}
	code, body = h.post(t, "/api/v1/rollback", `{"revision": "HEAD; rm -rf"}`)
	if code != http.StatusBadRequest {
		t.Errorf("rollback to a malformed ref: %d %s", code, body)
	}
}

// TestOutputFlag: every command that prints objects takes -o the same way,
// refusing an unknown format before it does anything; every command has
// examples.
func TestOutputFlag(t *testing.T) {
	for _, args := range [][]string{
		{"revisions"}, {"status"}, {"nodes"}, {"diff", "a", "b"}, {"validate", "."}, {"translate", "."},
		{"bootstrap", "--gateway", "default/eg"},
	} {
		_, _, err := run(t, append(args, "-o", "foo", "--server", "http://127.0.0.1:1")...)
		if args[0] == "validate" || args[0] == "translate" || args[0] == "bootstrap" {
			_, _, err = run(t, append(args, "-o", "foo")...)
		}
		if err == nil || !strings.Contains(err.Error(), `unknown output format "foo" for `+args[0]) {
			t.Errorf("%s -o foo: %v", args[0], err)
		}
	}
	for _, c := range newRootCmd(io.Discard, io.Discard).Commands() {
		if c.Name() != "help" && c.Name() != "completion" && c.Example == "" {
			t.Errorf("sluice %s has no examples", c.Name())
		}
	}
	if out, _, _ := run(t, "__complete", "revisions", "-o", ""); !strings.Contains(out, "table\nwide\njson\nyaml\n") {
		t.Errorf("completion of revisions -o:\n%s", out)
	}
	out, _, err := run(t, "bootstrap", "--gateway", "default/eg", "-o", "json")
	var b map[string]any
	if err != nil || json.Unmarshal([]byte(out), &b) != nil || b["dynamic_resources"] == nil {
		t.Errorf("bootstrap -o json: %v\n%s", err, out)
	}
}

// TestValidateStrictAndEmpty: a typo'd kind warns and passes, but fails
// with --strict; so does a directory with nothing; translate of an empty
// directory prints no "null".
func TestValidateStrictAndEmpty(t *testing.T) {
	typo := writeDir(t, map[string]string{"q.yaml": quickstart(t) + "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoutee\nmetadata: {name: x}\n"})
	out, _, err := run(t, "validate", typo)
	if err != nil || !strings.Contains(out, `warning: q.yaml:`) || !strings.Contains(out, `kind "HTTPRoutee"`) {
		t.Errorf("validate of a typo'd kind: %v\n%s", err, out)
	}
	if _, _, err := run(t, "validate", "--strict", typo); err == nil || !strings.Contains(err.Error(), "1 warning(s)") {
		t.Errorf("validate --strict of a typo'd kind: %v", err)
	}
	if _, _, err := run(t, "validate", "--strict", "../../examples/quickstart"); err != nil {
		t.Errorf("validate --strict of the quickstart: %v", err)
	}
	empty := t.TempDir()
	if _, stderr, err := run(t, "validate", empty); err != nil || !strings.Contains(stderr, "holds no object") {
		t.Errorf("validate of an empty directory: %v, stderr %q", err, stderr)
	}
	if _, _, err := run(t, "validate", "--strict", empty); err == nil || !strings.Contains(err.Error(), "no object found") {
		t.Errorf("validate --strict of an empty directory: %v", err)
	}
	out, stderr, err := run(t, "translate", empty)
	if err != nil || out != "" || !strings.Contains(stderr, "has no Gateway") {
		t.Errorf("translate of an empty directory: %v, stdout %q, stderr %q", err, out, stderr)
	}
	if out, _, err := run(t, "translate", empty, "-o", "json"); err != nil || strings.TrimSpace(out) != "[]" {
		t.Errorf("translate -o json of an empty directory: %v, %q", err, out)
	}
	if out, _, _ := run(t, "__complete", "translate", "../../examples/quickstart", "--gateway", ""); !strings.Contains(out, "default/eg") {
		t.Errorf("completion of --gateway:\n%s", out)
	}
}

// TestLogFormat: serve --log-format json logs one JSON object a line; an
// unknown format is refused before anything starts.
func TestLogFormat(t *testing.T) {
	var buf strings.Builder
	logger, err := newLogger(&buf, "json", false)
	if err != nil {
		t.Fatal(err)
	}
	logger.Info("sluice is serving", "xds", "127.0.0.1:1")
	var m map[string]any
	if err := json.Unmarshal([]byte(buf.String()), &m); err != nil || m["msg"] != "sluice is serving" || m["xds"] != "127.0.0.1:1" {
		t.Errorf("json log line %q: %v", buf.String(), err)
	}
	if _, _, err := run(t, "serve", "--config", "/nonexistent", "--log-format", "xml"); err == nil || !strings.Contains(err.Error(), `unknown log format "xml"`) {
		t.Errorf("serve --log-format xml: %v", err)
	}
}
