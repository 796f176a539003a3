// @ts-check
// "New conversation": pick one or two people (colleagues, and the people of
// an active partner you already know: `GET /api/direct/people/`), then open
// the conversation with them (`POST /api/direct/`, which opens the existing
// one if these people have one). The other company's people are marked, as
// everywhere.

import { get, post } from "./api.js";
import { confirmDialog } from "./dialog.js";
import { $all, asYouType, h, initials } from "./dom.js";
import { errorText } from "./errors.js";
import { roomLink } from "./links.js";

/** @import { PersonRef } from "./wire.gen.js" */

/** @typedef {{person: PersonRef, colleague: boolean}} DirectCandidate `GET /api/direct/people/` */

const MAX_OTHERS = 2;

/** Wire every "New conversation" button of the page (home page, sidebar). */
export function mountNewConversation() {
  for (const button of $all("[data-new-conversation]")) button.addEventListener("click", () => openNewConversation());
}

export function openNewConversation() {
  /** @type {Map<number, PersonRef>} */
  const picked = new Map();
  const search = h("input", { id: "direct-search", type: "search", autocomplete: "off", placeholder: "Name or @handle", aria: { controls: "direct-results" } });
  const results = h("ul", { id: "direct-results", class: "candidates direct-candidates", aria: { label: "People you can start a conversation with" } });
  const chosen = h("p", { class: "muted small", aria: { live: "polite" } });

  const drawChosen = () => {
    chosen.textContent = picked.size ? `With ${[...picked.values()].map((p) => p.name).join(" and ")}.` : "Pick one or two people.";
    for (const box of results.querySelectorAll("input[type=checkbox]")) {
      if (box instanceof HTMLInputElement) box.disabled = !box.checked && picked.size >= MAX_OTHERS;
    }
  };

  /** @param {DirectCandidate} candidate */
  const item = ({ person, colleague }) => {
    const id = `direct-pick-${person.id}`;
    const box = h("input", { id, type: "checkbox", checked: picked.has(person.id) });
    box.addEventListener("change", () => {
      if (box.checked) picked.set(person.id, person);
      else picked.delete(person.id);
      drawChosen();
    });
    return h(
      "li",
      { dataset: { person: person.id } },
      box,
      h(
        "label",
        { for: id, class: "member-text" },
        h("span", { class: `avatar small${colleague ? "" : " partner"}`, aria: { hidden: "true" } }, initials(person.name)),
        h("strong", {}, person.name),
        " ",
        h("span", { class: `org-badge ${colleague ? "mine" : "partner"}` }, colleague ? "" : "⇄ ", person.org?.name ?? ""),
      ),
    );
  };

  const load = asYouType(search, async (q, isLatest) => {
    try {
      /** @type {{people: DirectCandidate[]}} */
      const data = await get(`/api/direct/people/${q ? `?q=${encodeURIComponent(q)}` : ""}`);
      if (!isLatest()) return;
      results.replaceChildren(...(data.people.length ? data.people.map(item) : [h("li", { class: "muted" }, "Nobody matches.")]));
      drawChosen();
    } catch (error) {
      results.replaceChildren(h("li", { class: "form-error" }, errorText(error)));
    }
  });
  load();
  drawChosen();

  return confirmDialog({
    title: "New conversation",
    content: h(
      "p",
      { class: "muted small" },
      "With one or two colleagues, or people of a partner company you already work with. Only the people in it see it; its people stay as they start. Work items, escalations and mirrors live in rooms.",
    ),
    fields: h("div", { class: "field direct-picker" }, h("label", { for: "direct-search" }, "Find people"), search, results, chosen),
    confirmLabel: "Start conversation",
    onConfirm: async () => {
      if (!picked.size) {
        search.focus();
        throw new Error("Pick one or two people first.");
      }
      /** @type {{id: number}} */
      const room = await post("/api/direct/", { people: [...picked.keys()] });
      location.assign(roomLink(room.id));
      return room;
    },
  });
}
