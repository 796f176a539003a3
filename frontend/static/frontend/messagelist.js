// @ts-check
// The messages of the room, or of one thread, in seq order, reconciled with
// the person's optimistic sends.

import { inlineEditor, renderMessage } from "./messages.js";
import { rovingMessages } from "./msgkeys.js";

/** @import { MessageContext, PendingMessage, SendState } from "./messages.js" */
/** @import { FileData, MessageData, PersonRef } from "./wire.gen.js" */

/**
 * An ordered list of messages (the room's, or one thread's) that reconciles
 * optimistic sends: a pending entry is keyed by its client_id until the
 * server's message.new (or ack) names its id; then it is replaced in place,
 * so a message never shows twice.
 */
export class MessageList {
  /**
   * @param {HTMLElement} ol
   * @param {MessageContext} ctx
   */
  constructor(ol, ctx) {
    this.ol = ol;
    this.ctx = ctx;
    /** @type {Map<number, {message: MessageData, li: HTMLElement}>} id -> */
    this.byId = new Map();
    /** @type {Map<string, {message: PendingMessage, li: HTMLElement, state: SendState}>} client_id -> */
    this.pending = new Map();
    rovingMessages(ol);
  }

  /** @param {number} id */
  get(id) {
    return this.byId.get(id)?.message;
  }

  /** @param {number} id */
  has(id) {
    return this.byId.has(id);
  }

  messages() {
    return [...this.byId.values()].map((entry) => entry.message);
  }

  clear() {
    this.byId.clear();
    this.pending.clear();
    this.ol.replaceChildren();
  }

  /**
   * A message from the server: new, edited, or the confirmation of an
   * optimistic send. True if it adds a message the person had not seen.
   * @param {MessageData} message
   */
  upsert(message) {
    const existing = this.byId.get(message.id);
    if (existing) {
      existing.message = message;
      const li = renderMessage(message, this.ctx);
      const focused = focusKeyIn(existing.li);
      existing.li.dataset.redrawing = ""; // what it holds open is opened again in `li`
      existing.li.replaceWith(li);
      existing.li = li;
      if (focused !== null) refocus(li, focused);
      return false;
    }
    const li = renderMessage(message, this.ctx);
    const mine = message.author.id === this.ctx.me.id;
    const pending = mine && message.client_id ? this.pending.get(message.client_id) : null;
    if (pending) {
      pending.li.remove();
      this.pending.delete(message.client_id);
    }
    this.insertBySeq(li, message.seq);
    this.byId.set(message.id, { message, li });
    return !pending;
  }

  /**
   * @param {HTMLElement} li
   * @param {number} seq
   */
  insertBySeq(li, seq) {
    /** @param {Element | null} node */
    const seqOf = (node) => (node instanceof HTMLElement && node.dataset.seq ? Number(node.dataset.seq) : null);
    let after = null;
    for (let node = this.ol.lastElementChild; node; node = node.previousElementSibling) {
      const nodeSeq = seqOf(node);
      if (nodeSeq === null) continue; // pending sends and dividers
      if (nodeSeq < seq) {
        after = node;
        break;
      }
    }
    if (after) {
      // Keep a divider that sits right after `after` in front of newer messages.
      after.after(li);
    } else {
      const first = [...this.ol.children].find((n) => seqOf(n) !== null);
      if (first) first.before(li);
      else this.ol.prepend(li);
    }
    // Pending sends stay below every stored message.
    for (const entry of this.pending.values()) this.ol.append(entry.li);
  }

  /**
   * Older history, in ascending seq order, all older than what is shown.
   * @param {ReadonlyArray<MessageData>} messages
   */
  prepend(messages) {
    const fragment = document.createDocumentFragment();
    for (const message of messages) {
      if (this.byId.has(message.id)) continue;
      const li = renderMessage(message, this.ctx);
      this.byId.set(message.id, { message, li });
      fragment.append(li);
    }
    this.ol.prepend(fragment);
  }

  /**
   * Show a message being sent, below every stored one.
   * @param {string} clientId
   * @param {string} body
   * @param {number | null} [thread]
   * @param {FileData[]} [files] stored already: the message is sent only once they are
   */
  addPending(clientId, body, thread = null, files = []) {
    const me = this.ctx.me;
    /** @type {PendingMessage} */
    const message = {
      id: null,
      seq: null,
      kind: "message",
      author: { id: me.id, name: me.name, handle: me.handle, title: me.title, avatar: me.avatar ?? null, org: me.org },
      client_id: clientId,
      body,
      html: "",
      thread,
      in_room: false,
      created_at: new Date().toISOString(),
      edited_at: null,
      deleted: false,
      reply_count: 0,
      last_reply_at: null,
      mentions: [],
      files,
      reactions: [],
    };
    const li = renderMessage(message, this.ctx, "pending");
    this.pending.set(clientId, { message, li, state: "pending" });
    this.ol.append(li);
    return li;
  }

  /**
   * @param {string} clientId
   * @param {SendState} state
   * @param {string} [detail] why it failed, on hover
   */
  setPendingState(clientId, state, detail = "") {
    const entry = this.pending.get(clientId);
    if (!entry) return false;
    entry.state = state;
    const li = renderMessage(entry.message, this.ctx, state);
    if (detail) li.title = detail;
    entry.li.replaceWith(li);
    entry.li = li;
    return true;
  }

  /** @param {string} clientId */
  dropPending(clientId) {
    const entry = this.pending.get(clientId);
    if (!entry) return false;
    entry.li.remove();
    this.pending.delete(clientId);
    return true;
  }

  /**
   * The server stored our message as `id`; its message.new may already be here.
   * @param {string} clientId
   * @param {number} id
   */
  acked(clientId, id) {
    const entry = this.pending.get(clientId);
    if (!entry) return false;
    if (this.byId.has(id)) this.dropPending(clientId);
    else entry.li.querySelector(".send-state")?.replaceChildren("Sent");
    return true;
  }

  /** @param {number} id */
  markDeleted(id) {
    const message = this.get(id);
    if (!message) return;
    this.upsert({ ...message, deleted: true, body: "", html: "" });
  }

  /**
   * Redraw (reply counts, work item chips, presence).
   * @param {number} id
   */
  refresh(id) {
    const message = this.get(id);
    if (message) this.upsert(message);
  }

  /**
   * Edit a message in place: its body becomes an editor until saved or cancelled.
   * @param {MessageData} message
   * @param {(text: string) => Promise<void>} save sends the edit; throws if refused
   */
  editInPlace(message, save) {
    const entry = this.byId.get(message.id);
    if (!entry) return;
    const body = entry.li.querySelector(".msg-body");
    if (!body) return;
    // Saved or cancelled, the focus goes back where it was (the composer, after Up).
    const from = document.activeElement;
    const back = () => {
      if (from instanceof HTMLElement && from.isConnected) from.focus({ preventScroll: true });
    };
    const editor = inlineEditor(message, {
      onSave: async (text) => {
        await save(text);
        // An unchanged body publishes nothing: close the editor here. Otherwise
        // message.edited redraws the message everywhere, this list included.
        if (text === this.get(message.id)?.body) this.refresh(message.id);
        back();
      },
      onCancel: () => {
        this.refresh(message.id);
        back();
      },
    });
    body.replaceWith(editor);
    entry.li.querySelector(".msg-actions")?.remove();
  }

  /**
   * Your latest message here that you can still edit (Up in an empty composer).
   * @returns {MessageData | null}
   */
  lastOwn() {
    const mine = this.messages().filter((m) => m.author.id === this.ctx.me.id && m.kind === "message" && !m.deleted);
    return mine.at(-1) ?? null;
  }

  /**
   * A person changed their name, title or handle (`member.updated`): their
   * messages show them as they are now.
   * @param {PersonRef} person
   */
  renamed(person) {
    for (const message of this.messages()) {
      if (message.author.id === person.id) this.upsert({ ...message, author: person });
    }
  }

  /** @param {(message: MessageData) => boolean} [predicate] */
  refreshAll(predicate = () => true) {
    for (const message of this.messages()) if (predicate(message)) this.upsert(message);
  }
}

/**
 * What had the focus inside a message about to be redrawn (a reaction, "Show
 * more"): its `data-focus-key`, "" for anything else in it, null if elsewhere.
 * @param {HTMLElement} li
 */
function focusKeyIn(li) {
  const active = document.activeElement;
  if (!(active instanceof HTMLElement) || !li.contains(active)) return null;
  return active.dataset.focusKey ?? "";
}

/**
 * Give the focus back after a redraw: to the same control, or to the message
 * itself when that control is gone (a reaction you took away), never to the page.
 * @param {HTMLElement} li
 * @param {string} key
 */
function refocus(li, key) {
  for (const el of li.querySelectorAll("[data-focus-key]")) {
    if (el instanceof HTMLElement && key && el.dataset.focusKey === key) {
      el.focus();
      return;
    }
  }
  li.focus();
}
