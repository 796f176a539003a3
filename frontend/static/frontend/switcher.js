// @ts-check
// Ctrl+K (Cmd+K on a Mac): switch rooms from the keyboard. A dialog with a
// combobox: type part of a room's name (or the partner's), arrows move,
// Enter opens, Escape closes and gives the focus back. Without words it
// lists the rooms with something unread first, then the rest by name.
// Archived rooms come last. The rooms are the page's own list (shell.js).

import { h } from "./dom.js";
import { roomLink } from "./links.js";

/** @import { RoomListing } from "./api.js" */

/**
 * Fold case and accents: "Zürich" matches "zurich".
 * @param {string} text
 */
function fold(text) {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

/**
 * The rooms to offer for `words`, best first: every word must start a word
 * of the room's name or its partner's name (a name starting with the words
 * first); no words: unread (mentions first), then by name. Archived last.
 * @param {Iterable<RoomListing>} rooms
 * @param {string} words
 * @param {number | null} [current] the room open now: offered last
 * @returns {RoomListing[]}
 */
export function rankRooms(rooms, words, current = null) {
  const wanted = fold(words).split(/\s+/u).filter(Boolean);
  /** @param {RoomListing} r */
  const haystack = (r) => fold(`${r.name} ${r.partner?.name ?? ""}`).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  /** @param {RoomListing} r */
  const score = (r) => {
    let s = 0;
    if (r.archived) s += 100;
    if (r.id === current) s += 50;
    if (wanted.length) {
      if (!fold(r.name).startsWith(wanted[0] ?? "")) s += 10;
    } else {
      if (!r.unread) s += 10;
      if (!r.mentions) s += 5;
    }
    return s;
  };
  return [...rooms]
    .filter((r) => {
      const parts = haystack(r);
      return wanted.every((w) => parts.some((p) => p.startsWith(w)));
    })
    .sort((a, b) => score(a) - score(b) || a.name.localeCompare(b.name));
}

/**
 * What kind of room, in words, as the sidebar groups them.
 * @param {RoomListing} r
 */
function whereText(r) {
  if (r.kind === "direct") return r.partner ? `Direct · with ${r.partner.name}` : "Direct";
  return r.kind === "shared" ? `Shared with ${r.partner?.name ?? "partner"}` : "Internal";
}

/**
 * @param {{rooms: Map<number, RoomListing>, current: number | null}} where
 */
export function startSwitcher({ rooms, current }) {
  /** @type {ReturnType<typeof buildSwitcher> | null} */
  let switcher = null;
  document.addEventListener("keydown", (event) => {
    const chord = (event.ctrlKey || event.metaKey) && !event.shiftKey && !event.altKey && event.key.toLowerCase() === "k";
    if (!chord) return;
    event.preventDefault();
    if (document.querySelector("dialog[open]")) return;
    switcher ??= buildSwitcher({ rooms, current });
    switcher.open();
  });
}

/**
 * @param {{rooms: Map<number, RoomListing>, current: number | null}} where
 */
function buildSwitcher({ rooms, current }) {
  const input = h("input", {
    type: "text",
    id: "switch-q",
    class: "search-q",
    role: "combobox",
    placeholder: "Jump to a room",
    autocomplete: "off",
    spellcheck: false,
    aria: { label: "Room name", controls: "switch-list", expanded: "true", autocomplete: "list" },
  });
  const list = h("ul", { id: "switch-list", class: "switch-list", role: "listbox", aria: { label: "Rooms" } });
  const empty = h("p", { class: "muted switch-empty", role: "status" });
  const el = h(
    "dialog",
    { class: "search-dialog switch-dialog", aria: { labelledby: "switch-title" } },
    h("h2", { class: "sr-only", id: "switch-title" }, "Switch rooms"),
    h("div", { class: "search-bar" }, input),
    list,
    empty,
    h("p", { class: "muted switch-help" }, "↑ ↓ to move · Enter to open · Esc to close"),
  );
  document.body.append(el);
  /** @type {RoomListing[]} */
  let shown = [];
  let active = 0;
  /** @type {Element | null} */
  let returnFocus = null;

  const draw = () => {
    shown = rankRooms(rooms.values(), input.value, current);
    active = Math.min(active, Math.max(0, shown.length - 1));
    list.replaceChildren(
      ...shown.map((r, i) =>
        h(
          "li",
          {
            id: `switch-${r.id}`,
            role: "option",
            class: `switch-option${i === active ? " active" : ""}`,
            aria: { selected: i === active ? "true" : "false" },
            onclick: () => go(r),
          },
          h("span", { class: `dot dot-${r.kind}`, aria: { hidden: "true" } }),
          h("span", { class: "switch-name" }, r.name),
          h("span", { class: "muted switch-where" }, whereText(r)),
          r.archived ? h("span", { class: "muted" }, " · archived") : null,
          r.unread ? h("span", { class: "badge", aria: { label: `${r.unread} unread` } }, String(r.unread)) : null,
        ),
      ),
    );
    empty.textContent = shown.length ? "" : "No room by that name.";
    const option = shown[active];
    if (option) {
      input.setAttribute("aria-activedescendant", `switch-${option.id}`);
      document.getElementById(`switch-${option.id}`)?.scrollIntoView({ block: "nearest" });
    } else input.removeAttribute("aria-activedescendant");
  };
  /** @param {RoomListing} r */
  const go = (r) => {
    el.close();
    location.assign(roomLink(r.id));
  };
  input.addEventListener("input", () => {
    active = 0;
    draw();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!shown.length) return;
      active = (active + (event.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
      draw();
    } else if (event.key === "Enter") {
      event.preventDefault();
      const option = shown[active];
      if (option) go(option);
    }
  });
  el.addEventListener("close", () => {
    if (returnFocus instanceof HTMLElement && returnFocus.isConnected) returnFocus.focus({ preventScroll: true });
  });
  el.addEventListener("click", (event) => {
    if (event.target === el) el.close(); // the backdrop
  });
  return {
    open() {
      returnFocus = document.activeElement;
      input.value = "";
      active = 0;
      draw();
      el.showModal();
      input.focus();
    },
  };
}
