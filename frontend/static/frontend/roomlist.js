// @ts-check
// The person's rooms as links, kept live: the sidebar (room page) and the
// cards (home page), grouped as the server draws them (frontend/views.py
// `_groups`, includes/room_link.html): shared by partner, internal, archived.
// A room you are added to (`room.added`) appears in its group; a room that is
// archived or reopened moves between the groups.

import { $all, h } from "./dom.js";
import { roomLink } from "./links.js";

/** @import { RoomListing } from "./api.js" */

/**
 * The group a room belongs in, as `data-group` (and `data-partner`) name it.
 * Shared rooms are grouped by the partner's name, as the server groups them.
 * @param {Pick<RoomListing, "archived" | "partner" | "kind">} room
 * @returns {{group: "direct" | "shared" | "internal" | "archived", partner: string | null}}
 */
export function groupOf(room) {
  if (room.archived) return { group: "archived", partner: null };
  if (room.kind === "direct") return { group: "direct", partner: null };
  if (room.partner) return { group: "shared", partner: room.partner.name };
  return { group: "internal", partner: null };
}

/**
 * One room's link, as includes/room_link.html draws it.
 * @param {RoomListing} room
 * @param {{cards: boolean}} where the home page's cards (with the topic), or the sidebar
 */
export function roomItem(room, { cards }) {
  return h(
    "li",
    { class: "room-item" },
    h(
      "a",
      { class: "room-link", href: roomLink(room.id), dataset: { room: room.id } },
      h("span", { class: `room-icon room-icon-${room.kind}`, aria: { hidden: "true" } }),
      h("span", { class: "room-text" }, h("span", { class: "room-name" }, room.name), cards && room.topic ? h("span", { class: "room-topic" }, room.topic) : null),
      h(
        "span",
        { class: "room-badges" },
        h("span", { class: "mention-badge", dataset: { mentions: room.id }, hidden: !room.mentions, aria: { label: `${room.mentions} mentions of you` } }, `@${room.mentions}`),
        h("span", { class: "badge", dataset: { unread: room.id }, hidden: !room.unread, aria: { label: `${room.unread} unread` } }, String(room.unread)),
      ),
    ),
  );
}

/**
 * The list a room goes in, in one place (the sidebar or the home page's
 * rooms), made if it is not there yet (a first room shared with a partner).
 * @param {HTMLElement} container `nav.sidebar` or `.home-rooms`
 * @param {RoomListing} room
 */
function listFor(container, room) {
  const { group, partner } = groupOf(room);
  const lists = [...container.querySelectorAll("ul[data-group]")].filter((ul) => ul instanceof HTMLElement);
  const found = lists.find((ul) => ul.dataset.group === group && (partner === null || ul.dataset.partner === partner));
  if (found) return found;
  const cards = container.classList.contains("home-rooms");
  const list = h("ul", { class: cards ? "room-cards" : "room-list", dataset: { group, partner: partner ?? "" } });
  const title = `Shared with ${room.partner?.name ?? ""}`;
  // A new partner's group goes before the internal rooms, as the server orders them.
  const internal = lists.find((ul) => ul.dataset.group === "internal");
  if (cards) {
    const box = h("div", { class: "room-group shared-group" }, h("h2", {}, title), list);
    const before = internal?.closest(".room-group");
    if (before) before.before(box);
    else container.append(box);
  } else {
    const heading = h("h2", { class: "side-heading" }, title);
    const before = internal?.previousElementSibling;
    if (before) before.before(heading, list);
    else container.append(heading, list);
  }
  return list;
}

/**
 * Hide a shared or archived group that lists nothing (its rooms were all
 * archived, reopened or left), and show it again when it does.
 */
function drawHeadings() {
  for (const list of $all('ul[data-group="shared"], ul[data-group="archived"], ul[data-group="direct"]')) {
    const empty = !list.querySelector(".room-item");
    const group = list.closest(".room-group");
    if (group instanceof HTMLElement) group.hidden = empty;
    else if (list.dataset.group !== "direct") {
      const heading = list.previousElementSibling;
      if (heading instanceof HTMLElement && heading.tagName === "H2") heading.hidden = empty;
      list.hidden = empty;
    }
  }
}

/**
 * Put the room's link in its group, in every list of rooms on the page
 * (moving it there if it is listed elsewhere), in the server's order: by name.
 * @param {RoomListing} room
 * @param {number | null} [current] the room this page shows (its sidebar link is marked)
 */
export function placeRoom(room, current = null) {
  for (const container of $all("nav.sidebar, .home-rooms")) {
    const cards = container.classList.contains("home-rooms");
    container.querySelector(`a[data-room="${room.id}"]`)?.closest("li")?.remove();
    const list = listFor(container, room);
    for (const empty of list.querySelectorAll(":scope > li.muted")) empty.remove();
    const item = roomItem(room, { cards });
    if (room.id === current) {
      const link = item.querySelector("a");
      link?.classList.add("current");
      link?.setAttribute("aria-current", "page");
    }
    const after = [...list.querySelectorAll(":scope > .room-item")].find(
      (li) => (li.querySelector(".room-name")?.textContent ?? "").localeCompare(room.name) > 0,
    );
    if (after) after.before(item);
    else list.append(item);
  }
  drawHeadings();
}

/**
 * Take the room's links away (you left it, or were removed).
 * @param {number} roomId
 */
export function dropRoom(roomId) {
  for (const el of $all(`a[data-room="${roomId}"]`)) el.closest("li")?.remove();
  drawHeadings();
}
