// @ts-check
// Search (GET /api/search/, docs/protocol.md): a dialog opened by the top
// bar's Search button, "/" (when not typing) or Ctrl+Shift+F (Cmd+Shift+F). Results come as the person types,
// ranked by the server and grouped by room, each with the passage that
// matched; filters narrow by room, person, organization, dates, threads and
// files; "More results" pages on. A result opens its permalink (the room
// around the message). What is searched is decided by the server, at the time
// of the query: only rooms the person is in now.

import { get } from "./api.js";
import { h, plural, timeEl } from "./dom.js";
import { errorText } from "./errors.js";
import { permalink } from "./links.js";

/** @import { Me, RoomListing } from "./api.js" */
/** @import { PersonRef, SearchHit, SearchResults } from "./wire.gen.js" */

const TYPING_PAUSE_MS = 250;

/**
 * The start of a local calendar day as an ISO moment with the browser's offset
 * (the server reads dates without one as UTC).
 * @param {string} day YYYY-MM-DD from a date input
 * @param {number} [addDays]
 */
export function localDayStart(day, addDays = 0) {
  const [y, m, d] = day.split("-").map(Number);
  const t = new Date(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + addDays);
  const offset = -t.getTimezoneOffset();
  /** @param {number} n */
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  const sign = offset >= 0 ? "+" : "-";
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}T00:00:00${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}

/**
 * The search dialog, built on first use.
 * @param {{me: Me, rooms: Map<number, RoomListing>}} where
 */
export function startSearch({ me, rooms }) {
  const opener = document.getElementById("search-open");
  if (!opener) return;
  /** @type {ReturnType<typeof buildDialog> | null} */
  let dialog = null;
  const open = () => {
    dialog ??= buildDialog({ me, rooms });
    dialog.open(opener);
  };
  opener.addEventListener("click", open);
  document.addEventListener("keydown", (event) => {
    // Ctrl+Shift+F (Cmd+Shift+F) anywhere; "/" when not typing.
    const chord = (event.ctrlKey || event.metaKey) && event.shiftKey && event.key.toLowerCase() === "f";
    if (chord && !document.querySelector("dialog[open]")) {
      event.preventDefault();
      open();
      return;
    }
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    const typing =
      target instanceof HTMLInputElement ||
      target instanceof HTMLTextAreaElement ||
      target instanceof HTMLSelectElement ||
      (target instanceof HTMLElement && target.isContentEditable);
    if (typing || document.querySelector("dialog[open]")) return;
    event.preventDefault();
    open();
  });
}

/**
 * @param {{me: Me, rooms: Map<number, RoomListing>}} where
 */
function buildDialog({ me, rooms }) {
  const input = h("input", {
    type: "search",
    id: "search-q",
    class: "search-q",
    placeholder: "Search messages and files",
    autocomplete: "off",
    spellcheck: false,
    aria: { label: "Search messages", controls: "search-results", describedby: "search-help" },
  });
  const roomSelect = h(
    "select",
    { id: "search-room" },
    h("option", { value: "" }, "Any room"),
    ...[...rooms.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((r) => h("option", { value: String(r.id) }, r.kind === "internal" ? `${r.name} (internal)` : r.name)),
  );
  const personSelect = h("select", { id: "search-person" }, h("option", { value: "" }, "Anyone"));
  const orgs = new Map();
  if (me.org) orgs.set(me.org.id, me.org.name);
  for (const r of rooms.values()) if (r.partner) orgs.set(r.partner.id, r.partner.name);
  const orgSelect = h(
    "select",
    { id: "search-org" },
    h("option", { value: "" }, "Either company"),
    ...[...orgs].map(([id, name]) => h("option", { value: String(id) }, name)),
  );
  const from = h("input", { type: "date", id: "search-from" });
  const to = h("input", { type: "date", id: "search-to" });
  const inThread = h("input", { type: "checkbox", id: "search-thread" });
  const withFiles = h("input", { type: "checkbox", id: "search-files" });
  /** @param {string} id @param {string} text @param {HTMLElement} control */
  const labelled = (id, text, control) => h("label", { class: "search-filter", for: id }, h("span", {}, text), control);
  const filters = h(
    "fieldset",
    { class: "search-filters" },
    h("legend", { class: "sr-only" }, "Filters"),
    labelled("search-room", "Room", roomSelect),
    labelled("search-person", "From", personSelect),
    labelled("search-org", "Company", orgSelect),
    labelled("search-from", "On or after", from),
    labelled("search-to", "On or before", to),
    h("label", { class: "search-check", for: "search-thread" }, inThread, " In threads"),
    h("label", { class: "search-check", for: "search-files" }, withFiles, " With files"),
  );
  const status = h("p", { class: "search-status muted", role: "status", aria: { live: "polite" } });
  const results = h("div", { id: "search-results", class: "search-results" });
  const more = h("button", { type: "button", class: "button", hidden: true }, "More results");
  const close = h("button", { type: "button", class: "icon-button search-close", aria: { label: "Close search" } }, "✕");
  const heading = h("h2", { class: "sr-only", id: "search-title" }, "Search");
  const el = h(
    "dialog",
    { class: "search-dialog", aria: { labelledby: "search-title" } },
    heading,
    h(
      "form",
      { class: "search-form", role: "search", onsubmit: (/** @type {Event} */ e) => (e.preventDefault(), run()) },
      h("div", { class: "search-bar" }, input, close),
      h(
        "p",
        { class: "search-help muted", id: "search-help" },
        'Every word must match, in any form ("orders" finds "ordered"). "Quotes" for a phrase, -word to leave out.',
      ),
      // Folded on a phone, where the results need the height.
      h(
        "details",
        { class: "search-filters-box", open: !matchMedia("(max-width: 700px)").matches },
        h("summary", {}, "Filters"),
        filters,
      ),
    ),
    status,
    results,
    h("div", { class: "search-more" }, more),
  );
  document.body.append(el);

  /** @type {HTMLElement | null} */
  let returnFocus = null;
  let asked = 0; // the latest query's number: answers to older ones are dropped
  /** @type {number | null} */
  let next = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let pause;
  let peopleLoaded = false;

  function params() {
    const p = new URLSearchParams();
    p.set("q", input.value);
    if (roomSelect.value) p.set("room", roomSelect.value);
    if (personSelect.value) p.set("person", personSelect.value);
    if (orgSelect.value) p.set("organization", orgSelect.value);
    if (from.value) p.set("after", localDayStart(from.value));
    if (to.value) p.set("before", localDayStart(to.value, 1));
    if (inThread.checked) p.set("in_thread", "true");
    if (withFiles.checked) p.set("has_files", "true");
    return p;
  }

  function filtered() {
    return [...params().keys()].some((k) => k !== "q");
  }

  async function run(offset = 0) {
    clearTimeout(pause);
    const hasWords = /\w/u.test(input.value);
    if (!hasWords && !filtered()) {
      asked += 1;
      results.replaceChildren();
      status.textContent = "";
      more.hidden = true;
      return;
    }
    const mine = ++asked;
    const p = params();
    if (offset) p.set("offset", String(offset));
    status.textContent = "Searching…";
    try {
      /** @type {SearchResults} */
      const data = await get(`/api/search/?${p}`);
      if (mine !== asked) return;
      if (!offset) results.replaceChildren();
      for (const hit of data.results) place(hit);
      next = data.next;
      more.hidden = next === null;
      const shown = results.querySelectorAll(".search-hit").length;
      status.textContent = shown ? `${plural(shown, "message")}${next === null ? "" : " so far"}` : "No messages match.";
    } catch (error) {
      if (mine === asked) status.textContent = `Search failed: ${errorText(error)}`;
    }
  }

  /** @param {SearchHit} hit */
  function place(hit) {
    const { room, message } = hit;
    let group = results.querySelector(`[data-room="${room.id}"] ol`);
    if (!group) {
      const listed = rooms.get(room.id);
      const where =
        room.kind === "direct"
          ? h("span", { class: `badge ${listed?.partner ? "shared" : "internal"}` }, "Direct")
          : room.kind === "shared"
            ? h("span", { class: "badge shared" }, listed?.partner ? `Shared with ${listed.partner.name}` : "Shared")
            : h("span", { class: "badge internal" }, "Internal");
      group = h("ol", { class: "search-hits" });
      results.append(
        h("section", { class: "search-group", dataset: { room: room.id } }, h("h3", {}, room.name, " ", where), group),
      );
    }
    const partner = message.author.org && me.org && message.author.org.id !== me.org.id;
    group.append(
      h(
        "li",
        { class: "search-hit" },
        h(
          "a",
          { href: permalink(room.id, message.id), class: "search-link" },
          h(
            "span",
            { class: "search-meta" },
            h("strong", {}, message.author.name),
            " ",
            h("span", { class: `org-badge ${partner ? "partner" : "mine"}` }, message.author.org?.name ?? ""),
            message.thread !== null ? h("span", { class: "muted" }, " in a thread") : null,
            " ",
            timeEl(message.created_at),
          ),
          h(
            "span",
            { class: "search-snippet" },
            ...hit.snippet.map((part) => (part.hit ? h("mark", {}, part.text) : part.text)),
            message.files.length ? h("span", { class: "muted" }, ` · ${plural(message.files.length, "file")}`) : null,
          ),
        ),
      ),
    );
  }

  async function loadPeople() {
    if (peopleLoaded) return;
    peopleLoaded = true;
    try {
      /** @type {{people: PersonRef[]}} */
      const data = await get("/api/people/");
      for (const person of data.people) {
        const org = person.org ? ` (${person.org.name})` : "";
        personSelect.append(h("option", { value: String(person.id) }, `${person.name}${org}`));
      }
    } catch {
      peopleLoaded = false; // tried again next time the dialog opens
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(pause);
    pause = setTimeout(() => run(), TYPING_PAUSE_MS);
  });
  filters.addEventListener("change", () => run());
  more.addEventListener("click", () => {
    if (next !== null) run(next);
  });
  close.addEventListener("click", () => el.close());
  el.addEventListener("close", () => {
    if (returnFocus?.isConnected) returnFocus.focus({ preventScroll: true });
  });
  // Escape closes (a search field would only clear itself); arrow keys move
  // between the input and the results.
  el.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      el.close();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const links = [...results.querySelectorAll(".search-link")];
    if (!links.length) return;
    const at = links.indexOf(/** @type {Element} */ (document.activeElement));
    if (at === -1 && document.activeElement !== input) return;
    event.preventDefault();
    const step = event.key === "ArrowDown" ? 1 : -1;
    const target = at === -1 ? (step === 1 ? links[0] : null) : links[at + step];
    if (target instanceof HTMLElement) target.focus();
    else if (at === 0 && step === -1) input.focus();
  });

  return {
    /** @param {HTMLElement} from */
    open(from) {
      returnFocus = from;
      if (!el.open) el.showModal();
      input.focus();
      input.select();
      loadPeople();
    },
    el,
  };
}

