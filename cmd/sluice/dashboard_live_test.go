package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestLiveDashboard drives the live dashboard in a real headless chromium:
// it shows the source and the gateways; a commit that lands and a rollback
// made elsewhere appear without a reload (server-sent events); the Sync
// button and the pin banner's Unpin use the token signed in for the tab;
// the revision page shows every object and the xDS diff.
func TestLiveDashboard(t *testing.T) {
	d := &dashboard{t: t, ctx: browser(t), h: startHistory(t, "s3cret")}
	h := d.h
	d.answerDialogs()
	d.step("load the dashboard", chromedp.Navigate(h.admin+"/"), chromedp.WaitVisible(chromedp.CSS("#source")))
	d.eval(`window.notReloaded = "yes"`)
	source := d.eval(`document.querySelector("#source").innerText`)
	for _, want := range []string{"Remote", "repo.git", "main, path gateways/", "Last successful sync", "ago)", "Next sync", "Webhook\noff"} {
		if !strings.Contains(source, want) {
			t.Errorf("source panel lacks %q:\n%s", want, source)
		}
	}
	gateways := d.eval(`document.querySelector("#gateways").innerText`)
	if !strings.Contains(gateways, "default/eg\t") || !strings.Contains(gateways, "envoy-picky: endpoint port 3001 is not allowed here") {
		t.Errorf("gateways table:\n%s", gateways)
	}
	// Versions come from content: the served version links to its commit.
	if href := d.eval(`document.querySelector("#gateways tbody a").getAttribute("href")`); href != "/revisions/"+h.second {
		t.Errorf("served version links to %q, want /revisions/%s", href, h.second)
	}

	// Sign in for the tab, then sync from the page: nothing new yet.
	d.step("sign in and sync", chromedp.SetValue(chromedp.CSS("#token"), h.token), chromedp.Click(chromedp.CSS("button.sync")))
	if got := d.actionResult("Syncing"); got != "Synced." {
		t.Errorf("sync from the page: %q", got)
	}
	// A commit lands: the page shows it without a reload.
	h.repo.WriteFile("gateways/quickstart.yaml", strings.Replace(quickstart(t), "port: 3000", "port: 3005", 1))
	fourth := h.repo.Commit("Move the backend to port 3005")
	h.repo.Push()
	if code, body := h.do(t, http.MethodPost, "/api/v1/sync"); code != http.StatusAccepted {
		t.Fatalf("sync: %d %s", code, body)
	}
	d.waitFor("the new commit's row", `document.querySelector('#revisions tr[data-sha="`+fourth+`"] .state')?.textContent === "applied"`)
	screenshot(t, d.ctx, "live-commit.png")

	// A rollback made elsewhere (HEAD~1 is the broken commit): the pin
	// banner appears; its Unpin works
	// with the token kept for the tab (the field is empty after a swap).
	if code, body := h.post(t, "/api/v1/rollback", `{"revision": "HEAD~2"}`); code != http.StatusOK {
		t.Fatalf("rollback: %d %s", code, body)
	}
	d.waitFor("the pin banner", `document.querySelector("#pin-banner")?.innerText.includes("`+h.second[:12]+`") === true`)
	screenshot(t, d.ctx, "live-pinned.png")
	d.eval(`document.getElementById("token").value = ""`) // the token kept for the tab is used
	d.step("unpin", chromedp.Click(chromedp.CSS("#pin-banner button.unpin")))
	if got := d.actionResult("Unpinning"); !strings.HasPrefix(got, "Unpinned") {
		t.Errorf("unpin from the banner: %q", got)
	}
	d.waitFor("the banner gone", `document.querySelector("#pin-banner") === null`)
	if d.eval(`window.notReloaded`) != "yes" {
		t.Error("the page was reloaded")
	}
	d.checkRevisionPage()
}

// checkRevisionPage: the served revision's page (the second commit, rolled
// back to) shows every object with
// its conditions and the xDS diff with the previous revision.
func (d *dashboard) checkRevisionPage() {
	t, h := d.t, d.h
	d.step("open the revision page", chromedp.Navigate(h.admin+"/revisions/"+h.second), chromedp.WaitVisible(chromedp.CSS("#objects")))
	objects := d.eval(`document.querySelector("#objects").innerText`)
	for _, want := range []string{"Gateway\tdefault/eg\tquickstart.yaml:", "Accepted=True Programmed=True", "HTTPRoute\tdefault/lost", "ResolvedRefs=False", "parent default/eg: Accepted=True"} {
		if !strings.Contains(objects, want) {
			t.Errorf("objects table lacks %q:\n%s", want, objects)
		}
	}
	diff := d.eval(`document.querySelector("#revision-diff").textContent`)
	// The newest record of the second commit is the rollback to it, after
	// the fourth commit (port 3005).
	if !strings.Contains(diff, "-          portValue: 3005") || !strings.Contains(diff, "+          portValue: 3001") {
		t.Errorf("revision diff:\n%s", diff)
	}
	screenshot(t, d.ctx, "revision-live.png")
}

// actionResult waits for the result of an action the page shows, after
// the text that says it is under way (starting with doing).
func (d *dashboard) actionResult(doing string) string {
	d.t.Helper()
	v, err := chromedp.Run(d.ctx, chromedp.Poll[string](`(t => t.startsWith("`+doing+`") ? "" : t)(document.getElementById("action-result").textContent)`, chromedp.WithPollingTimeout(waitTimeout)))
	if err != nil {
		d.t.Fatalf("no result after %s: %v", doing, err)
	}
	return v
}

// waitFor waits until the JavaScript condition holds in the page.
func (d *dashboard) waitFor(what, cond string) {
	d.t.Helper()
	if _, err := chromedp.Run(d.ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(waitTimeout))); err != nil {
		d.t.Fatalf("%s: not after %s: %v\n%s", what, waitTimeout, err, d.eval(`document.querySelector("main").innerText`))
	}
}
