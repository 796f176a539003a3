// The room page: live message list with history and unread marker, the
// composer, typing and presence, threads, members and invitations, and the
// work item board (board.js). All of it is drawn from the protocol's frames
// and the JSON API (docs/protocol.md).

import { get } from "./api.js";
import { WorkItems } from "./board.js";
import { createComposer } from "./composer.js";
import { $, $all, fullTime, h, initials, plural } from "./dom.js";
import { MembersPanel, sortedMembers, stateLabel } from "./members.js";
import { inlineEditor, MessageList } from "./messages.js";
import { Panel } from "./panels.js";
import { startShell } from "./shell.js";
import { ThreadView } from "./thread.js";

const PAGE = 50;

let view = "messages";
let pinned = true;
const shell = startShell({ current: Number($("#main").dataset.room), isReading: (id) => id === roomId && reading() });
const { boot, socket, toast } = shell;
const me = boot.me;
const room = boot.room;
const roomId = room.id;
const panel = new Panel($("#panel"));
const members = new Map(); // person id -> {person, role}
const presence = new Map(); // person id -> "active" | "away" | "offline"
const typists = new Map(); // person id -> {thread, until}
let mirrors = [];
let activeThread = null;

// --- the page context shared with the thread and board modules ---------------------
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
      presence,
      inThread,
      // The server's rule (rooms/moderation.py), as the room list states it for you.
      canModerate: (m) => room.moderation === "all" || (room.moderation === "own_org" && m.author.org?.id === me.org?.id),
      itemForThread: (id) => work.byThread.get(id),
      partnerOf: (m) => page.partnerForMirror(m),
      actions: {
        openThread: (m) => openThread(m.id),
        edit: (m) => editMessage(m, thread ? thread.list : main),
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
      },
    };
  },
  memberList: () => [...members.values()].map((m) => m.person).sort((a, b) => a.name.localeCompare(b.name)),
  mentionable: () => page.memberList().filter((p) => p.id !== me.id),
  internalRooms: () => [...shell.rooms.values()].filter((r) => r.kind === "internal" && !r.archived),
  roomName: (id) => shell.rooms.get(id)?.name ?? `room ${id}`,
  mirrorsOf: (rootId) => mirrors.filter((m) => m.source_room === roomId && m.thread === rootId && !m.stopped_at),
  mirrorForCopy: (copyId) => mirrors.find((m) => m.root_copy === copyId && m.target_room === roomId) ?? null,
  addMirror(mirror) {
    mirrors = [mirror, ...mirrors.filter((m) => m.id !== mirror.id)];
  },
  partnerForMirror(message) {
    const mirror = page.mirrorForCopy(message.thread ?? message.id);
    const source = message.mirror?.room ?? mirror?.source_room;
    const partner = shell.rooms.get(source)?.partner;
    if (partner) return partner.name;
    const org = message.mirror?.org;
    return org && org !== me.org?.name ? org : "the partner company";
  },
  isPartnerOrg: (org) => Boolean(org && me.org && org.id !== me.org.id),
  personName: (id) => members.get(id)?.person.name ?? `person #${id}`,
  onItemChanged: (item) => main.refresh(item.thread),
  threadOpened(thread) {
    activeThread = thread;
    drawTyping();
  },
  threadClosed(thread) {
    if (activeThread === thread) activeThread = null;
  },
};

// --- messages ----------------------------------------------------------------------
const scroller = $("#scroller");
const main = new MessageList($("#messages"), page.messageContext());
const work = new WorkItems(page, { board: $("#board"), banners: $("#escalations"), count: $("#board-count") });
const unreadMarker = room.last_read_seq; // where "new since you last read" starts, for this visit
const headAtLoad = room.head_seq;
let oldestSeq = null;
let hasMore = true;
let loadingOlder = null;
let divider = null;
let newBelow = 0;
let readSent = room.last_read_seq;

const composer = createComposer({
  scope: room.kind,
  scopeText:
    room.kind === "shared"
      ? `Shared with ${room.partner.name}: people of both companies see this room.`
      : `Internal: only ${me.org?.name ?? "your organization"} sees this room.`,
  placeholder: `Message ${room.name}`,
  label: `Message ${room.name}`,
  maxChars: socket.limits.message_max_chars,
  members: page.mentionable,
  onSend(body) {
    const clientId = socket.sendMessage(roomId, body);
    main.addPending(clientId, body);
    scrollToBottom();
  },
  onTyping: () => socket.send({ type: "typing", room: roomId }),
});
$("#composer-slot").append(composer.el);

function atBottom() {
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
}

function scrollToBottom() {
  scroller.scrollTop = scroller.scrollHeight;
  pinned = true;
  newBelow = 0;
  $("#jump-latest").hidden = true;
}

function reading() {
  return document.visibilityState === "visible" && view === "messages" && pinned;
}

function markRead() {
  if (!reading() || !socket.live) return;
  const seq = socket.lastSeq(roomId);
  if (seq > readSent) {
    readSent = seq;
    socket.send({ type: "read", room: roomId, seq });
  }
}

function historyState() {
  const state = $("#history-state");
  if (loadingOlder) state.textContent = "Loading earlier messages…";
  else if (!hasMore) state.textContent = `This is the beginning of ${room.name}.`;
  else state.textContent = "";
}

async function loadLatest() {
  main.clear();
  divider = null;
  const data = await get(`/api/rooms/${roomId}/messages/?limit=${PAGE}`);
  main.prepend(data.messages);
  oldestSeq = data.messages[0]?.seq ?? null;
  hasMore = data.messages.length === PAGE;
  historyState();
  placeDivider();
  scrollToBottom();
  return data.head_seq;
}

function loadOlder() {
  if (!hasMore || oldestSeq === null) return Promise.resolve();
  if (loadingOlder) return loadingOlder;
  loadingOlder = (async () => {
    historyState();
    try {
      const data = await get(`/api/rooms/${roomId}/messages/?before=${oldestSeq}&limit=${PAGE}`);
      // Keep what is on screen where it is: measure, prepend, shift by the growth.
      const height = scroller.scrollHeight;
      const top = scroller.scrollTop;
      main.prepend(data.messages);
      if (data.messages.length) oldestSeq = data.messages[0].seq;
      hasMore = data.messages.length === PAGE;
      placeDivider();
      scroller.scrollTop = top + (scroller.scrollHeight - height);
    } catch (error) {
      toast("Could not load earlier messages", error.message, { kind: "alert" });
    } finally {
      loadingOlder = null;
      historyState();
    }
  })();
  return loadingOlder;
}

function placeDivider() {
  divider?.remove();
  divider = null;
  if (unreadMarker >= headAtLoad) return;
  const first = main
    .messages()
    .filter((m) => m.seq > unreadMarker && m.seq <= headAtLoad && m.author.id !== me.id)
    .sort((a, b) => a.seq - b.seq)[0];
  if (!first) return;
  divider = h("li", { class: "unread-divider", role: "separator", aria: { label: "New messages since you last read" } }, h("span", {}, "New since you last read"));
  main.byId.get(first.id).li.before(divider);
  dividerObserver.observe(divider);
}

const jumpUnread = $("#jump-unread");
const dividerObserver = new IntersectionObserver(
  (entries) => {
    if (entries.some((e) => e.isIntersecting)) jumpUnread.hidden = true;
  },
  { root: scroller },
);
if (room.unread > 0 && unreadMarker < headAtLoad) {
  jumpUnread.textContent = `Jump to first unread (${room.unread})`;
  jumpUnread.hidden = false;
}
jumpUnread.addEventListener("click", async () => {
  jumpUnread.disabled = true;
  while (!divider && hasMore) await loadOlder();
  jumpUnread.disabled = false;
  jumpUnread.hidden = true;
  if (divider) {
    divider.scrollIntoView({ block: "start" });
    pinned = atBottom();
    (divider.nextElementSibling?.querySelector("button, a") ?? scroller).focus({ preventScroll: true });
  } else toast("Nothing unread here", "Unread replies are in their threads.");
});

$("#jump-latest").addEventListener("click", () => {
  scrollToBottom();
  markRead();
});

scroller.addEventListener(
  "scroll",
  () => {
    pinned = atBottom();
    if (pinned) {
      newBelow = 0;
      $("#jump-latest").hidden = true;
      markRead();
    }
  },
  { passive: true },
);
// Keep the newest message in view when the composer grows or the window resizes.
new ResizeObserver(() => {
  if (pinned) scroller.scrollTop = scroller.scrollHeight;
}).observe(scroller);
document.addEventListener("visibilitychange", markRead);
window.addEventListener("focus", markRead);

function listWithPending(clientId) {
  if (main.pending.has(clientId)) return main;
  if (activeThread?.list.pending.has(clientId)) return activeThread.list;
  return null;
}

function onRoomMessage(message, { isNew }) {
  typists.delete(message.author.id);
  drawTyping();
  if (message.thread === null) {
    if (!isNew && !main.has(message.id)) return; // an edit of a message we have not loaded
    const wasPinned = pinned;
    const mine = message.author.id === me.id;
    const added = main.upsert(message);
    if (isNew && (wasPinned || mine)) scrollToBottom();
    else if (isNew && added) {
      newBelow += 1;
      const pill = $("#jump-latest");
      pill.textContent = `${plural(newBelow, "new message")} below ↓`;
      pill.hidden = false;
    }
    if (activeThread?.rootId === message.id) activeThread.onMessage(message);
  } else {
    const root = main.get(message.thread);
    if (root && isNew) {
      main.upsert({ ...root, reply_count: root.reply_count + 1, last_reply_at: message.created_at });
      if (pinned) scroller.scrollTop = scroller.scrollHeight;
    }
    if (activeThread?.rootId === message.thread) activeThread.onMessage(message);
  }
  markRead();
}

socket.addEventListener("message.new", (e) => {
  if (e.detail.room === roomId) onRoomMessage(e.detail.message, { isNew: true });
});
socket.addEventListener("message.edited", (e) => {
  if (e.detail.room === roomId) onRoomMessage(e.detail.message, { isNew: false });
});
socket.addEventListener("message.deleted", (e) => {
  const { room: r, id, thread } = e.detail;
  if (r !== roomId) return;
  if (thread === null) {
    main.markDeleted(id);
    if (activeThread?.rootId === id) activeThread.list.markDeleted(id);
  } else {
    const root = main.get(thread);
    if (root) main.upsert({ ...root, reply_count: Math.max(0, root.reply_count - 1) });
    if (activeThread?.rootId === thread) activeThread.list.markDeleted(id);
  }
});
socket.addEventListener("ack", (e) => {
  if (e.detail.room !== roomId) return;
  listWithPending(e.detail.client_id)?.acked(e.detail.client_id, e.detail.id);
});
socket.addEventListener("sendfailed", (e) => {
  const list = listWithPending(e.detail.client_id);
  if (!list) return;
  list.setPendingState(e.detail.client_id, "failed", e.detail.detail);
  toast("Message not sent", e.detail.detail, { kind: "alert" });
});
socket.addEventListener("resync", async (e) => {
  if (e.detail.room !== roomId) return;
  await loadLatest();
  work.load();
});
socket.addEventListener("subscribed", (e) => {
  if (e.detail.room !== roomId) return;
  members.clear();
  for (const m of e.detail.members) members.set(m.person.id, m);
  presence.clear();
  for (const [id, state] of Object.entries(e.detail.presence)) presence.set(Number(id), state);
  drawPeople();
  markRead();
});
socket.addEventListener("presence", (e) => {
  presence.set(e.detail.user, e.detail.state);
  drawPresence(e.detail.user);
});
socket.addEventListener("member.joined", (e) => {
  if (e.detail.room !== roomId) return;
  members.set(e.detail.member.id, { person: e.detail.member, role: e.detail.role });
  drawPeople();
});
socket.addEventListener("member.left", (e) => {
  if (e.detail.room !== roomId) return;
  members.delete(e.detail.user);
  drawPeople();
});
socket.addEventListener("room.updated", (e) => {
  if (e.detail.room !== roomId) return;
  room.name = e.detail.name;
  room.topic = e.detail.topic;
  $("#room-name").textContent = room.name;
  $("#room-topic").textContent = room.topic;
  document.title = document.title.replace(/[^)]*· Causeway$/, `${room.name} · Causeway`);
});
// The partnership ended: the room stays readable, and nothing in it can change.
function showArchived({ reason, by, archived_at: at }) {
  room.archived = true;
  $("#main").classList.add("room-archived");
  const banner = $("#archived-banner");
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
  showArchived({ reason, by: by ? { name: by, org: { name: org } } : null, archived_at: at });
}

socket.addEventListener("room.archived", (e) => {
  if (e.detail.room !== roomId) return;
  showArchived(e.detail);
  toast("This room is now archived", "The partnership ended. You can still read everything here.", { kind: "alert" });
});
socket.addEventListener("room.removed", (e) => {
  if (e.detail.room !== roomId) return;
  toast("You are no longer in this room", "Taking you home…", { kind: "alert" });
  setTimeout(() => location.assign("/"), 1500);
});
socket.addEventListener("workitem.created", (e) => {
  if (e.detail.room === roomId) work.apply(e.detail.item);
});
socket.addEventListener("workitem.updated", (e) => {
  if (e.detail.room === roomId) work.apply(e.detail.item, { changes: e.detail.changes, by: e.detail.by });
});
socket.addEventListener("typing", (e) => {
  const { room: r, user, thread, expires_in: ttl } = e.detail;
  if (r !== roomId || user === me.id) return;
  typists.set(user, { thread: thread ?? null, until: Date.now() + ttl * 1000 });
  drawTyping();
});
setInterval(drawTyping, 1000);

function drawTyping() {
  const now = Date.now();
  for (const [id, t] of typists) if (t.until < now) typists.delete(id);
  const names = (thread) =>
    [...typists.entries()].filter(([, t]) => t.thread === thread).map(([id]) => members.get(id)?.person.name ?? "Someone");
  const mainNames = names(null);
  const line = $("#typing");
  const text = mainNames.length ? `${mainNames.join(", ")} ${mainNames.length > 1 ? "are" : "is"} typing…` : "";
  if (line.textContent !== text) line.textContent = text;
  activeThread?.setTyping(names(activeThread.rootId));
}

// --- editing and deleting ------------------------------------------------------------
function editMessage(message, list) {
  const entry = list.byId.get(message.id);
  if (!entry) return;
  const body = entry.li.querySelector(".msg-body");
  const editor = inlineEditor(message, {
    async onSave(text) {
      await socket.request({ type: "message.edit", room: roomId, id: message.id, body: text });
      // An unchanged body publishes nothing: close the editor here. Otherwise
      // message.edited redraws the message everywhere, this list included.
      if (text === list.get(message.id)?.body) list.refresh(message.id);
    },
    onCancel: () => list.refresh(message.id),
  });
  body.replaceWith(editor);
  entry.li.querySelector(".msg-actions")?.remove();
}

async function removeMessage(message) {
  try {
    await socket.request({ type: "message.delete", room: roomId, id: message.id });
  } catch (error) {
    toast("Could not delete the message", error.message, { kind: "alert" });
  }
}

// --- threads -------------------------------------------------------------------------
function openThread(rootId) {
  const root = main.get(rootId) ?? { id: rootId, thread: null, kind: "message" };
  const item = work.byThread.get(rootId);
  if (item) return work.open(item.id);
  const thread = new ThreadView(page, root);
  const mirrored = root.kind === "mirror";
  panel.open(`thread:${rootId}`, mirrored ? "Mirrored thread" : "Thread", thread.el, {
    onClose: () => page.threadClosed(thread),
    focus: thread.composer.input,
  });
  page.threadOpened(thread);
  thread.load();
}

// --- people: header strip, presence dots, members panel --------------------------------
const membersPanel = new MembersPanel(page, members, presence);

function drawPeople() {
  const list = $("#people");
  const shown = sortedMembers(members, presence).slice(0, 6);
  list.replaceChildren(
    ...shown.map(({ person }) => {
      const state = presence.get(person.id) ?? "offline";
      const partner = page.isPartnerOrg(person.org);
      return h(
        "li",
        {
          class: `person-chip${partner ? " partner" : ""}`,
          dataset: { person: person.id, state },
          title: `${person.name} · ${person.org?.name ?? ""} · ${stateLabel(state)}`,
        },
        h("span", { class: `avatar small${partner ? " partner" : ""}`, aria: { hidden: "true" } }, initials(person.name), h("span", { class: "presence", dataset: { presenceFor: person.id, state } })),
        h("span", { class: "sr-only" }, `${person.name}, ${stateLabel(state)}`),
      );
    }),
  );
  if (members.size > shown.length) list.append(h("li", { class: "more" }, `+${members.size - shown.length}`));
  const online = [...members.keys()].filter((id) => presence.get(id) === "active").length;
  $("#members-button").replaceChildren(h("span", { class: "long" }, "Members · "), `${online}/${members.size} online`);
  membersPanel.refresh();
}

function drawPresence(personId) {
  if (!members.has(personId)) return;
  const state = presence.get(personId) ?? "offline";
  for (const dot of $all(`[data-presence-for="${personId}"]`)) dot.dataset.state = state;
  drawPeople();
}

$("#members-button").addEventListener("click", () => membersPanel.toggle());
$("#people").addEventListener("click", () => membersPanel.open());

// --- views: messages and board ---------------------------------------------------------
const tabs = { messages: $("#tab-messages"), board: $("#tab-board") };
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
  history.replaceState(null, "", url);
  if (name === "messages") {
    if (pinned) scroller.scrollTop = scroller.scrollHeight;
    markRead();
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
const mirrorsLoaded = get("/api/mirrors/")
  .then((data) => {
    mirrors = data.mirrors;
    main.refreshAll((m) => m.kind === "mirror");
  })
  .catch(() => {});

(async () => {
  try {
    const head = await loadLatest();
    socket.watch(roomId, head);
  } catch (error) {
    $("#history-state").textContent = `Could not load messages: ${error.message}`;
    socket.watch(roomId, room.head_seq);
  }
  new IntersectionObserver(
    (entries) => {
      if (entries.some((e) => e.isIntersecting)) loadOlder();
    },
    { root: scroller, rootMargin: "400px 0px 0px 0px" },
  ).observe($("#history-top"));
  try {
    await work.load();
    main.refreshAll((m) => m.kind === "workitem");
  } catch (error) {
    toast("Could not load work items", error.message, { kind: "alert" });
  }
  await mirrorsLoaded;
  const params = new URLSearchParams(location.search);
  if (params.get("view") === "board") showView("board");
  if (params.get("item")) work.open(Number(params.get("item")));
  else if (params.get("thread")) openThread(Number(params.get("thread")));
  else if (params.get("panel") === "members") membersPanel.open();
  else if (!matchMedia("(max-width: 700px)").matches && document.activeElement === document.body) {
    composer.focus();
  }
})();
