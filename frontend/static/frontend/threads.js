// @ts-check
// "Threads you follow" (GET /api/threads/): the threads you started, replied
// in or chose to follow, latest activity first, each with its unread replies
// and its latest reply. Kept current by the socket: a reply in one of them, or
// your reading of one (thread.unread), redraws the list.

import { get } from "./api.js";
import { h, plainText, plural, timeEl } from "./dom.js";
import { errorText } from "./errors.js";
import { threadLink } from "./links.js";

/** @import { CausewaySocket } from "./socket.js" */
/** @import { FollowedThread, FollowedThreads } from "./wire.gen.js" */

const RELOAD_PAUSE_MS = 300;
const PREVIEW_CHARS = 120;

/** @param {string} text */
function preview(text) {
  const plain = plainText(text);
  return plain.length > PREVIEW_CHARS ? `${plain.slice(0, PREVIEW_CHARS).trimEnd()}…` : plain;
}

/**
 * Fill `list` with the threads the person follows, and keep it current.
 * @param {HTMLElement} list an <ol>
 * @param {CausewaySocket} socket
 */
export function mountFollowedThreads(list, socket) {
  /** @type {Set<number>} roots listed now */
  let roots = new Set();
  /** @type {number | null} */
  let next = null;
  const more = h("button", { type: "button", class: "link", hidden: true }, "Older threads");
  list.after(more);

  /** @param {FollowedThread} t */
  function entry(t) {
    const last = t.last_reply;
    return h(
      "li",
      { class: `followed${t.unread ? " has-unread" : ""}`, dataset: { root: t.root.id } },
      h(
        "a",
        { href: threadLink(t.room.id, t.root.id) },
        h("span", { class: "followed-title" }, preview(t.root.body) || "(files)"),
        t.unread ? h("span", { class: "badge", aria: { label: plural(t.unread, "unread reply", "unread replies") } }, String(t.unread)) : null,
      ),
      h(
        "span",
        { class: "work-meta" },
        h("span", { class: "muted" }, t.room.name),
        h("span", { class: "muted" }, plural(t.root.reply_count, "reply", "replies")),
        last ? h("span", { class: "muted" }, `${last.author.name}: ${preview(last.body)}`) : null,
        timeEl(last?.created_at ?? t.root.created_at),
      ),
    );
  }

  async function load(offset = 0) {
    try {
      /** @type {FollowedThreads} */
      const data = await get(`/api/threads/${offset ? `?offset=${offset}` : ""}`);
      const items = data.threads.map(entry);
      if (offset) list.append(...items);
      else list.replaceChildren(...(items.length ? items : [h("li", { class: "muted" }, "No threads yet. Reply in one, or Follow it, and it shows here.")]));
      roots = new Set([...(offset ? roots : []), ...data.threads.map((t) => t.root.id)]);
      next = data.next;
      more.hidden = next === null;
    } catch (e) {
      list.replaceChildren(h("li", { class: "form-error" }, errorText(e)));
    }
  }

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let pause;
  const reload = () => {
    clearTimeout(pause);
    pause = setTimeout(() => load(), RELOAD_PAUSE_MS);
  };
  socket.on("thread.unread", reload);
  socket.on("message.new", (frame) => {
    if (frame.message.thread !== null && roots.has(frame.message.thread)) reload();
  });
  more.addEventListener("click", () => {
    if (next !== null) load(next);
  });
  load();
}
