// @ts-check
// The organization page's "Connectors" section (docs/connectors.md): the
// organization's connectors with their state (delivering, retrying since …
// with the last error, paused), their dead letters with Retry and Discard,
// and a form that adds an outgoing webhook to one of the organization's
// internal rooms the admin is in (GET/POST /api/organization/connectors/,
// PUT/DELETE /api/organization/connectors/{id}/, POST/DELETE
// .../dead-letters/{id}/). The signing secret is in the answer to the POST
// only: shown once, here, until the page is left.

import { del, get, post, put } from "./api.js";
import { $, confirmButton, h, plural, timeEl } from "./dom.js";
import { errorText } from "./errors.js";

/** @import { ConnectorData, ConnectorsView, DeadLetterData } from "./wire.gen.js" */

const KIND_NAMES = /** @type {Record<string, string>} */ ({
  webhook_out: "Outgoing webhook",
  matrix: "Matrix bridge",
});

/**
 * The connector's state in words: what an admin reads first.
 * @param {ConnectorData} connector
 * @returns {(string | Node)[]}
 */
export function stateParts(connector) {
  if (connector.state === "paused") return ["Paused: nothing is sent until it is resumed."];
  if (connector.state === "retrying" && connector.failing_since) {
    return [
      `Retrying (${plural(connector.attempts, "failed attempt")}) since `,
      timeEl(connector.failing_since),
      `: ${connector.last_error}`,
    ];
  }
  return ["Delivering."];
}

/**
 * @param {HTMLElement} el
 * @param {unknown} problem
 */
function showError(el, problem) {
  el.textContent = errorText(problem);
  el.hidden = false;
}

/** Start the section. */
export async function startConnectors() {
  const list = $("#connector-list");
  const form = /** @type {HTMLFormElement} */ ($("#connector-form"));
  const roomSelect = /** @type {HTMLSelectElement} */ ($("#connector-room"));
  const nameInput = /** @type {HTMLInputElement} */ ($("#connector-name"));
  const urlInput = /** @type {HTMLInputElement} */ ($("#connector-url"));
  const error = $("#connector-error");
  const listError = $("#connector-list-error");
  const secretBox = $("#connector-secret");

  /** @param {ConnectorsView} view */
  function draw(view) {
    list.replaceChildren(
      ...(view.connectors.length
        ? view.connectors.map(row)
        : [h("li", { class: "muted" }, "No connectors: nothing leaves the hub.")]),
    );
    const chosen = roomSelect.value;
    roomSelect.replaceChildren(
      h("option", { value: "" }, "Choose a room…"),
      ...view.rooms.map((r) => h("option", { value: String(r.id) }, r.name)),
    );
    // Never a room chosen for the admin: the one kept is one they chose.
    roomSelect.value = view.rooms.some((r) => String(r.id) === chosen) ? chosen : "";
  }

  /** @param {ConnectorData} connector */
  function row(connector) {
    const letters = connector.dead_letters;
    return h(
      "li",
      { class: "connector-row", dataset: { connector: connector.id, state: connector.state } },
      h(
        "p",
        { class: "connector-head" },
        h("strong", {}, connector.name),
        ` · ${KIND_NAMES[connector.kind] || connector.kind} from `,
        h("span", { class: "connector-room" }, `#${connector.room.name}`),
      ),
      connector.config.url ? h("p", { class: "small" }, h("code", { class: "connector-url" }, connector.config.url)) : "",
      h("p", { class: `small connector-state state-${connector.state}` }, ...stateParts(connector)),
      h(
        "div",
        { class: "form-actions" },
        h(
          "button",
          {
            type: "button",
            class: "button small",
            onclick: () => setPaused(connector, connector.state !== "paused"),
          },
          connector.state === "paused" ? "Resume" : "Pause",
        ),
        confirmButton("Remove", "Confirm remove", () => remove(connector), {
          class: "button small danger-outline",
          aria: { label: `Remove ${connector.name}` },
        }),
      ),
      letters.length
        ? h(
            "div",
            { class: "dead-letters" },
            h("p", { class: "small" }, `${plural(letters.length, "undelivered event")} (dead letters):`),
            h("ul", { class: "domain-list" }, ...letters.map((letter) => letterRow(connector, letter))),
          )
        : "",
    );
  }

  /**
   * @param {ConnectorData} connector
   * @param {DeadLetterData} letter
   */
  function letterRow(connector, letter) {
    const retrying = letter.state === "retrying";
    return h(
      "li",
      { class: "domain-row dead-letter", dataset: { letter: letter.id } },
      h(
        "span",
        { class: "small" },
        `Event ${letter.seq}${letter.type ? ` (${letter.type})` : ""}, ${plural(letter.attempts, "attempt")}: ${letter.error}`,
      ),
      retrying
        ? h("span", { class: "muted small" }, "Retrying…")
        : h(
            "span",
            {},
            h(
              "button",
              { type: "button", class: "button small", onclick: () => letterAction(connector, letter, "retry") },
              "Retry",
            ),
            " ",
            h(
              "button",
              {
                type: "button",
                class: "button small danger-outline",
                onclick: () => letterAction(connector, letter, "discard"),
              },
              "Discard",
            ),
          ),
    );
  }

  async function refresh() {
    /** @type {ConnectorsView} */
    const view = await get("/api/organization/connectors/");
    draw(view);
  }

  /**
   * @param {ConnectorData} connector
   * @param {boolean} paused
   */
  async function setPaused(connector, paused) {
    listError.hidden = true;
    try {
      await put(`/api/organization/connectors/${connector.id}/`, { paused });
      await refresh();
    } catch (problem) {
      showError(listError, problem);
    }
  }

  /** @param {ConnectorData} connector */
  async function remove(connector) {
    listError.hidden = true;
    try {
      /** @type {ConnectorsView} */
      const view = await del(`/api/organization/connectors/${connector.id}/`);
      draw(view);
      // The Matrix bridges' part of the section (matrix.js) redraws too.
      document.dispatchEvent(new CustomEvent("connectors:removed"));
    } catch (problem) {
      showError(listError, problem);
    }
  }

  /**
   * @param {ConnectorData} connector
   * @param {DeadLetterData} letter
   * @param {"retry" | "discard"} action
   */
  async function letterAction(connector, letter, action) {
    listError.hidden = true;
    const path = `/api/organization/connectors/${connector.id}/dead-letters/${letter.id}/`;
    try {
      await (action === "retry" ? post(path, {}) : del(path));
      await refresh();
    } catch (problem) {
      showError(listError, problem);
    }
  }

  form.addEventListener("input", () => (error.hidden = true));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    secretBox.hidden = true;
    if (!roomSelect.value) {
      showError(error, new Error("Choose the room whose messages the webhook receives."));
      roomSelect.focus();
      return;
    }
    try {
      /** @type {{connector: ConnectorData, secret: string}} */
      const answer = await post("/api/organization/connectors/", {
        room: Number(roomSelect.value),
        kind: "webhook_out",
        name: nameInput.value.trim(),
        url: urlInput.value.trim(),
      });
      secretBox.replaceChildren(
        h("p", {}, h("strong", {}, `${answer.connector.name} is added.`), " Its signing secret, shown this once: copy it now."),
        h("p", {}, h("code", { id: "connector-secret-value" }, answer.secret)),
        h(
          "p",
          { class: "muted small" },
          "The receiver checks X-Causeway-Signature with it (docs/connectors.md). Lost, remove the webhook and add it again.",
        ),
      );
      secretBox.hidden = false;
      form.reset();
      await refresh();
    } catch (problem) {
      showError(error, problem);
    }
  });

  // A Matrix bridge was connected (matrix.js): it is a connector like the others.
  document.addEventListener("connectors:changed", () => refresh().catch((p) => showError(listError, p)));

  try {
    await refresh();
  } catch (problem) {
    showError(listError, problem);
  }
}
