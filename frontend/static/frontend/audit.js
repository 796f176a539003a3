// @ts-check
// The audit log page (/organization/audit/, the organization's admins only):
// the filters are the server's form; this reads pages of
// GET /api/organization/audit/ into the table, newest first, and keeps the
// download links' filters the same as the table's. The words for each kind of
// entry ("label") come from the server, never from here.

import { get } from "./api.js";
import { $, h, plural } from "./dom.js";
import { errorText } from "./errors.js";

/** @import { AuditLogPage, AuditRow } from "./wire.gen.js" */

const form = /** @type {HTMLFormElement} */ ($("#audit-filters"));
const rows = $("#audit-rows");
const more = /** @type {HTMLButtonElement} */ ($("#audit-more"));
const status = $("#audit-status");
const problem = $("#audit-error");
const zone = $("#audit-table").dataset.timeZone || "UTC";

/** The person's own zone, as the server reads the filter's days; the browser's if unknown. */
function timeFormat() {
  try {
    return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium", timeZone: zone });
  } catch {
    return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
  }
}
const when = timeFormat();

/** The form's filters as a query string (empty ones left out). */
function filters() {
  const query = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    if (typeof value === "string" && value) query.set(name, value);
  }
  return query;
}

// The organization's own people, by id (the "Who" filter's options): an entry's data
// names people by id, shown here by name where they are one's own.
const names = new Map(
  [...(/** @type {HTMLSelectElement} */ ($("#audit-person")).options)]
    .filter((option) => option.value)
    .map((option) => [Number(option.value), option.dataset.name ?? ""]),
);
const PERSON_KEYS = new Set(["person", "author", "people"]);

/**
 * @param {string} key
 * @param {unknown} value
 */
function shown(key, value) {
  if (PERSON_KEYS.has(key)) {
    const ids = Array.isArray(value) ? value : [value];
    if (ids.every((id) => typeof id === "number")) return ids.map((id) => names.get(id) ?? `#${id}`).join(", ");
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** @param {AuditRow} entry */
function row(entry) {
  // A partner's person shows their organization where one's own shows an address.
  const who = entry.actor
    ? h("td", { "data-label": "Who" }, h("span", { class: "audit-name" }, entry.actor.name), h("span", { class: "muted small audit-email" }, entry.actor.email || entry.actor.organization))
    : h("td", { class: "muted", "data-label": "Who" }, "system");
  const details = Object.entries(entry.data).filter(([, value]) => value !== null && value !== "");
  return h(
    "tr",
    { "data-entry": String(entry.id) },
    h("td", { "data-label": "When" }, h("time", { datetime: entry.at }, when.format(new Date(entry.at)))),
    who,
    h("td", { "data-label": "What" }, entry.label, h("span", { class: "muted small audit-kind" }, entry.action)),
    h("td", { "data-label": "Target" }, entry.target.id === null ? entry.target.type : `${entry.target.type} #${entry.target.id}`),
    h("td", { "data-label": "Details" }, details.length ? h("dl", { class: "audit-data" }, ...details.flatMap(([key, value]) => [h("dt", {}, key), h("dd", {}, shown(key, value))])) : h("span", { class: "muted" }, "—")),
  );
}

/** @type {number | null} */
let nextBefore = null;

/** A page of entries: the first (replacing the table) or the next older one. */
async function load(older = false) {
  const query = filters();
  if (older && nextBefore !== null) query.set("before", String(nextBefore));
  problem.hidden = true;
  more.disabled = true;
  status.textContent = "Loading…";
  try {
    /** @type {AuditLogPage} */
    const page = await get(`/api/organization/audit/?${query}`);
    if (!older) rows.replaceChildren();
    for (const entry of page.entries) rows.append(row(entry));
    if (!rows.children.length) rows.append(h("tr", {}, h("td", { colspan: "5", class: "muted" }, "No entries match.")));
    nextBefore = page.next_before;
    more.hidden = nextBefore === null;
    const count = rows.querySelectorAll("tr[data-entry]").length;
    status.textContent = `${plural(count, "entry", "entries")} shown${nextBefore === null ? "" : "; older ones follow"}.`;
  } catch (error) {
    problem.textContent = errorText(error);
    problem.hidden = false;
    status.textContent = "";
  } finally {
    more.disabled = false;
  }
}

/** The download links export exactly what the table shows. */
function links() {
  for (const format of ["csv", "json"]) {
    const query = filters();
    query.set("format", format);
    /** @type {HTMLAnchorElement} */ ($(`#audit-${format}`)).href = `/api/organization/audit/export/?${query}`;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  history.replaceState(null, "", `?${filters()}`);
  links();
  load();
});
form.addEventListener("change", links);
more.addEventListener("click", () => load(true));

// Filters in the address (a reload, a shared link) fill the form first.
for (const [name, value] of new URLSearchParams(location.search)) {
  const field = form.elements.namedItem(name);
  if (field instanceof HTMLInputElement || field instanceof HTMLSelectElement) field.value = value;
}
links();
load();
