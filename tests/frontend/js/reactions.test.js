// A message's reactions and its "Show more" (reactions.js, longmessage.js,
// drawn by messages.js into messagelist.js) in a jsdom document: what a
// person sees and presses, and where the focus stays when the message is
// redrawn by the room's `reaction.updated`.

import "./support/jsdom.js";

import assert from "node:assert/strict";
import { beforeEach, describe, test } from "node:test";

import { isLong } from "../../../frontend/static/frontend/longmessage.js";
import { MessageList } from "../../../frontend/static/frontend/messagelist.js";
import { reactedBy } from "../../../frontend/static/frontend/reactions.js";
import { REACTION_EMOJI } from "../../../frontend/static/frontend/wire.gen.js";

const ME = { id: 7, name: "Cleo Client", handle: "cleo", title: "", org: { id: 2, name: "Acme", slug: "acme" }, display_name: "Cleo", admin: false };
const SAM = { id: 3, name: "Sam Supplier", handle: "sam", title: "", org: { id: 1, name: "Northwind", slug: "northwind" } };
const noop = () => {};

/** @type {HTMLOListElement} */
let ol;
/** @type {MessageList} */
let list;
/** @type {Array<[number, string, boolean]>} */
let reacted;

function listWith(react) {
  return new MessageList(ol, {
    me: ME,
    inThread: false,
    actions: { openThread: noop, edit: noop, remove: noop, makeItem: noop, openItem: noop, retry: noop, discard: noop, react },
  });
}

beforeEach(() => {
  document.body.replaceChildren();
  ol = document.createElement("ol");
  document.body.append(ol);
  reacted = [];
  list = listWith((message, emoji, on) => reacted.push([message.id, emoji, on]));
});

function stored(id, { body = `message ${id}`, reactions = [] } = {}) {
  return {
    id,
    room: 12,
    seq: id,
    kind: "message",
    author: SAM,
    client_id: "",
    body,
    html: `<p>${body}</p>`,
    thread: null,
    in_room: false,
    created_at: "2026-11-22T10:41:05.123456+00:00",
    edited_at: null,
    deleted: false,
    reply_count: 0,
    last_reply_at: null,
    mentions: [],
    files: [],
    reactions,
  };
}

const thumbs = (...people) => ({ emoji: "👍", count: people.length, people });

/** @param {number} id */
const li = (id) => /** @type {HTMLElement} */ (ol.querySelector(`[data-id="${id}"]`));

describe("the reaction bar", () => {
  test("shows each emoji with its count, pressed when one of them is me", () => {
    list.upsert(stored(1, { reactions: [thumbs(SAM, ME), { emoji: "🎉", count: 1, people: [SAM] }] }));
    const buttons = [...li(1).querySelectorAll(".reaction")];
    assert.deepEqual(
      buttons.map((b) => [b.textContent, b.getAttribute("aria-pressed")]),
      [["👍2", "true"], ["🎉1", "false"]],
    );
    assert.equal(buttons[0].title, "Sam Supplier and you reacted with 👍");
  });

  test("a button takes my emoji away when pressed, adds it when not", () => {
    list.upsert(stored(1, { reactions: [thumbs(SAM, ME), { emoji: "🎉", count: 1, people: [SAM] }] }));
    for (const b of li(1).querySelectorAll(".reaction")) b.click();
    assert.deepEqual(reacted, [[1, "👍", false], [1, "🎉", true]]);
  });

  test("a message without reactions shows no bar, but its React tool opens the picker of the server's emoji", () => {
    list.upsert(stored(1));
    assert.equal(li(1).querySelector(".reactions").hidden, true);
    const tool = li(1).querySelector('[aria-label="React to this message"]');
    tool.click();
    const choices = [...li(1).querySelectorAll(".reaction-choice")];
    assert.deepEqual(choices.map((c) => c.textContent), [...REACTION_EMOJI]);
    assert.equal(document.activeElement, choices[0]);
  });

  test("arrow keys move along the picker, Escape closes it and gives the focus back", () => {
    list.upsert(stored(1, { reactions: [thumbs(SAM)] }));
    const add = li(1).querySelector(".reaction-add");
    add.focus();
    add.click();
    assert.equal(add.getAttribute("aria-expanded"), "true");
    const picker = li(1).querySelector(".reaction-picker");
    const key = (k) => document.activeElement.dispatchEvent(new window.KeyboardEvent("keydown", { key: k, bubbles: true }));
    key("ArrowRight");
    assert.equal(document.activeElement.textContent, REACTION_EMOJI[1]);
    key("ArrowLeft");
    key("ArrowLeft");
    assert.equal(document.activeElement.textContent, REACTION_EMOJI.at(-1));
    key("Escape");
    assert.equal(picker.isConnected, false);
    assert.equal(document.activeElement, add);
    assert.equal(add.getAttribute("aria-expanded"), "false");
  });

  test("choosing in the picker reacts, or takes away an emoji that is already mine", () => {
    list.upsert(stored(1, { reactions: [thumbs(ME)] }));
    li(1).querySelector(".reaction-add").click();
    const pick = (emoji) => [...li(1).querySelectorAll(".reaction-choice")].find((c) => c.textContent === emoji).click();
    pick("👍");
    li(1).querySelector(".reaction-add").click();
    pick("🚀");
    assert.deepEqual(reacted, [[1, "👍", false], [1, "🚀", true]]);
  });

  test("the focus stays on a reaction when reaction.updated redraws the message", () => {
    list.upsert(stored(1, { reactions: [thumbs(SAM)] }));
    li(1).querySelector(".reaction").focus();
    list.upsert(stored(1, { reactions: [thumbs(SAM, ME)] }));
    assert.equal(document.activeElement.getAttribute("aria-pressed"), "true");
    assert.ok(li(1).contains(document.activeElement));
    // My only reaction taken away: the focus goes to the message, not the page.
    list.upsert(stored(1, { reactions: [thumbs(ME)] }));
    li(1).querySelector(".reaction").focus();
    list.upsert(stored(1));
    assert.equal(document.activeElement, li(1));
  });

  test("an open picker stays open, on the same emoji, when someone else's reaction redraws the message", async () => {
    list.upsert(stored(1, { reactions: [thumbs(SAM)] }));
    li(1).querySelector(".reaction-add").click();
    const key = (k) => document.activeElement.dispatchEvent(new window.KeyboardEvent("keydown", { key: k, bubbles: true }));
    key("ArrowRight");
    list.upsert(stored(1, { reactions: [thumbs(SAM), { emoji: "🎉", count: 1, people: [SAM] }] }));
    await Promise.resolve();
    assert.ok(li(1).querySelector(".reaction-picker"));
    assert.equal(document.activeElement.textContent, REACTION_EMOJI[1]);
    key("Escape");
    assert.equal(li(1).querySelector(".reaction-picker"), null);
    assert.equal(document.activeElement, li(1).querySelector(".reaction-add"));
    // Closed: the next redraw opens nothing.
    list.upsert(stored(1, { reactions: [thumbs(SAM)] }));
    await Promise.resolve();
    assert.equal(li(1).querySelector(".reaction-picker"), null);
  });

  test("a read-only room shows reactions that cannot be pressed, and no picker", () => {
    list = listWith(null);
    list.upsert(stored(1, { reactions: [thumbs(SAM)] }));
    assert.equal(li(1).querySelector(".reaction").disabled, true);
    assert.equal(li(1).querySelector(".reaction-add"), null);
    assert.equal(li(1).querySelector('[aria-label="React to this message"]'), null);
  });

  test("a message logged before reactions existed draws as one without", () => {
    const old = stored(1);
    delete old.reactions;
    list.upsert(old);
    assert.equal(li(1).querySelector(".reactions").hidden, true);
  });

  test("who reacted reads as a sentence", () => {
    assert.equal(reactedBy(thumbs(ME), ME.id), "You reacted with 👍");
    assert.equal(reactedBy(thumbs(SAM, ME, { id: 9, name: "Dev" }), ME.id), "Sam Supplier, you and Dev reacted with 👍");
  });
});

describe("a long message", () => {
  const long = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n");

  test("is long past its lines or characters", () => {
    assert.equal(isLong("short"), false);
    assert.equal(isLong(long), true);
    assert.equal(isLong("x".repeat(1500)), false);
    assert.equal(isLong("x".repeat(1501)), true);
  });

  test("folds behind Show more, opens with Show less, and stays open when redrawn", () => {
    list.upsert(stored(1, { body: long }));
    list.upsert(stored(2));
    assert.equal(li(2).querySelector(".show-more"), null);
    const body = li(1).querySelector(".msg-body");
    const more = li(1).querySelector(".show-more");
    assert.ok(body.classList.contains("folded"));
    assert.deepEqual([more.textContent, more.getAttribute("aria-expanded"), more.getAttribute("aria-controls")], ["Show more", "false", body.id]);
    more.focus();
    more.click();
    assert.equal(body.classList.contains("folded"), false);
    assert.deepEqual([more.textContent, more.getAttribute("aria-expanded")], ["Show less", "true"]);
    list.upsert(stored(1, { body: long, reactions: [thumbs(SAM)] }));
    assert.equal(li(1).querySelector(".msg-body").classList.contains("folded"), false);
    assert.equal(document.activeElement, li(1).querySelector(".show-more"));
    li(1).querySelector(".show-more").click();
    assert.ok(li(1).querySelector(".msg-body").classList.contains("folded"));
  });
});
