// @ts-check
// The organization page's Matrix bridge (docs/connectors.md, "Matrix bridge"):
// a form that connects one of the organization's internal rooms to a room on
// the organization's own homeserver (POST /api/organization/connectors/matrix/,
// no room preselected), then for each bridge what the admin installs and does
// on the Matrix side (the registration file, GET .../matrix/registration.yaml;
// the bot to invite) and who on Matrix writes as whom (POST and DELETE
// .../matrix/links/). State and dead letters are the connectors list's
// (connectors.js), which this tells to redraw with a "connectors:changed" event.

import { api, get, post } from "./api.js";
import { $, confirmButton, h } from "./dom.js";
import { errorText } from "./errors.js";

/** @import { ConnectorsView, MatrixBridgeData, OrgPerson } from "./wire.gen.js" */

/**
 * @param {HTMLElement} el
 * @param {unknown} problem
 */
function showError(el, problem) {
  el.textContent = errorText(problem);
  el.hidden = false;
}

/** @param {number} connector */
function registrationUrl(connector) {
  return `/api/organization/connectors/${connector}/matrix/registration.yaml`;
}

/**
 * Start the Matrix part of the Connectors section.
 * @param {OrgPerson[]} people the organization's people (the page's boot), for links
 */
export async function startMatrix(people) {
  const form = /** @type {HTMLFormElement} */ ($("#matrix-form"));
  const roomSelect = /** @type {HTMLSelectElement} */ ($("#matrix-room"));
  const homeserverInput = /** @type {HTMLInputElement} */ ($("#matrix-homeserver"));
  const matrixRoomInput = /** @type {HTMLInputElement} */ ($("#matrix-room-ref"));
  const error = $("#matrix-error");
  const bridges = $("#matrix-bridges");
  const installed = $("#matrix-installed");
  const active = people.filter((p) => p.active);

  /** @param {MatrixBridgeData} bridge */
  function card(bridge) {
    const linkError = h("p", { class: "form-error", role: "alert", hidden: true });
    const userInput = /** @type {HTMLInputElement} */ (
      h("input", {
        name: "matrix_user",
        placeholder: "@name:example.org",
        autocapitalize: "none",
        spellcheck: "false",
        aria: { label: "Matrix user" },
      })
    );
    const personSelect = /** @type {HTMLSelectElement} */ (
      h(
        "select",
        { name: "person", aria: { label: "Causeway person" } },
        h("option", { value: "" }, "Choose a person…"),
        ...active.map((p) => h("option", { value: String(p.id) }, p.name)),
      )
    );
    const linkForm = h(
      "form",
      {
        class: "matrix-link-form",
        novalidate: true,
        onsubmit: async (/** @type {Event} */ event) => {
          event.preventDefault();
          linkError.hidden = true;
          try {
            /** @type {{matrix: MatrixBridgeData}} */
            const answer = await post(`/api/organization/connectors/${bridge.connector}/matrix/links/`, {
              matrix_user: userInput.value.trim(),
              person: Number(personSelect.value) || 0,
            });
            replace(answer.matrix);
          } catch (problem) {
            showError(linkError, problem);
          }
        },
      },
      userInput,
      " writes as ",
      personSelect,
      " ",
      h("button", { type: "submit", class: "button small" }, "Link"),
    );
    const el = h(
      "li",
      { class: "matrix-bridge connector-row", dataset: { matrixConnector: bridge.connector } },
      h(
        "p",
        { class: "connector-head" },
        h("strong", {}, bridge.matrix_room),
        " on ",
        h("code", {}, bridge.homeserver),
        bridge.room_id ? " · the bot is in the room" : " · the bot joins with the first message",
      ),
      h(
        "p",
        { class: "small" },
        h("a", { href: registrationUrl(bridge.connector), download: "" }, "Download the registration file"),
        ` (install it in the homeserver), then invite `,
        h("code", { class: "matrix-bot" }, bridge.bot),
        " to the Matrix room.",
      ),
      h(
        "ul",
        { class: "domain-list", aria: { label: "Linked Matrix accounts" } },
        ...(bridge.links.length
          ? bridge.links.map((link) =>
              h(
                "li",
                { class: "domain-row", dataset: { matrixUser: link.matrix_user } },
                h("span", {}, h("code", {}, link.matrix_user), ` writes as ${link.person_name}`),
                confirmButton(
                  "Unlink",
                  "Confirm unlink",
                  async () => {
                    /** @type {{matrix: MatrixBridgeData}} */
                    const answer = await api("DELETE", `/api/organization/connectors/${bridge.connector}/matrix/links/`, {
                      matrix_user: link.matrix_user,
                    });
                    replace(answer.matrix);
                  },
                  { class: "button small danger-outline" },
                ),
              ),
            )
          : [h("li", { class: "muted small" }, "Nobody linked: messages written on Matrix are not posted here.")]),
      ),
      linkForm,
      linkError,
    );

    /** @param {MatrixBridgeData} changed */
    function replace(changed) {
      el.replaceWith(card(changed));
    }
    return el;
  }

  async function refresh() {
    /** @type {ConnectorsView} */
    const view = await get("/api/organization/connectors/");
    const chosen = roomSelect.value;
    roomSelect.replaceChildren(
      h("option", { value: "" }, "Choose a room…"),
      ...view.rooms.map((r) => h("option", { value: String(r.id) }, r.name)),
    );
    // Never a room chosen for the admin: the one kept is one they chose.
    roomSelect.value = view.rooms.some((r) => String(r.id) === chosen) ? chosen : "";
    const matrix = view.connectors.filter((c) => c.kind === "matrix");
    const details = /** @type {{matrix: MatrixBridgeData}[]} */ (
      await Promise.all(matrix.map((c) => get(`/api/organization/connectors/${c.id}/matrix/`)))
    );
    bridges.replaceChildren(...details.map((d) => card(d.matrix)));
  }

  form.addEventListener("input", () => (error.hidden = true));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    installed.hidden = true;
    if (!roomSelect.value) {
      showError(error, new Error("Choose the internal room to connect."));
      roomSelect.focus();
      return;
    }
    try {
      /** @type {{matrix: MatrixBridgeData, registration: string}} */
      const answer = await post("/api/organization/connectors/matrix/", {
        room: Number(roomSelect.value),
        homeserver: homeserverInput.value.trim(),
        matrix_room: matrixRoomInput.value.trim(),
      });
      installed.replaceChildren(
        h("p", {}, h("strong", {}, `Connected to ${answer.matrix.matrix_room}.`), " Now, on the homeserver:"),
        h(
          "ol",
          { class: "small" },
          h(
            "li",
            {},
            "Add this registration to ",
            h("code", {}, "app_service_config_files"),
            " and restart the homeserver (",
            h("a", { href: registrationUrl(answer.matrix.connector), download: "" }, "download it"),
            "; it holds two secrets):",
          ),
          h("li", {}, "Invite ", h("code", {}, answer.matrix.bot), " to the Matrix room."),
          h("li", {}, "Link the Matrix users who may write here as your people (below)."),
        ),
        h("pre", { class: "matrix-registration" }, answer.registration),
      );
      installed.hidden = false;
      form.reset();
      document.dispatchEvent(new CustomEvent("connectors:changed"));
      await refresh();
    } catch (problem) {
      showError(error, problem);
    }
  });
  document.addEventListener("connectors:removed", () => refresh().catch((p) => showError(error, p)));

  try {
    await refresh();
  } catch (problem) {
    showError(error, problem);
  }
}
