// The organization page's retention section (frontend/static/frontend/retention.js):
// which changes are confirmed first, and how a days field is read.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { parseDays, shortens } from "../../../frontend/static/frontend/retention.js";

describe("shortens", () => {
  test("a shorter period, or any period after forever, is confirmed first", () => {
    assert.equal(shortens(null, 30), true);
    assert.equal(shortens(90, 30), true);
  });
  test("a longer period, the same one, or forever is not", () => {
    assert.equal(shortens(30, 90), false);
    assert.equal(shortens(30, 30), false);
    assert.equal(shortens(30, null), false);
    assert.equal(shortens(null, null), false);
  });
});

describe("parseDays", () => {
  test("an empty field keeps forever", () => {
    assert.equal(parseDays("  "), null);
  });
  test("a whole number is its days; anything else is not a number", () => {
    assert.equal(parseDays(" 30 "), 30);
    assert.ok(Number.isNaN(parseDays("3.5")));
    assert.ok(Number.isNaN(parseDays("-1")));
    assert.ok(Number.isNaN(parseDays("1e3")));
  });
});
