// One message drawn (frontend/static/frontend/messages.js) in a jsdom
// document: a notice is Causeway speaking, never a person.

import "./support/jsdom.js";

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { renderMessage } from "../../../frontend/static/frontend/messages.js";

const ME = { id: 7, name: "Cleo Client", handle: "cleo", title: "", org: { id: 2, name: "Acme", slug: "acme" }, display_name: "Cleo", admin: false };
const SAM = { id: 3, name: "Sam Supplier", handle: "sam", title: "Account manager", org: { id: 1, name: "Northwind", slug: "northwind" } };
const noop = () => {};
const ctx = {
  me: ME,
  inThread: false,
  actions: { openThread: noop, edit: noop, remove: noop, makeItem: noop, openItem: noop, retry: noop, discard: noop },
};

/** A stored message of `kind` by `author`. */
function stored(kind, author, body) {
  return {
    id: 1, room: 12, seq: 4, kind, author, client_id: "", body, html: `<p>${body}</p>`, thread: null,
    reply_count: 0, last_reply_at: null, created_at: "2026-12-01T10:00:00+00:00", edited_at: null, deleted: false,
  };
}

describe("a notice", () => {
  test("is drawn as a system notice, without the name, avatar or company it was stored under", () => {
    const li = renderMessage(stored("notice", SAM, "S1 escalation resolved by Sam Supplier (Northwind)"), ctx);
    assert.ok(li.classList.contains("system-notice"));
    assert.equal(li.querySelector(".author")?.textContent, "Notice");
    assert.equal(li.querySelector(".org-badge"), null);
    assert.equal(li.classList.contains("from-partner"), false);
    assert.equal(li.querySelector(".avatar")?.textContent, "i");
    assert.match(li.querySelector(".msg-body")?.textContent ?? "", /resolved by Sam Supplier/);
  });

  test("of my own action is not shown as mine either", () => {
    const li = renderMessage(stored("notice", ME, "S1 escalation acknowledged by Cleo Client (Acme)"), ctx);
    assert.equal(li.classList.contains("mine"), false);
    assert.equal(li.querySelector(".author")?.textContent, "Notice");
  });

  test("while a person's message keeps its author and the partner's mark", () => {
    const li = renderMessage(stored("message", SAM, "Shipping Friday"), ctx);
    assert.equal(li.querySelector(".author")?.textContent, "Sam Supplier");
    assert.ok(li.classList.contains("from-partner"));
    assert.ok(li.querySelector(".org-badge"));
  });
});

describe("a work item's root", () => {
  test("names the item by its title now, not the one it was created with", () => {
    const item = { id: 9, thread: 1, title: "Ship 5k valves by Friday", status: "open", escalation: null };
    const li = renderMessage(stored("workitem", SAM, "**Work item:** Ship 4k valves"), { ...ctx, itemForThread: (id) => (id === 1 ? item : undefined) });
    assert.equal(li.querySelector(".msg-body")?.textContent, "Work item: Ship 5k valves by Friday");
  });

  test("keeps its stored text while the item is not known yet", () => {
    const li = renderMessage(stored("workitem", SAM, "Work item: Ship 4k valves"), ctx);
    assert.equal(li.querySelector(".msg-body")?.textContent, "Work item: Ship 4k valves");
  });
});
