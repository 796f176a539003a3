// confirmButton (frontend/static/frontend/dom.js) in a jsdom document: the
// second click that guards a destructive step, and Escape that takes it back.

import "./support/jsdom.js";

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { confirmButton } from "../../../frontend/static/frontend/dom.js";

describe("confirmButton", () => {
  test("Escape disarms an armed Confirm delete, does nothing, and is not seen by the page", () => {
    let deleted = 0;
    let pageSawEscape = 0;
    const onPage = (event) => (pageSawEscape += event.key === "Escape" ? 1 : 0);
    document.addEventListener("keydown", onPage);
    const button = confirmButton("Delete", "Confirm delete", () => (deleted += 1));
    document.body.append(button);
    try {
      button.click();
      assert.equal(button.textContent, "Confirm delete");
      button.dispatchEvent(new window.KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true }));

      assert.equal(button.textContent, "Delete");
      assert.equal(pageSawEscape, 0);
      button.click(); // arms again: a single click never deletes
      assert.equal(deleted, 0);
      button.click();
      assert.equal(deleted, 1);
    } finally {
      document.removeEventListener("keydown", onPage);
      button.remove();
    }
  });
});
