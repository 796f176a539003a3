// @ts-check
// The organization page's "Retention and legal hold" section (docs/protocol.md,
// "Retention and legal hold"): the two periods (GET/PUT
// /api/organization/retention/) and the holds (GET/POST/DELETE
// /api/organization/holds/). Shortening a period removes messages (and work-item text) at the next
// hourly run, so it is confirmed first.

import { del, get, post, put } from "./api.js";
import { confirmDialog } from "./dialog.js";
import { $, confirmButton, h } from "./dom.js";
import { errorText } from "./errors.js";

/**
 * @typedef {object} Retention
 * @property {number | null} shared_days
 * @property {number | null} internal_days
 * @property {string | null} updated_at
 */

/**
 * @typedef {object} Hold
 * @property {number} id
 * @property {"organization" | "person" | "room"} scope
 * @property {number | null} person
 * @property {string | null} person_name
 * @property {number | null} room
 * @property {string | null} room_name
 * @property {string} reason
 * @property {string} created_at
 */

/**
 * Whether ``after`` keeps something for less time than ``before`` (null: forever).
 * @param {number | null} before
 * @param {number | null} after
 */
export function shortens(before, after) {
  if (after === null) return false;
  return before === null || after < before;
}

/**
 * The field's days: null when empty (forever), NaN when not a whole number.
 * @param {string} value
 */
export function parseDays(value) {
  const text = value.trim();
  if (!text) return null;
  return /^[0-9]{1,5}$/.test(text) ? Number(text) : Number.NaN;
}

/**
 * @param {HTMLElement} el
 * @param {unknown} problem
 */
function showError(el, problem) {
  el.textContent = errorText(problem);
  el.hidden = false;
}

/** @param {Hold} hold */
function holdText(hold) {
  const what =
    hold.scope === "person" ? `${hold.person_name}'s messages` : hold.scope === "room" ? `Room ${hold.room_name}` : "The whole organization";
  return hold.reason ? `${what} (${hold.reason})` : what;
}

/**
 * Start the section.
 * @param {{id: number, name: string, active: boolean}[]} people the organization's people
 */
export async function startRetention(people) {
  const form = /** @type {HTMLFormElement} */ ($("#retention-form"));
  const shared = /** @type {HTMLInputElement} */ ($("#shared-days"));
  const internal = /** @type {HTMLInputElement} */ ($("#internal-days"));
  const error = $("#retention-error");
  const status = $("#retention-status");
  const holdList = $("#hold-list");
  const holdForm = /** @type {HTMLFormElement} */ ($("#hold-form"));
  const scope = /** @type {HTMLSelectElement} */ ($("#hold-scope"));
  const personSelect = /** @type {HTMLSelectElement} */ ($("#hold-person"));
  const roomSelect = /** @type {HTMLSelectElement} */ ($("#hold-room"));
  const reason = /** @type {HTMLInputElement} */ ($("#hold-reason"));
  const holdError = $("#hold-error");

  /** @type {Retention} */
  let current = { shared_days: null, internal_days: null, updated_at: null };

  /** @param {Retention} retention */
  function drawRetention(retention) {
    current = retention;
    shared.value = retention.shared_days === null ? "" : String(retention.shared_days);
    internal.value = retention.internal_days === null ? "" : String(retention.internal_days);
  }

  /** @param {Hold[]} holds */
  function drawHolds(holds) {
    holdList.replaceChildren(
      ...(holds.length
        ? holds.map((hold) =>
            h(
              "li",
              { class: "domain-row", dataset: { hold: hold.id } },
              h("span", { class: "hold-what" }, holdText(hold)),
              confirmButton("Lift", "Confirm lift", () => lift(hold), {
                class: "button small danger-outline",
                aria: { label: `Lift the hold: ${holdText(hold)}` },
              }),
            ),
          )
        : [h("li", { class: "muted" }, "No legal holds.")]),
    );
  }

  /** @param {Hold} hold */
  async function lift(hold) {
    holdError.hidden = true;
    try {
      /** @type {{holds: Hold[]}} */
      const answer = await del(`/api/organization/holds/${hold.id}/`);
      drawHolds(answer.holds);
    } catch (problem) {
      showError(holdError, problem);
    }
  }

  personSelect.replaceChildren(
    ...people.filter((p) => p.active).map((p) => h("option", { value: String(p.id) }, p.name)),
  );
  scope.addEventListener("change", () => {
    $("#hold-person-field").hidden = scope.value !== "person";
    $("#hold-room-field").hidden = scope.value !== "room";
  });

  form.addEventListener("input", () => (error.hidden = true));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    status.textContent = "";
    const wanted = { shared_days: parseDays(shared.value), internal_days: parseDays(internal.value) };
    for (const [field, days, where] of /** @type {const} */ ([
      [shared, wanted.shared_days, "shared"],
      [internal, wanted.internal_days, "internal"],
    ])) {
      if (days !== null && (Number.isNaN(days) || days < 1 || days > 36500)) {
        showError(error, new Error(`Days in ${where} rooms must be a whole number from 1 to 36500, or empty (forever).`));
        field.focus();
        return;
      }
    }
    const save = async () => {
      /** @type {{retention: Retention}} */
      const answer = await put("/api/organization/retention/", wanted);
      drawRetention(answer.retention);
      status.textContent = "Retention saved.";
    };
    const shorter =
      shortens(current.shared_days, wanted.shared_days) || shortens(current.internal_days, wanted.internal_days);
    try {
      if (shorter) {
        await confirmDialog({
          title: "Shorten retention?",
          content: h(
            "p",
            {},
            "Your people's messages older than the new period will be removed at the next hourly run, with their files, and the titles and descriptions they wrote in work items left unchanged that long. This cannot be undone. Legal holds still protect what they cover.",
          ),
          confirmLabel: "Shorten and remove older messages",
          danger: true,
          onConfirm: save,
        });
      } else {
        await save();
      }
    } catch (problem) {
      showError(error, problem);
    }
  });

  holdForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    holdError.hidden = true;
    /** @type {{person?: number, room?: number, reason: string}} */
    const hold = { reason: reason.value.trim() };
    if (scope.value === "person") hold.person = Number(personSelect.value);
    if (scope.value === "room") hold.room = Number(roomSelect.value);
    try {
      await post("/api/organization/holds/", hold);
      /** @type {{holds: Hold[]}} */
      const answer = await get("/api/organization/holds/");
      drawHolds(answer.holds);
      reason.value = "";
    } catch (problem) {
      showError(holdError, problem);
    }
  });

  try {
    /** @type {{retention: Retention}} */
    const retention = await get("/api/organization/retention/");
    /** @type {{holds: Hold[]}} */
    const holds = await get("/api/organization/holds/");
    /** @type {{rooms: {id: number, name: string}[]}} */
    const rooms = await get("/api/rooms/");
    drawRetention(retention.retention);
    drawHolds(holds.holds);
    roomSelect.replaceChildren(...rooms.rooms.map((r) => h("option", { value: String(r.id) }, r.name)));
  } catch (problem) {
    showError(error, problem);
  }
}
