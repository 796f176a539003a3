// The person's room lists (frontend/static/frontend/roomlist.js) in a jsdom
// document shaped like the room page's sidebar: a room you are added to goes
// in its group (a new partner's group made before the internal rooms), an
// archived room moves to the archived group, and empty groups hide.

import "./support/jsdom.js";

import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { dropRoom, groupOf, placeRoom } from "../../../frontend/static/frontend/roomlist.js";

/** A room list entry as `GET /api/rooms/` gives it. */
function entry(id, name, extra = {}) {
  return { id, kind: "internal", name, topic: "", head_seq: 3, last_read_seq: 0, unread: 2, mentions: 0, role: "member", notify: "mentions", member_count: 2, moderation: "none", archived: false, ...extra };
}
const ACME = { id: 2, name: "Acme", slug: "acme" };

beforeEach(() => {
  document.body.innerHTML = `
    <nav class="sidebar">
      <h2 class="side-heading">Internal (Northwind)</h2>
      <ul class="room-list" data-group="internal"><li class="muted">No internal rooms yet.</li></ul>
      <h2 class="side-heading" data-group-heading="archived" hidden>Archived</h2>
      <ul class="room-list archived" data-group="archived"></ul>
    </nav>`;
});

/** @param {string} group */
const names = (group) => [...document.querySelectorAll(`ul[data-group="${group}"] .room-name`)].map((el) => el.textContent);

test("a room you are added to goes in its group, by name, and the placeholder goes", () => {
  placeRoom(entry(10, "Pricing"));
  placeRoom(entry(11, "Audit prep"));
  assert.deepEqual(names("internal"), ["Audit prep", "Pricing"]);
  assert.equal(document.querySelector("li.muted"), null);
  const badge = document.querySelector('[data-unread="10"]');
  assert.equal(badge?.textContent, "2");
});

test("the first room shared with a partner makes its group, before the internal rooms", () => {
  placeRoom(entry(12, "Q3 ramp-up", { kind: "shared", partner: ACME }));
  const headings = [...document.querySelectorAll("nav h2:not([hidden])")].map((h) => h.textContent);
  assert.deepEqual(headings, ["Shared with Acme", "Internal (Northwind)"]);
  assert.deepEqual(names("shared"), ["Q3 ramp-up"]);
});

test("an archived room moves to the archived group, and back when reopened; empty groups hide", () => {
  const room = entry(12, "Q3 ramp-up", { kind: "shared", partner: ACME });
  placeRoom(room);
  placeRoom({ ...room, archived: true, archived_cause: "owner" });
  assert.deepEqual(names("archived"), ["Q3 ramp-up"]);
  assert.equal(document.querySelector('[data-group-heading="archived"]')?.hasAttribute("hidden"), false);
  assert.equal(document.querySelector('ul[data-group="shared"]')?.hasAttribute("hidden"), true);
  placeRoom(room);
  assert.deepEqual(names("archived"), []);
  assert.equal(document.querySelector('[data-group-heading="archived"]')?.hasAttribute("hidden"), true);
  assert.deepEqual(names("shared"), ["Q3 ramp-up"]);
  dropRoom(12);
  assert.equal(document.querySelectorAll('a[data-room="12"]').length, 0);
});

test("the page's own room stays marked as current", () => {
  placeRoom(entry(10, "Pricing"), 10);
  const link = document.querySelector('a[data-room="10"]');
  assert.equal(link?.getAttribute("aria-current"), "page");
});

test("groups: archived first, then direct conversations, shared by partner name, else internal", () => {
  assert.deepEqual(groupOf({ archived: true, partner: ACME }), { group: "archived", partner: null });
  assert.deepEqual(groupOf({ archived: false, partner: ACME }), { group: "shared", partner: "Acme" });
  assert.deepEqual(groupOf({ archived: false }), { group: "internal", partner: null });
  // A direct conversation across a partnership is listed with the conversations.
  assert.deepEqual(groupOf({ archived: false, kind: "direct", partner: ACME }), { group: "direct", partner: null });
});
