// @ts-check
// Work items: the room's items as the board shows them, one column per status
// (drag a card, or use its buttons: only the moves WorkItem.TRANSITIONS
// allows), the count on the Board tab, and the escalation banners
// (escalation.js). The open item's panel is workitem.js, the "new work item"
// form newitem.js.

import { ApiError, get, patch } from "./api.js";
import { face } from "./avatars.js";
import { h, PRIORITY_LABELS, statusLabel } from "./dom.js";
import { errorText } from "./errors.js";
import { drawBanners, tickBanners } from "./escalation.js";
import { openNewItem } from "./newitem.js";
import { TRANSITIONS, WORK_ITEM_STATUSES } from "./wire.gen.js";
import { ItemDetail } from "./workitem.js";

/** @import { HistoryEntry } from "./api.js" */
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
    this.drawBoard();
    drawBanners(this.bannersEl, this.items.values(), { open: (id) => this.open(id), toast: this.page.toast });
    const active = [...this.items.values()].filter((i) => ACTIVE.has(i.status)).length;
    this.countEl.textContent = active ? String(active) : "";
  }

  tick() {
    tickBanners(this.bannersEl, this.items);
    this.detail?.tick();
  }

  // --- board -------------------------------------------------------------------

  drawBoard() {
    const columns = WORK_ITEM_STATUSES.map((status) => {
      const items = [...this.items.values()]
        .filter((i) => i.status === status)
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
        item.due_date ? h("span", { class: "due" }, `Due ${item.due_date}`) : null,
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
