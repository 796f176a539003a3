// DOM helpers. Every piece of dynamic text goes into the page as text
// (createElement / textContent). The one exception is `serverHTML`, for the
// HTML the server rendered and sanitized (message.html, item.html).

/**
 * h("button", {class: "x", onclick: fn, aria: {label: "Close"}}, "text", child)
 * Strings become text nodes; null/false children are skipped.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "aria") {
      for (const [name, v] of Object.entries(value)) {
        if (v !== null && v !== undefined) el.setAttribute(`aria-${name}`, String(v));
      }
    } else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "text") el.textContent = value;
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** The only place the app assigns innerHTML: sanitized HTML from the server. */
export function serverHTML(el, html) {
  el.innerHTML = html; // rooms/markdown.py: markdown-it without raw HTML, then nh3 allow-list
  for (const a of el.querySelectorAll("a[href]")) {
    a.target = "_blank";
    a.rel = "noopener noreferrer nofollow";
  }
  return el;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function $all(selector, root = document) {
  return Array.from(root.querySelectorAll(selector));
}

export function initials(name) {
  const parts = String(name || "?").trim().split(/\s+/);
  return (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function shortTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  return today ? timeFormat.format(date) : `${dayFormat.format(date)} ${timeFormat.format(date)}`;
}

export function fullTime(iso) {
  return iso ? fullFormat.format(new Date(iso)) : "";
}

/** A <time> element: short text, full date on hover, machine-readable value. */
export function timeEl(iso, cls = "time") {
  return h("time", { class: cls, datetime: iso, title: fullTime(iso) }, shortTime(iso));
}

/** "12:05" or "1:02:05" for a number of seconds. */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(hours ? 2 : 1, "0");
  const ss = String(s % 60).padStart(2, "0");
  return hours ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** Plain text of a Markdown source, for titles made from a message. */
export function plainText(markdown) {
  return String(markdown || "")
    .replace(/```[\s\S]*?```/g, " ")
    .replace(/[*_~`>#]+/g, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\s+/g, " ")
    .trim();
}

export function readBoot() {
  const node = document.getElementById("boot");
  return node ? JSON.parse(node.textContent) : {};
}

/** A button that asks for a second click before doing something destructive. */
export function confirmButton(label, confirmLabel, onConfirm, props = {}) {
  let armed = null;
  const button = h("button", { type: "button", ...props }, label);
  button.addEventListener("click", () => {
    if (armed) {
      clearTimeout(armed);
      armed = null;
      button.textContent = label;
      button.classList.remove("armed");
      onConfirm();
      return;
    }
    button.textContent = confirmLabel;
    button.classList.add("armed");
    armed = setTimeout(() => {
      armed = null;
      button.textContent = label;
      button.classList.remove("armed");
    }, 4000);
  });
  return button;
}

export const STATUS_LABELS = {
  open: "Open",
  in_progress: "In progress",
  blocked: "Blocked",
  done: "Done",
  cancelled: "Cancelled",
};

// WorkItem.TRANSITIONS (docs/protocol.md, workitem.update).
export const TRANSITIONS = {
  open: ["in_progress", "blocked", "done", "cancelled"],
  in_progress: ["open", "blocked", "done", "cancelled"],
  blocked: ["open", "in_progress", "cancelled"],
  done: ["open"],
  cancelled: ["open"],
};

export const PRIORITY_LABELS = { 1: "P1 · urgent", 2: "P2 · high", 3: "P3 · normal", 4: "P4 · low" };
