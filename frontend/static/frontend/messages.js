// One message, drawn from its wire shape (docs/protocol.md, message.new).
// Text goes in as text; `message.html` is the only server HTML inserted.

import { confirmButton, h, initials, plural, serverHTML, shortTime, STATUS_LABELS, timeEl } from "./dom.js";

/**
 * ctx: {
 *   me: {id, org}, canModerate(message) -> bool (rooms/moderation.py, via the room's `moderation`),
 *   presence: Map(person id -> state),
 *   itemForThread(rootId) -> WorkItem | undefined,
 *   partnerOf(message) -> organization name the message's room is shared with,
 *   inThread: bool (drawn in the thread panel),
 *   actions: {openThread, edit, remove, makeItem, openItem, retry, discard, shareBack?(msg) -> Node|null}
 * }
 */
export function renderMessage(message, ctx, sendState = null) {
  const mine = message.author.id === ctx.me.id;
  const myOrg = ctx.me.org?.id;
  const authorOrg = message.author.org;
  const fromPartner = Boolean(authorOrg && myOrg && authorOrg.id !== myOrg);
  const classes = ["msg", `kind-${message.kind}`];
  if (mine) classes.push("mine");
  if (fromPartner) classes.push("from-partner");
  if (message.deleted) classes.push("deleted");
  if (message.mentions?.includes(ctx.me.id)) classes.push("mentions-me");
  if (sendState) classes.push(sendState);

  const li = h("li", {
    class: classes.join(" "),
    tabindex: "-1", // a tap focuses the message and shows its actions on touch screens
    dataset: {
      id: message.id ?? "",
      seq: message.seq ?? "",
      author: message.author.id,
      clientId: message.client_id || "",
    },
  });

  const state = ctx.presence?.get(message.author.id);
  const avatar = h(
    "span",
    { class: `avatar${fromPartner ? " partner" : ""}`, aria: { hidden: "true" } },
    initials(message.author.name),
    h("span", { class: "presence", dataset: { presenceFor: message.author.id, state: state || "unknown" } }),
  );

  const head = h(
    "div",
    { class: "msg-head" },
    h("strong", { class: "author", title: message.author.title || null }, message.author.name),
    authorOrg
      ? h(
          "span",
          {
            class: `org-badge ${fromPartner ? "partner" : "mine"}`,
            title: fromPartner ? `From the other company: ${authorOrg.name}` : `Your organization: ${authorOrg.name}`,
          },
          fromPartner ? h("span", { class: "partner-mark", aria: { label: "Partner company:" } }, "⇄ ") : null,
          authorOrg.name,
        )
      : null,
    message.created_at ? timeEl(message.created_at) : null,
    message.edited_at && !message.deleted ? h("span", { class: "edited", title: `Edited ${shortTime(message.edited_at)}` }, "(edited)") : null,
    sendStateEl(message, sendState, ctx),
  );
  if (message.shared_back && !message.deleted) {
    const { by, at } = message.shared_back;
    head.append(
      h(
        "span",
        { class: "shared-tag", title: `Posted in the shared thread ${shortTime(at)}` },
        `Shared back${by ? ` by ${by.name}` : ""}, ${shortTime(at)}`,
      ),
    );
  }

  const main = h("div", { class: "msg-main" }, head);

  if (message.mirror && message.kind === "mirror" && ctx.inThread && message.thread) {
    main.append(h("div", { class: "provenance compact" }, `⤷ from ${message.mirror.room_name}`));
  } else if (message.mirror && message.kind === "mirror") {
    const p = message.mirror;
    main.append(
      h(
        "div",
        { class: "provenance", title: `Said by ${p.author} (${p.org}) in ${p.room_name}` },
        h("span", { class: "provenance-icon", aria: { hidden: "true" } }, "⤷"),
        "Mirrored from the shared room ",
        h("strong", {}, p.room_name),
        ctx.partnerOf ? ` (shared with ${ctx.partnerOf(message)})` : "",
      ),
    );
  } else if (message.mirror && message.kind === "notice") {
    main.append(h("div", { class: "provenance" }, "⤷ Work item change in the shared room"));
  }

  const body = h("div", { class: "msg-body message-body" });
  if (message.deleted) body.append(h("em", { class: "muted" }, "This message was deleted."));
  else if (message.html) serverHTML(body, message.html);
  else body.textContent = message.body; // optimistic copy: the server has not rendered it yet
  main.append(body);

  if (message.kind === "workitem" && !message.deleted && !ctx.inThread) {
    const item = ctx.itemForThread?.(message.id);
    if (item) {
      main.append(
        h(
          "div",
          { class: "msg-item" },
          h("span", { class: `status-chip status-${item.status}` }, STATUS_LABELS[item.status]),
          item.escalation ? h("span", { class: `sev-chip sev-${item.escalation.severity}` }, `${item.escalation.severity} escalated`) : null,
          h("button", { type: "button", class: "link", onclick: () => ctx.actions.openItem(item) }, "Open work item"),
        ),
      );
    }
  }

  if (!ctx.inThread && !message.thread && message.reply_count > 0) {
    main.append(
      h(
        "button",
        { type: "button", class: "replies", onclick: () => ctx.actions.openThread(message), aria: { label: `${plural(message.reply_count, "reply", "replies")}, open thread` } },
        plural(message.reply_count, "reply", "replies"),
        message.last_reply_at ? h("span", { class: "muted" }, ` · last ${shortTime(message.last_reply_at)}`) : null,
      ),
    );
  }

  const tools = actionsFor(message, ctx, mine, sendState);
  li.append(avatar, main);
  if (tools) li.append(tools);
  return li;
}

function sendStateEl(message, sendState, ctx) {
  if (sendState === "pending") {
    return h(
      "span",
      { class: "send-state", role: "status" },
      h("span", { class: "when-live" }, "Sending…"),
      h("span", { class: "when-down" }, "Not sent yet: goes out when the connection is back"),
    );
  }
  if (sendState === "failed") {
    return h(
      "span",
      { class: "send-state failed", role: "alert" },
      "Not sent. ",
      h("button", { type: "button", class: "link", onclick: () => ctx.actions.retry(message.client_id) }, "Retry"),
      " · ",
      h("button", { type: "button", class: "link", onclick: () => ctx.actions.discard(message.client_id) }, "Discard"),
    );
  }
  return null;
}

function actionsFor(message, ctx, mine, sendState) {
  if (sendState || message.deleted || !message.id) return null;
  const buttons = [];
  const a = ctx.actions;
  if (!ctx.inThread && !message.thread) {
    buttons.push(tool("Reply in thread", "Reply", () => a.openThread(message)));
  }
  if (!ctx.inThread && message.kind === "message") {
    buttons.push(tool("Create a work item from this message", "Work item", () => a.makeItem(message)));
  }
  const share = a.shareBack?.(message);
  if (share) buttons.push(share);
  if (mine && message.kind === "message") buttons.push(tool("Edit message", "Edit", () => a.edit(message)));
  if (mine || ctx.canModerate?.(message)) {
    buttons.push(
      confirmButton("Delete", "Confirm delete", () => a.remove(message), {
        class: "tool danger",
        title: "Delete message",
      }),
    );
  }
  if (!buttons.length) return null;
  return h("div", { class: "msg-actions", role: "toolbar", aria: { label: "Message actions" } }, buttons);
}

function tool(label, text, onclick) {
  return h("button", { type: "button", class: "tool", aria: { label }, title: label, onclick }, text);
}

/** An inline editor that replaces a message's body; Enter saves, Escape cancels. */
export function inlineEditor(message, { onSave, onCancel }) {
  const area = h("textarea", { class: "edit-input", rows: 2, aria: { label: "Edit message" } });
  area.value = message.body;
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const save = async () => {
    const body = area.value.trim();
    if (!body) return;
    try {
      await onSave(body);
    } catch (e) {
      error.hidden = false;
      error.textContent = e.message;
    }
  };
  area.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      save();
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      onCancel();
    }
  });
  const form = h(
    "div",
    { class: "inline-edit" },
    area,
    error,
    h(
      "div",
      { class: "form-actions" },
      h("button", { type: "button", class: "button small primary", onclick: save }, "Save"),
      h("button", { type: "button", class: "button small", onclick: onCancel }, "Cancel"),
      h("span", { class: "muted small" }, "Enter to save · Escape to cancel"),
    ),
  );
  setTimeout(() => {
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
  });
  return form;
}

/**
 * An ordered list of messages (the room's, or one thread's) that reconciles
 * optimistic sends: a pending entry is keyed by its client_id until the
 * server's message.new (or ack) names its id; then it is replaced in place,
 * so a message never shows twice.
 */
export class MessageList {
  constructor(ol, ctx) {
    this.ol = ol;
    this.ctx = ctx;
    this.byId = new Map(); // id -> {message, li}
    this.pending = new Map(); // client_id -> {message, li, state}
  }

  get(id) {
    return this.byId.get(id)?.message;
  }

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

  /** A message from the server: new, edited, or the confirmation of an optimistic send. */
  upsert(message) {
    const existing = this.byId.get(message.id);
    if (existing) {
      existing.message = message;
      const li = renderMessage(message, this.ctx);
      existing.li.replaceWith(li);
      existing.li = li;
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

  insertBySeq(li, seq) {
    let after = null;
    for (let node = this.ol.lastElementChild; node; node = node.previousElementSibling) {
      if (!node.dataset.seq) continue; // pending sends and dividers
      if (Number(node.dataset.seq) < seq) {
        after = node;
        break;
      }
    }
    if (after) {
      // Keep a divider that sits right after `after` in front of newer messages.
      after.after(li);
    } else {
      const first = [...this.ol.children].find((n) => n.dataset.seq);
      if (first) first.before(li);
      else this.ol.prepend(li);
    }
    // Pending sends stay below every stored message.
    for (const entry of this.pending.values()) this.ol.append(entry.li);
  }

  /** Older history, in ascending seq order, all older than what is shown. */
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

  addPending(clientId, body, thread = null) {
    const me = this.ctx.me;
    const message = {
      id: null,
      seq: null,
      kind: "message",
      author: { id: me.id, name: me.name, handle: me.handle, title: me.title, org: me.org },
      client_id: clientId,
      body,
      html: "",
      thread,
      created_at: new Date().toISOString(),
      edited_at: null,
      deleted: false,
      reply_count: 0,
      last_reply_at: null,
      mentions: [],
    };
    const li = renderMessage(message, this.ctx, "pending");
    this.pending.set(clientId, { message, li, state: "pending" });
    this.ol.append(li);
    return li;
  }

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

  dropPending(clientId) {
    const entry = this.pending.get(clientId);
    if (!entry) return false;
    entry.li.remove();
    this.pending.delete(clientId);
    return true;
  }

  /** The server stored our message as `id`; its message.new may already be here. */
  acked(clientId, id) {
    const entry = this.pending.get(clientId);
    if (!entry) return false;
    if (this.byId.has(id)) this.dropPending(clientId);
    else entry.li.querySelector(".send-state")?.replaceChildren("Sent");
    return true;
  }

  markDeleted(id) {
    const message = this.get(id);
    if (!message) return;
    this.upsert({ ...message, deleted: true, body: "", html: "" });
  }

  /** Redraw (reply counts, work item chips, presence). */
  refresh(id) {
    const message = this.get(id);
    if (message) this.upsert(message);
  }

  refreshAll(predicate = () => true) {
    for (const message of this.messages()) if (predicate(message)) this.upsert(message);
  }
}
