// @ts-check
// One work item in the side panel: its status and moves, its escalation
// (escalation.js), its fields, the description the server rendered, its
// history, and its thread (the item's discussion, thread.js). It redraws as
// `workitem.updated` comes in, leaving alone a form the person is using.

import { get } from "./api.js";
import { field, h, PRIORITIES, PRIORITY_LABELS, serverHTML, statusLabel, timeEl } from "./dom.js";
import { errorText } from "./errors.js";
import { clockText, escalationBox } from "./escalation.js";
import { ThreadView } from "./thread.js";
import { TRANSITIONS, WORK_ITEM_RETENTION_CHANGE } from "./wire.gen.js";

/** @import { HistoryEntry } from "./api.js" */
/** @import { WorkItems } from "./board.js" */
/** @import { RoomPage } from "./room.js" */
/** @import { PersonRef, WorkItemData } from "./wire.gen.js" */

/**
 * @typedef {object} Parts the panel's parts, drawn in place
 * @property {HTMLElement} meta
 * @property {HTMLElement} title
 * @property {HTMLElement} status
 * @property {HTMLElement} escalation
 * @property {HTMLElement} fields
 * @property {HTMLElement} description
 * @property {HTMLElement} history
 */

export class ItemDetail {
  /**
   * Open `item` in the side panel.
   * @param {WorkItems} work
   * @param {WorkItemData} item
   * @param {() => void} onClose
   */
  constructor(work, item, onClose) {
    const page = work.page;
    this.work = work;
    this.page = page;
    this.id = item.id;
    this.el = h("div", { class: "item-detail", dataset: { item: item.id } });
    this.thread = new ThreadView(page, { id: item.thread, thread: null, kind: "workitem" }, { mirrorControls: false, embedded: true });
    /** @type {HistoryEntry[] | null} null until loaded */
    this.history = null;
    this.parts = this.layout();
    /** @type {string | undefined} */ this.escalationKey = undefined;
    /** @type {number | undefined} */ this.fieldsVersion = undefined;
    /** @type {string | undefined} */ this.html = undefined;
    page.panel.open(`item:${item.id}`, `Work item #${item.id}`, this.el, {
      onClose: () => {
        onClose();
        page.threadClosed(this.thread);
      },
    });
    page.threadOpened(this.thread);
    this.draw();
    this.thread.load();
    this.loadHistory();
  }

  /** @returns {Parts} */
  layout() {
    const parts = {
      meta: h("div", { class: "item-meta muted" }),
      title: h("h3", { class: "item-title" }),
      status: h("div", { class: "status-row" }),
      escalation: h("div", { class: "esc-slot" }),
      fields: h("div", { class: "fields-slot" }),
      description: h("div", { class: "item-description message-body" }),
      history: h("div", { class: "history-slot" }),
    };
    this.el.replaceChildren(
      parts.meta,
      parts.title,
      parts.status,
      parts.escalation,
      parts.fields,
      parts.description,
      parts.history,
      h("h4", { class: "thread-heading" }, "Discussion"),
      this.thread.el,
    );
    return parts;
  }

  async loadHistory() {
    try {
      /** @type {{item: WorkItemData, history: HistoryEntry[]}} */
      const data = await get(`/api/rooms/${this.page.roomId}/workitems/${this.id}/`);
      if (this.work.detail !== this) return; // closed, or another item opened meanwhile
      this.history = data.history;
      this.work.apply(data.item);
      this.draw();
    } catch {
      // the detail stays without history
    }
  }

  /**
   * The item changed (`workitem.updated`, or our own PATCH).
   * @param {{changes: Record<string, unknown[]>, by: PersonRef | null} | null} change
   */
  refresh(change) {
    if (change && WORK_ITEM_RETENTION_CHANGE in change.changes) {
      // Retention rewrote the history too (removed text in earlier entries): read it again.
      void this.loadHistory();
      return;
    }
    if (change && this.history) {
      this.history.push({ seq: 0, at: new Date().toISOString(), by: change.by, changes: change.changes });
    }
    this.draw();
  }

  /** Draw the open item's panel. Parts with a form in use are left alone. */
  draw() {
    const item = this.work.items.get(this.id);
    if (!item) return;
    const p = this.parts;
    p.meta.replaceChildren(
      `Raised by ${item.raised_by_org?.name ?? "?"} · created by ${item.created_by.name} · `,
      timeEl(item.created_at),
    );
    p.title.textContent = item.title;
    p.status.replaceChildren(
      h("span", { class: `status-chip status-${item.status}` }, statusLabel(item.status)),
      h(
        "span",
        { class: "moves" },
        (TRANSITIONS[item.status] ?? []).map((to) =>
          h("button", { type: "button", class: "button small", dataset: { to }, onclick: () => this.work.move(item, to) }, `→ ${statusLabel(to)}`),
        ),
      ),
    );
    const escalationKey = JSON.stringify(item.escalation);
    if (escalationKey !== this.escalationKey) {
      this.escalationKey = escalationKey;
      p.escalation.replaceChildren(escalationBox(item, { roomId: this.page.roomId, toast: this.page.toast, people: () => this.page.memberList() }));
    }
    const editing = p.fields.contains(document.activeElement);
    if (this.fieldsVersion !== item.version && !editing) {
      this.fieldsVersion = item.version;
      p.fields.replaceChildren(this.fieldsForm(item));
    }
    if (this.html !== item.html) {
      this.html = item.html;
      if (item.html) serverHTML(p.description, item.html); // sanitized on the server
      else p.description.replaceChildren(h("p", { class: "muted" }, "No description."));
    }
    p.history.replaceChildren(this.historyList());
  }

  /** The escalation box's clock, every second. */
  tick() {
    const clockEl = this.el.querySelector(".esc-box .esc-clock");
    const e = this.work.items.get(this.id)?.escalation;
    if (clockEl && e) clockEl.textContent = clockText(e);
  }

  /** @param {WorkItemData} item */
  fieldsForm(item) {
    const people = this.page.memberList();
    const title = h("input", { id: "item-title", name: "title", value: item.title, required: true, maxLength: 200 });
    const description = h("textarea", { id: "item-description", name: "description", rows: 3, maxLength: 20000, placeholder: "Markdown" }, item.description);
    const assignee = h(
      "select",
      { id: "item-assignee", name: "assignee" },
      h("option", { value: "" }, "Unassigned"),
      people.map((p) => h("option", { value: p.id, selected: item.assignee?.id === p.id }, `${p.name} (${p.org?.name ?? ""})`)),
    );
    if (item.assignee && !people.some((p) => p.id === item.assignee?.id)) {
      assignee.append(h("option", { value: item.assignee.id, selected: true }, item.assignee.name));
    }
    const priority = h(
      "select",
      { id: "item-priority", name: "priority" },
      PRIORITIES.map((p) => h("option", { value: p, selected: item.priority === p }, PRIORITY_LABELS[p])),
    );
    const due = h("input", { id: "item-due", type: "date", name: "due_date", value: item.due_date || "" });
    const labels = h("input", { id: "item-labels", name: "labels", value: item.labels.join(", "), placeholder: "comma, separated" });
    const status = h("p", { class: "form-status", role: "status" });
    const form = h(
      "form",
      { class: "item-fields", aria: { label: "Work item fields" } },
      field("item-title", "Title", title),
      field("item-description", "Description", description),
      field("item-assignee", "Assignee", assignee),
      field("item-priority", "Priority", priority),
      field("item-due", "Due", due),
      field("item-labels", "Labels", labels),
      h("div", { class: "form-actions" }, h("button", { type: "submit", class: "button small" }, "Save changes"), status),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const current = this.work.items.get(item.id) ?? item;
      /** @type {Record<string, unknown>} */
      const changes = {};
      if (title.value.trim() !== current.title) changes.title = title.value;
      if (description.value.trim() !== current.description) changes.description = description.value;
      const newAssignee = assignee.value ? Number(assignee.value) : null;
      if (newAssignee !== (current.assignee?.id ?? null)) changes.assignee = newAssignee;
      if (Number(priority.value) !== current.priority) changes.priority = Number(priority.value);
      if ((due.value || null) !== current.due_date) changes.due_date = due.value || null;
      const newLabels = labels.value.split(",").map((l) => l.trim()).filter(Boolean);
      if (newLabels.join("\n") !== current.labels.join("\n")) changes.labels = newLabels;
      if (!Object.keys(changes).length) {
        status.textContent = "Nothing changed.";
        return;
      }
      try {
        const data = await this.work.update(current, changes);
        status.textContent = "Saved.";
        this.work.apply(data.item);
      } catch (e) {
        status.textContent = errorText(e);
      }
    });
    return form;
  }

  historyList() {
    const list = h("ol", { class: "history" });
    if (!this.history) list.append(h("li", { class: "muted" }, "Loading history…"));
    for (const entry of this.history || []) {
      list.append(
        h(
          "li",
          {},
          h("span", { class: "who" }, entry.by ? entry.by.name : "Causeway"),
          " ",
          describeChanges(entry.changes, this.page),
          " ",
          timeEl(entry.at),
        ),
      );
    }
    return h("details", { class: "history-box", open: true }, h("summary", {}, "History"), list);
  }
}

/**
 * "moved Open → In progress; assigned Ben Okafor".
 * @param {Record<string, unknown[]>} changes field -> [old, new]
 * @param {RoomPage} page
 */
function describeChanges(changes, page) {
  const parts = [];
  for (const [name, [before, after]] of Object.entries(changes)) {
    if (name === "created") parts.push(`created “${after}”`);
    else if (name === "status") parts.push(`moved ${statusLabel(String(before))} → ${statusLabel(String(after))}`);
    else if (name === "assignee") parts.push(`assigned ${typeof after === "number" ? page.personName(after) : "nobody"}`);
    else if (name === "escalation") parts.push(`escalation ${before ?? "none"} → ${after ?? "none"}`);
    else if (name === "description") parts.push("edited the description");
    else if (name === "title") parts.push(`renamed “${before}” → “${after}”`);
    else if (name === WORK_ITEM_RETENTION_CHANGE) parts.push("removed text under a retention policy");
    else parts.push(`${name.replace("_", " ")} ${fmt(before)} → ${fmt(after)}`);
  }
  return parts.join("; ");
}

/** @param {unknown} value */
function fmt(value) {
  if (value === null || value === undefined || value === "") return "none";
  return Array.isArray(value) ? value.join(", ") || "none" : String(value);
}
