// @ts-check
// The room page: the message list and its history (history.js), the
// composer, who is here and typing (people.js), threads (thread.js), and the
// work item board (board.js), all drawn from the protocol's frames and the
// JSON API (docs/protocol.md). This module builds the page context those
// modules share, routes the socket's frames for this room to them, and
// switches between the Messages and Board views.

import { get, put } from "./api.js";
import { WorkItems } from "./board.js";
import { createComposer } from "./composer.js";
import { $, fullTime, h } from "./dom.js";
import { errorText } from "./errors.js";
import { FileTray, filesPanel } from "./files.js";
import { RoomHistory } from "./history.js";
import { provenance } from "./messages.js";
import { Panel } from "./panels.js";
import { RoomPeople } from "./people.js";
import { RoomSettings } from "./roomsettings.js";
import { permalink } from "./links.js";
import { startShell } from "./shell.js";
import { ThreadView } from "./thread.js";

/** @import { Me, Mirror, RoomListing } from "./api.js" */
/** @import { MessageContext, MirrorSource } from "./messages.js" */
/** @import { MessageList } from "./messagelist.js" */
/** @import { CausewaySocket } from "./socket.js" */
/** @import { MessageData, OrgRef, PersonRef, RoomArchivedEvent, WorkItemData } from "./wire.gen.js" */

/**
 * The room page, as the modules it hosts see it (history.js, people.js,
 * thread.js, board.js and its panels, members.js).
 * @typedef {object} RoomPage
 * @property {number} roomId
 * @property {RoomListing} room this room, as the room list has it (kept current)
 * @property {Me} me
 * @property {CausewaySocket} socket
 * @property {Panel} panel the one side panel
 * @property {typeof import("./shell.js").toast} toast
 * @property {(where?: {inThread?: boolean, thread?: ThreadView | null}) => MessageContext} messageContext
 * @property {() => PersonRef[]} memberList the members, by name
 * @property {() => PersonRef[]} mentionable the members but you
 * @property {() => RoomListing[]} internalRooms yours, not archived: where a thread can be mirrored
 * @property {(id: number) => string} roomName
 * @property {(rootId: number) => Mirror[]} mirrorsOf this room's live mirrors of a thread
 * @property {(copyId: number) => Mirror | null} mirrorForCopy the mirror whose root copy (here) this is
 * @property {(mirror: Mirror) => void} addMirror
 * @property {(message: MirrorSource) => string} partnerForMirror the partner a mirrored thread is shared with
 * @property {(org: OrgRef | null | undefined) => boolean} isPartnerOrg
 * @property {(id: number) => string} personName
 * @property {(item: WorkItemData) => void} onItemChanged
 * @property {(thread: ThreadView) => void} threadOpened
 * @property {(thread: ThreadView) => void} threadClosed
 * @property {() => FileTray | null} newTray files for a new message here (null: the room is read-only)
 * @property {(rootId: number) => boolean} isFollowing whether you follow the thread (subscribed, thread.unread)
 * @property {(rootId: number, following: boolean) => void} setFollowing
 */

let view = "messages";
const shell = startShell({
  current: Number($("#main").dataset.room),
  isReading: (id) => id === roomId && roomHistory.reading(),
});
const { boot, socket, toast } = shell;
const me = boot.me;
if (!boot.room) throw new Error("The room page's boot has no room.");
const room = boot.room;
const roomId = room.id;
const panel = new Panel($("#panel"));
/** @type {Mirror[]} */
let mirrors = [];
/** @type {ThreadView | null} */
let activeThread = null;
/** @type {Set<number>} the threads of this room you follow */
const followed = new Set();

// --- the page context shared with the modules it hosts ---------------------------------
/** @type {RoomPage} */
const page = {
  roomId,
  room,
  me,
  socket,
  panel,
  toast,
  messageContext({ inThread = false, thread = null } = {}) {
    return {
      me,
      presence: people.presence,
      inThread,
      // The server's rule (rooms/moderation.py), as the room list states it for you.
      canModerate: (m) => room.moderation === "all" || (room.moderation === "own_org" && m.author.org?.id === me.org?.id),
      itemForThread: (id) => work.byThread.get(id),
      partnerOf: (m) => page.partnerForMirror(m),
      actions: {
        openThread: (m) => openThread(m.id),
        edit: (m) =>
          (thread ? thread.list : roomHistory.list).editInPlace(m, async (body) => {
            await socket.request({ type: "message.edit", room: roomId, id: m.id, body });
          }),
        remove: (m) => removeMessage(m),
        makeItem: (m) => work.openCreate(m),
        openItem: (item) => work.open(item.id),
        retry: (clientId) => {
          socket.retry(clientId);
          listWithPending(clientId)?.setPendingState(clientId, "pending");
        },
        discard: (clientId) => {
          socket.discard(clientId);
          listWithPending(clientId)?.dropPending(clientId);
        },
        shareBack: thread ? (m) => thread.shareBackFor(m) : null,
        copyLink: (m) => copyLink(m),
        react: room.archived ? null : (m, emoji, on) => react(m, emoji, on),
      },
    };
  },
  memberList: () => people.list(),
  mentionable: () => page.memberList().filter((p) => p.id !== me.id),
  internalRooms: () => [...shell.rooms.values()].filter((r) => r.kind === "internal" && !r.archived),
  roomName: (id) => shell.rooms.get(id)?.name ?? `room ${id}`,
  mirrorsOf: (rootId) => mirrors.filter((m) => m.source_room === roomId && m.thread === rootId && !m.stopped_at),
  mirrorForCopy: (copyId) => mirrors.find((m) => m.root_copy === copyId && m.target_room === roomId) ?? null,
  addMirror(mirror) {
    mirrors = [mirror, ...mirrors.filter((m) => m.id !== mirror.id)];
  },
  partnerForMirror(message) {
    const p = provenance(message);
    const copy = message.thread ?? message.id; // the root copy, here
    const source = p?.room ?? (copy === null ? null : page.mirrorForCopy(copy)?.source_room);
    const partner = source ? shell.rooms.get(source)?.partner : undefined;
    if (partner) return partner.name;
    const org = p?.org;
    return org && org !== me.org?.name ? org : "the partner company";
  },
  isPartnerOrg: (org) => Boolean(org && me.org && org.id !== me.org.id),
  personName: (id) => people.name(id),
  onItemChanged: (item) => roomHistory.list.refresh(item.thread),
  threadOpened(thread) {
    activeThread = thread;
    people.drawTyping();
  },
  threadClosed(thread) {
    if (activeThread === thread) activeThread = null;
  },
  newTray: () => (room.archived ? null : newTray()),
  isFollowing: (rootId) => followed.has(rootId),
  setFollowing(rootId, following) {
    if (following) followed.add(rootId);
    else followed.delete(rootId);
  },
};

/** Files for one message: the server's limits from hello (a policy may refuse more, and says so). */
function newTray() {
  return new FileTray({
    roomId,
    maxFiles: socket.limits.message_files_max ?? 10,
    maxBytes: socket.limits.file_max_bytes ?? 25 * 1024 * 1024,
  });
}

const people = new RoomPeople(page, () => activeThread);
const settings = new RoomSettings(page, people.members);
$("#settings-button").addEventListener("click", () => settings.toggle());
// Archived when the page was drawn: the composer was made without files; a
// reopened room is drawn afresh.
const archivedAtLoad = room.archived;
const roomHistory = new RoomHistory(page, { isVisible: () => view === "messages" });
const work = new WorkItems(page, { board: $("#board"), banners: $("#escalations"), count: $("#board-count") });

const composer = createComposer({
  scope: room.partner ? "shared" : "internal", // a direct conversation across a partnership reads as shared
  scopeText:
    room.kind === "direct"
      ? room.partner
        ? `Direct conversation with people of ${room.partner.name}: only the people in it see it.`
        : "Direct conversation: only the people in it see it."
      : room.kind === "shared"
        ? `Shared with ${room.partner?.name}: people of both companies see this room.`
        : `Internal: only ${me.org?.name ?? "your organization"} sees this room.`,
  placeholder: `Message ${room.name}`,
  label: `Message ${room.name}`,
  maxChars: socket.limits.message_max_chars,
  members: page.mentionable,
  tray: page.newTray(),
  onSend(body, files) {
    const clientId = socket.sendMessage(roomId, body, null, files.map((f) => f.id));
    roomHistory.list.addPending(clientId, body, null, files);
    if (socket.holding) roomHistory.list.setPendingState(clientId, "held");
    roomHistory.scrollToBottom();
  },
  onTyping: (stop = false) => socket.send(stop ? { type: "typing", room: roomId, stop } : { type: "typing", room: roomId }),
  onEditLast: () => {
    const last = roomHistory.list.lastOwn();
    if (!last) return false;
    roomHistory.list.ctx.actions.edit(last);
    return true;
  },
});
$("#composer-slot").append(composer.el);

/**
 * The list showing this optimistic send: the room's, or the open thread's.
 * @param {string} clientId
 * @returns {MessageList | null}
 */
function listWithPending(clientId) {
  if (roomHistory.list.pending.has(clientId)) return roomHistory.list;
  if (activeThread?.list.pending.has(clientId)) return activeThread.list;
  return null;
}

// --- this room's frames ---------------------------------------------------------------
/**
 * @param {MessageData} message
 * @param {{isNew: boolean}} how
 */
function onRoomMessage(message, { isNew }) {
  people.wrote(message.author.id);
  if (message.thread === null) {
    if (!roomHistory.show(message, { isNew })) return;
    if (activeThread?.rootId === message.id) activeThread.onMessage(message);
  } else {
    // A reply also sent to the room is in the room's timeline too.
    if (message.in_room) roomHistory.show(message, { isNew });
    const root = roomHistory.list.get(message.thread);
    if (root && isNew) {
      roomHistory.list.upsert({ ...root, reply_count: root.reply_count + 1, last_reply_at: message.created_at });
      roomHistory.keepPinned();
    }
    if (activeThread?.rootId === message.thread) activeThread.onMessage(message);
  }
  roomHistory.markRead();
}

socket.on("message.new", (frame) => {
  if (frame.room === roomId) onRoomMessage(frame.message, { isNew: true });
});
socket.on("message.edited", (frame) => {
  if (frame.room === roomId) onRoomMessage(frame.message, { isNew: false });
});
socket.on("message.deleted", ({ room: r, id, thread }) => {
  if (r !== roomId) return;
  const main = roomHistory.list;
  if (thread === null) {
    main.markDeleted(id);
    if (activeThread?.rootId === id) activeThread.list.markDeleted(id);
  } else {
    const root = main.get(thread);
    if (root) main.upsert({ ...root, reply_count: Math.max(0, root.reply_count - 1) });
    if (main.has(id)) main.markDeleted(id); // a reply that was also sent to the room
    if (activeThread?.rootId === thread) activeThread.list.markDeleted(id);
  }
});
socket.on("reaction.updated", (frame) => {
  if (frame.room !== roomId) return;
  for (const list of [roomHistory.list, activeThread?.list]) {
    const message = list?.get(frame.message);
    if (list && message) list.upsert({ ...message, reactions: frame.reactions });
  }
});

/**
 * Add or take away your emoji; the room's `reaction.updated` redraws it.
 * @param {MessageData} message
 * @param {string} emoji
 * @param {boolean} on
 */
async function react(message, emoji, on) {
  try {
    await socket.request({ type: on ? "reaction.add" : "reaction.remove", room: roomId, id: message.id, emoji });
  } catch (error) {
    toast("Could not react", errorText(error), { kind: "alert" });
  }
}
socket.on("ack", (frame) => {
  if (frame.room !== roomId) return;
  listWithPending(frame.client_id)?.acked(frame.client_id, frame.id);
});
socket.on("sendfailed", ({ client_id: clientId, detail }) => {
  const list = listWithPending(clientId);
  if (!list) return;
  list.setPendingState(clientId, "failed", detail);
  toast("Message not sent", detail, { kind: "alert" });
});
// Over the rate limit: each waits, marked so, and goes by itself (shell.js says it once).
socket.on("sendsheld", ({ client_ids: ids }) => {
  for (const id of ids) listWithPending(id)?.setPendingState(id, "held");
});
socket.on("sendsreleased", ({ client_ids: ids }) => {
  for (const id of ids) listWithPending(id)?.setPendingState(id, "pending");
});
socket.on("resync", async (frame) => {
  if (frame.room !== roomId) return;
  await roomHistory.loadLatest();
  work.load();
});
socket.on("subscribed", (frame) => {
  if (frame.room !== roomId) return;
  followed.clear();
  for (const t of frame.threads) followed.add(t.root);
  activeThread?.drawFollow();
  people.subscribed(frame);
  roomHistory.markRead();
});
socket.on("thread.unread", (frame) => {
  if (frame.room !== roomId) return;
  page.setFollowing(frame.root, frame.following);
  if (activeThread?.rootId === frame.root) activeThread.drawFollow();
});
socket.on("presence", (frame) => people.presenceChanged(frame));
socket.on("member.joined", (frame) => {
  if (frame.room === roomId) people.joined(frame);
});
socket.on("member.updated", (frame) => {
  if (frame.room !== roomId) return;
  people.updated(frame.member);
  roomHistory.list.renamed(frame.member);
  activeThread?.list.renamed(frame.member);
});
socket.on("member.left", (frame) => {
  if (frame.room === roomId) people.left(frame.user);
});
socket.on("member.role", (frame) => {
  if (frame.room !== roomId) return;
  people.roleChanged(frame);
  if (frame.user === me.id) {
    room.role = frame.role;
    if (frame.moderation) room.moderation = frame.moderation;
    const listed = shell.rooms.get(roomId);
    if (listed) Object.assign(listed, { role: room.role, moderation: room.moderation });
    if (frame.by.id !== me.id) toast(`${frame.by.name} made you ${frame.role === "owner" ? "an owner" : "a member"} of this room`, frame.role === "owner" ? "You can rename it, archive it and change who is an owner." : "");
    roomHistory.list.refreshAll(() => true); // Delete buttons follow the moderation scope
    people.panel.refresh();
  }
  settings.refresh();
});
socket.on("typing", (frame) => {
  if (frame.room === roomId) people.typing(frame);
});
socket.on("room.updated", (frame) => {
  if (frame.room !== roomId) return;
  room.name = frame.name;
  room.topic = frame.topic;
  $("#room-name").textContent = room.name;
  $("#room-topic").textContent = room.topic;
  document.title = document.title.replace(/[^)]*· Causeway$/, `${room.name} · Causeway`);
  roomHistory.historyState(); // "This is the beginning of …" names it as it is now
  settings.refresh();
});
socket.on("room.archived", (frame) => {
  if (frame.room !== roomId) return;
  showArchived(frame);
  if (frame.cause === "owner") {
    toast("This room is now archived", `${frame.by?.name ?? "An owner"} archived it. You can still read everything here.`, { kind: "alert" });
  } else {
    toast("This room is now archived", "The partnership ended. You can still read everything here.", { kind: "alert" });
  }
  settings.refresh();
  people.panel.refresh();
});
socket.on("room.unarchived", (frame) => {
  if (frame.room !== roomId) return;
  room.archived = false;
  delete room.archived_cause;
  toast("This room is open again", `${frame.by.name} reopened it.`);
  if (archivedAtLoad) {
    location.reload();
    return;
  }
  $("#main").classList.remove("room-archived");
  $("#archived-banner").hidden = true;
  settings.refresh();
  people.panel.refresh();
});
socket.on("room.removed", (frame) => {
  if (frame.room !== roomId) return;
  toast("You are no longer in this room", "Taking you home…", { kind: "alert" });
  setTimeout(() => location.assign("/"), 1500);
});
socket.on("workitem.created", (frame) => {
  if (frame.room === roomId) work.apply(frame.item);
});
socket.on("workitem.updated", (frame) => {
  if (frame.room === roomId) work.apply(frame.item, { changes: frame.changes, by: frame.by });
});

/**
 * The partnership ended, or an owner archived the room: it stays readable, and nothing in it can change.
 * @param {Pick<RoomArchivedEvent, "reason" | "archived_at" | "cause"> & {by: {name: string, org: {name: string} | null} | null}} archived
 */
function showArchived({ reason, by, archived_at: at, cause }) {
  room.archived = true;
  room.archived_cause = cause ?? "partnership_ended";
  $("#main").classList.add("room-archived");
  const banner = $("#archived-banner");
  if (room.archived_cause === "owner") {
    banner.replaceChildren(
      h("strong", {}, "Archived: read-only for everyone in it."),
      ` ${by?.name ?? "An owner"} archived it on `,
      h("time", { datetime: at }, fullTime(at)),
      ". An owner can reopen it.",
    );
    banner.hidden = false;
    return;
  }
  banner.replaceChildren(
    h("strong", {}, "Archived: read-only for both sides."),
    " The partnership ended on ",
    h("time", { datetime: at }, fullTime(at)),
    by ? `; ${by.name} (${by.org?.name ?? ""}): “${reason}”` : ".",
  );
  banner.hidden = false;
}
if (room.archived && room.ended) {
  const { by, org, reason, at } = room.ended;
  showArchived({ reason, by: by ? { name: by, org: { name: org ?? "" } } : null, archived_at: at });
}

// --- editing and deleting ------------------------------------------------------------
/** @param {MessageData} message */
async function removeMessage(message) {
  try {
    await socket.request({ type: "message.delete", room: roomId, id: message.id });
  } catch (error) {
    toast("Could not delete the message", errorText(error), { kind: "alert" });
  }
}

/**
 * The message's permalink to the clipboard (anyone who may read the room can open it).
 * @param {MessageData} message
 */
async function copyLink(message) {
  const link = new URL(permalink(roomId, message.id), location.origin).href;
  try {
    await navigator.clipboard.writeText(link);
    toast("Link copied", "Only people in this room can open it.");
  } catch {
    // No clipboard (an insecure origin, or refused): show it to copy by hand.
    toast("Link to this message", link);
  }
}

// --- the Files panel -------------------------------------------------------------------
/** @type {ReturnType<typeof filesPanel> | null} */
let files = null;
function openFiles() {
  if (panel.is("files")) return panel.close();
  files = filesPanel(roomId, {
    // A top-level message opens as its thread: the message, with any replies.
    openMessage: (entry) => openThread(entry.thread ?? entry.message),
  });
  panel.open("files", "Files", files.el, {
    onClose: () => {
      files = null;
    },
    focus: files.search,
  });
}
$("#files-button").addEventListener("click", openFiles);

// --- what you are told of this room ---------------------------------------------------
const notifyLevel = $("#notify-level", document, HTMLSelectElement);
notifyLevel.addEventListener("change", async () => {
  const level = /** @type {RoomListing["notify"]} */ (notifyLevel.value);
  const before = room.notify;
  try {
    await put(`/api/rooms/${roomId}/notify/`, { level });
    room.notify = level;
    const listed = shell.rooms.get(roomId);
    if (listed) listed.notify = level;
    const said = { all: "You will be told of every message here.", mentions: "You will be told of mentions, replies in threads you follow, and work for you.", none: "Muted: nothing here will notify you." };
    toast("Notifications for this room", said[level]);
  } catch (error) {
    notifyLevel.value = before;
    toast("Could not change notifications", errorText(error), { kind: "alert" });
  }
});
socket.on("message.new", (frame) => {
  if (frame.room === roomId && frame.message.files.length) files?.refresh();
});
socket.on("message.deleted", (frame) => {
  if (frame.room === roomId) files?.refresh();
});

// --- threads -------------------------------------------------------------------------
/**
 * @param {number} rootId
 * @param {number | null} [linked] a reply to highlight (a permalink)
 */
function openThread(rootId, linked = null) {
  const root = roomHistory.list.get(rootId) ?? { id: rootId, thread: null, kind: "message" };
  const item = work.byThread.get(rootId);
  if (item) {
    work.open(item.id); // a work item's thread is its discussion, in its panel
    return;
  }
  const thread = new ThreadView(page, root);
  const mirrored = root.kind === "mirror";
  panel.open(`thread:${rootId}`, mirrored ? "Mirrored thread" : "Thread", thread.el, {
    onClose: () => page.threadClosed(thread),
    focus: thread.composer.input,
  });
  page.threadOpened(thread);
  thread.load().then(() => {
    const entry = linked === null ? null : thread.list.byId.get(linked);
    if (!entry) return;
    entry.li.classList.add("linked");
    entry.li.scrollIntoView({ block: "center" });
  });
}

// --- views: messages and board ---------------------------------------------------------
const tabs = { messages: $("#tab-messages"), board: $("#tab-board") };
/**
 * @param {"messages" | "board"} name
 * @param {{focus?: boolean}} [options]
 */
function showView(name, { focus = false } = {}) {
  view = name;
  for (const [key, tab] of Object.entries(tabs)) {
    const on = key === name;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    $(`#view-${key}`).hidden = !on;
  }
  if (focus) tabs[name].focus();
  const url = new URL(location.href);
  if (name === "board") url.searchParams.set("view", "board");
  else url.searchParams.delete("view");
  window.history.replaceState(null, "", url);
  if (name === "messages") {
    roomHistory.keepPinned();
    roomHistory.markRead();
  }
}
tabs.messages.addEventListener("click", () => showView("messages"));
tabs.board.addEventListener("click", () => showView("board"));
$(".tabs").addEventListener("keydown", (e) => {
  if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
    e.preventDefault();
    showView(view === "messages" ? "board" : "messages", { focus: true });
  }
});
$("#new-item").addEventListener("click", () => work.openCreate());

// --- start ----------------------------------------------------------------------------
/** @type {Promise<{mirrors: Mirror[]}>} */
const mirrorsAnswer = get("/api/mirrors/");
const mirrorsLoaded = mirrorsAnswer
  .then((data) => {
    mirrors = data.mirrors;
    roomHistory.list.refreshAll((m) => m.kind === "mirror");
  })
  .catch(() => {});

/**
 * The room as the URL asks: around a permalink's message, or at the latest.
 * @param {number | null} linked
 * @returns {Promise<{head: number, thread: number | null, reply: number | null}>} the head it loaded at; a reply and its thread to open
 */
async function loadRoom(linked) {
  if (linked !== null) {
    try {
      const around = await roomHistory.loadAround(linked);
      roomHistory.pageForwards();
      const reply = around.thread === null ? null : around.message.id;
      return { head: around.head_seq, thread: reply === null ? null : around.thread, reply };
    } catch (error) {
      toast("That message cannot be shown", `${errorText(error)} Showing the latest messages.`, { kind: "alert" });
    }
  }
  return { head: await roomHistory.loadLatest(), thread: null, reply: null };
}

(async () => {
  const params = new URLSearchParams(location.search);
  const linked = Number(params.get("message")) || null;
  /** @type {number | null} */
  let linkedThread = null;
  /** @type {number | null} */
  let linkedReply = null;
  try {
    const { head, thread, reply } = await loadRoom(linked);
    [linkedThread, linkedReply] = [thread, reply];
    socket.watch(roomId, head);
  } catch (error) {
    $("#history-state").textContent = `Could not load messages: ${errorText(error)}`;
    socket.watch(roomId, room.head_seq);
  }
  roomHistory.pageBackwards();
  try {
    await work.load();
    roomHistory.list.refreshAll((m) => m.kind === "workitem");
  } catch (error) {
    toast("Could not load work items", errorText(error), { kind: "alert" });
  }
  await mirrorsLoaded;
  if (params.get("view") === "board") showView("board");
  if (linkedThread !== null) openThread(linkedThread, linkedReply);
  else if (linked !== null) return; // the linked message has the focus
  else if (params.get("item")) work.open(Number(params.get("item")));
  else if (params.get("thread")) openThread(Number(params.get("thread")));
  else if (params.get("panel") === "members") people.panel.open();
  else if (params.get("panel") === "files") openFiles();
  else if (!matchMedia("(max-width: 700px)").matches && document.activeElement === document.body) {
    composer.focus();
  }
})();
