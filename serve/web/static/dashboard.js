// sluice dashboard: the rollback buttons. The page works without it.
"use strict";

document.addEventListener("click", async (ev) => {
  const btn = ev.target.closest("button.rollback");
  if (!btn) return;
  const sha = btn.dataset.sha;
  const out = document.getElementById("action-result");
  const field = document.getElementById("token");
  let token = field ? field.value.trim() : "";
  if (!token) {
    token = window.prompt("Roll back to " + sha.slice(0, 12) + "?\nEnter the admin token to confirm:", "");
    if (token === null) return; // cancelled
    token = token.trim();
  }
  out.className = "";
  out.textContent = "Rolling back to " + sha.slice(0, 12) + "…";
  btn.disabled = true;
  try {
    const resp = await fetch("/api/v1/rollback", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + token },
      body: JSON.stringify({ revision: sha }),
    });
    let body = {};
    try { body = await resp.json(); } catch (e) { /* not JSON */ }
    if (!resp.ok) {
      out.className = "failed";
      out.textContent = "Rollback refused (" + resp.status + "): " + (body.error || resp.statusText);
      return;
    }
    out.textContent = "Rolled back to " + sha.slice(0, 12) + ". Reload the page to see it served.";
  } catch (e) {
    out.className = "failed";
    out.textContent = "Rollback failed: " + e;
  } finally {
    btn.disabled = false;
  }
});
