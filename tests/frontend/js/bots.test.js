// The organization page's bots section (frontend/static/frontend/bots.js): which rooms a
// bot may be offered.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { botRooms } from "../../../frontend/static/frontend/bots.js";

describe("botRooms", () => {
  test("only open internal rooms: never a shared room, a direct conversation or an archived room", () => {
    const rooms = [
      { id: 1, name: "Ops", kind: "internal", archived: false },
      { id: 2, name: "Shared", kind: "shared", archived: false },
      { id: 3, name: "Cleo", kind: "direct", archived: false },
      { id: 4, name: "Old ops", kind: "internal", archived: true },
    ];
    assert.deepEqual(
      botRooms(rooms).map((r) => r.id),
      [1],
    );
  });
});
