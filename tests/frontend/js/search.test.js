// frontend/static/frontend/search.js: what the search dialog sends, without a document.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { permalink } from "../../../frontend/static/frontend/links.js";
import { localDayStart } from "../../../frontend/static/frontend/search.js";

describe("localDayStart", () => {
  test("is midnight of that day with this machine's offset, so the server reads the person's day", () => {
    const iso = localDayStart("2026-03-29");
    assert.match(iso, /^2026-03-29T00:00:00[+-]\d\d:\d\d$/);
    assert.equal(new Date(iso).getTime(), new Date(2026, 2, 29).getTime());
  });

  test("moves to the next day for an inclusive end, across a month", () => {
    assert.equal(new Date(localDayStart("2026-01-31", 1)).getTime(), new Date(2026, 1, 1).getTime());
  });
});

describe("permalink", () => {
  test("opens the room at the message", () => {
    assert.equal(permalink(12, 345), "/rooms/12/?message=345");
  });
});
