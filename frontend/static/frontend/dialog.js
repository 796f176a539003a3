// @ts-check
// A modal confirmation for steps that cross a boundary or cannot be undone
// (sharing a note with the partner, ending a partnership). A native <dialog>
// opened with showModal(): the rest of the page is inert, focus stays inside,
// Escape cancels. Nothing is preselected to confirm: focus starts on Cancel.

import { h } from "./dom.js";
import { errorText } from "./errors.js";

/** @import { Child } from "./dom.js" */

/**
 * @template T
 * @typedef {object} DialogOptions
 * @property {string} title the question
 * @property {Child} content what will happen, to whom
 * @property {string} confirmLabel the button that does it, naming the consequence
 * @property {() => T | Promise<T>} onConfirm does the work; throw to keep the dialog open with the error shown
 * @property {HTMLElement | null} [fields] form controls drawn above the buttons (a reason, say)
 * @property {boolean} [danger]
 */

/**
 * Ask, and resolve to the value `onConfirm` returned (true if it returned
 * nothing), or null when cancelled.
 * @template T
 * @param {DialogOptions<T>} options
 * @returns {Promise<NonNullable<T> | true | null>}
 */
export function confirmDialog({ title, content, confirmLabel, onConfirm, fields = null, danger = false }) {
  return new Promise((resolve) => {
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const cancel = h("button", { type: "button", class: "button", value: "cancel" }, "Cancel");
    const confirm = h("button", { type: "submit", class: `button ${danger ? "danger" : "primary"}` }, confirmLabel);
    const heading = h("h2", { class: "dialog-title" }, title);
    const form = h(
      "form",
      { method: "dialog", class: "dialog-form" },
      heading,
      h("div", { class: "dialog-content" }, content),
      fields,
      error,
      h("div", { class: "form-actions" }, cancel, confirm),
    );
    const dialog = h("dialog", { class: "confirm-dialog", aria: { labelledby: null } }, form);
    heading.id = `dialog-title-${Math.random().toString(36).slice(2)}`;
    dialog.setAttribute("aria-labelledby", heading.id);
    const returnFocus = document.activeElement;
    /** @type {NonNullable<T> | true | null} */
    let result = null;
    const close = () => {
      dialog.close();
      dialog.remove();
      if (returnFocus instanceof HTMLElement && returnFocus.isConnected) returnFocus.focus({ preventScroll: true });
      resolve(result);
    };
    cancel.addEventListener("click", close);
    form.addEventListener("input", () => (error.hidden = true));
    // Escape closes this dialog only, not the panel underneath.
    dialog.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        close();
      }
    });
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      close();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      confirm.disabled = cancel.disabled = true;
      error.hidden = true;
      try {
        result = (await onConfirm()) ?? true;
        close();
      } catch (e) {
        error.textContent = errorText(e);
        error.hidden = false;
        confirm.disabled = cancel.disabled = false;
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
