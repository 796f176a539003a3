// What every signed-in page shares: the socket, the connection indicator,
// the notification bell and toasts, and the live unread and mention badges
// of the person's rooms (sidebar on the room page, cards on the home page).

import { get, post } from "./api.js";
import { $, $all, h, readBoot, timeEl } from "./dom.js";
import { CausewaySocket } from "./socket.js";

const WATCH_LIMIT = 60;
const POLL_EVERY = 30000;

const STATE_TEXT = {
  idle: "",
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
  "signed-out": "Signed out",
};

export function startShell({ current = null, isReading = () => false } = {}) {
  const boot = readBoot();
  const socket = new CausewaySocket();
  const rooms = new Map(boot.rooms.map((r) => [r.id, { ...r, counted: new Set() }]));
  const shell = { boot, socket, rooms, toast };

  connectionIndicator(socket);
  notifications(socket);
  // A frame the server refused for its size (socket.js): without this the
  // person would only see a message that never arrives. Sends it marked
  // failed are already told by the page ("Message not sent").
  socket.addEventListener("toolarge", (e) => {
    if (!e.detail.failed) toast("Message too large", e.detail.detail, { kind: "alert" });
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
        for (const fresh of (await get("/api/rooms/")).rooms) {
          const room = rooms.get(fresh.id);
          if (!room || !polled.has(fresh.id)) continue;
          Object.assign(room, { unread: fresh.unread, mentions: fresh.mentions, last_read_seq: fresh.last_read_seq });
          drawBadges(room);
        }
      } catch {
        // next time
      }
    }, POLL_EVERY);
  }
  socket.addEventListener("message.new", (e) => {
    const { room: roomId, message } = e.detail;
    const room = rooms.get(roomId);
    if (!room) return;
    room.head_seq = Math.max(room.head_seq, e.detail.seq);
    if (message.author.id === boot.me.id || message.deleted) return;
    if (message.seq <= room.last_read_seq || room.counted.has(message.id)) return;
    if (isReading(roomId)) return;
    room.counted.add(message.id);
    room.unread += 1;
    if (message.mentions?.includes(boot.me.id)) room.mentions += 1;
    drawBadges(room);
  });
  socket.addEventListener("unread", (e) => {
    const room = rooms.get(e.detail.room);
    if (!room) return;
    room.unread = e.detail.count;
    room.last_read_seq = e.detail.last_read_seq;
    if (room.unread === 0 || room.last_read_seq >= room.head_seq) room.mentions = 0;
    else room.mentions = Math.min(room.mentions, room.unread);
    drawBadges(room);
  });
  // Too much was missed to replay: take the counts from the server again.
  socket.addEventListener("resync", async (e) => {
    if (e.detail.room === current || !rooms.has(e.detail.room)) return;
    try {
      const fresh = (await get("/api/rooms/")).rooms.find((r) => r.id === e.detail.room);
      const room = rooms.get(e.detail.room);
      if (!fresh || !room) return;
      Object.assign(room, { unread: fresh.unread, mentions: fresh.mentions, last_read_seq: fresh.last_read_seq });
      room.counted.clear();
      drawBadges(room);
    } catch {
      // the badge stays as it was
    }
  });
  socket.addEventListener("room.updated", (e) => {
    for (const el of $all(`a[data-room="${e.detail.room}"] .room-name`)) el.textContent = e.detail.name;
  });
  socket.addEventListener("room.removed", (e) => {
    rooms.delete(e.detail.room);
    for (const el of $all(`a[data-room="${e.detail.room}"]`)) el.closest("li")?.remove();
  });
  for (const room of rooms.values()) drawBadges(room);
  queueMicrotask(() => socket.start());
  return shell;

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
    const total = [...rooms.values()].reduce((n, r) => n + r.unread, 0);
    document.title = document.title.replace(/^\(\d+\+?\) /, "");
    if (total) document.title = `(${total > 99 ? "99+" : total}) ${document.title}`;
  }
}

function connectionIndicator(socket) {
  const pill = $("#conn");
  const banner = $("#conn-banner");
  if (!pill) return;
  let bannerTimer = null;
  socket.addEventListener("state", (e) => {
    const { state } = e.detail;
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

/** Bottom-corner messages; text only. */
export function toast(title, body = "", { href = null, kind = "info" } = {}) {
  let box = $("#toasts");
  if (!box) {
    box = h("div", { id: "toasts", class: "toasts", role: "status", aria: { live: "polite" } });
    document.body.append(box);
  }
  const item = h(
    "div",
    { class: `toast toast-${kind}` },
    h("strong", {}, title),
    body ? h("p", {}, body) : null,
    href ? h("a", { href }, "Open") : null,
    h("button", { type: "button", class: "icon-button", aria: { label: "Dismiss" }, onclick: () => item.remove() }, "✕"),
  );
  box.append(item);
  setTimeout(() => item.remove(), 8000);
}

function notificationHref(n) {
  if (!n.room) return "/";
  return n.work_item ? `/rooms/${n.room}/?item=${n.work_item}` : `/rooms/${n.room}/`;
}

function notifications(socket) {
  const bell = $("#bell");
  if (!bell) return;
  const count = $("#bell-count");
  const panel = $("#notif-panel");
  const list = $("#notif-list");
  let items = [];

  const draw = () => {
    const unread = items.filter((n) => !n.read).length;
    count.hidden = unread === 0;
    count.textContent = unread > 99 ? "99+" : String(unread);
    bell.setAttribute("aria-label", unread ? `Notifications, ${unread} unread` : "Notifications");
    list.replaceChildren(
      ...(items.length
        ? items.slice(0, 30).map((n) =>
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

  get("/api/notifications/")
    .then((data) => {
      items = data.notifications;
      draw();
    })
    .catch(() => {});

  socket.addEventListener("notification", (e) => {
    items.unshift({ ...e.detail, read: false });
    draw();
    toast(e.detail.title, e.detail.body, { href: notificationHref(e.detail), kind: "alert" });
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
    if (!panel.hidden && !panel.contains(e.target) && !bell.contains(e.target)) close();
  });
}
