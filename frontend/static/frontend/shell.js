// @ts-check
// What every signed-in page shares: the socket, the connection indicator,
// search, the notification bell and toasts, and the live unread and mention badges
// of the person's rooms (sidebar on the room page, cards on the home page).

import { get, post } from "./api.js";
import { $, $all, $maybe, h, readBoot, timeEl } from "./dom.js";
import { canAskForDesktop, desktopNotice, isQuiet } from "./notify.js";
import { itemLink, permalink, roomLink } from "./links.js";
import { startSearch } from "./search.js";
import { startSwitcher } from "./switcher.js";
import { CausewaySocket } from "./socket.js";
import { applyUnread, countArrival, takeCounts } from "./unread.js";
import { dropRoom, placeRoom } from "./roomlist.js";
import { mountNewConversation } from "./direct.js";

/** @import { Me, Partnership, RoomListing } from "./api.js" */
/** @import { SocketState } from "./socket.js" */
/** @import { RoomCounts } from "./unread.js" */
/** @import { NotificationEvent, NotificationSettingsData } from "./wire.gen.js" */

/**
 * What a page embeds for its module (frontend/views.py, `json_script`): every
 * page has you and your rooms; the room page its room, the home page your
 * organization's partnerships.
 * @typedef {object} Boot
 * @property {Me} me
 * @property {RoomListing[]} rooms
 * @property {RoomListing} [room]
 * @property {Partnership[]} [partnerships]
 */

/** @typedef {RoomListing & RoomCounts} ShellRoom a room with its live badge counts */

/** @typedef {NotificationEvent & {read: boolean}} Notification `GET /api/notifications/` */

/**
 * @typedef {object} Shell
 * @property {Boot} boot
 * @property {CausewaySocket} socket
 * @property {Map<number, ShellRoom>} rooms
 * @property {typeof toast} toast
 */

const WATCH_LIMIT = 60;
const POLL_EVERY = 30000;

/** @type {Record<SocketState, string>} */
const STATE_TEXT = {
  idle: "",
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
  "signed-out": "Signed out",
};

/**
 * Start what every page shares.
 * @param {{current?: number | null, isReading?: (room: number) => boolean}} [page]
 *   current: the room this page shows (it watches that one itself);
 *   isReading: whether the person is reading that room now (no badge for it)
 * @returns {Shell}
 */
export function startShell({ current = null, isReading = () => false } = {}) {
  const boot = /** @type {Boot} The page's own boot (frontend/views.py). */ (readBoot());
  const socket = new CausewaySocket();
  /** @type {Map<number, ShellRoom>} */
  const rooms = new Map(boot.rooms.map((r) => [r.id, { ...r, counted: new Set() }]));
  const shell = { boot, socket, rooms, toast };

  connectionIndicator(socket);
  mountNewConversation();
  notifications(socket, { isReading, rooms, me: boot.me });
  startSearch({ me: boot.me, rooms });
  startSwitcher({ rooms, current });
  // A frame the server refused for its size (socket.js): without this the
  // person would only see a message that never arrives. Sends it marked
  // failed are already told by the page ("Message not sent").
  socket.on("toolarge", ({ failed, detail }) => {
    if (!failed) toast("Message too large", detail, { kind: "alert" });
  });
  heldSendsNotice(socket);
  // You changed your profile (on another tab): this one shows you as you are now.
  socket.on("member.updated", ({ member }) => {
    if (member.id !== boot.me.id) return;
    Object.assign(boot.me, { name: member.name, handle: member.handle, title: member.title, avatar: member.avatar });
    const shown = $maybe(".me-name");
    if (shown) shown.textContent = member.name;
  });

  // Every room the person is in is watched from the seq the page was drawn
  // at, so a message that arrives anywhere updates its badge. The open room
  // is watched by the room page itself (from its history's head).
  // Past WATCH_LIMIT rooms, the least active are polled instead: every
  // subscribe is a frame, and a socket may send 120 frames per 10 s.
  const others = [...rooms.values()].filter((r) => r.id !== current).sort((a, b) => b.head_seq - a.head_seq);
  for (const room of others.slice(0, WATCH_LIMIT)) socket.watch(room.id, room.head_seq);
  if (others.length > WATCH_LIMIT) {
    const polled = new Set(others.slice(WATCH_LIMIT).map((r) => r.id));
    setInterval(async () => {
      try {
        /** @type {{rooms: RoomListing[]}} */
        const data = await get("/api/rooms/");
        for (const fresh of data.rooms) {
          const room = rooms.get(fresh.id);
          if (!room || !polled.has(fresh.id)) continue;
          takeCounts(room, fresh);
          drawBadges(room);
        }
      } catch {
        // next time
      }
    }, POLL_EVERY);
  }
  socket.on("message.new", (frame) => {
    const room = rooms.get(frame.room);
    if (room && countArrival(room, frame, { me: boot.me.id, reading: () => isReading(frame.room) })) drawBadges(room);
  });
  socket.on("unread", (frame) => {
    const room = rooms.get(frame.room);
    if (!room) return;
    applyUnread(room, frame);
    drawBadges(room);
  });
  // Too much was missed to replay: take the counts from the server again.
  socket.on("resync", async ({ room: roomId }) => {
    if (roomId === current || !rooms.has(roomId)) return;
    try {
      /** @type {{rooms: RoomListing[]}} */
      const data = await get("/api/rooms/");
      const fresh = data.rooms.find((r) => r.id === roomId);
      const room = rooms.get(roomId);
      if (!fresh || !room) return;
      takeCounts(room, fresh);
      room.counted.clear();
      drawBadges(room);
    } catch {
      // the badge stays as it was
    }
  });
  socket.on("room.updated", ({ room, name, topic }) => {
    for (const el of $all(`a[data-room="${room}"] .room-name`)) el.textContent = name;
    for (const el of $all(`a[data-room="${room}"] .room-topic`)) el.textContent = topic;
    const listed = rooms.get(room);
    if (listed) Object.assign(listed, { name, topic });
  });
  socket.on("room.removed", ({ room }) => {
    rooms.delete(room);
    dropRoom(room);
  });
  // Added to a room (by someone, or by accepting an invitation elsewhere):
  // it is listed and watched at once, and whoever added you is named.
  socket.on("room.added", ({ room, by }) => {
    if (!rooms.has(room.id)) {
      rooms.set(room.id, { ...room, counted: new Set() });
      if (room.id !== current) socket.watch(room.id, room.head_seq);
    }
    placeRoom(room, current);
    const listed = rooms.get(room.id);
    if (listed) drawBadges(listed);
    if (by) {
      const where =
        room.kind === "direct"
          ? `With ${room.name}`
          : room.partner
            ? `Shared with ${room.partner.name}`
            : `Internal: only ${boot.me.org?.name ?? "your organization"}`;
      const title = room.kind === "direct" ? `${by.name} started a conversation with you` : `${by.name} added you to ${room.name}`;
      toast(title, where, { href: roomLink(room.id) });
    }
  });
  // Archived and reopened rooms move between the lists' groups.
  socket.on("room.archived", ({ room: roomId, cause }) => {
    const room = rooms.get(roomId);
    if (!room) return;
    Object.assign(room, { archived: true, archived_cause: cause ?? "partnership_ended" });
    placeRoom(room, current);
    drawBadges(room);
  });
  socket.on("room.unarchived", ({ room: roomId }) => {
    const room = rooms.get(roomId);
    if (!room) return;
    room.archived = false;
    delete room.archived_cause;
    placeRoom(room, current);
    drawBadges(room);
  });
  for (const room of rooms.values()) drawBadges(room);
  queueMicrotask(() => socket.start());
  return shell;

  /** @param {ShellRoom} room */
  function drawBadges(room) {
    for (const badge of $all(`[data-unread="${room.id}"]`)) {
      badge.textContent = room.unread > 99 ? "99+" : String(room.unread);
      badge.hidden = room.unread === 0;
      badge.setAttribute("aria-label", `${room.unread} unread`);
    }
    for (const badge of $all(`[data-mentions="${room.id}"]`)) {
      badge.textContent = `@${room.mentions}`;
      badge.hidden = room.mentions === 0;
      badge.setAttribute("aria-label", `${room.mentions} mentions of you`);
    }
    for (const link of $all(`a[data-room="${room.id}"]`)) link.classList.toggle("has-unread", room.unread > 0);
    titleCounts.messages = [...rooms.values()].reduce((n, r) => n + r.unread, 0);
    drawTitle();
  }
}

/** What the page title counts: unread notifications, else a dot for unread messages. */
const titleCounts = { messages: 0, notifications: 0 };
function drawTitle() {
  const base = document.title.replace(/^(\(\d+\+?\) |• )/, "");
  const n = titleCounts.notifications;
  if (n) document.title = `(${n > 99 ? "99+" : n}) ${base}`;
  else document.title = titleCounts.messages ? `• ${base}` : base;
}

/** @param {CausewaySocket} socket */
function connectionIndicator(socket) {
  const pill = $maybe("#conn");
  if (!pill) return;
  const banner = $("#conn-banner");
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let bannerTimer;
  socket.on("state", ({ state }) => {
    pill.dataset.state = state;
    document.body.dataset.conn = state;
    $(".conn-text", pill).textContent = STATE_TEXT[state] ?? state;
    const trouble = state === "reconnecting" || state === "offline";
    clearTimeout(bannerTimer);
    if (trouble) {
      banner.textContent =
        state === "offline"
          ? "You are offline. Causeway reconnects when the network is back; anything you send now goes out then."
          : "Connection lost. Reconnecting… Anything you send now goes out when it is back.";
      banner.hidden = false;
    } else if (state === "live" && !banner.hidden) {
      banner.textContent = "Back online. You are up to date.";
      banner.classList.add("ok");
      bannerTimer = setTimeout(() => {
        banner.hidden = true;
        banner.classList.remove("ok");
      }, 1500);
    } else banner.hidden = true;
    if (trouble) banner.classList.remove("ok");
  });
}

/**
 * Bottom-corner messages; text only. A toast with a `key` replaces the one
 * showing with the same key (one notice that changes, not a stack), and stays
 * until `dismissToast(key)` or the person's ✕ when `sticky`.
 * @param {string} title
 * @param {string} [body]
 * @param {{href?: string | null, kind?: "info" | "alert", key?: string, sticky?: boolean}} [options]
 */
export function toast(title, body = "", { href = null, kind = "info", key = "", sticky = false } = {}) {
  let box = $maybe("#toasts");
  if (!box) {
    box = h("div", { id: "toasts", class: "toasts", role: "status", aria: { live: "polite" } });
    document.body.append(box);
  }
  const item = h(
    "div",
    { class: `toast toast-${kind}`, dataset: key ? { key } : {} },
    h("strong", {}, title),
    body ? h("p", {}, body) : null,
    href ? h("a", { href }, "Open") : null,
    h("button", { type: "button", class: "icon-button", aria: { label: "Dismiss" }, onclick: () => item.remove() }, "✕"),
  );
  const same = key ? box.querySelector(`[data-key="${CSS.escape(key)}"]`) : null;
  if (same) same.replaceWith(item);
  else box.append(item);
  if (!sticky) setTimeout(() => item.remove(), 8000);
}

/** @param {string} key */
export function dismissToast(key) {
  $maybe("#toasts")?.querySelector(`[data-key="${CSS.escape(key)}"]`)?.remove();
}

/**
 * Sends held by the rate limit (socket.js): one notice that counts down and
 * goes when they have gone, instead of a "Message not sent" for each.
 * @param {CausewaySocket} socket
 */
function heldSendsNotice(socket) {
  const held = new Set();
  /** @type {number | undefined} */
  let ticker;
  const draw = () => {
    const n = held.size;
    const what = n === 1 ? "Your message goes" : `Your ${n} messages go`;
    toast("Sending paused", `You are sending faster than allowed. ${what} by themselves in ${socket.holdLeft} s.`, { key: "held-sends", sticky: true });
  };
  socket.on("sendsheld", ({ client_ids: ids }) => {
    for (const id of ids) held.add(id);
    draw();
    clearInterval(ticker);
    ticker = setInterval(() => (socket.holding ? draw() : clearInterval(ticker)), 1000);
  });
  socket.on("sendsreleased", ({ client_ids: ids }) => {
    for (const id of ids) held.delete(id);
    if (held.size) return;
    clearInterval(ticker);
    dismissToast("held-sends");
  });
}

/**
 * Where a notification leads: its message; its work item, in the item's own
 * room (an escalation's `room` is the side's escalation room); its room.
 * @param {NotificationEvent} n
 */
export function notificationHref(n) {
  if (n.message && n.room) return permalink(n.room, n.message);
  if (n.work_item && n.work_item_room) return itemLink(n.work_item_room, n.work_item);
  return n.room ? roomLink(n.room) : "/";
}

/**
 * The bell (the person's notifications, unread first), and how a new one is
 * announced: a toast unless it is about the room being read, the browser's
 * notification when the tab is hidden, nothing in quiet hours. The page
 * title counts the unread ones.
 * @param {CausewaySocket} socket
 * @param {{isReading: (room: number) => boolean, rooms: Map<number, ShellRoom>, me: Me}} where
 */
function notifications(socket, { isReading, rooms, me }) {
  const bell = $maybe("#bell");
  if (!bell) return;
  const count = $("#bell-count");
  const panel = $("#notif-panel");
  const list = $("#notif-list");
  /** @type {Notification[]} */
  let items = [];
  /** @type {NotificationSettingsData | null} the person's quiet hours, for room-level notices */
  let settings = null;
  /** @type {Promise<{settings: NotificationSettingsData}>} */
  const settingsLoaded = get("/api/me/notifications/");
  settingsLoaded
    .then((data) => {
      settings = data.settings;
    })
    .catch(() => {});

  const askDesktop = h("button", { type: "button", class: "link ask-desktop", hidden: !canAskForDesktop() }, "Also notify me in this browser's notifications when this tab is in the background");
  askDesktop.addEventListener("click", async () => {
    await Notification.requestPermission();
    askDesktop.hidden = !canAskForDesktop();
  });
  panel.append(askDesktop);

  const draw = () => {
    const unread = items.filter((n) => !n.read).length;
    count.hidden = unread === 0;
    count.textContent = unread > 99 ? "99+" : String(unread);
    bell.setAttribute("aria-label", unread ? `Notifications, ${unread} unread` : "Notifications");
    titleCounts.notifications = unread;
    drawTitle();
    // Unread first, each part newest first.
    const ordered = [...items.filter((n) => !n.read), ...items.filter((n) => n.read)];
    list.replaceChildren(
      ...(ordered.length
        ? ordered.slice(0, 30).map((n) =>
            h(
              "li",
              { class: n.read ? "" : "unread" },
              h("a", { href: notificationHref(n) }, h("strong", {}, n.title), h("span", { class: "notif-body" }, n.body)),
              timeEl(n.created_at),
            ),
          )
        : [h("li", { class: "muted empty" }, "Nothing yet.")]),
    );
  };

  /** @type {Promise<{notifications: Notification[]}>} */
  const loaded = get("/api/notifications/");
  loaded
    .then((data) => {
      items = data.notifications;
      draw();
    })
    .catch(() => {});

  socket.on("notification", (frame) => {
    items.unshift({ ...frame, read: false });
    draw();
    if (frame.quiet) return;
    const href = notificationHref(frame);
    if (desktopNotice(frame.title, frame.body, href, `notification-${frame.id}`)) return;
    if (frame.room !== null && isReading(frame.room) && frame.kind !== "assigned" && !frame.kind.startsWith("escalation")) return;
    toast(frame.title, frame.body, { href, kind: "alert" });
  });
  socket.on("notifications.updated", ({ read, removed }) => {
    const gone = new Set(removed);
    const seen = new Set(read);
    items = items.filter((n) => !gone.has(n.id)).map((n) => (seen.has(n.id) ? { ...n, read: true } : n));
    draw();
  });
  // A room set to "All messages": every new message there is announced too
  // (the bell keeps to what concerns you).
  socket.on("message.new", ({ room: roomId, message }) => {
    const room = rooms.get(roomId);
    if (!room || room.notify !== "all" || message.author.id === me.id || isReading(roomId)) return;
    if (settings && isQuiet(settings, new Date())) return;
    const title = `${message.author.name} in ${room.name}`;
    const href = permalink(roomId, message.id);
    if (!desktopNotice(title, message.body, href, `room-${roomId}`)) toast(title, message.body, { href });
  });

  const close = () => {
    panel.hidden = true;
    bell.setAttribute("aria-expanded", "false");
  };
  bell.addEventListener("click", async () => {
    if (!panel.hidden) return close();
    panel.hidden = false;
    bell.setAttribute("aria-expanded", "true");
    if (items.some((n) => !n.read)) {
      try {
        await post("/api/notifications/", { ids: "all" });
        items = items.map((n) => ({ ...n, read: true }));
        setTimeout(draw, 1500); // let the person see which were new first
      } catch {
        // stays unread; nothing else to do
      }
    }
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !panel.hidden) {
      e.preventDefault();
      close();
      bell.focus();
    }
  });
  document.addEventListener("click", (e) => {
    const target = e.target instanceof Node ? e.target : null;
    if (!panel.hidden && !panel.contains(target) && !bell.contains(target)) close();
  });
}
