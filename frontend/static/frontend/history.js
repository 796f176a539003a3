// @ts-check
// The room's message list as the person reads it: the latest page of history
// over HTTP, older pages as they scroll up, the "new since you last read"
// divider and its jump, the "new messages below" pill, and `read` when the
// newest message is in view. Scrolling never jumps: older history is
// prepended and the position moved by exactly the height added, and a new
// message scrolls the list only if the newest one was in view.
//
// A permalink opens the list somewhere in the past instead (`loadAround`):
// newer pages then load as the bottom comes near, until the list reaches the
// present. Until then, live messages are kept aside (the pages bring them,
// and anything a page missed is added when the list reaches the present),
// nothing is marked read, and the pill offers the latest messages.

import { get } from "./api.js";
import { $, h, plural } from "./dom.js";
import { errorText } from "./errors.js";
import { MessageList } from "./messagelist.js";
import { firstUnread, offersJump, ReadMarker } from "./unread.js";

/** @import { RoomPage } from "./room.js" */
/** @import { MessageAround, MessageData } from "./wire.gen.js" */

const PAGE = 50;

export class RoomHistory {
  /**
   * @param {RoomPage} page
   * @param {{isVisible: () => boolean}} view whether the Messages view is shown
   */
  constructor(page, view) {
    this.page = page;
    this.view = view;
    this.scroller = $("#scroller");
    this.list = new MessageList($("#messages"), page.messageContext());
    this.jumpLatest = $("#jump-latest");
    this.jumpUnread = $("#jump-unread", document, HTMLButtonElement);
    this.pinned = true; // the newest message is in view
    // Where "new since you last read" starts, for this visit.
    this.unreadMarker = page.room.last_read_seq;
    this.headAtLoad = page.room.head_seq;
    this.read = new ReadMarker(page.room.last_read_seq);
    /** @type {number | null} */
    this.oldestSeq = null;
    this.hasMore = true;
    /** @type {Promise<void> | null} */
    this.loadingOlder = null;
    // Opened at a permalink and not yet back at the present.
    /** @type {number | null} */
    this.newestSeq = null;
    this.hasNewer = false;
    /** @type {Promise<void> | null} */
    this.loadingNewer = null;
    /** @type {Map<number, MessageData>} live messages that arrived meanwhile */
    this.aside = new Map();
    /** @type {HTMLElement | null} */
    this.divider = null;
    this.newBelow = 0;
    this.dividerObserver = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) this.jumpUnread.hidden = true;
      },
      { root: this.scroller },
    );
    this.listen();
  }

  listen() {
    const { scroller, jumpUnread, page } = this;
    if (offersJump(page.room)) {
      jumpUnread.textContent = `Jump to first unread (${page.room.unread})`;
      jumpUnread.hidden = false;
    }
    jumpUnread.addEventListener("click", () => this.toFirstUnread());
    this.jumpLatest.addEventListener("click", async () => {
      if (this.hasNewer) await this.backToPresent();
      this.scrollToBottom();
      this.markRead();
    });
    scroller.addEventListener(
      "scroll",
      () => {
        this.pinned = this.atBottom();
        if (this.pinned) {
          this.newBelow = 0;
          this.jumpLatest.hidden = true;
          this.markRead();
        }
      },
      { passive: true },
    );
    // Keep the newest message in view when the composer grows or the window resizes.
    new ResizeObserver(() => this.keepPinned()).observe(scroller);
    document.addEventListener("visibilitychange", () => this.markRead());
    window.addEventListener("focus", () => this.markRead());
  }

  /**
   * Load older pages as the top of the list comes near. Called once the
   * first page is in: observing starts with a report of where the top is,
   * which then asks for the page before it if the first one is short.
   */
  pageBackwards() {
    new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) this.loadOlder();
      },
      { root: this.scroller, rootMargin: "400px 0px 0px 0px" },
    ).observe($("#history-top"));
  }

  /** Load newer pages as the bottom comes near (a permalink opened the list in the past). */
  pageForwards() {
    new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) this.loadNewer();
      },
      { root: this.scroller, rootMargin: "0px 0px 400px 0px" },
    ).observe($("#history-bottom"));
  }

  atBottom() {
    const { scroller } = this;
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.pinned = true;
    this.newBelow = 0;
    this.jumpLatest.hidden = true;
  }

  /** Stay at the newest message if it was in view (the list's box changed). */
  keepPinned() {
    if (this.pinned) this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  reading() {
    return document.visibilityState === "visible" && this.view.isVisible() && this.pinned && !this.hasNewer;
  }

  markRead() {
    const { socket, roomId } = this.page;
    if (!this.reading() || !socket.live) return;
    const seq = this.read.advance(socket.lastSeq(roomId));
    if (seq !== null) socket.send({ type: "read", room: roomId, seq });
  }

  historyState() {
    const state = $("#history-state");
    if (this.loadingOlder) state.textContent = "Loading earlier messages…";
    else if (!this.hasMore) {
      const room = this.page.room;
      state.textContent = room.kind === "direct" ? "This is the beginning of your conversation." : `This is the beginning of ${room.name}.`;
    }
    else state.textContent = "";
  }

  /** The latest page, from scratch (first load, and after `resync`); its head_seq. */
  async loadLatest() {
    this.list.clear();
    this.divider = null;
    this.hasNewer = false;
    this.aside.clear();
    /** @type {{head_seq: number, messages: MessageData[]}} */
    const data = await get(`/api/rooms/${this.page.roomId}/messages/?limit=${PAGE}`);
    this.list.prepend(data.messages);
    this.oldestSeq = data.messages[0]?.seq ?? null;
    this.hasMore = data.messages.length === PAGE;
    this.historyState();
    this.placeDivider();
    this.scrollToBottom();
    return data.head_seq;
  }

  /**
   * A permalink: the room around the message (or around its thread's root),
   * that message highlighted and in view.
   * @param {number} messageId
   * @returns {Promise<MessageAround>}
   */
  async loadAround(messageId) {
    /** @type {MessageAround} */
    const data = await get(`/api/rooms/${this.page.roomId}/messages/${messageId}/`);
    this.list.clear();
    this.divider = null;
    this.aside.clear();
    this.list.prepend(data.messages);
    this.oldestSeq = data.messages[0]?.seq ?? null;
    this.newestSeq = data.messages.at(-1)?.seq ?? null;
    this.hasMore = data.older;
    this.hasNewer = data.newer;
    this.historyState();
    this.placeDivider();
    const anchor = this.list.byId.get(data.anchor);
    if (anchor) {
      anchor.li.classList.add("linked");
      anchor.li.scrollIntoView({ block: "center" });
      anchor.li.focus({ preventScroll: true });
    }
    this.pinned = !this.hasNewer && this.atBottom();
    if (this.hasNewer) {
      this.jumpLatest.textContent = "Jump to the latest messages ↓";
      this.jumpLatest.hidden = false;
    }
    return data;
  }

  loadNewer() {
    if (!this.hasNewer || this.newestSeq === null) return Promise.resolve();
    if (this.loadingNewer) return this.loadingNewer;
    const after = this.newestSeq;
    this.loadingNewer = (async () => {
      try {
        /** @type {{messages: MessageData[]}} */
        const data = await get(`/api/rooms/${this.page.roomId}/messages/?after=${after}&limit=${PAGE}`);
        for (const message of data.messages) this.list.upsert(message);
        this.newestSeq = data.messages.at(-1)?.seq ?? this.newestSeq;
        if (data.messages.length < PAGE) this.reachedPresent();
      } catch (error) {
        this.page.toast("Could not load newer messages", errorText(error), { kind: "alert" });
      } finally {
        this.loadingNewer = null;
      }
    })();
    return this.loadingNewer;
  }

  /** Paging forwards met the live stream: what arrived meanwhile is shown too. */
  reachedPresent() {
    this.hasNewer = false;
    for (const message of this.aside.values()) {
      if (message.seq > (this.newestSeq ?? 0) || !this.list.has(message.id)) this.list.upsert(message);
    }
    this.aside.clear();
    this.newBelow = 0;
    this.jumpLatest.hidden = true;
    this.pinned = this.atBottom();
    this.markRead();
  }

  /** "Jump to the latest messages" from a permalink: the latest page, as on a plain visit. */
  async backToPresent() {
    await this.loadLatest();
    const url = new URL(location.href);
    url.searchParams.delete("message");
    window.history.replaceState(null, "", url);
  }

  loadOlder() {
    if (!this.hasMore || this.oldestSeq === null) return Promise.resolve();
    if (this.loadingOlder) return this.loadingOlder;
    const before = this.oldestSeq;
    this.loadingOlder = (async () => {
      this.historyState();
      const { scroller } = this;
      try {
        /** @type {{messages: MessageData[]}} */
        const data = await get(`/api/rooms/${this.page.roomId}/messages/?before=${before}&limit=${PAGE}`);
        // Keep what is on screen where it is: measure, prepend, shift by the growth.
        const height = scroller.scrollHeight;
        const top = scroller.scrollTop;
        this.list.prepend(data.messages);
        const oldest = data.messages[0];
        if (oldest) this.oldestSeq = oldest.seq;
        this.hasMore = data.messages.length === PAGE;
        this.placeDivider();
        scroller.scrollTop = top + (scroller.scrollHeight - height);
      } catch (error) {
        this.page.toast("Could not load earlier messages", errorText(error), { kind: "alert" });
      } finally {
        this.loadingOlder = null;
        this.historyState();
      }
    })();
    return this.loadingOlder;
  }

  placeDivider() {
    this.divider?.remove();
    this.divider = null;
    const first = firstUnread(this.list.messages(), {
      lastRead: this.unreadMarker,
      head: this.headAtLoad,
      me: this.page.me.id,
    });
    const entry = first && this.list.byId.get(first.id);
    if (!entry) return;
    // A list item holding the separator: a list may hold only list items.
    this.divider = h(
      "li",
      { class: "unread-divider" },
      h("span", { role: "separator", aria: { label: "New messages since you last read" } }, "New since you last read"),
    );
    entry.li.before(this.divider);
    this.dividerObserver.observe(this.divider);
  }

  /** "Jump to first unread": load older pages until the divider is there. */
  async toFirstUnread() {
    const { jumpUnread } = this;
    jumpUnread.disabled = true;
    while (!this.divider && this.hasMore) await this.loadOlder();
    jumpUnread.disabled = false;
    jumpUnread.hidden = true;
    const divider = this.divider;
    if (divider) {
      divider.scrollIntoView({ block: "start" });
      this.pinned = this.atBottom();
      const target = divider.nextElementSibling?.querySelector("button, a");
      (target instanceof HTMLElement ? target : this.scroller).focus({ preventScroll: true });
    } else this.page.toast("Nothing unread here", "Unread replies are in their threads.");
  }

  /**
   * A message of the room's main list, new or edited, from the socket.
   * Scrolls to it if the newest was in view (or it is yours); otherwise counts
   * it in the "new messages below" pill.
   * False for an edit of a message that is not loaded (nothing to do).
   * @param {MessageData} message
   * @param {{isNew: boolean}} how
   */
  show(message, { isNew }) {
    if (isNew && this.hasNewer) {
      // Opened in the past: newer pages bring it; kept in case one already went by.
      this.aside.set(message.id, message);
      this.newBelow += 1;
      this.jumpLatest.textContent = `${plural(this.newBelow, "new message")} · jump to the latest ↓`;
      this.jumpLatest.hidden = false;
      return true;
    }
    if (!isNew && !this.list.has(message.id)) return false;
    const wasPinned = this.pinned;
    const mine = message.author.id === this.page.me.id;
    const added = this.list.upsert(message);
    if (isNew && (wasPinned || mine)) this.scrollToBottom();
    else if (isNew && added) {
      this.newBelow += 1;
      this.jumpLatest.textContent = `${plural(this.newBelow, "new message")} below ↓`;
      this.jumpLatest.hidden = false;
    }
    return true;
  }
}
