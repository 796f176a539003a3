// Deadlines on the viewer's clock (frontend/static/frontend/zone.js).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { deadlineText, dueText, todayIn, viewerZone } from "../../../frontend/static/frontend/zone.js";

describe("the viewer's zone", () => {
  test("is the person's own when the page's boot has a zone the browser knows", () => {
    assert.equal(viewerZone({ me: { time_zone: "Asia/Tokyo" } }), "Asia/Tokyo");
  });

  test("is the browser's when the boot has none or one it does not know", () => {
    const browser = Intl.DateTimeFormat().resolvedOptions().timeZone;
    assert.equal(viewerZone({ me: {} }), browser);
    assert.equal(viewerZone({ me: { time_zone: "Mars/Olympus" } }), browser);
    assert.equal(viewerZone(null), browser);
  });
});

describe("deadlines", () => {
  test("one moment reads on each viewer's own clock, its zone named", () => {
    const due = "2026-12-01T16:30:00Z";
    const berlin = deadlineText(due, { zone: "Europe/Berlin", locale: "en-GB" });
    const tokyo = deadlineText(due, { zone: "Asia/Tokyo", locale: "en-GB" });
    assert.match(berlin, /17:30/);
    assert.match(tokyo, /01:30/);
    assert.match(tokyo, /Wed/); // already the next day in Tokyo
    assert.notEqual(berlin, tokyo);
  });

  test("today depends on where the viewer is", () => {
    const now = Date.parse("2026-12-01T23:30:00Z");
    assert.equal(todayIn("Europe/London", now), "2026-12-01");
    assert.equal(todayIn("Asia/Tokyo", now), "2026-12-02");
  });

  test("a due date is overdue once its day has passed on the viewer's clock", () => {
    const now = Date.parse("2026-12-01T23:30:00Z");
    assert.deepEqual(dueText("2026-12-01", { zone: "Europe/London", now, locale: "en-GB" }), { text: "Due today", overdue: false });
    assert.deepEqual(dueText("2026-12-01", { zone: "Asia/Tokyo", now, locale: "en-GB" }), { text: "Overdue: Tue 1 Dec", overdue: true });
    assert.deepEqual(dueText("2026-12-02", { zone: "Europe/London", now, locale: "en-GB" }), { text: "Due tomorrow", overdue: false });
    assert.deepEqual(dueText("2026-12-24", { zone: "Europe/London", now, locale: "en-GB" }), { text: "Due Thu 24 Dec", overdue: false });
  });
});
