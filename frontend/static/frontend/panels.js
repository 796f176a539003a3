// @ts-check
// The room page's one side panel (thread, work item, members, forms). On a
// phone it covers the screen. Escape closes it and focus goes back to where
// it was.

import { $ } from "./dom.js";

export class Panel {
  /** @param {HTMLElement} aside */
  constructor(aside) {
    this.aside = aside;
    this.title = $("#panel-title", aside);
    this.body = $("#panel-body", aside);
    /** @type {string | null} */
    this.key = null;
    /** @type {(() => void) | null} */
    this.onClose = null;
    /** @type {Element | null} */
    this.returnFocus = null;
    $("#panel-close", aside).addEventListener("click", () => this.close());
    document.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || event.defaultPrevented || this.aside.hidden) return;
      event.preventDefault();
      this.close();
    });
  }

  /**
   * Show `content` under `title`; `key` names what is shown ("thread:12", "members").
   * @param {string} key
   * @param {string} title
   * @param {Node} content
   * @param {{onClose?: (() => void) | null, focus?: HTMLElement | null}} [options]
   */
  open(key, title, content, { onClose = null, focus = null } = {}) {
    const wasOpen = !this.aside.hidden;
    if (this.onClose) this.onClose();
    if (!wasOpen) this.returnFocus = document.activeElement;
    this.key = key;
    this.onClose = onClose;
    this.title.textContent = title;
    this.body.replaceChildren(content);
    this.body.scrollTop = 0;
    this.aside.hidden = false;
    this.aside.dataset.kind = key.split(":")[0] ?? key;
    document.body.classList.add("panel-open");
    (focus || this.title).focus({ preventScroll: true });
  }

  close() {
    if (this.aside.hidden) return;
    if (this.onClose) this.onClose();
    this.onClose = null;
    this.key = null;
    this.aside.hidden = true;
    this.body.replaceChildren();
    document.body.classList.remove("panel-open");
    if (this.returnFocus instanceof HTMLElement && this.returnFocus.isConnected) this.returnFocus.focus({ preventScroll: true });
  }

  /** @param {string} key */
  is(key) {
    return !this.aside.hidden && this.key === key;
  }

  /** @param {string} title */
  setTitle(title) {
    this.title.textContent = title;
  }
}
