// @ts-check
// Your organization's file policy for shared rooms, on the home page: what
// its own people may upload there (the partner's policy never applies to
// you). Everyone sees it; org admins change it (docs/protocol.md, "Files").

import { get, put } from "./api.js";
import { h } from "./dom.js";
import { errorText } from "./errors.js";
import { formatSize } from "./files.js";
import { FILE_KINDS } from "./wire.gen.js";

/** @import { FilePolicyData } from "./wire.gen.js" */

// Every kind, in the server's order, as its checkbox and a sentence say it.
const KINDS = Object.entries(FILE_KINDS).map(([kind, { many }]) => ({
  kind,
  label: many.charAt(0).toUpperCase() + many.slice(1),
  words: many,
}));

/**
 * @param {HTMLElement} card the section to fill
 * @param {string} orgName
 */
export async function mountFilePolicy(card, orgName) {
  const body = h("div", { class: "file-policy" }, h("p", { class: "muted" }, "Loading…"));
  card.append(body);
  try {
    /** @type {FilePolicyData} */
    const policy = await get("/api/organization/file-policy/");
    body.replaceChildren(policy.can_change ? form(policy, orgName) : summary(policy, orgName));
  } catch (error) {
    body.replaceChildren(h("p", { class: "form-error" }, errorText(error)));
  }
}

/**
 * @param {FilePolicyData} policy
 * @param {string} orgName
 */
function describe(policy, orgName) {
  if (!policy.uploads_allowed) return `${orgName} does not allow its people to upload files into shared rooms.`;
  const kinds = policy.kinds.length ? KINDS.filter(({ kind }) => policy.kinds.includes(kind)).map(({ words }) => words).join(", ") : "any kind of file";
  return `In shared rooms, ${orgName}'s people may upload ${kinds}, up to ${formatSize(policy.max_bytes ?? policy.server_max_bytes)} each.`;
}

/**
 * @param {FilePolicyData} policy
 * @param {string} orgName
 */
function summary(policy, orgName) {
  return h("div", {}, h("p", {}, describe(policy, orgName)), h("p", { class: "muted small" }, "Set by your organization's admins. Internal rooms follow the server's limits."));
}

/**
 * @param {FilePolicyData} policy
 * @param {string} orgName
 */
function form(policy, orgName) {
  const allowed = h("input", { type: "checkbox", id: "policy-allowed", checked: policy.uploads_allowed });
  const boxes = KINDS.map(({ kind, label }) => {
    const box = h("input", { type: "checkbox", id: `policy-kind-${kind}`, value: kind, checked: !policy.kinds.length || policy.kinds.includes(kind) });
    return { kind, box, row: h("label", { class: "check", for: `policy-kind-${kind}` }, box, ` ${label}`) };
  });
  const serverMb = Math.floor(policy.server_max_bytes / (1024 * 1024));
  const maxMb = h("input", {
    type: "number",
    id: "policy-max",
    min: "1",
    max: String(serverMb),
    value: policy.max_bytes ? String(Math.round(policy.max_bytes / (1024 * 1024))) : "",
    placeholder: String(serverMb),
    inputmode: "numeric",
  });
  const status = h("p", { class: "muted small", role: "status" }, describe(policy, orgName));
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const kinds = h("fieldset", { class: "policy-kinds" }, h("legend", {}, "Kinds of file"), ...boxes.map((b) => b.row));
  const sync = () => {
    kinds.disabled = !allowed.checked;
    maxMb.disabled = !allowed.checked;
  };
  allowed.addEventListener("change", sync);
  sync();
  const el = h(
    "form",
    { class: "policy-form", aria: { label: `File policy of ${orgName}` } },
    h("label", { class: "check", for: "policy-allowed" }, allowed, " Allow uploads into shared rooms"),
    kinds,
    h("label", { for: "policy-max" }, `Largest file, MB (at most ${serverMb})`),
    maxMb,
    error,
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "button primary small" }, "Save policy")),
    status,
  );
  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const chosen = boxes.filter((b) => b.box.checked).map((b) => b.kind);
    if (allowed.checked && !chosen.length) {
      error.textContent = "Choose at least one kind of file, or do not allow uploads.";
      error.hidden = false;
      return;
    }
    try {
      /** @type {FilePolicyData} */
      const saved = await put("/api/organization/file-policy/", {
        uploads_allowed: allowed.checked,
        // Every kind ticked means no restriction by kind.
        kinds: chosen.length === KINDS.length ? [] : chosen,
        max_mb: maxMb.value ? Number(maxMb.value) : null,
      });
      status.textContent = `Saved. ${describe(saved, orgName)}`;
    } catch (problem) {
      error.textContent = errorText(problem);
      error.hidden = false;
    }
  });
  return el;
}
