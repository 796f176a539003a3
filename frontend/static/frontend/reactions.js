// @ts-check
// A message's reaction bar (docs/protocol.md, reaction.add / reaction.updated):
// each emoji reacted with as a toggle button (its count, who, aria-pressed when
// one of them is you), and a small picker of the server's emoji
// (REACTION_EMOJI in wire.gen.js: the only ones the server accepts).
// The picker is a row of buttons: arrow keys move along it, Escape closes it
// and gives focus back to the button that opened it.

import { h } from "./dom.js";
import { REACTION_EMOJI } from "./wire.gen.js";

/** @import { MessageData, ReactionSummary } from "./wire.gen.js" */

/** @typedef {(message: MessageData, emoji: string, on: boolean) => void} React */

/**
 * The picker open now, if any, kept across a redraw of its message (someone
 * else's reaction arriving while you choose): which bar (`key`), the button
 * that opened it (`from`, its `data-focus-key`) and the emoji focused.
 * @type {{key: string, from: string, emoji: string} | null}
 */
let kept = null;

/**
 * Who reacted, as a sentence: "Sue Supplier and you reacted with 🎉".
 * @param {ReactionSummary} reaction
 * @param {number} me
 */
export function reactedBy(reaction, me) {
  const names = reaction.people.map((p) => (p.id === me ? "you" : p.name));
  const who = names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names.at(-1)}` : (names[0] ?? "");
  return `${who.charAt(0).toUpperCase()}${who.slice(1)} reacted with ${reaction.emoji}`;
}

/**
 * The reaction bar of a stored message, and `open(from)` to show its picker
 * from another button (the message's "React" tool). Without `react` (a
 * read-only room) the reactions show and cannot be changed.
 * @param {MessageData} message
 * @param {number} me
 * @param {React | null} react
 * @param {string} [place] which list the message is drawn in (the room's, a thread's)
 */
export function reactionBar(message, me, react, place = "") {
  const reactions = message.reactions ?? []; // events logged before reactions existed carry none
  const key = `${place}:${message.id}`;
  const bar = h("div", { class: "reactions", role: "group", aria: { label: "Reactions" } });
  for (const reaction of reactions) {
    const mine = reaction.people.some((p) => p.id === me);
    const said = reactedBy(reaction, me);
    bar.append(
      h(
        "button",
        {
          type: "button",
          class: `reaction${mine ? " mine" : ""}`,
          title: said,
          disabled: !react,
          aria: { pressed: String(mine), label: `${reaction.emoji} ${reaction.count}: ${said}` },
          dataset: { focusKey: `reaction ${reaction.emoji}`, emoji: reaction.emoji },
          onclick: () => react?.(message, reaction.emoji, !mine),
        },
        h("span", { class: "reaction-emoji", aria: { hidden: "true" } }, reaction.emoji),
        h("span", { class: "reaction-count", aria: { hidden: "true" } }, String(reaction.count)),
      ),
    );
  }
  /** @type {HTMLElement | null} */
  let picker = null;
  /** @type {HTMLElement | null} */
  let opener = null;

  const close = (refocus = true) => {
    if (!picker) return;
    // Cleared first: removing the focused picker fires its focusout, which closes too.
    const closing = picker;
    picker = null;
    if (kept?.key === key) kept = null;
    closing.remove();
    addButton?.setAttribute("aria-expanded", "false");
    if (refocus) opener?.focus();
    bar.hidden = !bar.querySelector(".reaction") && !addButton;
  };

  /**
   * @param {HTMLElement} from the button that opens it, focused again when it closes
   * @param {string} [focus] the emoji to focus (the first by default)
   */
  const open = (from, focus = REACTION_EMOJI[0] ?? "") => {
    if (!react) return;
    if (picker) return close();
    opener = from;
    const state = { key, from: from.dataset.focusKey ?? "", emoji: focus };
    kept = state;
    const choices = REACTION_EMOJI.map((emoji) => {
      const mine = reactions.some((r) => r.emoji === emoji && r.people.some((p) => p.id === me));
      return h(
        "button",
        {
          type: "button",
          class: `reaction-choice${mine ? " mine" : ""}`,
          aria: { label: mine ? `Remove ${emoji}` : `React with ${emoji}`, pressed: String(mine) },
          dataset: { emoji },
          onfocus: () => {
            state.emoji = emoji;
          },
          onclick: () => {
            close();
            react(message, emoji, !mine);
          },
        },
        emoji,
      );
    });
    picker = h("div", { class: "reaction-picker", role: "group", aria: { label: "Choose a reaction" } }, choices);
    picker.addEventListener("keydown", (event) => {
      const at = choices.indexOf(/** @type {HTMLButtonElement} */ (event.target));
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation(); // the picker closes, not the panel around it
        close();
      } else if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        event.preventDefault();
        const step = event.key === "ArrowRight" ? 1 : -1;
        choices[(at + step + choices.length) % choices.length]?.focus();
      } else if (event.key === "Home" || event.key === "End") {
        event.preventDefault();
        choices[event.key === "Home" ? 0 : choices.length - 1]?.focus();
      }
    });
    picker.addEventListener("focusout", (event) => {
      // Being redrawn (messagelist.js): the new bar opens it again.
      if (bar.closest("[data-redrawing]")) return;
      // Tabbing or clicking away closes it, leaving focus where it went.
      if (picker && !(event.relatedTarget instanceof Node && picker.contains(event.relatedTarget))) close(false);
    });
    bar.hidden = false;
    bar.append(picker);
    addButton?.setAttribute("aria-expanded", "true");
    (choices.find((c) => c.dataset.emoji === focus) ?? choices[0])?.focus();
  };

  const addButton =
    react && reactions.length
      ? h(
          "button",
          {
            type: "button",
            class: "reaction-add",
            title: "Add reaction",
            aria: { label: "Add reaction", haspopup: "true", expanded: "false" },
            dataset: { focusKey: "reaction add" },
            onclick: () => addButton && open(addButton),
          },
          "+",
        )
      : null;
  if (addButton) bar.append(addButton);
  bar.hidden = !reactions.length;
  const reopen = kept?.key === key ? kept : null;
  if (reopen) {
    // Once the redrawn message is in the page, with its buttons.
    queueMicrotask(() => {
      const buttons = [...(bar.closest(".msg")?.querySelectorAll("[data-focus-key]") ?? [])];
      const from = buttons.find((b) => b instanceof HTMLElement && b.dataset.focusKey === reopen.from);
      if (kept === reopen && bar.isConnected) open(from instanceof HTMLElement ? from : bar, reopen.emoji);
    });
  }
  return { el: bar, open };
}
