// The message list (frontend/static/frontend/messagelist.js) in a jsdom
// document: optimistic sends reconciled with what the server stores, so a
// message never shows twice, whichever of `ack` and `message.new` comes first.

import "./support/jsdom.js";

import assert from "node:assert/strict";
import { beforeEach, describe, test } from "node:test";

import { MessageList } from "../../../frontend/static/frontend/messagelist.js";

const ME = { id: 7, name: "Cleo Client", handle: "cleo", title: "", org: { id: 2, name: "Acme", slug: "acme" }, display_name: "Cleo", admin: false };
const SAM = { id: 3, name: "Sam Supplier", handle: "sam", title: "", org: { id: 1, name: "Northwind", slug: "northwind" } };
const noop = () => {};

/** @type {HTMLOListElement} */
let ol;
/** @type {MessageList} */
let list;

beforeEach(() => {
  ol = document.createElement("ol");
  list = new MessageList(ol, {
    me: ME,
    inThread: false,
    actions: { openThread: noop, edit: noop, remove: noop, makeItem: noop, openItem: noop, retry: noop, discard: noop },
  });
});

function stored(id, seq, { author = ME, clientId = "", body = `message ${id}` } = {}) {
  return {
    id,
    room: 12,
    seq,
    kind: "message",
    author,
    client_id: clientId,
    body,
    html: `<p>${body}</p>`,
    thread: null,
    created_at: "2026-11-22T10:41:05.123456+00:00",
    edited_at: null,
    deleted: false,
    reply_count: 0,
    last_reply_at: null,
    mentions: [],
  };
}

/** What the person sees, top to bottom: "id:<id>" for stored messages, "sending:<body>" for pending ones. */
function shown() {
  return [...ol.children].map((li) =>
    li.dataset.id ? `id:${li.dataset.id}` : `${li.classList.contains("failed") ? "failed" : "sending"}:${li.querySelector(".msg-body").textContent}`,
  );
}

describe("an optimistic send", () => {
  test("message.new before the ack takes the pending entry's place: shown once", () => {
    list.upsert(stored(1, 10, { author: SAM }));
    list.addPending("c1", "Ship on Friday?");

    const added = list.upsert(stored(2, 11, { clientId: "c1", body: "Ship on Friday?" }));
    list.acked("c1", 2);

    assert.deepEqual(shown(), ["id:1", "id:2"]);
    assert.equal(added, false, "not counted as a new message: the person saw it already");
    assert.equal(list.pending.size, 0);
  });

  test("the ack before message.new says Sent; message.new then replaces it: shown once", () => {
    list.addPending("c1", "Ship on Friday?");

    list.acked("c1", 2);
    assert.deepEqual(shown(), ["sending:Ship on Friday?"]);
    assert.equal(ol.querySelector(".send-state").textContent, "Sent");

    list.upsert(stored(2, 11, { clientId: "c1", body: "Ship on Friday?" }));
    assert.deepEqual(shown(), ["id:2"]);
  });

  test("the same message delivered twice (live, then replayed after a reconnect) shows once", () => {
    list.addPending("c1", "hello");

    list.upsert(stored(2, 11, { clientId: "c1", body: "hello" }));
    list.upsert(stored(2, 11, { clientId: "c1", body: "hello" }));
    list.acked("c1", 2);

    assert.deepEqual(shown(), ["id:2"]);
  });

  test("someone else's message with the same client_id does not replace mine", () => {
    list.addPending("same", "mine");

    list.upsert(stored(5, 11, { author: SAM, clientId: "same", body: "theirs" }));

    assert.deepEqual(shown(), ["id:5", "sending:mine"]);
  });

  test("pending sends stay below every stored message as others arrive", () => {
    list.upsert(stored(1, 10, { author: SAM }));
    list.addPending("c1", "first");
    list.addPending("c2", "second");

    list.upsert(stored(3, 12, { author: SAM }));
    list.upsert(stored(2, 11, { clientId: "c1", body: "first" }));

    assert.deepEqual(shown(), ["id:1", "id:2", "id:3", "sending:second"]);
  });

  test("a failed send offers Retry and Discard; discarding removes it, retrying shows it sending", () => {
    list.addPending("c1", "one");
    list.addPending("c2", "two");

    list.setPendingState("c1", "failed", "Too many requests; slow down.");
    list.setPendingState("c2", "failed");
    const failed = ol.querySelector(".failed");
    assert.deepEqual([...failed.querySelectorAll(".send-state button")].map((b) => b.textContent), ["Retry", "Discard"]);
    assert.equal(failed.title, "Too many requests; slow down.");

    list.dropPending("c2");
    list.setPendingState("c1", "pending");
    assert.deepEqual(shown(), ["sending:one"]);
  });
});

describe("order", () => {
  test("messages are placed by seq, whatever order they arrive in", () => {
    for (const [id, seq] of [[3, 30], [1, 10], [4, 40], [2, 20]]) list.upsert(stored(id, seq, { author: SAM }));

    assert.deepEqual(shown(), ["id:1", "id:2", "id:3", "id:4"]);
  });

  test("older history goes on top, and what is shown already is not shown again", () => {
    list.upsert(stored(3, 30, { author: SAM }));

    list.prepend([stored(1, 10, { author: SAM }), stored(2, 20, { author: SAM }), stored(3, 30, { author: SAM })]);

    assert.deepEqual(shown(), ["id:1", "id:2", "id:3"]);
  });

  test("an edit redraws the message where it is", () => {
    list.prepend([stored(1, 10, { author: SAM }), stored(2, 20, { author: SAM })]);

    list.upsert({ ...stored(1, 10, { author: SAM, body: "edited" }), edited_at: "2026-11-22T10:43:10+00:00" });

    assert.deepEqual(shown(), ["id:1", "id:2"]);
    assert.equal(ol.children[0].querySelector(".msg-body").textContent, "edited");
    assert.ok(ol.children[0].querySelector(".edited"));
  });
});
