// @ts-check
// The board's filters (docs/protocol.md, GET /api/rooms/{room}/workitems/):
// the same names and rules as the endpoint's query (rooms.schemas.BoardQuery,
// rooms.selectors.workitems.filter_board), kept in the room page's address so
// a filtered board can be reloaded and shared. The board holds every item
// live and applies them here, so an item that starts or stops matching moves
// in or out as its `workitem.updated` arrives.

/** @import { WorkItemData } from "./wire.gen.js" */

/**
 * Every filter given must hold; null is "any".
 * @typedef {object} BoardFilter
 * @property {number | "none" | null} assignee a person's id, or "none": unassigned
 * @property {number | null} organization the organization that raised it
 * @property {string | null} label
 * @property {number | null} priority 1 to 4
 * @property {boolean | null} escalated
 */

/** The names in the address, as in the endpoint's query. */
export const FILTER_NAMES = /** @type {const} */ (["assignee", "organization", "label", "priority", "escalated"]);

/** @returns {BoardFilter} */
export function noFilter() {
  return { assignee: null, organization: null, label: null, priority: null, escalated: null };
}

/** @param {string | null} value */
function id(value) {
  return value && /^[1-9][0-9]{0,18}$/.test(value) ? Number(value) : null;
}

/**
 * The filter an address asks for; a value the endpoint would refuse is left out.
 * @param {URLSearchParams} params
 * @returns {BoardFilter}
 */
export function filterFromParams(params) {
  const assignee = params.get("assignee");
  const label = params.get("label")?.trim() ?? "";
  const priority = params.get("priority") ?? "";
  const escalated = params.get("escalated");
  return {
    assignee: assignee === "none" ? "none" : id(assignee),
    organization: id(params.get("organization")),
    label: label && label.length <= 40 ? label : null,
    priority: /^[1-4]$/.test(priority) ? Number(priority) : null,
    escalated: escalated === "true" ? true : escalated === "false" ? false : null,
  };
}

/**
 * Write `filter` into `params` (the ones not given are taken out).
 * @param {BoardFilter} filter
 * @param {URLSearchParams} params
 */
export function filterToParams(filter, params) {
  for (const name of FILTER_NAMES) {
    const value = filter[name];
    if (value === null) params.delete(name);
    else params.set(name, String(value));
  }
  return params;
}

/** @param {BoardFilter} filter */
export function isFiltered(filter) {
  return FILTER_NAMES.some((name) => filter[name] !== null);
}

/**
 * Whether the board shows `item` under `filter`.
 * @param {WorkItemData} item
 * @param {BoardFilter} filter
 */
export function matches(item, filter) {
  if (filter.assignee === "none" && item.assignee) return false;
  if (typeof filter.assignee === "number" && item.assignee?.id !== filter.assignee) return false;
  if (filter.organization !== null && item.raised_by_org?.id !== filter.organization) return false;
  if (filter.label !== null && !item.labels.includes(filter.label)) return false;
  if (filter.priority !== null && item.priority !== filter.priority) return false;
  if (filter.escalated !== null && Boolean(item.escalation) !== filter.escalated) return false;
  return true;
}
