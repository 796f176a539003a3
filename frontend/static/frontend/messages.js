// @ts-check
// One message, drawn from its wire shape (docs/protocol.md, message.new).
// Text goes in as text; `message.html` is the only server HTML inserted.

import { face } from "./avatars.js";
import { confirmButton, h, plural, serverHTML, shortTime, statusLabel, timeEl } from "./dom.js";
import { errorText } from "./errors.js";
import { renderFiles } from "./files.js";
import { foldLong } from "./longmessage.js";
import { reactionBar } from "./reactions.js";

/** @import { Me } from "./api.js" */
/** @import { MessageData, WorkItemData } from "./wire.gen.js" */

/**
 * An optimistic copy of a message being sent: no id or seq until the server
 * stores it (messagelist.js replaces it then).
 * @typedef {Omit<MessageData, "id" | "seq" | "room"> & {id: null, seq: null}} PendingMessage
 */

/** @typedef {"pending" | "held" | "failed"} SendState */

/**
 * What tells which shared room a message in an internal room was mirrored
 * from: its provenance, or the mirror whose root copy it is (or replies to).
 * @typedef {{id: number | null, thread: number | null, mirror?: MessageData["mirror"]}} MirrorSource
 */

/**
 * What a message can do, wired by the room page (room.js).
 * @typedef {object} MessageActions
 * @property {(message: MessageData) => void} openThread
 * @property {(message: MessageData) => void} edit
 * @property {(message: MessageData) => void} remove
 * @property {(message: MessageData) => void} makeItem
 * @property {(item: WorkItemData) => void} openItem
 * @property {(clientId: string) => void} retry
 * @property {(clientId: string) => void} discard
 * @property {((message: MessageData) => HTMLElement | null) | null} [shareBack]
 * @property {(message: MessageData) => void} [copyLink] the message's permalink to the clipboard
 * @property {import("./reactions.js").React | null} [react] add (`on`) or remove your emoji; null: read-only room
 */

/**
 * What drawing a message needs to know about the page.
 * @typedef {object} MessageContext
 * @property {Me} me
 * @property {ReadonlyMap<number, string>} [presence] person id -> "active" | "away" | "offline"
 * @property {boolean} inThread drawn in the thread panel
 * @property {(message: MessageData) => boolean} [canModerate] rooms/moderation.py, via the room's `moderation`
 * @property {(rootId: number) => WorkItemData | undefined} [itemForThread]
 * @property {(message: MirrorSource) => string} [partnerOf] the organization the message's room is shared with
 * @property {MessageActions} actions
 */

/**
 * A bridge copy's provenance (protocol.md, `mirror`): where the original was
 * said. A mirror notice (a work item's change) names the room only.
 * @param {{mirror?: MessageData["mirror"]}} message
 */
export function provenance(message) {
  const p = message.mirror;
  if (!p) return null;
  if (!("message" in p)) return { room: p.room, roomName: "", author: "", org: "" };
  return { room: p.room, roomName: p.room_name, author: p.author, org: p.org };
}

/**
 * @param {MessageData | PendingMessage} message
 * @param {MessageContext} ctx
 * @param {SendState | null} [sendState]
 */
export function renderMessage(message, ctx, sendState = null) {
  // A notice is Causeway speaking (an escalation raised, acknowledged,
  // resolved; a mirrored work item change), never a person: no name, no
  // avatar, no company, whichever account the server stored it under.
  const system = message.kind === "notice";
  const mine = !system && message.author.id === ctx.me.id;
  const myOrg = ctx.me.org?.id;
  const authorOrg = system ? null : message.author.org;
  const fromPartner = Boolean(authorOrg && myOrg && authorOrg.id !== myOrg);
  const classes = ["msg", `kind-${message.kind}`];
  if (system) classes.push("system-notice");
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
  const avatar = system ? h("span", { class: "avatar system", aria: { hidden: "true" } }, "i") : h(
    "span",
    { class: `avatar${fromPartner ? " partner" : ""}`, aria: { hidden: "true" } },
    face(message.author),
    h("span", { class: "presence", dataset: { presenceFor: message.author.id, state: state || "unknown" } }),
  );

  const head = h(
    "div",
    { class: "msg-head" },
    system
      ? h("strong", { class: "author system" }, "Notice")
      : // Opens the author's card (personcard.js); one Tab stop per message, so not its own.
        h("button", { type: "button", class: "author person-name", tabindex: -1, title: message.author.title || null, dataset: { cardPerson: message.author.id }, aria: { haspopup: "dialog" } }, message.author.name),
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

  const p = provenance(message);
  if (p && message.kind === "mirror" && ctx.inThread && message.thread) {
    main.append(h("div", { class: "provenance compact" }, `⤷ from ${p.roomName}`));
  } else if (p && message.kind === "mirror") {
    main.append(
      h(
        "div",
        { class: "provenance", title: `Said by ${p.author} (${p.org}) in ${p.roomName}` },
        h("span", { class: "provenance-icon", aria: { hidden: "true" } }, "⤷"),
        "Mirrored from the shared room ",
        h("strong", {}, p.roomName),
        ctx.partnerOf ? ` (shared with ${ctx.partnerOf(message)})` : "",
      ),
    );
  } else if (p && message.kind === "notice") {
    main.append(h("div", { class: "provenance" }, "⤷ Work item change in the shared room"));
  }

  if (!ctx.inThread && message.thread !== null && message.in_room && message.id !== null) {
    // A reply also sent to the room: it says so, and opens its thread.
    const rootId = message.thread;
    main.append(
      h(
        "button",
        {
          type: "button",
          class: "link in-thread",
          onclick: () => ctx.actions.openThread({ ...message, id: rootId, thread: null }),
        },
        "↳ replied in a thread",
      ),
    );
  }
  const body = h("div", { class: "msg-body message-body" });
  // A work item's root names the item by its title now: the stored text has
  // the title it was created with, and titles can be edited.
  const liveItem = message.kind === "workitem" && message.id !== null ? ctx.itemForThread?.(message.id) : undefined;
  if (message.deleted) body.append(h("em", { class: "muted" }, "This message was deleted."));
  else if (liveItem) body.append(h("p", {}, h("strong", {}, "Work item:"), " ", liveItem.title));
  else if (message.html) serverHTML(body, message.html);
  else body.textContent = message.body; // optimistic copy: the server has not rendered it yet
  main.append(body);
  const more = message.deleted ? null : foldLong(body, message);
  if (more) main.append(more);
  if (!message.deleted && message.files?.length) main.append(renderFiles(message.files));
  const reactions = message.deleted || message.id === null || sendState ? null : reactionBar(message, ctx.me.id, ctx.actions.react ?? null, ctx.inThread ? "thread" : "room");
  if (reactions) main.append(reactions.el);

  if (message.kind === "workitem" && !message.deleted && !ctx.inThread && message.id !== null) {
    const item = ctx.itemForThread?.(message.id);
    if (item) {
      main.append(
        h(
          "div",
          { class: "msg-item" },
          h("span", { class: `status-chip status-${item.status}` }, statusLabel(item.status)),
          item.escalation ? h("span", { class: `sev-chip sev-${item.escalation.severity}` }, `${item.escalation.severity} escalated`) : null,
          h("button", { type: "button", class: "link", onclick: () => ctx.actions.openItem(item) }, "Open work item"),
        ),
      );
    }
  }

  if (!ctx.inThread && !message.thread && message.reply_count > 0 && message.id !== null) {
    const stored = message;
    main.append(
      h(
        "button",
        { type: "button", class: "replies", onclick: () => ctx.actions.openThread(stored), aria: { label: `${plural(message.reply_count, "reply", "replies")}, open thread` } },
        plural(message.reply_count, "reply", "replies"),
        message.last_reply_at ? h("span", { class: "muted" }, ` · last ${shortTime(message.last_reply_at)}`) : null,
      ),
    );
  }

  const tools = actionsFor(message, ctx, mine, sendState, reactions?.open ?? null);
  li.append(avatar, main);
  if (tools) li.append(tools);
  return li;
}

/**
 * @param {MessageData | PendingMessage} message
 * @param {SendState | null} sendState
 * @param {MessageContext} ctx
 */
function sendStateEl(message, sendState, ctx) {
  if (sendState === "pending") {
    return h(
      "span",
      { class: "send-state", role: "status" },
      h("span", { class: "when-live" }, "Sending…"),
      h("span", { class: "when-down" }, "Not sent yet: goes out when the connection is back"),
    );
  }
  if (sendState === "held") {
    return h("span", { class: "send-state held", role: "status" }, "Waiting: sending faster than allowed, goes by itself in a moment");
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

/**
 * @param {MessageData | PendingMessage} shown
 * @param {MessageContext} ctx
 * @param {boolean} mine
 * @param {SendState | null} sendState
 * @param {((from: HTMLElement) => void) | null} openReactions the reaction picker, under the message
 */
function actionsFor(shown, ctx, mine, sendState, openReactions) {
  if (sendState || shown.deleted || shown.id === null) return null;
  const message = shown; // stored: it has an id
  const buttons = [];
  const a = ctx.actions;
  if (!ctx.inThread && !message.thread) {
    buttons.push(tool("Reply in thread", "Reply", () => a.openThread(message)));
  }
  if (!ctx.inThread && message.kind === "message") {
    buttons.push(tool("Create a work item from this message", "Work item", () => a.makeItem(message)));
  }
  if (openReactions && a.react) {
    const react = tool("React to this message", "React", () => openReactions(react));
    react.setAttribute("aria-haspopup", "true");
    react.dataset.focusKey = "reaction tool";
    buttons.push(react);
  }
  const share = a.shareBack?.(message);
  if (share) buttons.push(share);
  if (a.copyLink) {
    const copy = a.copyLink;
    buttons.push(tool("Copy a link to this message", "Link", () => copy(message)));
  }
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

/**
 * @param {string} label
 * @param {string} text
 * @param {() => void} onclick
 */
function tool(label, text, onclick) {
  return h("button", { type: "button", class: "tool", aria: { label }, title: label, onclick }, text);
}

/**
 * An inline editor that replaces a message's body; Enter saves, Escape cancels.
 * @param {MessageData} message
 * @param {{onSave: (body: string) => Promise<void>, onCancel: () => void}} handlers
 */
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
      error.textContent = errorText(e);
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
  // Once the editor is in the page: the caret at the end, unless the person (or a
  // test's fill) got there first and chose where to type.
  setTimeout(() => {
    if (document.activeElement === area) return;
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
  });
  return form;
}
