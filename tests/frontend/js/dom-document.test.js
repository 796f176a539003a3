// The helpers of frontend/static/frontend/dom.js that need a document (jsdom):
// confirmButton, the second click that guards a destructive step (and Escape
// that takes it back); asYouType, lookups while the person types.

import "./support/jsdom.js";

import assert from "node:assert/strict";
import { describe, mock, test } from "node:test";

import { asYouType, confirmButton } from "../../../frontend/static/frontend/dom.js";

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

describe("asYouType", () => {
  test("looks up once typing pauses, and only the latest answer is wanted", async () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    try {
      const input = document.createElement("input");
      const asked = [];
      const now = asYouType(input, async (words, isLatest) => asked.push({ words, isLatest }), 150);
      await now();
      for (const text of ["s", "su", "sue"]) {
        input.value = ` ${text} `;
        input.dispatchEvent(new window.Event("input"));
        mock.timers.tick(100);
      }
      assert.deepEqual(asked.map((a) => a.words), [""]);
      mock.timers.tick(50);

      assert.deepEqual(asked.map((a) => a.words), ["", "sue"]);
      assert.equal(asked[0].isLatest(), false);
      assert.equal(asked[1].isLatest(), true);
    } finally {
      mock.timers.reset();
    }
  });
});
