// @ts-check
// Work items listed outside their room (the home page's "My work" and open
// escalations, the My work page): one row each, linking to the item in its
// own room, with its deadlines on the viewer's clock (zone.js). The lists
// reload when a work item changes in any of the person's rooms.

import { get } from "./api.js";
import { h, PRIORITY_LABELS, statusLabel } from "./dom.js";
import { errorText } from "./errors.js";
import { itemLink } from "./links.js";
import { deadlineText, dueText } from "./zone.js";

/** @import { CausewaySocket } from "./socket.js" */
/** @import { WorkItemData } from "./wire.gen.js" */

/**
 * One work item's row.
 * @param {WorkItemData} item
 * @param {(room: number) => string} roomName
 */
export function workRow(item, roomName) {
  const e = item.escalation;
  const due = item.due_date ? dueText(item.due_date) : null;
  return h(
    "li",
    { class: e ? "escalated" : "", dataset: { item: item.id } },
    h("a", { href: itemLink(item.room, item.id) }, item.title),
    h(
      "span",
      { class: "work-meta" },
      h("span", { class: `status-chip status-${item.status}` }, statusLabel(item.status)),
      h("span", { class: `prio prio-${item.priority}`, title: PRIORITY_LABELS[item.priority] }, `P${item.priority}`),
      e ? h("span", { class: `sev-chip sev-${e.severity}` }, `${e.severity} escalated`) : null,
      due ? h("span", { class: `due${due.overdue ? " overdue" : ""}`, title: item.due_date }, due.text) : null,
      item.assignee ? h("span", { class: "muted" }, item.assignee.name) : h("span", { class: "muted" }, "Unassigned"),
      h("span", { class: "muted room-name" }, roomName(item.room)),
    ),
  );
}

/**
 * An escalated item's row: severity, the title, its room, and the
 * acknowledgement deadline (or who acknowledged it).
 * @param {WorkItemData} item
 * @param {(room: number) => string} roomName
 */
export function escalationRow(item, roomName) {
  const e = item.escalation;
  if (!e) return workRow(item, roomName);
  const late = e.status === "open" && (e.breached || Date.parse(e.ack_due_at) < Date.now());
  return h(
    "li",
    { class: `escalated${late ? " late" : ""}`, dataset: { item: item.id, escalation: e.id } },
    h("span", { class: "work-meta" }, h("span", { class: `sev-chip sev-${e.severity}` }, e.severity), h("a", { href: itemLink(item.room, item.id) }, item.title)),
    h(
      "span",
      { class: "work-meta" },
      h("span", { class: "muted" }, `${e.raised_by.name} (${e.raised_by.org?.name ?? ""}) · ${roomName(item.room)}`),
      e.status === "acknowledged"
        ? h("span", { class: "esc-state" }, `Acknowledged by ${e.acknowledged_by?.name ?? "someone"}`)
        : h("span", { class: `esc-state${late ? " overdue" : ""}` }, `${late ? "Overdue since" : "Acknowledge by"} ${deadlineText(e.ack_due_at)}`),
    ),
  );
}

/**
 * Fill `list` from `path`'s `key` with `row`s (or `empty`), and again whenever
 * a work item changes.
 * @param {HTMLElement} list
 * @param {{path: string, key: string, empty: string, row: (item: WorkItemData) => HTMLElement, socket: CausewaySocket}} spec
 */
export function mountWorkList(list, { path, key, empty, row, socket }) {
  const load = async () => {
    try {
      /** @type {Record<string, WorkItemData[]>} */
      const data = await get(path);
      const items = data[key] ?? [];
      list.replaceChildren(...(items.length ? items.map(row) : [h("li", { class: "muted" }, empty)]));
    } catch (error) {
      list.replaceChildren(h("li", { class: "form-error" }, errorText(error)));
    }
  };
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let soon;
  const reload = () => {
    clearTimeout(soon);
    soon = setTimeout(load, 300);
  };
  socket.on("workitem.created", reload);
  socket.on("workitem.updated", reload);
  load();
}
