// @ts-check
// Escalations of work items (docs/protocol.md, "Escalations"): the banners
// above the room with their acknowledgement clock, the box in a work item's
// panel, and the form that raises one. Every action answers with a
// `workitem.updated` that redraws them on every screen, so nothing here
// changes what is shown by itself.

import { post } from "./api.js";
import { clock, fullTime, h, shortTime } from "./dom.js";
import { errorText } from "./errors.js";
import { SEVERITIES } from "./wire.gen.js";

/** @import { EscalationData, WorkItemData } from "./wire.gen.js" */

/** @typedef {(title: string, body?: string, options?: {kind?: "info" | "alert"}) => void} Toast */

/** What each severity means, as the escalate form says it. */
const SEVERITY_WORDS = { S1: "critical", S2: "major", S3: "minor" };

/**
 * "Acknowledge within 12:05", "Acknowledgement overdue by 3:10", or who acknowledged it.
 * @param {EscalationData} e
 * @param {number} [now]
 */
export function clockText(e, now = Date.now()) {
  if (e.status === "acknowledged") {
    return `Acknowledged by ${e.acknowledged_by?.name ?? "someone"} at ${shortTime(e.acknowledged_at)}`;
  }
  const left = (Date.parse(e.ack_due_at) - now) / 1000;
  return left >= 0 ? `Acknowledge within ${clock(left)}` : `Acknowledgement overdue by ${clock(-left)}`;
}

/**
 * @param {EscalationData} escalation
 * @param {"acknowledge" | "resolve"} action
 * @param {Toast} say
 */
async function act(escalation, action, say) {
  try {
    await post(`/api/escalations/${escalation.id}/${action}/`, {});
    // The workitem.updated event redraws the banner on every screen.
  } catch (error) {
    say(`Could not ${action}`, errorText(error), { kind: "alert" });
  }
}

/**
 * @param {EscalationData} e
 * @param {Toast} say
 */
function actions(e, say) {
  const acked = e.status === "acknowledged";
  return [
    acked ? null : h("button", { type: "button", class: "button small primary", onclick: () => act(e, "acknowledge", say) }, "Acknowledge"),
    h("button", { type: "button", class: "button small", onclick: () => act(e, "resolve", say) }, "Resolve"),
  ];
}

/**
 * The banners of the room's escalated items, most severe first.
 * @param {HTMLElement} el
 * @param {Iterable<WorkItemData>} items
 * @param {{open: (id: number) => void, toast: Toast}} how
 */
export function drawBanners(el, items, how) {
  /** @type {[WorkItemData, EscalationData][]} */
  const escalated = [];
  for (const item of items) if (item.escalation) escalated.push([item, item.escalation]);
  escalated.sort(([, a], [, b]) => a.severity.localeCompare(b.severity));
  el.replaceChildren(...escalated.map(([item, e]) => banner(item, e, how)));
}

/**
 * @param {WorkItemData} item
 * @param {EscalationData} e its escalation
 * @param {{open: (id: number) => void, toast: Toast}} how
 */
function banner(item, e, { open, toast: say }) {
  const acked = e.status === "acknowledged";
  const el = h(
    "div",
    { class: `esc-banner sev-${e.severity}${acked ? " acked" : ""}`, role: "status", dataset: { item: item.id, escalation: e.id } },
    h("span", { class: `sev-chip sev-${e.severity}` }, e.severity),
    h(
      "span",
      { class: "esc-text" },
      h("strong", {}, acked ? "Escalation acknowledged: " : "Escalated: "),
      h("button", { type: "button", class: "link esc-title", onclick: () => open(item.id) }, item.title),
      h("span", { class: "esc-reason" }, ` “${e.reason}” · ${e.raised_by.name} (${e.raised_by.org?.name ?? ""})`),
    ),
    h("span", { class: "esc-clock", dataset: { due: e.ack_due_at } }, clockText(e)),
    h("span", { class: "esc-actions" }, actions(e, say)),
  );
  if (!acked && (e.breached || Date.parse(e.ack_due_at) < Date.now())) el.classList.add("late");
  return el;
}

/**
 * Move the banners' clocks on (every second).
 * @param {HTMLElement} el
 * @param {ReadonlyMap<number, WorkItemData>} items
 */
export function tickBanners(el, items) {
  for (const bannerEl of el.querySelectorAll(".esc-banner")) {
    if (!(bannerEl instanceof HTMLElement)) continue;
    const e = items.get(Number(bannerEl.dataset.item))?.escalation;
    const clockEl = bannerEl.querySelector(".esc-clock");
    if (!e || !clockEl) continue;
    clockEl.textContent = clockText(e);
    if (e.status === "open" && Date.parse(e.ack_due_at) < Date.now()) bannerEl.classList.add("late");
  }
}

/**
 * The work item panel's escalation box: the live escalation with its clock
 * and actions, or "Escalate…".
 * @param {WorkItemData} item
 * @param {{roomId: number, toast: Toast}} how
 */
export function escalationBox(item, { roomId, toast: say }) {
  const e = item.escalation;
  if (e) {
    const acked = e.status === "acknowledged";
    return h(
      "div",
      { class: `esc-box sev-${e.severity}` },
      h("div", {}, h("span", { class: `sev-chip sev-${e.severity}` }, e.severity), " ", h("strong", {}, acked ? "Escalation acknowledged" : "Escalated"), ` by ${e.raised_by.name} (${e.raised_by.org?.name ?? ""}), ${shortTime(e.raised_at)}`),
      h("p", { class: "esc-reason" }, e.reason),
      h("p", { class: "esc-clock", title: `Due ${fullTime(e.ack_due_at)}` }, clockText(e)),
      h("div", { class: "form-actions" }, actions(e, say)),
    );
  }
  const box = h("div", { class: "esc-box none" });
  const start = h("button", { type: "button", class: "button small danger-outline" }, "Escalate…");
  start.addEventListener("click", () => box.replaceChildren(escalateForm(item, roomId, () => box.replaceChildren(start))));
  box.append(start);
  return box;
}

/**
 * @param {WorkItemData} item
 * @param {number} roomId
 * @param {() => void} onCancel
 */
function escalateForm(item, roomId, onCancel) {
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const reason = h("textarea", { id: "esc-reason", name: "reason", rows: 2, required: true, maxLength: 2000 });
  const severities = SEVERITIES.map((s, i) =>
    h(
      "label",
      { class: `radio sev-option sev-${s}` },
      h("input", { type: "radio", name: "severity", value: s, checked: i === 1 }),
      ` ${s} `,
      h("span", { class: "muted" }, SEVERITY_WORDS[s]),
    ),
  );
  const form = h(
    "form",
    { class: "escalate-form", aria: { label: "Escalate work item" } },
    h("fieldset", {}, h("legend", {}, "Severity"), severities),
    h("label", { for: "esc-reason" }, "Reason (both companies see it)"),
    reason,
    error,
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "button small danger" }, "Escalate"), h("button", { type: "button", class: "button small", onclick: onCancel }, "Cancel")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const severity = new FormData(form).get("severity");
    try {
      await post(`/api/rooms/${roomId}/workitems/${item.id}/escalate/`, { severity, reason: reason.value });
    } catch (e) {
      error.hidden = false;
      error.textContent = errorText(e);
    }
  });
  setTimeout(() => reason.focus());
  return form;
}
