// @ts-check
// DOM helpers. Every piece of dynamic text goes into the page as text
// (createElement / textContent). The one exception is `serverHTML`, for the
// HTML the server rendered and sanitized (message.html, item.html).

import { WORK_ITEM_STATUS_LABELS } from "./wire.gen.js";

/**
 * What `h()` accepts as a child: strings and numbers become text nodes;
 * null, undefined and false are skipped; arrays are flattened.
 * @typedef {Node | string | number | null | undefined | false | ReadonlyArray<Child>} Child
 */

/**
 * `h()`'s properties: `class`, `dataset`, `aria` (aria-* attributes), `text`
 * (textContent), `on<event>` listeners, DOM properties (a non-string value
 * for a name the element has, such as `checked` or `draggable`), and
 * attributes (anything else; `true` is an empty attribute). null, undefined
 * and false leave a property out.
 * @typedef {{
 *   class?: string,
 *   dataset?: Record<string, string | number | boolean>,
 *   aria?: Record<string, string | number | boolean | null | undefined>,
 *   text?: string,
 *   [listener: `on${string}`]: ((event: Event) => void) | null | undefined,
 *   [name: string]: unknown,
 * }} Props
 */

/**
 * The element type of a tag name (`h("input")` is an HTMLInputElement).
 * @template {string} K
 * @typedef {K extends keyof HTMLElementTagNameMap ? HTMLElementTagNameMap[K] : HTMLElement} ElementFor
 */

/**
 * h("button", {class: "x", onclick: fn, aria: {label: "Close"}}, "text", child)
 * @template {string} K
 * @param {K} tag
 * @param {Props | null} [props]
 * @param {...Child} children
 * @returns {ElementFor<K>}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = String(value);
    else if (key === "dataset") {
      for (const [name, v] of Object.entries(/** @type {Record<string, unknown>} */ (value))) el.dataset[name] = String(v);
    } else if (key === "aria") {
      for (const [name, v] of Object.entries(/** @type {Record<string, unknown>} */ (value))) {
        if (v !== null && v !== undefined) el.setAttribute(`aria-${name}`, String(v));
      }
    } else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    } else if (key === "text") el.textContent = String(value);
    else if (key in el && typeof value !== "string") Reflect.set(el, key, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  // What document.createElement's own overloads say it returns for `tag`.
  return /** @type {ElementFor<K>} */ (el);
}

/**
 * @template {Element | DocumentFragment} E
 * @param {E} el
 * @param {ReadonlyArray<Child>} children
 * @returns {E}
 */
export function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/**
 * The only place the app assigns innerHTML: sanitized HTML from the server.
 * @template {Element} E
 * @param {E} el
 * @param {string} html
 * @returns {E}
 */
export function serverHTML(el, html) {
  el.innerHTML = html; // rooms/markdown.py: markdown-it without raw HTML, then nh3 allow-list
  for (const a of el.querySelectorAll("a[href]")) {
    if (!(a instanceof HTMLAnchorElement)) continue;
    a.target = "_blank";
    a.rel = "noopener noreferrer nofollow";
  }
  return el;
}

/**
 * The element the page must have: throws, naming it, when it is missing or
 * of another kind (the templates and the modules disagree: a bug).
 * @template {Element} [T=HTMLElement]
 * @param {string} selector
 * @param {ParentNode} [root]
 * @param {{new (): T, prototype: T}} [type] what it must be (HTMLElement by default)
 * @returns {T}
 */
export function $(selector, root = document, type) {
  const el = root.querySelector(selector);
  if (!(el instanceof (type ?? HTMLElement))) throw new Error(`The page has no ${type?.name ?? "element"} ${selector}`);
  return /** @type {T} */ (el);
}

/**
 * The element, or null when this page has none.
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {HTMLElement | null}
 */
export function $maybe(selector, root = document) {
  const el = root.querySelector(selector);
  return el instanceof HTMLElement ? el : null;
}

/**
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {HTMLElement[]}
 */
export function $all(selector, root = document) {
  return Array.from(root.querySelectorAll(selector)).filter((el) => el instanceof HTMLElement);
}

/**
 * "AB" for "Anna Berg", "?" for nothing.
 * @param {string | null | undefined} name
 */
export function initials(name) {
  // The first letter or digit of each word: "Ben O. (Supply)" is BS, not B(.
  const letters = String(name || "")
    .trim()
    .split(/\s+/)
    .map((word) => word.match(/[\p{L}\p{N}]/u)?.[0])
    .filter((letter) => letter !== undefined);
  const first = letters[0] ?? "?";
  const last = letters.length > 1 ? (letters[letters.length - 1] ?? "") : "";
  return (first + last).toUpperCase();
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** @param {string | null | undefined} iso */
export function shortTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  return today ? timeFormat.format(date) : `${dayFormat.format(date)} ${timeFormat.format(date)}`;
}

/** @param {string | null | undefined} iso */
export function fullTime(iso) {
  return iso ? fullFormat.format(new Date(iso)) : "";
}

/**
 * A <time> element: short text, full date on hover, machine-readable value.
 * @param {string} iso
 */
export function timeEl(iso, cls = "time") {
  return h("time", { class: cls, datetime: iso, title: fullTime(iso) }, shortTime(iso));
}

/**
 * "12:05" or "1:02:05" for a number of seconds.
 * @param {number} seconds
 */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(hours ? 2 : 1, "0");
  const ss = String(s % 60).padStart(2, "0");
  return hours ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`;
}

/**
 * @param {number} n
 * @param {string} one
 */
export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Plain text of a Markdown source, for titles made from a message.
 * @param {string | null | undefined} markdown
 */
export function plainText(markdown) {
  return String(markdown || "")
    .replace(/```[\s\S]*?```/g, " ")
    .replace(/[*_~`>#]+/g, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * The page's boot object (`json_script`, frontend/views.py). Its shape is
 * the page's to know: home.js and room.js each name theirs.
 * @returns {unknown}
 */
export function readBoot() {
  const node = document.getElementById("boot");
  return node ? JSON.parse(node.textContent ?? "{}") : {};
}

/**
 * A button that asks for a second click before doing something destructive.
 * Armed, it goes back by itself after 4 s, or at once on Escape (which then
 * closes nothing else: the panel it sits in stays open).
 * @param {string} label
 * @param {string} confirmLabel
 * @param {() => void} onConfirm
 * @param {Props} [props]
 */
export function confirmButton(label, confirmLabel, onConfirm, props = {}) {
  /** @type {ReturnType<typeof setTimeout> | null} */
  let armed = null;
  const button = h("button", { type: "button", ...props }, label);
  const disarm = () => {
    if (armed) clearTimeout(armed);
    armed = null;
    button.textContent = label;
    button.classList.remove("armed");
  };
  button.addEventListener("click", () => {
    if (armed) {
      disarm();
      onConfirm();
      return;
    }
    button.textContent = confirmLabel;
    button.classList.add("armed");
    armed = setTimeout(disarm, 4000);
  });
  button.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !armed) return;
    event.preventDefault();
    event.stopPropagation();
    disarm();
  });
  return button;
}

/**
 * Look something up as the person types in `input` (after a pause), and now:
 * `run(words, isLatest)` gets the box's trimmed text and a check that says
 * whether its answer is still wanted (a later lookup started since: drop it,
 * an older answer arriving late must not replace a newer one). Returns the
 * function that runs it at once (a reload).
 * @param {HTMLInputElement} input
 * @param {(words: string, isLatest: () => boolean) => Promise<void>} run
 * @param {number} [pause] ms after the last keystroke
 */
export function asYouType(input, run, pause = 150) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let asked = 0;
  const now = () => {
    clearTimeout(timer);
    const mine = ++asked;
    return run(input.value.trim(), () => mine === asked);
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(now, pause);
  });
  return now;
}

/**
 * A label and its control, for the work item forms.
 * @param {string} id the control's id
 * @param {string} label
 * @param {HTMLElement} control
 */
export function field(id, label, control) {
  return h("div", { class: "field" }, h("label", { for: id }, label), control);
}

/**
 * A work item status as people read it (WorkItem.Status's label).
 * @param {string} status
 */
export function statusLabel(status) {
  return WORK_ITEM_STATUS_LABELS[status] ?? status;
}

/** @type {Readonly<Record<number, string>>} */
export const PRIORITY_LABELS = { 1: "P1 · urgent", 2: "P2 · high", 3: "P3 · normal", 4: "P4 · low" };

/** The priorities a work item may have, highest first (protocol.md, `workitem.create`). */
export const PRIORITIES = [1, 2, 3, 4];
