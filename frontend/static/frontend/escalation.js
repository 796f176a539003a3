// @ts-check
// Escalations of work items (docs/protocol.md, "Escalations"): the banners
// above the room with their acknowledgement clock, the box in a work item's
// panel with its actions (acknowledge; reassign, downgrade, and resolve with
// a note, each a small form in place), and the form that raises one. Every action answers with a
// `workitem.updated` that redraws them on every screen, so nothing here
// changes what is shown by itself.

import { post } from "./api.js";
import { clock, h, shortTime } from "./dom.js";
import { errorText } from "./errors.js";
import { SEVERITIES } from "./wire.gen.js";
import { deadlineText } from "./zone.js";

/** @import { EscalationData, PersonRef, WorkItemData } from "./wire.gen.js" */

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
    return `Acknowledged by ${e.acknowledged_by?.name ?? "someone"} at ${e.acknowledged_at ? deadlineText(e.acknowledged_at) : ""}`;
  }
  const left = (Date.parse(e.ack_due_at) - now) / 1000;
  return left >= 0 ? `Acknowledge within ${clock(left)}` : `Acknowledgement overdue by ${clock(-left)}`;
}

/**
 * A banner's clock: the words and the time apart, so a phone can show the
 * time alone ("29:55") and keep the line for the title.
 * @param {HTMLElement} el
 * @param {EscalationData} e
 */
function fillClock(el, e) {
  const text = clockText(e);
  const at = e.status === "acknowledged" ? -1 : text.lastIndexOf(" ");
  if (at < 0) {
    el.textContent = text;
    return;
  }
  // Overdue reads red on the banner (`late`), with the words for a screen reader.
  el.replaceChildren(
    h("span", { class: "esc-clock-words" }, text.slice(0, at + 1)),
    h("span", { class: "esc-clock-time" }, text.slice(at + 1)),
  );
}

/**
 * @param {EscalationData} escalation
 * @param {"acknowledge" | "reassign" | "downgrade" | "resolve"} action
 * @param {Record<string, unknown>} body
 */
function act(escalation, action, body = {}) {
  // The workitem.updated event redraws the banner and the box on every screen.
  return post(`/api/escalations/${escalation.id}/${action}/`, body);
}

/**
 * @param {EscalationData} escalation
 * @param {Toast} say
 */
async function acknowledge(escalation, say) {
  try {
    await act(escalation, "acknowledge");
  } catch (error) {
    say("Could not acknowledge", errorText(error), { kind: "alert" });
  }
}

/**
 * The banner's actions: acknowledging is one click; resolving asks for a note,
 * in the work item's panel (`open`).
 * @param {EscalationData} e
 * @param {WorkItemData} item
 * @param {{open: (id: number) => void | Promise<void>, toast: Toast}} how
 */
function bannerActions(e, item, { open, toast: say }) {
  const acked = e.status === "acknowledged";
  return [
    acked ? null : h("button", { type: "button", class: "button small primary", onclick: () => acknowledge(e, say) }, "Acknowledge"),
    h(
      "button",
      {
        type: "button",
        class: "button small",
        onclick: async () => {
          await open(item.id);
          const resolve = document.querySelector(`.item-detail[data-item="${item.id}"] .esc-box [data-act="resolve"]`);
          if (resolve instanceof HTMLElement) resolve.click();
        },
      },
      "Resolve…",
    ),
  ];
}

/**
 * One action's form in the escalation box: its fields, a submit that posts
 * `body()`, an error line, and Cancel (back to the buttons).
 * @param {{label: string, fields: HTMLElement[], submit: string, danger?: boolean, send: () => Promise<unknown>, done: () => void}} spec
 */
function actionForm({ label, fields, submit, danger = false, send, done }) {
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "esc-action-form", aria: { label } },
    ...fields,
    error,
    h(
      "div",
      { class: "form-actions" },
      h("button", { type: "submit", class: `button small ${danger ? "danger" : "primary"}` }, submit),
      h("button", { type: "button", class: "button small", onclick: done }, "Cancel"),
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    try {
      await send();
      done();
    } catch (e) {
      error.hidden = false;
      error.textContent = errorText(e);
    }
  });
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      done();
    }
  });
  setTimeout(() => {
    const first = form.querySelector("select, textarea");
    if (first instanceof HTMLElement) first.focus();
  });
  return form;
}

/**
 * The box's actions: acknowledge, and reassign, downgrade and resolve, each
 * with its own small form in place of the buttons.
 * @param {EscalationData} e
 * @param {{toast: Toast, people: () => PersonRef[]}} how
 */
function boxActions(e, { toast: say, people }) {
  const slot = h("div", { class: "esc-actions-slot" });
  const buttons = () => {
    const lower = SEVERITIES.filter((s) => s > e.severity);
    slot.replaceChildren(
      h(
        "div",
        { class: "form-actions esc-actions" },
        e.status === "acknowledged" ? null : h("button", { type: "button", class: "button small primary", dataset: { act: "acknowledge" }, onclick: () => acknowledge(e, say) }, "Acknowledge"),
        h("button", { type: "button", class: "button small", dataset: { act: "reassign" }, onclick: reassign }, "Reassign…"),
        lower.length ? h("button", { type: "button", class: "button small", dataset: { act: "downgrade" }, onclick: () => downgrade(lower) }, "Downgrade…") : null,
        h("button", { type: "button", class: "button small", dataset: { act: "resolve" }, onclick: resolve }, "Resolve…"),
      ),
    );
  };
  const reassign = () => {
    const person = h(
      "select",
      { id: "esc-person", name: "person", required: true },
      h("option", { value: "" }, "Choose someone…"),
      people().map((p) => h("option", { value: p.id }, `${p.name} (${p.org?.name ?? ""})`)),
    );
    slot.replaceChildren(
      actionForm({
        label: "Reassign the escalated work",
        fields: [h("label", { for: "esc-person" }, "New owner (anyone in the room, either company)"), person],
        submit: "Reassign",
        send: () => act(e, "reassign", { person: Number(person.value) }),
        done: buttons,
      }),
    );
  };
  /** @param {string[]} lower */
  const downgrade = (lower) => {
    const severity = h(
      "select",
      { id: "esc-severity", name: "severity" },
      lower.map((s) => h("option", { value: s }, `${s} ${SEVERITY_WORDS[/** @type {keyof typeof SEVERITY_WORDS} */ (s)]}`)),
    );
    const reason = h("textarea", { id: "esc-downgrade-reason", name: "reason", rows: 2, maxLength: 2000 });
    slot.replaceChildren(
      actionForm({
        label: "Downgrade the escalation",
        fields: [
          h("label", { for: "esc-severity" }, "New severity"),
          severity,
          h("label", { for: "esc-downgrade-reason" }, "Why (optional; kept in the audit log)"),
          reason,
        ],
        submit: "Downgrade",
        send: () => act(e, "downgrade", { severity: severity.value, reason: reason.value }),
        done: buttons,
      }),
    );
  };
  const resolve = () => {
    const note = h("textarea", { id: "esc-note", name: "note", rows: 3, required: true, maxLength: 2000 });
    slot.replaceChildren(
      actionForm({
        label: "Resolve the escalation",
        fields: [h("label", { for: "esc-note" }, "Resolution note (both companies see it, in the room)"), note],
        submit: "Resolve",
        send: () => act(e, "resolve", { note: note.value }),
        done: buttons,
      }),
    );
  };
  buttons();
  return slot;
}

/**
 * The banners of the room's escalated items, most severe first.
 * @param {HTMLElement} el
 * @param {Iterable<WorkItemData>} items
 * @param {{open: (id: number) => void | Promise<void>, toast: Toast}} how
 */
export function drawBanners(el, items, how) {
  /** @type {[WorkItemData, EscalationData][]} */
  const escalated = [];
  const all = [...items]; // drawn again from the same list when opened
  for (const item of all) if (item.escalation) escalated.push([item, item.escalation]);
  escalated.sort(([, a], [, b]) => a.severity.localeCompare(b.severity));
  el.replaceChildren(...escalated.map(([item, e]) => banner(item, e, how)));
  // On a phone each banner is one line and only the most severe shows; this
  // opens the others (app.css). On a wide screen every banner shows.
  const others = escalated.length - 1;
  if (others > 0) {
    const expanded = el.classList.contains("expanded");
    const more = h(
      "button",
      { type: "button", class: "link esc-more", aria: { expanded: expanded ? "true" : "false" } },
      expanded ? "Fewer" : `+${others} more`,
    );
    more.addEventListener("click", () => {
      el.classList.toggle("expanded");
      drawBanners(el, all, how);
    });
    el.firstElementChild?.append(more);
  } else el.classList.remove("expanded");
}

/**
 * @param {WorkItemData} item
 * @param {EscalationData} e its escalation
 * @param {{open: (id: number) => void | Promise<void>, toast: Toast}} how
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
    h("span", { class: "esc-clock", dataset: { due: e.ack_due_at } }),
    h("span", { class: "esc-actions" }, bannerActions(e, item, { open, toast: say })),
  );
  fillClock(/** @type {HTMLElement} */ (el.querySelector(".esc-clock")), e);
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
    if (!e || !(clockEl instanceof HTMLElement)) continue;
    fillClock(clockEl, e);
    if (e.status === "open" && Date.parse(e.ack_due_at) < Date.now()) bannerEl.classList.add("late");
  }
}

/**
 * The work item panel's escalation box: the live escalation with its clock
 * and actions, or "Escalate…".
 * @param {WorkItemData} item
 * @param {{roomId: number, toast: Toast, people: () => PersonRef[]}} how
 */
export function escalationBox(item, { roomId, toast: say, people }) {
  const e = item.escalation;
  if (e) {
    const acked = e.status === "acknowledged";
    return h(
      "div",
      { class: `esc-box sev-${e.severity}` },
      h("div", {}, h("span", { class: `sev-chip sev-${e.severity}` }, e.severity), " ", h("strong", {}, acked ? "Escalation acknowledged" : "Escalated"), ` by ${e.raised_by.name} (${e.raised_by.org?.name ?? ""}), ${shortTime(e.raised_at)}`),
      h("p", { class: "esc-reason" }, e.reason),
      h("p", { class: "esc-clock" }, clockText(e)),
      acked ? null : h("p", { class: "esc-due muted" }, `Acknowledge by ${deadlineText(e.ack_due_at)}`),
      boxActions(e, { toast: say, people }),
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
