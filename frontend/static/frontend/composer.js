// @ts-check
// The Markdown composer: Enter sends, Shift+Enter adds a line, a preview
// toggle, @mention completion from the room's members, and a throttled
// typing notice. It says plainly who will see what you write (`scopeText`).
// A message the server would refuse for its size is not sent: `onSend` throws
// (socket.js, code "too_large"), the composer says why and keeps the text.
// No `maxlength` on the box: it would cut a long paste short without a word.

import { h, serverHTML } from "./dom.js";
import { errorCode, errorText } from "./errors.js";
import { acceptFiles } from "./files.js";
import { renderPreview } from "./md.js";
import { TYPING_MIN_INTERVAL } from "./wire.gen.js";

/** @import { FileData, PersonRef } from "./wire.gen.js" */
/** @import { FileTray } from "./files.js" */

// The server forwards one notice per (room, thread) in this interval anyway.
const TYPING_EVERY = TYPING_MIN_INTERVAL * 1000;

/**
 * @typedef {object} ComposerOptions
 * @property {"shared" | "internal"} [scope] who reads what is written here
 * @property {string} [scopeText] that, in words
 * @property {string} [placeholder]
 * @property {string} [label]
 * @property {string} [sendLabel]
 * @property {(body: string, files: FileData[]) => boolean | void} onSend false keeps the text; a throw with code "too_large" shows why
 * @property {FileTray | null} [tray] files to send with the message (null: no attaching here)
 * @property {(stop?: boolean) => void} [onTyping] a typing notice; `true` takes it back (the text was erased)
 * @property {() => ReadonlyArray<PersonRef>} [members] whom `@` offers
 * @property {number} [maxChars] for the counter only
 * @property {() => boolean} [onEditLast] Up in an empty box: edit your last message; false if there is none
 */

/** @typedef {{start: number, items: ReadonlyArray<PersonRef>, index: number}} Mention the open @ list */

/** @param {ComposerOptions} options */
export function createComposer({
  scope = "shared",
  scopeText = "",
  placeholder = "Write a message",
  label = "Message",
  sendLabel = "Send",
  onSend,
  onTyping = () => {},
  members = () => [],
  maxChars = 10000,
  tray = null,
  onEditLast = () => false,
}) {
  let lastTyping = 0;
  /** @type {Mention | null} */
  let mention = null;
  const id = `composer-${Math.random().toString(36).slice(2, 8)}`;

  const input = h("textarea", {
    id,
    class: "composer-input",
    rows: 1,
    placeholder,
    aria: { label, describedby: `${id}-scope`, autocomplete: "list" },
  });
  const preview = h("div", { class: "preview message-body", hidden: true, aria: { label: "Preview" } });
  const previewButton = h("button", { type: "button", class: "link small", aria: { pressed: "false" } }, "Preview");
  const send = h("button", { type: "submit", class: "button primary send" }, sendLabel);
  const attach = tray
    ? h("button", { type: "button", class: "link small attach", aria: { label: "Attach files" }, title: "Attach files (or drop or paste them here)", onclick: () => tray.choose() }, "Attach")
    : null;
  const counter = h("span", { class: "counter", aria: { live: "polite" } });
  const problem = h("p", { class: "composer-problem", role: "alert", hidden: true });
  const suggest = h("ul", { class: "mention-list", role: "listbox", hidden: true, aria: { label: "People to mention" } });
  const scopeLine = h("div", { class: `composer-scope scope-${scope}`, id: `${id}-scope` }, scopeText);
  const form = h(
    "form",
    { class: `composer composer-${scope}`, autocomplete: "off", aria: { label } },
    scopeLine,
    h(
      "div",
      { class: "composer-box" },
      suggest,
      problem,
      tray ? tray.el : null,
      tray ? tray.picker : null,
      input,
      preview,
      h(
        "div",
        { class: "composer-bar" },
        h("span", { class: "hint" }, `Markdown · Enter to send · Shift+Enter for a new line${tray ? " · drop or paste files" : ""}`),
        counter,
        attach,
        previewButton,
        send,
      ),
    ),
  );

  function grow() {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
  }

  let previewRound = 0; // a reply for an earlier preview is dropped
  /** @param {boolean} on */
  async function showPreview(on) {
    previewButton.setAttribute("aria-pressed", String(on));
    previewButton.textContent = on ? "Edit" : "Preview";
    preview.hidden = !on;
    input.hidden = on;
    const round = ++previewRound;
    if (!on) {
      input.focus();
      return;
    }
    if (!input.value.trim()) {
      preview.replaceChildren(h("p", { class: "muted" }, "Nothing to preview."));
      return;
    }
    // The server's renderer, the one the message will be shown with.
    preview.setAttribute("aria-busy", "true");
    preview.replaceChildren(h("p", { class: "muted" }, "Rendering the preview…"));
    try {
      const html = await renderPreview(input.value);
      if (round === previewRound) serverHTML(preview, html);
    } catch (error) {
      if (round === previewRound) preview.replaceChildren(h("p", { class: "form-error", role: "alert" }, `No preview: ${errorText(error)}`));
    } finally {
      if (round === previewRound) preview.removeAttribute("aria-busy");
    }
  }

  /** @param {string} text */
  function showProblem(text) {
    problem.textContent = text;
    problem.hidden = !text;
  }

  let waiting = false;

  /** @param {boolean} on the message waits for its files: nothing can change it meanwhile */
  function setWaiting(on) {
    waiting = on;
    input.readOnly = on;
    send.disabled = on;
    if (tray) tray.locked = on;
    if (attach) attach.disabled = on;
    send.textContent = on ? "Sending when uploaded…" : sendLabel;
  }

  async function submit() {
    const body = input.value.trim();
    if (waiting || (!body && !tray?.count)) return;
    /** @type {FileData[]} */
    let files = [];
    if (tray?.count) {
      setWaiting(true);
      const ready = await tray.ready();
      setWaiting(false);
      if (ready === null) {
        showProblem("A file could not be uploaded: remove it, or attach it again.");
        return;
      }
      if (!ready.length && !body) return; // every file was cancelled meanwhile
      files = ready;
    }
    try {
      if (onSend(body, files) === false) return;
    } catch (error) {
      if (errorCode(error) !== "too_large") throw error;
      showPreview(false);
      showProblem(errorText(error));
      return;
    }
    showProblem("");
    input.value = "";
    tray?.clear();
    counter.textContent = "";
    showPreview(false);
    grow();
    closeMentions();
  }

  // --- @mentions ---------------------------------------------------------------
  function closeMentions() {
    mention = null;
    suggest.hidden = true;
    suggest.replaceChildren();
    input.removeAttribute("aria-activedescendant");
  }

  function updateMentions() {
    const upto = input.value.slice(0, input.selectionStart);
    const typed = upto.match(/(^|\s)@([\w.+-]*)$/)?.[2];
    if (typed === undefined) return closeMentions();
    const query = typed.toLowerCase();
    const items = members()
      .filter((p) => p.handle && (p.handle.startsWith(query) || p.name.toLowerCase().includes(query)))
      .slice(0, 6);
    if (!items.length) return closeMentions();
    mention = { start: upto.length - typed.length - 1, items, index: 0 };
    drawMentions(mention);
  }

  /** @param {Mention} mention */
  function drawMentions(mention) {
    suggest.replaceChildren(
      ...mention.items.map((p, i) =>
        h(
          "li",
          {
            id: `${id}-opt-${i}`,
            role: "option",
            class: i === mention.index ? "active" : "",
            aria: { selected: String(i === mention.index) },
            onmousedown: (e) => {
              e.preventDefault();
              mention.index = i;
              pickMention(mention);
            },
          },
          h("strong", {}, p.name),
          " ",
          h("span", { class: "muted" }, `@${p.handle}`),
          p.org ? h("span", { class: "muted" }, ` · ${p.org.name}`) : null,
        ),
      ),
    );
    suggest.hidden = false;
    input.setAttribute("aria-activedescendant", `${id}-opt-${mention.index}`);
  }

  /** @param {Mention} mention */
  function pickMention(mention) {
    const person = mention.items[mention.index];
    if (!person) return closeMentions();
    const before = input.value.slice(0, mention.start);
    const after = input.value.slice(input.selectionStart);
    input.value = `${before}@${person.handle} ${after}`;
    const caret = before.length + person.handle.length + 2;
    input.setSelectionRange(caret, caret);
    closeMentions();
    input.focus();
  }

  input.addEventListener("keydown", (event) => {
    if (mention) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const n = mention.items.length;
        mention.index = (mention.index + (event.key === "ArrowDown" ? 1 : n - 1)) % n;
        return drawMentions(mention);
      }
      if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        return pickMention(mention);
      }
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        return closeMentions();
      }
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
    // Up in an empty box edits your last message (as in Slack and Zulip).
    const plain = !event.shiftKey && !event.ctrlKey && !event.metaKey && !event.altKey;
    if (event.key === "ArrowUp" && plain && !input.value && onEditLast()) event.preventDefault();
  });
  input.addEventListener("input", () => {
    grow();
    updateMentions();
    showProblem("");
    // A hint only (maxChars may be the default from before the server's
    // hello); sending checks the server's own limits.
    const left = maxChars - input.value.length;
    counter.textContent = left >= 0 && left < 500 ? `${left} left` : "";
    const now = Date.now();
    if (input.value && now - lastTyping > TYPING_EVERY) {
      lastTyping = now;
      onTyping();
    } else if (!input.value && lastTyping) {
      // Erased: the others stop seeing "… is typing" now, not when it expires.
      lastTyping = 0;
      onTyping(true);
    }
  });
  input.addEventListener("blur", () => setTimeout(closeMentions, 150));
  previewButton.addEventListener("click", () => showPreview(Boolean(preview.hidden)));
  if (tray) acceptFiles(form, input, tray);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });

  return {
    el: form,
    input,
    focus: () => input.focus(),
    /**
     * @param {string} text
     * @param {"shared" | "internal"} [kind]
     */
    setScope(text, kind = scope) {
      scopeLine.textContent = text;
      scopeLine.className = `composer-scope scope-${kind}`;
    },
  };
}
