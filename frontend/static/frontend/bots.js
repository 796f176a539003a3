// @ts-check
// The organization page's "Bots and incoming webhooks" section (docs/connectors.md):
// the live bot tokens and webhooks with their rooms and when each was last used
// (GET /api/organization/bots/), a form for each (POST /api/organization/bots/ and
// /api/organization/hooks/), Revoke (DELETE) and a webhook's new address (POST
// .../regenerate/). A token or an address is in the answer that made it, once:
// shown here with a copy button until the admin closes it, never again. The rooms
// offered are the admin's own internal rooms, none chosen in advance.

import { del, get, post } from "./api.js";
import { $, confirmButton, h, timeEl } from "./dom.js";
import { errorText } from "./errors.js";

/**
 * @typedef {object} Credential
 * @property {number} id
 * @property {string} name
 * @property {string} prefix
 * @property {{id: number, name: string}[]} rooms
 * @property {string} created_at
 * @property {string | null} last_used_at
 */

/** @typedef {{tokens: Credential[], hooks: Credential[]}} Overview */

/**
 * The internal rooms a bot may be given: the admin's own, open ones.
 * @param {{id: number, name: string, kind: string, archived: boolean}[]} rooms
 */
export function botRooms(rooms) {
  return rooms.filter((r) => r.kind === "internal" && !r.archived);
}

/**
 * @param {HTMLElement} el
 * @param {unknown} problem
 */
function showError(el, problem) {
  el.textContent = errorText(problem);
  el.hidden = false;
}

/**
 * The once-only secret, in a read-only field with a copy button.
 * @param {HTMLElement} where
 * @param {string} label
 * @param {string} secret
 */
function showSecret(where, label, secret) {
  const id = `${where.id}-value`;
  const input = h("input", { id, class: "secret-value", readonly: true, value: secret, spellcheck: "false" });
  const copied = h("span", { class: "form-status", role: "status" });
  const copy = h("button", { type: "button", class: "button small" }, "Copy");
  copy.addEventListener("click", async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(secret);
      copied.textContent = "Copied.";
    } catch {
      copied.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
    }
  });
  const done = h("button", { type: "button", class: "button small" }, "Done");
  done.addEventListener("click", () => {
    where.replaceChildren();
    where.hidden = true;
  });
  where.replaceChildren(
    h("label", { for: id }, label),
    h("div", { class: "inline-field" }, input, copy, done),
    h("p", { class: "muted small" }, "Shown this once: Causeway keeps only its hash. Store it now."),
    copied,
  );
  where.hidden = false;
  input.focus();
  input.select();
}

/**
 * @param {Credential} credential
 * @param {string} kind "token" or "webhook"
 * @param {(c: Credential) => void} revoke
 * @param {((c: Credential) => void) | null} regenerate
 */
function row(credential, kind, revoke, regenerate) {
  const rooms = credential.rooms.map((r) => r.name).join(", ");
  return h(
    "li",
    { class: "bot-row", dataset: { bot: credential.id } },
    h(
      "div",
      { class: "bot-what" },
      h("strong", {}, `${credential.name} (bot)`),
      h("span", { class: "muted small" }, ` ${kind} ${credential.prefix}…`),
      h("div", { class: "small" }, `Rooms: ${rooms || "none"}`),
      h(
        "div",
        { class: "muted small" },
        "Last used: ",
        credential.last_used_at ? timeEl(credential.last_used_at) : "never",
      ),
    ),
    h(
      "div",
      { class: "bot-actions" },
      ...(regenerate
        ? [
            confirmButton("New address", "Confirm new address", () => regenerate(credential), {
              class: "button small",
              aria: { label: `Give ${credential.name} a new address (the old one stops working)` },
            }),
          ]
        : []),
      confirmButton("Revoke", "Confirm revoke", () => revoke(credential), {
        class: "button small danger-outline",
        aria: { label: `Revoke the ${kind} ${credential.name}` },
      }),
    ),
  );
}

/** Start the section. */
export async function startBots() {
  const tokenList = $("#bot-token-list");
  const hookList = $("#bot-hook-list");
  const error = $("#bots-error");
  const secret = $("#bots-secret");
  const tokenForm = /** @type {HTMLFormElement} */ ($("#bot-token-form"));
  const tokenName = /** @type {HTMLInputElement} */ ($("#bot-token-name"));
  const tokenRooms = $("#bot-token-rooms");
  const hookForm = /** @type {HTMLFormElement} */ ($("#bot-hook-form"));
  const hookName = /** @type {HTMLInputElement} */ ($("#bot-hook-name"));
  const hookRoom = /** @type {HTMLSelectElement} */ ($("#bot-hook-room"));

  /** @param {Overview} overview */
  function draw(overview) {
    tokenList.replaceChildren(
      ...(overview.tokens.length
        ? overview.tokens.map((t) => row(t, "token", revokeToken, null))
        : [h("li", { class: "muted" }, "No bot tokens.")]),
    );
    hookList.replaceChildren(
      ...(overview.hooks.length
        ? overview.hooks.map((c) => row(c, "webhook", revokeHook, regenerate))
        : [h("li", { class: "muted" }, "No incoming webhooks.")]),
    );
  }

  /** @param {() => Promise<Overview>} call */
  async function act(call) {
    error.hidden = true;
    try {
      draw(await call());
    } catch (problem) {
      showError(error, problem);
    }
  }

  /** @param {Credential} c */
  const revokeToken = (c) => act(() => del(`/api/organization/bots/${c.id}/`));
  /** @param {Credential} c */
  const revokeHook = (c) => act(() => del(`/api/organization/hooks/${c.id}/`));
  /** @param {Credential} c */
  const regenerate = (c) =>
    act(async () => {
      /** @type {Overview & {url: string}} */
      const answer = await post(`/api/organization/hooks/${c.id}/regenerate/`, {});
      showSecret(secret, `New address of ${c.name}`, answer.url);
      return answer;
    });

  tokenForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const rooms = [...tokenRooms.querySelectorAll("input:checked")].map((el) =>
      Number(/** @type {HTMLInputElement} */ (el).value),
    );
    if (!rooms.length) {
      showError(error, new Error("Choose at least one room for the bot."));
      return;
    }
    await act(async () => {
      /** @type {Overview & {token: string}} */
      const answer = await post("/api/organization/bots/", { name: tokenName.value.trim(), rooms });
      showSecret(secret, `Token of ${tokenName.value.trim()}`, answer.token);
      tokenForm.reset();
      return answer;
    });
  });

  hookForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!hookRoom.value) {
      showError(error, new Error("Choose the room the webhook posts into."));
      hookRoom.focus();
      return;
    }
    await act(async () => {
      /** @type {Overview & {url: string}} */
      const answer = await post("/api/organization/hooks/", {
        name: hookName.value.trim(),
        room: Number(hookRoom.value),
      });
      showSecret(secret, `Address of ${hookName.value.trim()}`, answer.url);
      hookForm.reset();
      return answer;
    });
  });

  try {
    /** @type {{rooms: {id: number, name: string, kind: string, archived: boolean}[]}} */
    const listed = await get("/api/rooms/");
    const rooms = botRooms(listed.rooms);
    tokenRooms.replaceChildren(
      ...(rooms.length
        ? rooms.map((r) =>
            h(
              "label",
              { class: "check" },
              h("input", { type: "checkbox", name: "rooms", value: String(r.id) }),
              ` ${r.name}`,
            ),
          )
        : [h("p", { class: "muted small" }, "You are in no internal room: create one first.")]),
    );
    hookRoom.replaceChildren(
      h("option", { value: "" }, "Choose a room…"),
      ...rooms.map((r) => h("option", { value: String(r.id) }, r.name)),
    );
    draw(await get("/api/organization/bots/"));
  } catch (problem) {
    showError(error, problem);
  }
}
