// @ts-check
// A very long message shows its first lines behind "Show more" (and "Show
// less" once opened): a real button, keyboard reachable, aria-expanded. Which
// messages the person opened is kept for the page's life, so a redraw (an edit,
// a reaction) does not fold them again.

import { h } from "./dom.js";

/** More lines or characters than this: folded (app.css `.folded` shows ~11 lines). */
export const LONG_LINES = 20;
export const LONG_CHARS = 1500;

/** @type {Set<number>} the messages opened with "Show more" */
const opened = new Set();

/**
 * Whether a message's text is long enough to fold.
 * @param {string} body
 */
export function isLong(body) {
  return body.length > LONG_CHARS || body.split("\n").length > LONG_LINES;
}

/**
 * Fold `body` (a message's rendered text) if the message is long; returns the
 * "Show more" button to put after it, or null.
 * @param {HTMLElement} body
 * @param {{id: number | null, body: string}} message
 */
export function foldLong(body, message) {
  if (message.id === null || !isLong(message.body)) return null;
  const id = message.id;
  body.id ||= `msg-body-${id}-${Math.random().toString(36).slice(2, 8)}`;
  const button = h("button", {
    type: "button",
    class: "link show-more",
    aria: { controls: body.id },
    dataset: { focusKey: "show more" },
  });
  /** @param {boolean} open */
  const show = (open) => {
    body.classList.toggle("folded", !open);
    button.textContent = open ? "Show less" : "Show more";
    button.setAttribute("aria-expanded", String(open));
  };
  button.addEventListener("click", () => {
    const open = !opened.has(id);
    if (open) opened.add(id);
    else opened.delete(id);
    show(open);
    // Folding again leaves the message's start in view, not the page far below it.
    if (!open) body.scrollIntoView?.({ block: "nearest" });
  });
  show(opened.has(id));
  return button;
}
