// @ts-check
// Work items: the room's items as the board shows them, one column per status
// (drag a card, or use its buttons: only the moves WorkItem.TRANSITIONS
// allows), the count on the Board tab, and the escalation banners
// (escalation.js). The filter bar and the compact view keep their state in
// the page's address (boardfilter.js). The open item's panel is workitem.js,
// the "new work item" form newitem.js.

import { ApiError, get, patch } from "./api.js";
import { face } from "./avatars.js";
import { FILTER_NAMES, filterFromParams, filterToParams, isFiltered, matches } from "./boardfilter.js";
import { h, PRIORITIES, PRIORITY_LABELS, statusLabel } from "./dom.js";
import { errorText } from "./errors.js";
import { drawBanners, tickBanners } from "./escalation.js";
import { openNewItem } from "./newitem.js";
import { TRANSITIONS, WORK_ITEM_STATUSES } from "./wire.gen.js";
import { ItemDetail } from "./workitem.js";
import { dueText } from "./zone.js";

/** @import { HistoryEntry } from "./api.js" */
/** @import { BoardFilter } from "./boardfilter.js" */
/** @import { RoomPage } from "./room.js" */
/** @import { MessageData, PersonRef, WorkItemData } from "./wire.gen.js" */

// The statuses "my work" lists (rooms.selectors: the items still to do).
const ACTIVE = new Set(["open", "in_progress", "blocked"]);

/**
 * Where `status` may go next; nowhere for a status this page does not know.
 * @param {string} status
 */
function movesFrom(status) {
  return TRANSITIONS[status] ?? [];
}

/**
 * A due date on the viewer's clock ("Due tomorrow", "Overdue: Fri 20 Nov").
 * @param {string} date YYYY-MM-DD
 */
export function dueChip(date) {
  const due = dueText(date);
  return h("span", { class: `due${due.overdue ? " overdue" : ""}`, title: date }, due.text);
}

export class WorkItems {
  /**
   * @param {RoomPage} page
   * @param {{board: HTMLElement, banners: HTMLElement, count: HTMLElement}} elements
   */
  constructor(page, { board, banners, count }) {
    this.page = page;
    this.boardEl = board;
    this.bannersEl = banners;
    this.countEl = count;
    /** @type {Map<number, WorkItemData>} id -> */
    this.items = new Map();
    /** @type {Map<number, WorkItemData>} thread root id -> */
    this.byThread = new Map();
    /** @type {ItemDetail | null} the item open in the side panel */
    this.detail = null;
    /** @type {WorkItemData | null} the card being dragged */
    this.dragging = null;
    const params = new URLSearchParams(location.search);
    /** @type {BoardFilter} */
    this.filter = filterFromParams(params);
    this.compact = params.get("compact") === "1";
    this.filtersEl = h("form", { class: "board-filters", aria: { label: "Filter the board" } });
    this.filtersEl.addEventListener("submit", (e) => e.preventDefault());
    /** @type {ReturnType<WorkItems["makeFilters"]> | undefined} made on the first draw */
    this.filterControls = undefined;
    board.before(this.filtersEl);
    setInterval(() => this.tick(), 1000);
  }

  async load() {
    /** @type {{columns: Record<string, WorkItemData[]>}} */
    const data = await get(`/api/rooms/${this.page.roomId}/workitems/`);
    for (const column of Object.values(data.columns)) for (const item of column) this.put(item);
    this.draw();
  }

  /** @param {WorkItemData} item */
  put(item) {
    this.items.set(item.id, item);
    this.byThread.set(item.thread, item);
  }

  /**
   * workitem.created / workitem.updated, or a PATCH answer.
   * @param {WorkItemData} item
   * @param {{changes?: Record<string, unknown[]> | null, by?: PersonRef | null}} [change]
   */
  apply(item, { changes = null, by = null } = {}) {
    const known = this.items.get(item.id);
    if (known && known.version > item.version) return; // an older copy
    this.put(item);
    this.draw();
    this.page.onItemChanged(item);
    if (this.detail?.id === item.id) this.detail.refresh(changes ? { changes, by } : null);
  }

  draw() {
    this.drawFilters();
    this.drawBoard();
    drawBanners(this.bannersEl, this.items.values(), { open: (id) => this.open(id), toast: this.page.toast });
    const active = [...this.items.values()].filter((i) => ACTIVE.has(i.status)).length;
    this.countEl.textContent = active ? String(active) : "";
  }

  tick() {
    tickBanners(this.bannersEl, this.items);
    this.detail?.tick();
  }

  // --- filters ---------------------------------------------------------------------

  /**
   * The filter bar, made once: its selects keep their focus and their
   * place while the board changes under them.
   */
  makeFilters() {
    /**
     * @param {string} name
     * @param {string} label
     */
    const select = (name, label) => {
      const el = h("select", { id: `filter-${name}`, name, onchange: () => this.setFilter() });
      return { el, field: h("label", { class: "filter", for: `filter-${name}` }, h("span", { class: "filter-name" }, label), el) };
    };
    const controls = {
      assignee: select("assignee", "Assignee"),
      organization: select("organization", "Raised by"),
      label: select("label", "Label"),
      priority: select("priority", "Priority"),
      escalated: select("escalated", "Escalated"),
      compact: h("input", { type: "checkbox", id: "board-compact", checked: this.compact, onchange: () => this.setCompact(controls.compact.checked) }),
      state: h("span", { class: "filter-state", role: "status" }),
    };
    this.filtersEl.replaceChildren(
      h(
        "div",
        { class: "filter-row" },
        controls.assignee.field,
        controls.organization.field,
        controls.label.field,
        controls.priority.field,
        controls.escalated.field,
        h("label", { class: "filter compact-toggle" }, controls.compact, " Compact"),
        controls.state,
      ),
    );
    return controls;
  }

  /** The filter bar's choices (the room's people, organizations and labels) and what it shows. */
  drawFilters() {
    const c = (this.filterControls ??= this.makeFilters());
    const f = this.filter;
    const people = this.page.memberList();
    /** @type {Map<number, string>} */
    const orgs = new Map();
    for (const p of people) if (p.org) orgs.set(p.org.id, p.org.name);
    const labels = new Set();
    for (const item of this.items.values()) {
      if (item.raised_by_org) orgs.set(item.raised_by_org.id, item.raised_by_org.name);
      for (const l of item.labels) labels.add(l);
    }
    if (f.label) labels.add(f.label);
    /**
     * "Any", then `options` (value -> text); left alone while the person is in it.
     * @param {HTMLSelectElement} el
     * @param {[string, string][]} options
     * @param {string} current
     */
    const fill = (el, options, current) => {
      if (el === document.activeElement) return;
      el.replaceChildren(h("option", { value: "" }, "Any"), ...options.map(([value, text]) => h("option", { value, selected: value === current }, text)));
    };
    fill(c.assignee.el, [["none", "Unassigned"], ...people.map((p) => /** @type {[string, string]} */ ([String(p.id), p.name]))], String(f.assignee ?? ""));
    fill(c.organization.el, [...orgs].map(([id, name]) => /** @type {[string, string]} */ ([String(id), name])), String(f.organization ?? ""));
    fill(c.label.el, [...labels].sort().map((l) => /** @type {[string, string]} */ ([l, l])), f.label ?? "");
    fill(c.priority.el, PRIORITIES.map((p) => /** @type {[string, string]} */ ([String(p), `P${p} ${PRIORITY_LABELS[p]}`])), String(f.priority ?? ""));
    fill(c.escalated.el, [["true", "Escalated"], ["false", "Not escalated"]], f.escalated === null ? "" : String(f.escalated));
    c.compact.checked = this.compact;
    const shown = [...this.items.values()].filter((i) => matches(i, f)).length;
    c.state.replaceChildren(
      ...(isFiltered(f)
        ? [`Showing ${shown} of ${this.items.size} `, h("button", { type: "button", class: "link", id: "clear-filters", onclick: () => this.setFilter(true) }, "Clear filters")]
        : []),
    );
  }

  /**
   * Take the filter bar's choices (or none), into the board and the address.
   * @param {boolean} [clear]
   */
  setFilter(clear = false) {
    const params = new URLSearchParams();
    if (!clear) for (const [name, value] of new FormData(this.filtersEl)) if (typeof value === "string" && value) params.set(name, value);
    this.filter = filterFromParams(params);
    const url = new URL(location.href);
    filterToParams(this.filter, url.searchParams);
    window.history.replaceState(null, "", url);
    if (clear && this.filterControls) for (const name of FILTER_NAMES) this.filterControls[name].el.value = "";
    this.draw();
    if (clear) this.filterControls?.assignee.el.focus();
  }

  /** @param {boolean} on */
  setCompact(on) {
    this.compact = on;
    const url = new URL(location.href);
    if (on) url.searchParams.set("compact", "1");
    else url.searchParams.delete("compact");
    window.history.replaceState(null, "", url);
    this.drawBoard();
  }

  // --- board -------------------------------------------------------------------

  drawBoard() {
    this.boardEl.classList.toggle("compact", this.compact);
    const columns = WORK_ITEM_STATUSES.map((status) => {
      const items = [...this.items.values()]
        .filter((i) => i.status === status && matches(i, this.filter))
        .sort((a, b) => a.priority - b.priority || (a.due_date || "9").localeCompare(b.due_date || "9") || a.id - b.id);
      const cards = h("div", { class: "column-cards" }, items.map((item) => this.card(item)));
      if (!items.length) cards.append(h("p", { class: "muted empty" }, "Nothing here."));
      const column = h(
        "section",
        { class: `column column-${status}`, dataset: { status }, aria: { label: `${statusLabel(status)}, ${items.length}` } },
        h("h3", {}, statusLabel(status), h("span", { class: "count" }, String(items.length))),
        cards,
      );
      column.addEventListener("dragover", (e) => {
        if (!this.dragging || !movesFrom(this.dragging.status).includes(status)) return;
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = "move";
        column.classList.add("drop-ok");
      });
      column.addEventListener("dragleave", () => column.classList.remove("drop-ok"));
      column.addEventListener("drop", (e) => {
        e.preventDefault();
        column.classList.remove("drop-ok");
        const item = this.dragging;
        this.dragging = null;
        if (item && movesFrom(item.status).includes(status)) this.move(item, status);
      });
      return column;
    });
    this.boardEl.replaceChildren(...columns);
  }

  /** @param {WorkItemData} item */
  card(item) {
    const title = h("button", { type: "button", class: "card-title", onclick: () => this.open(item.id) }, item.title);
    const moves = movesFrom(item.status).map((to) =>
      h(
        "button",
        {
          type: "button",
          class: "move",
          dataset: { to },
          aria: { label: `Move “${item.title}” to ${statusLabel(to)}` },
          onclick: () => this.move(item, to),
        },
        `→ ${statusLabel(to)}`,
      ),
    );
    const el = h(
      "article",
      {
        class: `card-item prio-${item.priority}${item.escalation ? " escalated" : ""}`,
        draggable: !this.page.room.archived, // an archived room's board is read-only
        dataset: { item: item.id, status: item.status },
        aria: { label: `${item.title}, ${statusLabel(item.status)}` },
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
        item.assignee ? h("span", { class: "assignee" }, h("span", { class: "avatar tiny", aria: { hidden: "true" } }, face(item.assignee)), item.assignee.name) : h("span", { class: "muted" }, "Unassigned"),
        item.due_date ? dueChip(item.due_date) : null,
        ...item.labels.map((l) => h("span", { class: "label" }, l)),
      ),
      h("div", { class: "card-moves" }, moves),
    );
    el.addEventListener("dragstart", (e) => {
      this.dragging = item;
      e.dataTransfer?.setData("text/plain", String(item.id));
      if (e.dataTransfer) e.dataTransfer.effectAllowed = "move";
      el.classList.add("dragging");
      for (const col of this.boardEl.querySelectorAll(".column")) {
        if (col instanceof HTMLElement) col.classList.toggle("drop-target", movesFrom(item.status).some((to) => to === col.dataset.status));
      }
    });
    el.addEventListener("dragend", () => {
      el.classList.remove("dragging");
      for (const col of this.boardEl.querySelectorAll(".column")) col.classList.remove("drop-target", "drop-ok");
    });
    return el;
  }

  /**
   * @param {WorkItemData} item
   * @param {string} status
   */
  async move(item, status) {
    const current = this.items.get(item.id) || item;
    try {
      const data = await this.update(current, { status });
      this.apply(data.item);
    } catch (error) {
      this.page.toast(`Could not move “${item.title}”`, errorText(error), { kind: "alert" });
    }
  }

  /**
   * PATCH with the version we hold; on a conflict, reload and try once more.
   * @param {WorkItemData} item
   * @param {Record<string, unknown>} changes
   * @returns {Promise<{item: WorkItemData, history: HistoryEntry[]}>}
   */
  async update(item, changes) {
    const path = `/api/rooms/${this.page.roomId}/workitems/${item.id}/`;
    try {
      return await patch(path, { changes, version: item.version });
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== "conflict") throw error;
      /** @type {{item: WorkItemData}} */
      const fresh = await get(path);
      this.apply(fresh.item);
      return patch(path, { changes, version: fresh.item.version });
    }
  }

  // --- panels -------------------------------------------------------------------

  /**
   * Open an item in the side panel (fetched if this page does not have it).
   * @param {number} id
   */
  async open(id) {
    let item = this.items.get(id);
    if (!item) {
      try {
        /** @type {{item: WorkItemData}} */
        const data = await get(`/api/rooms/${this.page.roomId}/workitems/${id}/`);
        item = data.item;
        this.put(item);
      } catch (error) {
        this.page.toast("Work item not found", errorText(error), { kind: "alert" });
        return;
      }
    }
    // Closing it forgets it, unless another panel took its place meanwhile
    // (opening the same item again closes the old panel after the new one
    // is made: compare the panel, not the item's id).
    const detail = new ItemDetail(this, item, () => {
      if (this.detail === detail) this.detail = null;
    });
    this.detail = detail;
  }

  /** @param {MessageData | null} [fromMessage] */
  openCreate(fromMessage = null) {
    openNewItem(this, fromMessage);
  }
}
