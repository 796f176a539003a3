// frontend/static/frontend/switcher.js: which rooms Ctrl+K offers, in which order.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { rankRooms } from "../../../frontend/static/frontend/switcher.js";

const room = (id, name, extra = {}) => ({ id, name, kind: "internal", unread: 0, mentions: 0, archived: false, ...extra });
const names = (rooms) => rooms.map((r) => r.name);

const rooms = [
  room(1, "Quality"),
  room(2, "Logistics Zürich", { kind: "shared", partner: { id: 9, name: "Acme Foods" }, unread: 3 }),
  room(3, "Old project", { archived: true, unread: 7 }),
  room(4, "Launch plan", { unread: 1, mentions: 1 }),
  room(5, "Design"),
];

describe("rankRooms", () => {
  test("without words: mentions, then unread, then by name; archived last", () => {
    assert.deepEqual(names(rankRooms(rooms, "")), ["Launch plan", "Logistics Zürich", "Design", "Quality", "Old project"]);
  });

  test("each word must start a word of the name or the partner's name, accents and case aside", () => {
    assert.deepEqual(names(rankRooms(rooms, "zur")), ["Logistics Zürich"]);
    assert.deepEqual(names(rankRooms(rooms, "acme")), ["Logistics Zürich"]);
    assert.deepEqual(names(rankRooms(rooms, "LO ZU")), ["Logistics Zürich"]);
    assert.deepEqual(names(rankRooms(rooms, "ality")), []);
  });

  test("a name that starts with the first word comes before one that only contains it", () => {
    const more = [...rooms, room(6, "Plan B"), room(7, "The plan")];
    assert.deepEqual(names(rankRooms(more, "plan")), ["Plan B", "Launch plan", "The plan"]);
  });

  test("the room open now is offered last", () => {
    assert.deepEqual(names(rankRooms(rooms, "l", 4)).at(-1), "Launch plan");
  });
});
