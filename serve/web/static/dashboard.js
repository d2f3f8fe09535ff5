// sluice dashboard: actions (roll back, unpin, sync) with the admin token
// of this tab, and live updates over server-sent events. The pages work
// without it.
"use strict";

// The token is kept in sessionStorage: for this tab only, never in a URL.
const tokenKey = "sluice-admin-token";

function tokenField() { return document.getElementById("token"); }

function savedToken() {
  const field = tokenField();
  const typed = field ? field.value.trim() : "";
  if (typed) {
    sessionStorage.setItem(tokenKey, typed);
    return typed;
  }
  return sessionStorage.getItem(tokenKey) || "";
}

// token returns the admin token, asking for it (to confirm what) when
// none is kept; null when the person cancels.
function token(what) {
  let t = savedToken();
  if (t) return t;
  t = window.prompt(what + "\nEnter the admin token to confirm:", "");
  if (t === null) return null;
  t = t.trim();
  if (t) sessionStorage.setItem(tokenKey, t);
  return t;
}

function show(text, failed) {
  const out = document.getElementById("action-result");
  out.className = failed ? "failed" : "";
  out.textContent = text;
}

// act calls the admin API with the token (asked with ask when none is
// kept); it shows doing, then done or the server's refusal (a refused
// token is forgotten).
async function act(btn, a) {
  const t = token(a.ask);
  if (t === null) return;
  show(a.doing + "…");
  btn.disabled = true;
  try {
    const init = { method: a.method, headers: { "Authorization": "Bearer " + t } };
    if (a.body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(a.body);
    }
    const resp = await fetch(a.path, init);
    let answer = {};
    try { answer = await resp.json(); } catch (e) { /* not JSON */ }
    if (!resp.ok) {
      if (resp.status === 401) sessionStorage.removeItem(tokenKey);
      show(a.name + " refused (" + resp.status + "): " + (answer.error || resp.statusText), true);
      return;
    }
    show(a.done);
  } catch (e) {
    show(a.name + " failed: " + e, true);
  } finally {
    btn.disabled = false;
  }
}

document.addEventListener("click", (ev) => {
  const rollback = ev.target.closest("button.rollback");
  if (rollback) {
    const sha = rollback.dataset.sha.slice(0, 12);
    act(rollback, { name: "Rollback", ask: "Roll back to " + sha + "?", doing: "Rolling back to " + sha,
      method: "POST", path: "/api/v1/rollback", body: { revision: rollback.dataset.sha }, done: "Rolled back to " + sha + "." });
    return;
  }
  const unpin = ev.target.closest("button.unpin");
  if (unpin) {
    act(unpin, { name: "Unpin", ask: "Remove the pin and serve the newest revision?", doing: "Unpinning",
      method: "DELETE", path: "/api/v1/pin", done: "Unpinned: the newest revision is served." });
    return;
  }
  const sync = ev.target.closest("button.sync");
  if (sync) {
    act(sync, { name: "Sync", ask: "Sync the source now?", doing: "Syncing",
      method: "POST", path: "/api/v1/sync", done: "Synced." });
    return;
  }
  if (ev.target.id === "forget-token") {
    sessionStorage.removeItem(tokenKey);
    const field = tokenField();
    if (field) field.value = "";
    show("The admin token is forgotten.");
  }
});

document.addEventListener("change", (ev) => {
  if (ev.target === tokenField()) savedToken();
});

// Live updates: on each change event, the page's content is fetched again
// and swapped in place (no reload: the token, the scroll and open details
// stay).
let refreshing = null;

async function refresh(generation) {
  const resp = await fetch(window.location.href, { headers: { "Accept": "text/html" } });
  if (!resp.ok) return;
  const doc = new DOMParser().parseFromString(await resp.text(), "text/html");
  const main = document.getElementById("main");
  const next = doc.getElementById("main");
  if (!main || !next) return;
  const open = new Set(Array.from(main.querySelectorAll("details[open] summary")).map((s) => s.textContent));
  main.innerHTML = next.innerHTML;
  main.querySelectorAll("details summary").forEach((s) => { if (open.has(s.textContent)) s.parentElement.open = true; });
  const serving = document.querySelector(".serving");
  const nextServing = doc.querySelector(".serving");
  if (serving && nextServing) serving.innerHTML = nextServing.innerHTML;
  document.body.dataset.generation = String(generation);
}

function live() {
  const main = document.getElementById("main");
  if (!main || !main.hasAttribute("data-live") || !window.EventSource) return;
  const state = document.getElementById("live-state");
  const es = new EventSource("/api/v1/events");
  es.addEventListener("open", () => { if (state) state.textContent = "● live"; });
  es.addEventListener("error", () => { if (state) state.textContent = "○ reconnecting"; });
  es.addEventListener("change", (ev) => {
    const generation = JSON.parse(ev.data).generation;
    if (String(generation) === document.body.dataset.generation) return; // shown already
    // One refresh at a time; a change during it refreshes again after.
    refreshing = (refreshing || Promise.resolve()).then(() => refresh(generation)).catch(() => {});
  });
}

const field = tokenField();
if (field && sessionStorage.getItem(tokenKey)) field.placeholder = "kept for this tab";
live();
