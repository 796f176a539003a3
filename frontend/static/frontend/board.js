// Work items: the board (drag a card, or use its buttons), the detail panel
// with the item's history and thread, the "new work item" form, escalation
// and the escalation banners with the acknowledgement clock.

import { ApiError, get, patch, post } from "./api.js";
import {
  clock,
  fullTime,
  h,
  initials,
  plainText,
  PRIORITY_LABELS,
  serverHTML,
  shortTime,
  STATUS_LABELS,
  timeEl,
  TRANSITIONS,
} from "./dom.js";
import { ThreadView } from "./thread.js";

const COLUMNS = ["open", "in_progress", "blocked", "done", "cancelled"];
const ACTIVE = new Set(["open", "in_progress", "blocked"]);

export class WorkItems {
  /** page: the room page context (room.js). */
  constructor(page, { board, banners, count }) {
    this.page = page;
    this.boardEl = board;
    this.bannersEl = banners;
    this.countEl = count;
    this.items = new Map(); // id -> WorkItem
    this.byThread = new Map(); // thread root id -> WorkItem
    this.detail = null; // {id, el, thread}
    this.dragging = null;
    setInterval(() => this.tick(), 1000);
  }

  async load() {
    const data = await get(`/api/rooms/${this.page.roomId}/workitems/`);
    for (const column of Object.values(data.columns)) for (const item of column) this.put(item);
    this.draw();
  }

  put(item) {
    this.items.set(item.id, item);
    this.byThread.set(item.thread, item);
  }

  /** workitem.created / workitem.updated, or a PATCH answer. */
  apply(item, { changes = null, by = null } = {}) {
    const known = this.items.get(item.id);
    if (known && known.version > item.version) return; // an older copy
    this.put(item);
    this.draw();
    this.page.onItemChanged(item);
    if (this.detail?.id === item.id) this.refreshDetail(changes ? { changes, by } : null);
  }

  draw() {
    this.drawBoard();
    this.drawBanners();
    const active = [...this.items.values()].filter((i) => ACTIVE.has(i.status)).length;
    this.countEl.textContent = active ? String(active) : "";
  }

  // --- board -------------------------------------------------------------------

  drawBoard() {
    const columns = COLUMNS.map((status) => {
      const items = [...this.items.values()]
        .filter((i) => i.status === status)
        .sort((a, b) => a.priority - b.priority || (a.due_date || "9").localeCompare(b.due_date || "9") || a.id - b.id);
      const cards = h("div", { class: "column-cards" }, items.map((item) => this.card(item)));
      if (!items.length) cards.append(h("p", { class: "muted empty" }, "Nothing here."));
      const column = h(
        "section",
        { class: `column column-${status}`, dataset: { status }, aria: { label: `${STATUS_LABELS[status]}, ${items.length}` } },
        h("h3", {}, STATUS_LABELS[status], h("span", { class: "count" }, String(items.length))),
        cards,
      );
      column.addEventListener("dragover", (e) => {
        if (!this.dragging || !TRANSITIONS[this.dragging.status].includes(status)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = "move";
        column.classList.add("drop-ok");
      });
      column.addEventListener("dragleave", () => column.classList.remove("drop-ok"));
      column.addEventListener("drop", (e) => {
        e.preventDefault();
        column.classList.remove("drop-ok");
        const item = this.dragging;
        this.dragging = null;
        if (item && TRANSITIONS[item.status].includes(status)) this.move(item, status);
      });
      return column;
    });
    this.boardEl.replaceChildren(...columns);
  }

  card(item) {
    const title = h("button", { type: "button", class: "card-title", onclick: () => this.open(item.id) }, item.title);
    const moves = TRANSITIONS[item.status].map((to) =>
      h(
        "button",
        {
          type: "button",
          class: "move",
          dataset: { to },
          aria: { label: `Move “${item.title}” to ${STATUS_LABELS[to]}` },
          onclick: () => this.move(item, to),
        },
        `→ ${STATUS_LABELS[to]}`,
      ),
    );
    const el = h(
      "article",
      {
        class: `card-item prio-${item.priority}${item.escalation ? " escalated" : ""}`,
        draggable: !this.page.room.archived, // an archived room's board is read-only
        dataset: { item: item.id, status: item.status },
        aria: { label: `${item.title}, ${STATUS_LABELS[item.status]}` },
      },
      h(
        "div",
        { class: "card-top" },
        h("span", { class: `prio prio-${item.priority}`, title: PRIORITY_LABELS[item.priority] }, `P${item.priority}`),
        item.escalation ? h("span", { class: `sev-chip sev-${item.escalation.severity}` }, `${item.escalation.severity} escalated`) : null,
        h("span", { class: `org-badge ${this.page.isPartnerOrg(item.raised_by_org) ? "partner" : "mine"}`, title: "Raised by" }, item.raised_by_org?.name ?? ""),
      ),
      title,
      h(
        "div",
        { class: "card-meta" },
        item.assignee ? h("span", { class: "assignee" }, h("span", { class: "avatar tiny", aria: { hidden: "true" } }, initials(item.assignee.name)), item.assignee.name) : h("span", { class: "muted" }, "Unassigned"),
        item.due_date ? h("span", { class: "due" }, `Due ${item.due_date}`) : null,
        ...item.labels.map((l) => h("span", { class: "label" }, l)),
      ),
      h("div", { class: "card-moves" }, moves),
    );
    el.addEventListener("dragstart", (e) => {
      this.dragging = item;
      e.dataTransfer.setData("text/plain", String(item.id));
      e.dataTransfer.effectAllowed = "move";
      el.classList.add("dragging");
      for (const col of this.boardEl.querySelectorAll(".column")) {
        col.classList.toggle("drop-target", TRANSITIONS[item.status].includes(col.dataset.status));
      }
    });
    el.addEventListener("dragend", () => {
      el.classList.remove("dragging");
      for (const col of this.boardEl.querySelectorAll(".column")) col.classList.remove("drop-target", "drop-ok");
    });
    return el;
  }

  async move(item, status) {
    const current = this.items.get(item.id) || item;
    try {
      const data = await this.update(current, { status });
      this.apply(data.item);
    } catch (error) {
      this.page.toast(`Could not move “${item.title}”`, error.message, { kind: "alert" });
    }
  }

  /** PATCH with the version we hold; on a conflict, reload and try once more. */
  async update(item, changes) {
    const path = `/api/rooms/${this.page.roomId}/workitems/${item.id}/`;
    try {
      return await patch(path, { changes, version: item.version });
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== "conflict") throw error;
      const fresh = await get(path);
      this.apply(fresh.item);
      return patch(path, { changes, version: fresh.item.version });
    }
  }

  // --- escalation banners ------------------------------------------------------

  drawBanners() {
    const escalated = [...this.items.values()]
      .filter((i) => i.escalation)
      .sort((a, b) => a.escalation.severity.localeCompare(b.escalation.severity));
    this.bannersEl.replaceChildren(...escalated.map((item) => this.banner(item)));
  }

  banner(item) {
    const e = item.escalation;
    const acked = e.status === "acknowledged";
    const el = h(
      "div",
      { class: `esc-banner sev-${e.severity}${acked ? " acked" : ""}`, role: "status", dataset: { item: item.id, escalation: e.id } },
      h("span", { class: `sev-chip sev-${e.severity}` }, e.severity),
      h(
        "span",
        { class: "esc-text" },
        h("strong", {}, acked ? "Escalation acknowledged: " : "Escalated: "),
        h("button", { type: "button", class: "link esc-title", onclick: () => this.open(item.id) }, item.title),
        h("span", { class: "esc-reason" }, ` “${e.reason}” · ${e.raised_by.name} (${e.raised_by.org?.name ?? ""})`),
      ),
      h("span", { class: "esc-clock", dataset: { due: e.ack_due_at } }, this.clockText(e)),
      h(
        "span",
        { class: "esc-actions" },
        acked ? null : h("button", { type: "button", class: "button small primary", onclick: () => this.escalationAction(e, "acknowledge") }, "Acknowledge"),
        h("button", { type: "button", class: "button small", onclick: () => this.escalationAction(e, "resolve") }, "Resolve"),
      ),
    );
    if (!acked && (e.breached || Date.parse(e.ack_due_at) < Date.now())) el.classList.add("late");
    return el;
  }

  clockText(e) {
    if (e.status === "acknowledged") {
      return `Acknowledged by ${e.acknowledged_by?.name ?? "someone"} at ${shortTime(e.acknowledged_at)}`;
    }
    const left = (Date.parse(e.ack_due_at) - Date.now()) / 1000;
    return left >= 0 ? `Acknowledge within ${clock(left)}` : `Acknowledgement overdue by ${clock(-left)}`;
  }

  tick() {
    for (const el of this.bannersEl.querySelectorAll(".esc-banner")) {
      const item = this.items.get(Number(el.dataset.item));
      if (!item?.escalation) continue;
      el.querySelector(".esc-clock").textContent = this.clockText(item.escalation);
      if (item.escalation.status === "open" && Date.parse(item.escalation.ack_due_at) < Date.now()) el.classList.add("late");
    }
    const clockEl = this.detail?.el.querySelector(".esc-box .esc-clock");
    const item = this.detail && this.items.get(this.detail.id);
    if (clockEl && item?.escalation) clockEl.textContent = this.clockText(item.escalation);
  }

  async escalationAction(escalation, action) {
    try {
      await post(`/api/escalations/${escalation.id}/${action}/`, {});
      // The workitem.updated event redraws the banner on every screen.
    } catch (error) {
      this.page.toast(`Could not ${action}`, error.message, { kind: "alert" });
    }
  }

  // --- detail panel --------------------------------------------------------------

  async open(id) {
    let item = this.items.get(id);
    if (!item) {
      try {
        item = (await get(`/api/rooms/${this.page.roomId}/workitems/${id}/`)).item;
        this.put(item);
      } catch (error) {
        this.page.toast("Work item not found", error.message, { kind: "alert" });
        return;
      }
    }
    const el = h("div", { class: "item-detail", dataset: { item: id } });
    const thread = new ThreadView(this.page, { id: item.thread, thread: null, kind: "workitem" }, { mirrorControls: false, embedded: true });
    this.detail = { id, el, thread, history: null };
    this.page.panel.open(`item:${id}`, `Work item #${id}`, el, {
      onClose: () => {
        if (this.detail?.id === id) this.detail = null;
        this.page.threadClosed(thread);
      },
    });
    this.page.threadOpened(thread);
    this.drawDetail();
    thread.load();
    this.loadHistory(id);
  }

  async loadHistory(id) {
    try {
      const data = await get(`/api/rooms/${this.page.roomId}/workitems/${id}/`);
      if (this.detail?.id !== id) return;
      this.detail.history = data.history;
      this.apply(data.item);
      this.drawDetail();
    } catch {
      // the detail stays without history
    }
  }

  refreshDetail(change) {
    if (!this.detail) return;
    if (change && this.detail.history) {
      this.detail.history.push({ seq: 0, at: new Date().toISOString(), by: change.by, changes: change.changes });
    }
    this.drawDetail();
  }

  /** Draw the open item's panel. Parts with a form in use are left alone. */
  drawDetail() {
    const detail = this.detail;
    const item = this.items.get(detail.id);
    if (!detail.parts) {
      detail.parts = {
        meta: h("div", { class: "item-meta muted" }),
        title: h("h3", { class: "item-title" }),
        status: h("div", { class: "status-row" }),
        escalation: h("div", { class: "esc-slot" }),
        fields: h("div", { class: "fields-slot" }),
        description: h("div", { class: "item-description message-body" }),
        history: h("div", { class: "history-slot" }),
      };
      const p = detail.parts;
      detail.el.replaceChildren(
        p.meta,
        p.title,
        p.status,
        p.escalation,
        p.fields,
        p.description,
        p.history,
        h("h4", { class: "thread-heading" }, "Discussion"),
        detail.thread.el,
      );
    }
    const p = detail.parts;
    p.meta.replaceChildren(
      `Raised by ${item.raised_by_org?.name ?? "?"} · created by ${item.created_by.name} · `,
      timeEl(item.created_at),
    );
    p.title.textContent = item.title;
    p.status.replaceChildren(
      h("span", { class: `status-chip status-${item.status}` }, STATUS_LABELS[item.status]),
      h(
        "span",
        { class: "moves" },
        TRANSITIONS[item.status].map((to) =>
          h("button", { type: "button", class: "button small", dataset: { to }, onclick: () => this.move(item, to) }, `→ ${STATUS_LABELS[to]}`),
        ),
      ),
    );
    const escalationKey = JSON.stringify(item.escalation);
    if (escalationKey !== detail.escalationKey) {
      detail.escalationKey = escalationKey;
      p.escalation.replaceChildren(this.escalationBox(item));
    }
    const editing = p.fields.contains(document.activeElement);
    if (detail.fieldsVersion !== item.version && !editing) {
      detail.fieldsVersion = item.version;
      p.fields.replaceChildren(this.fieldsForm(item));
    }
    if (detail.html !== item.html) {
      detail.html = item.html;
      if (item.html) serverHTML(p.description, item.html); // sanitized on the server
      else p.description.replaceChildren(h("p", { class: "muted" }, "No description."));
    }
    p.history.replaceChildren(this.historyList());
  }

  escalationBox(item) {
    const e = item.escalation;
    if (e) {
      const acked = e.status === "acknowledged";
      return h(
        "div",
        { class: `esc-box sev-${e.severity}` },
        h("div", {}, h("span", { class: `sev-chip sev-${e.severity}` }, e.severity), " ", h("strong", {}, acked ? "Escalation acknowledged" : "Escalated"), ` by ${e.raised_by.name} (${e.raised_by.org?.name ?? ""}), ${shortTime(e.raised_at)}`),
        h("p", { class: "esc-reason" }, e.reason),
        h("p", { class: "esc-clock", title: `Due ${fullTime(e.ack_due_at)}` }, this.clockText(e)),
        h(
          "div",
          { class: "form-actions" },
          acked ? null : h("button", { type: "button", class: "button small primary", onclick: () => this.escalationAction(e, "acknowledge") }, "Acknowledge"),
          h("button", { type: "button", class: "button small", onclick: () => this.escalationAction(e, "resolve") }, "Resolve"),
        ),
      );
    }
    const box = h("div", { class: "esc-box none" });
    const start = h("button", { type: "button", class: "button small danger-outline" }, "Escalate…");
    start.addEventListener("click", () => box.replaceChildren(this.escalateForm(item, () => box.replaceChildren(start))));
    box.append(start);
    return box;
  }

  escalateForm(item, onCancel) {
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const reason = h("textarea", { id: "esc-reason", name: "reason", rows: 2, required: true, maxLength: 2000 });
    const severities = ["S1", "S2", "S3"].map((s, i) =>
      h(
        "label",
        { class: `radio sev-option sev-${s}` },
        h("input", { type: "radio", name: "severity", value: s, checked: i === 1 }),
        ` ${s} `,
        h("span", { class: "muted" }, { S1: "critical", S2: "major", S3: "minor" }[s]),
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
        await post(`/api/rooms/${this.page.roomId}/workitems/${item.id}/escalate/`, { severity, reason: reason.value });
      } catch (e) {
        error.hidden = false;
        error.textContent = e.message;
      }
    });
    setTimeout(() => reason.focus());
    return form;
  }

  fieldsForm(item) {
    const page = this.page;
    const people = page.memberList();
    const assignee = h(
      "select",
      { id: "item-assignee", name: "assignee" },
      h("option", { value: "" }, "Unassigned"),
      people.map((p) => h("option", { value: p.id, selected: item.assignee?.id === p.id }, `${p.name} (${p.org?.name ?? ""})`)),
    );
    if (item.assignee && !people.some((p) => p.id === item.assignee.id)) {
      assignee.append(h("option", { value: item.assignee.id, selected: true }, item.assignee.name));
    }
    const priority = h(
      "select",
      { id: "item-priority", name: "priority" },
      [1, 2, 3, 4].map((p) => h("option", { value: p, selected: item.priority === p }, PRIORITY_LABELS[p])),
    );
    const due = h("input", { id: "item-due", type: "date", name: "due_date", value: item.due_date || "" });
    const labels = h("input", { id: "item-labels", name: "labels", value: item.labels.join(", "), placeholder: "comma, separated" });
    const status = h("p", { class: "form-status", role: "status" });
    const form = h(
      "form",
      { class: "item-fields", aria: { label: "Work item fields" } },
      field("item-assignee", "Assignee", assignee),
      field("item-priority", "Priority", priority),
      field("item-due", "Due", due),
      field("item-labels", "Labels", labels),
      h("div", { class: "form-actions" }, h("button", { type: "submit", class: "button small" }, "Save changes"), status),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const current = this.items.get(item.id);
      const changes = {};
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
        const data = await this.update(current, changes);
        this.apply(data.item);
      } catch (e) {
        status.textContent = e.message;
      }
    });
    return form;
  }

  historyList() {
    const history = this.detail.history;
    const list = h("ol", { class: "history" });
    if (!history) list.append(h("li", { class: "muted" }, "Loading history…"));
    for (const entry of history || []) {
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

  // --- new work item -------------------------------------------------------------

  openCreate(fromMessage = null) {
    const page = this.page;
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const title = h("input", { id: "new-item-title", name: "title", required: true, maxLength: 200 });
    if (fromMessage) title.value = plainText(fromMessage.body).slice(0, 200);
    const description = h("textarea", { id: "new-item-description", name: "description", rows: 3, maxLength: 20000 });
    const assignee = h(
      "select",
      { id: "new-item-assignee", name: "assignee" },
      h("option", { value: "" }, "Unassigned"),
      page.memberList().map((p) => h("option", { value: p.id }, `${p.name} (${p.org?.name ?? ""})`)),
    );
    const priority = h(
      "select",
      { id: "new-item-priority", name: "priority" },
      [1, 2, 3, 4].map((p) => h("option", { value: p, selected: p === 3 }, PRIORITY_LABELS[p])),
    );
    const due = h("input", { id: "new-item-due", type: "date", name: "due_date" });
    const labels = h("input", { id: "new-item-labels", name: "labels", placeholder: "comma, separated" });
    const form = h(
      "form",
      { class: "new-item", aria: { label: "New work item" } },
      fromMessage
        ? h("blockquote", { class: "from-message" }, h("strong", {}, `${fromMessage.author.name}: `), plainText(fromMessage.body).slice(0, 300))
        : null,
      field("new-item-title", "Title", title),
      field("new-item-description", "Description (Markdown, optional)", description),
      field("new-item-assignee", "Assignee", assignee),
      field("new-item-priority", "Priority", priority),
      field("new-item-due", "Due date", due),
      field("new-item-labels", "Labels", labels),
      error,
      h("div", { class: "form-actions" }, h("button", { type: "submit", class: "button primary" }, "Create work item"), h("button", { type: "button", class: "button", onclick: () => page.panel.close() }, "Cancel")),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = {
        title: title.value,
        description: description.value,
        assignee: assignee.value ? Number(assignee.value) : null,
        priority: Number(priority.value),
        due_date: due.value || null,
        labels: labels.value.split(",").map((l) => l.trim()).filter(Boolean),
      };
      if (fromMessage) body.from_message = fromMessage.id;
      try {
        const data = await post(`/api/rooms/${page.roomId}/workitems/`, body);
        this.apply(data.item);
        this.open(data.item.id);
      } catch (e) {
        error.hidden = false;
        error.textContent = e.message;
      }
    });
    page.panel.open("new-item", fromMessage ? "Work item from message" : "New work item", form, { focus: title });
  }
}

function field(id, label, control) {
  return h("div", { class: "field" }, h("label", { for: id }, label), control);
}

function describeChanges(changes, page) {
  const parts = [];
  for (const [name, [before, after]] of Object.entries(changes)) {
    if (name === "created") parts.push(`created “${after}”`);
    else if (name === "status") parts.push(`moved ${STATUS_LABELS[before] ?? before} → ${STATUS_LABELS[after] ?? after}`);
    else if (name === "assignee") parts.push(`assigned ${after ? page.personName(after) : "nobody"}`);
    else if (name === "escalation") parts.push(`escalation ${before ?? "none"} → ${after ?? "none"}`);
    else if (name === "description") parts.push("edited the description");
    else parts.push(`${name.replace("_", " ")} ${fmt(before)} → ${fmt(after)}`);
  }
  return parts.join("; ");
}

function fmt(value) {
  if (value === null || value === undefined || value === "") return "none";
  return Array.isArray(value) ? value.join(", ") || "none" : String(value);
}
