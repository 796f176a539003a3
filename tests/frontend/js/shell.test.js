// frontend/static/frontend/shell.js: where a notification leads.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { notificationHref } from "../../../frontend/static/frontend/shell.js";

/** @param {Partial<import("../../../frontend/static/frontend/wire.gen.js").NotificationEvent>} fields */
const notice = (fields) => ({
  type: /** @type {const} */ ("notification"),
  id: 1,
  kind: "mention",
  title: "",
  body: "",
  room: null,
  work_item: null,
  work_item_room: null,
  message: null,
  quiet: false,
  created_at: "2026-12-01T10:00:00+00:00",
  ...fields,
});

describe("notificationHref", () => {
  test("a mention or a reply opens its message's permalink", () => {
    assert.equal(notificationHref(notice({ room: 12, message: 345 })), "/rooms/12/?message=345");
  });

  test("an escalation opens the work item in the item's own room, not the escalation room", () => {
    const raised = notice({ kind: "escalation.raised", room: 40, work_item: 31, work_item_room: 12 });
    assert.equal(notificationHref(raised), "/rooms/12/?item=31");
  });

  test("anything else opens its room, or home", () => {
    assert.equal(notificationHref(notice({ room: 7 })), "/rooms/7/");
    assert.equal(notificationHref(notice({})), "/");
  });
});
