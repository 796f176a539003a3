// @ts-check
// The JSON API (docs/protocol.md, "HTTP JSON endpoints"): same-origin fetch,
// Django's CSRF header from the csrftoken cookie, errors as ApiError.
//
// The typedefs below are the HTTP bodies the pages read that have no wire
// schema on the server yet (they are built as plain dicts in hub/selectors.py,
// rooms/selectors/ and the views), so they are written here by hand from
// docs/protocol.md. Shapes the server does declare (the room list, a
// partnership's end) come from wire.gen.js.

import { CodedError } from "./errors.js";

/** @import { OrgRef, PartnershipEnding, PersonRef, RoomListEntry } from "./wire.gen.js" */

/**
 * You, as `GET /api/me/` and every page's boot show you (hub.selectors.me_for).
 * @typedef {PersonRef & {display_name: string, admin: boolean, time_zone: string}} Me
 */

/**
 * Who ended a partnership, why and when (hub.selectors.PartnershipEnding).
 * @typedef {PartnershipEnding} Ended
 */

/**
 * One of your rooms, as `GET /api/rooms/` lists it (rooms.wire.types.RoomListEntry).
 * @typedef {RoomListEntry} RoomListing
 */

/**
 * A partnership (`GET /api/partnerships/`, the home page's boot).
 * @typedef {object} Partnership
 * @property {number} id
 * @property {OrgRef} supplier
 * @property {OrgRef} client
 * @property {string} status
 * @property {boolean} awaiting_our_decision
 * @property {boolean} can_decide
 * @property {boolean} can_end
 * @property {Ended | null} ended
 */

/**
 * What sharing a note back asks the person (rooms.bridge.mirrors.share_back_prompt).
 * @typedef {object} SharePrompt
 * @property {string} question
 * @property {string} partner
 * @property {string} room_name
 * @property {string} audience
 */

/**
 * `GET /api/mirrors/`, `POST /api/mirrors/`.
 * @typedef {object} Mirror
 * @property {number} id
 * @property {number} source_room
 * @property {number} thread
 * @property {number} target_room
 * @property {number} root_copy
 * @property {string} created_at
 * @property {string | null} stopped_at
 * @property {SharePrompt} share_prompt what sharing a note back asks (the server's wording)
 */

/**
 * A pending invitation (`GET /api/invitations/`).
 * @typedef {object} Invitation
 * @property {number} id
 * @property {string} email
 * @property {string} organization
 * @property {string | null} room
 * @property {number | null} room_id
 * @property {string} invited_by
 * @property {boolean} outside_domain
 * @property {string} expires_at
 */

/**
 * A room member (`subscribed.members`, `GET /api/rooms/{id}/members/`).
 * @typedef {{person: PersonRef, role: string}} Member
 */

/**
 * One change in a work item's history (`GET /api/rooms/{room}/workitems/{id}/`).
 * @typedef {{seq: number, at: string, by: {id: number, name: string} | null, changes: Record<string, unknown[]>}} HistoryEntry
 */

/** @typedef {"GET" | "POST" | "PUT" | "PATCH" | "DELETE"} Method */

export class ApiError extends CodedError {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} [detail]
   */
  constructor(status, code, detail) {
    super(code, detail || code || `HTTP ${status}`);
    this.status = status;
    this.detail = detail || this.message;
  }
}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match?.[1]) return decodeURIComponent(match[1]);
  // Fallback: the token of any form on the page (the sign-out form has one).
  const field = document.querySelector("[name=csrfmiddlewaretoken]");
  return field instanceof HTMLInputElement ? field.value : "";
}

/**
 * The response body, as the caller declares it: `T` is inferred from the
 * variable it is assigned to (`/** @type {{rooms: RoomListing[]}} *\/ const
 * data = await get(...)`), and is `unknown` when the caller says nothing.
 * @template [T=unknown]
 * @param {Method} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<T>}
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["X-CSRFToken"] = csrfToken();
    headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached. Try again in a moment.");
  }
  /** @type {unknown} */
  const data = await response.json().catch(() => null);
  if (response.status === 401) {
    location.assign(`/accounts/login/?next=${encodeURIComponent(location.pathname)}`);
  }
  if (!response.ok) {
    const error = errorOf(data);
    if (!error && response.status === 403) {
      throw new ApiError(403, "csrf", "Your session expired. Reload the page and try again.");
    }
    throw new ApiError(response.status, error?.code ?? "http", error?.detail ?? `HTTP ${response.status}`);
  }
  // The one place a response body becomes the type the caller expects: the
  // server answers what docs/protocol.md says (no schema checks it here).
  return /** @type {T} */ (data);
}

/**
 * `{"error": {code, detail}}`, or null for any other body (Django's own
 * 403 page for a CSRF failure, a proxy's error page).
 * @param {unknown} data
 * @returns {{code?: string, detail?: string} | null}
 */
function errorOf(data) {
  const error = data && typeof data === "object" && "error" in data ? data.error : null;
  if (!error || typeof error !== "object") return null;
  // Any object has these, as unknown; only strings are taken.
  const { code, detail } = /** @type {{code?: unknown, detail?: unknown}} */ (error);
  return {
    code: typeof code === "string" ? code : undefined,
    detail: typeof detail === "string" ? detail : undefined,
  };
}

/**
 * @template [T=unknown]
 * @param {string} path
 * @returns {Promise<T>}
 */
export const get = (path) => api("GET", path);
/**
 * @template [T=unknown]
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<T>}
 */
export const post = (path, body = {}) => api("POST", path, body);
/**
 * @template [T=unknown]
 * @param {string} path
 * @param {unknown} body
 * @returns {Promise<T>}
 */
export const patch = (path, body) => api("PATCH", path, body);
/**
 * @template [T=unknown]
 * @param {string} path
 * @param {unknown} body
 * @returns {Promise<T>}
 */
export const put = (path, body) => api("PUT", path, body);
/**
 * @template [T=unknown]
 * @param {string} path
 * @returns {Promise<T>}
 */
export const del = (path) => api("DELETE", path);
