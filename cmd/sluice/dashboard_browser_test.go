package main

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// browser starts a headless Debian chromium for the test, or skips the test
// when it is not installed.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("skipping the browser test: Debian chromium is not installed at %s (apt-get install chromium): %v", chromiumPath, err)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.NoFirstRun,
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
	)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return ctx
}

// TestDashboardInBrowser drives the dashboard in a real headless chromium:
// the revisions table shows the three revisions with their states and
// marks the served one (in the DOM and in a screenshot), the details page
// shows the rejected route and the NACK, the diff view shows the moved
// port, and the rollback button sends the token it asked for.
func TestDashboardInBrowser(t *testing.T) {
	d := &dashboard{t: t, ctx: browser(t), h: startHistory(t, "s3cret")}
	d.answerDialogs()
	d.checkRevisionsTable()
	d.checkDetails()
	d.checkDiff()
	d.checkRollback()
}

// dashboard drives the dashboard of a history in a browser tab.
type dashboard struct {
	t   *testing.T
	ctx context.Context
	h   *history

	mu      sync.Mutex
	prompt  string   // the text dialogs are answered with
	dialogs []string // the messages of the dialogs opened so far
}

// step runs steps in the browser within waitTimeout; what names them.
func (d *dashboard) step(what string, steps ...chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	sctx, cancel := context.WithTimeout(d.ctx, waitTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		d.t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression of string value in the page.
func (d *dashboard) eval(expr string) string {
	d.t.Helper()
	v, err := chromedp.Run(d.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		d.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// answerDialogs records the dialogs (the token prompt) the page opens and
// accepts them with the text of d.prompt.
func (d *dashboard) answerDialogs() {
	opening := chromedp.Events(d.ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range opening {
			if err != nil {
				return
			}
			d.mu.Lock()
			d.dialogs = append(d.dialogs, ev.Message)
			text := d.prompt
			d.mu.Unlock()
			go chromedp.Call(d.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true, PromptText: text})
		}
	}()
}

// checkRevisionsTable loads the dashboard and checks the revisions table,
// newest first, the Envoys table and the screenshot.
func (d *dashboard) checkRevisionsTable() {
	t, h := d.t, d.h
	d.step("load the dashboard", chromedp.Navigate(h.admin+"/"), chromedp.WaitVisible(chromedp.CSS("#revisions tbody tr")))
	rows := d.eval(`Array.from(document.querySelectorAll("#revisions tbody tr")).map(r =>
		[r.dataset.sha.slice(0, 12), r.querySelector(".state").textContent, r.classList.contains("served") ? "served" : "-", r.innerText.includes(r.dataset.sha.slice(0, 12)) ? "shown" : "hidden"].join(" ")).join("\n")`)
	want := strings.Join([]string{
		h.third[:12] + " rejected - shown",
		h.second[:12] + " applied served shown",
		h.first[:12] + " superseded - shown",
	}, "\n")
	if rows != want {
		t.Fatalf("revisions table:\n%s\nwant:\n%s", rows, want)
	}
	if nodes := d.eval(`document.querySelector("#nodes").innerText`); !strings.Contains(nodes, "envoy-1") || !strings.Contains(nodes, "endpoint port 3001 is not allowed here") {
		t.Errorf("Envoys table lacks envoy-1 or envoy-picky's NACK:\n%s", nodes)
	}
	shot := screenshot(t, d.ctx, "dashboard.png")
	checkScreenshot(t, d.ctx, shot)
}

// checkDetails opens the details of the served revision and checks they
// show the rejected route and the NACK.
func (d *dashboard) checkDetails() {
	h := d.h
	d.step("open the details", chromedp.Click(chromedp.CSS(`tr[data-sha="`+h.second+`"] td.actions a[href^="/revisions/"]`)), chromedp.WaitVisible(chromedp.CSS("#revision")))
	details := d.eval(`document.querySelector("main").innerText`)
	for _, want := range []string{h.second, "default/lost", "ResolvedRefs=False", "envoy-picky", "endpoint port 3001 is not allowed here", "envoy-1"} {
		if !strings.Contains(details, want) {
			d.t.Errorf("details page lacks %q:\n%s", want, details)
		}
	}
	screenshot(d.t, d.ctx, "revision.png")
}

// checkDiff opens the served revision's diff with the previous revision,
// then a diff picked in the form with the unparseable revision.
func (d *dashboard) checkDiff() {
	t, h := d.t, d.h
	d.step("open the diff", chromedp.Click(chromedp.CSS(`a[href^="/diff?from=`+h.first+`"]`)), chromedp.WaitVisible(chromedp.CSS("#diff")))
	diff := d.eval(`document.querySelector("#diff").innerText`)
	for _, want := range []string{"-          portValue: 3000", "+          portValue: 3001", "+  - lost.example.com"} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff view lacks %q:\n%s", want, diff)
		}
	}
	screenshot(t, d.ctx, "diff.png")
	d.step("pick a diff", chromedp.SetValue(chromedp.CSS("#to"), h.third), chromedp.Submit(chromedp.CSS("#to")), chromedp.WaitVisible(chromedp.CSS(`[role="alert"]`)))
	if msg := d.eval(`document.querySelector('[role="alert"]').innerText`); !strings.Contains(msg, h.third) {
		t.Errorf("diff with the unparseable revision: %q", msg)
	}
}

// rollbackServed reports whether the server has POST /api/v1/rollback.
func (d *dashboard) rollbackServed() bool {
	req, _ := http.NewRequest(http.MethodPost, d.h.admin+"/api/v1/rollback", strings.NewReader(`{}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode != http.StatusNotFound
}

// rollbackResult waits for the result of a rollback the page shows.
func (d *dashboard) rollbackResult() string {
	d.t.Helper()
	v, err := chromedp.Run(d.ctx, chromedp.Poll[string](`(t => t.startsWith("Rolling") ? "" : t)(document.getElementById("action-result").textContent)`, chromedp.WithPollingTimeout(waitTimeout)))
	if err != nil {
		d.t.Fatalf("no rollback result: %v", err)
	}
	return v
}

// checkRollback checks the rollback button asks for the token (prompt)
// and POSTs it: a wrong token is refused, the right one rolls back.
func (d *dashboard) checkRollback() {
	t, h := d.t, d.h
	endpoint := d.rollbackServed()
	d.mu.Lock()
	d.prompt = "wrong-token"
	d.mu.Unlock()
	rollback := chromedp.CSS(`button.rollback[data-sha="` + h.first + `"]`)
	d.step("click rollback", chromedp.Navigate(h.admin+"/"), chromedp.Click(rollback))
	got := d.rollbackResult()
	d.mu.Lock()
	asked := strings.Join(d.dialogs, "\n")
	d.mu.Unlock()
	if !strings.Contains(asked, "Roll back to "+h.first[:12]) || !strings.Contains(asked, "admin token") {
		t.Errorf("the rollback button asked %q; want the revision and the token", asked)
	}
	if !endpoint {
		// POST /api/v1/rollback is not there (yet): the UI shows the
		// server's answer, which proves the request reached it.
		if !strings.Contains(got, "(404)") {
			t.Errorf("rollback result %q; want the server's 404", got)
		}
		t.Logf("POST /api/v1/rollback is not served: checked the UI shows the server's 404 (%q)", got)
		return
	}
	if !strings.Contains(got, "(401)") {
		t.Errorf("rollback with a wrong token: %q; want the server's 401", got)
	}
	d.checkRollbackWithToken(rollback)
}

// checkRollbackWithToken rolls back with the right token, typed in the
// token field, and checks the reloaded dashboard serves the first
// revision and offers no rollback to it.
func (d *dashboard) checkRollbackWithToken(rollback chromedp.CSS) {
	t, h := d.t, d.h
	d.step("roll back", chromedp.SetValue(chromedp.CSS("#token"), h.token), chromedp.Click(rollback))
	if got := d.rollbackResult(); !strings.HasPrefix(got, "Rolled back to "+h.first[:12]) {
		t.Fatalf("rollback with the token: %q", got)
	}
	d.step("reload", chromedp.Navigate(h.admin+"/"), chromedp.WaitVisible(chromedp.CSS("#revisions tbody tr")))
	if served := d.eval(`Array.from(document.querySelectorAll("#revisions tr.served")).map(r => r.dataset.sha).join(" ")`); served != h.first {
		t.Errorf("after rollback the dashboard marks %q served; want %s alone", served, h.first)
	}
	if n := d.eval(`String(document.querySelectorAll('button.rollback[data-sha="` + h.first + `"]').length)`); n != "0" {
		t.Errorf("after rollback the dashboard still offers %s buttons to roll back to the served commit", n)
	}
	screenshot(t, d.ctx, "rolled-back.png")
	t.Logf("rollback: a wrong token got %q from the server; the right one rolled back to %s", "(401)", h.first[:12])
}

// screenshot saves a full-page PNG under the test's temporary directory
// (and under $SLUICE_SCREENSHOTS when set, to look at) and returns it.
func screenshot(t *testing.T, ctx context.Context, name string) []byte {
	t.Helper()
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dirs := []string{t.TempDir()}
	if d := os.Getenv("SLUICE_SCREENSHOTS"); d != "" {
		dirs = append(dirs, d)
	}
	for _, dir := range dirs {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
	return b
}

// checkScreenshot decodes the dashboard's screenshot and checks that it is
// not blank and that the revisions table is drawn: inside the table's box
// there is text, and the served row carries its highlight colour.
func checkScreenshot(t *testing.T, ctx context.Context, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	colors, dark := map[[3]uint32]bool{}, 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			colors[[3]uint32{r >> 8, g >> 8, b >> 8}] = true
			if r>>8 < 128 && g>>8 < 128 && b>>8 < 128 {
				dark++
			}
		}
	}
	if len(colors) < 50 || dark < bounds.Dx()*bounds.Dy()/200 {
		t.Errorf("screenshot %v looks blank: %d colours, %d dark pixels", bounds, len(colors), dark)
	}
	// The page's boxes, in CSS pixels (the screenshot's scale is 1).
	box := func(sel string) image.Rectangle {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(r => [r.left + scrollX, r.top + scrollY, r.right + scrollX, r.bottom + scrollY])(document.querySelector(`+"`"+sel+"`"+`).getBoundingClientRect())`))
		if err != nil || len(v) != 4 {
			t.Fatalf("box of %s: %v %v", sel, v, err)
		}
		return image.Rect(int(v[0]), int(v[1]), int(v[2]), int(v[3])).Intersect(bounds)
	}
	count := func(r image.Rectangle, match func(r, g, b uint32) bool) (n int) {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				cr, cg, cb, _ := img.At(x, y).RGBA()
				if match(cr>>8, cg>>8, cb>>8) {
					n++
				}
			}
		}
		return n
	}
	table, served := box("#revisions tbody"), box("#revisions tr.served")
	if table.Empty() || served.Empty() || !served.In(table) {
		t.Fatalf("table box %v, served row box %v", table, served)
	}
	text := count(table, func(r, g, b uint32) bool { return r < 100 && g < 100 && b < 100 })
	// #eaf6ec, the served row's background.
	green := count(served, func(r, g, b uint32) bool { return r == 0xea && g == 0xf6 && b == 0xec })
	if text < 500 || green < served.Dx()*served.Dy()/3 {
		t.Errorf("screenshot: %d text pixels in the table %v, %d of %d highlight pixels in the served row %v", text, table, green, served.Dx()*served.Dy(), served)
	}
}
