// @ts-check
// The keyboard in a message list (the room's, a thread's). The list is one
// Tab stop: a roving tabindex over its messages, so Tab goes from the top of
// the page to the composer in a few steps, not through every message's
// buttons and links. On a focused message:
//   ↑ ↓ (or k j)   the previous / next message; Home, End; PageUp, PageDown by 10
//   Enter          into the message: ← → move among its links and buttons,
//                  Escape goes back to the message
//   r  reply in its thread   e  edit (yours)   l  copy its link
//   w  make a work item      +  add a reaction   p  the author's card
//   Delete  arm "Confirm delete" (Enter confirms, Escape takes it back)
// A message redrawn (an edit, a new reply count) keeps the place by its id.

/** What inside a message can take focus; each is kept out of the Tab order. */
const INTERACTIVE = "a[href], button, input, select, textarea, summary, [tabindex]";
const STEP_PAGE = 10;

/** @param {Element} el */
function isTyping(el) {
  return el instanceof HTMLTextAreaElement || el instanceof HTMLInputElement || el instanceof HTMLSelectElement;
}

/**
 * @param {HTMLElement} li
 * @returns {HTMLElement[]}
 */
function controlsOf(li) {
  return /** @type {HTMLElement[]} */ ([...li.querySelectorAll(INTERACTIVE)]).filter(
    (el) => !el.closest(".inline-edit") && el.getClientRects().length > 0,
  );
}

/**
 * Make `ol` (a MessageList's) one Tab stop with arrow keys between messages.
 * @param {HTMLElement} ol
 */
export function rovingMessages(ol) {
  // Said by screen readers when the list takes the focus.
  const hint = document.createElement("p");
  hint.id = `keys-${Math.random().toString(36).slice(2, 8)}`;
  hint.className = "sr-only";
  hint.textContent =
    "Arrow keys move between messages. Enter reaches a message's actions; R replies, E edits your own, L copies its link, plus adds a reaction, P opens the author's card.";
  ol.setAttribute("aria-describedby", hint.id);
  const placeHint = () => {
    if (!hint.isConnected && ol.parentNode) ol.before(hint);
  };
  placeHint(); // a list built before it is in the page (a thread's) places it on first focus
  /** @type {string | null} the focusable message's data-id (or client id while pending) */
  let currentKey = null;
  /** @param {HTMLElement} li */
  const keyOf = (li) => li.dataset.id || `c:${li.dataset.clientId ?? ""}`;
  const messages = () => /** @type {HTMLElement[]} */ ([...ol.querySelectorAll(":scope > li.msg")]);
  const current = () => {
    const all = messages();
    return all.find((li) => keyOf(li) === currentKey) ?? all.at(-1) ?? null;
  };

  /** Every control inside a message out of the Tab order; one message in it. */
  const settle = () => {
    for (const el of ol.querySelectorAll(INTERACTIVE)) {
      if (el instanceof HTMLElement && !el.matches("li.msg") && !el.closest(".inline-edit")) el.tabIndex = -1;
    }
    const chosen = current();
    for (const li of messages()) li.tabIndex = li === chosen ? 0 : -1;
  };
  new MutationObserver(settle).observe(ol, { childList: true, subtree: true });

  /** @param {HTMLElement | null | undefined} li */
  const focusMessage = (li) => {
    if (!li) return;
    currentKey = keyOf(li);
    settle();
    li.focus();
    li.scrollIntoView({ block: "nearest" });
  };

  ol.addEventListener("focusin", (event) => {
    placeHint();
    const li = event.target instanceof Element ? event.target.closest("li.msg") : null;
    if (!(li instanceof HTMLElement) || keyOf(li) === currentKey) return;
    currentKey = keyOf(li);
    settle();
  });

  /**
   * The message's tool named by `label` (its aria-label or text), clicked.
   * @param {HTMLElement} li
   * @param {(button: HTMLElement) => boolean} which
   */
  const press = (li, which) => {
    const button = /** @type {HTMLElement[]} */ ([...li.querySelectorAll("button")]).find(which);
    if (!button) return false;
    button.click();
    return true;
  };
  /** @param {string} text */
  const named = (text) => (/** @type {HTMLElement} */ b) => (b.getAttribute("aria-label") ?? b.textContent ?? "").startsWith(text);

  ol.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = /** @type {HTMLElement} */ (event.target);
    if (isTyping(target)) return;
    const li = /** @type {HTMLElement | null} */ (target.closest("li.msg"));
    if (!li) return;
    const all = messages();
    const at = all.indexOf(li);

    if (target !== li) {
      // Inside a message: its controls in a row.
      const controls = controlsOf(li);
      const i = controls.indexOf(target);
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        event.preventDefault();
        const step = event.key === "ArrowRight" ? 1 : controls.length - 1;
        controls[(i + step) % controls.length]?.focus();
      } else if (event.key === "Escape") {
        event.preventDefault();
        focusMessage(li);
      }
      return;
    }

    /** @type {Record<string, () => HTMLElement | null | undefined>} */
    const moves = {
      ArrowDown: () => all[at + 1],
      j: () => all[at + 1],
      ArrowUp: () => all[at - 1],
      k: () => all[at - 1],
      Home: () => all[0],
      End: () => all.at(-1),
      PageDown: () => all[Math.min(all.length - 1, at + STEP_PAGE)],
      PageUp: () => all[Math.max(0, at - STEP_PAGE)],
    };
    const move = moves[event.key];
    if (move) {
      event.preventDefault();
      focusMessage(move() ?? li);
      return;
    }
    if (event.key === "Enter") {
      const first = controlsOf(li)[0];
      if (first) {
        event.preventDefault();
        first.focus();
      }
      return;
    }
    /** @type {Record<string, (button: HTMLElement) => boolean>} */
    const shortcuts = {
      r: (b) => named("Reply in thread")(b) || b.classList.contains("replies") || b.classList.contains("in-thread"),
      e: named("Edit message"),
      l: named("Copy a link"),
      w: named("Create a work item"),
      "+": named("React to this message"),
      p: (b) => b.classList.contains("person-name"),
    };
    const shortcut = shortcuts[event.key.toLowerCase()];
    if (shortcut && press(li, shortcut)) {
      event.preventDefault();
      return;
    }
    if (event.key === "Delete") {
      const remove = /** @type {HTMLElement | undefined} */ ([...li.querySelectorAll("button.danger")][0]);
      if (!remove) return;
      event.preventDefault();
      remove.focus();
      remove.click(); // armed: Enter confirms, Escape takes it back
    }
  });
  settle();
}
