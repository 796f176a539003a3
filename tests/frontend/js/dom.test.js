// Small helpers of frontend/static/frontend/dom.js that need no document.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { initials } from "../../../frontend/static/frontend/dom.js";

describe("initials", () => {
  test("are the first letters of the first and last words", () => {
    assert.equal(initials("Anna Berg"), "AB");
    assert.equal(initials("Dev"), "D");
  });

  test("pass over punctuation, so a name with brackets or dots still reads", () => {
    assert.equal(initials("Ben O. (Supply)"), "BS");
    assert.equal(initials("(Cleo) Client"), "CC");
    assert.equal(initials("Zoë Müller"), "ZM");
  });

  test("are a question mark for no name at all", () => {
    assert.equal(initials(""), "?");
    assert.equal(initials("  ( )  "), "?");
    assert.equal(initials(null), "?");
  });
});
