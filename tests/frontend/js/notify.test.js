// frontend/static/frontend/notify.js: quiet hours on the person's own clock, as the server decides them.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { isQuiet, minutesIn } from "../../../frontend/static/frontend/notify.js";

const berlin = (enabled = true, start = "22:00", end = "07:00") => ({
  time_zone: "Europe/Berlin",
  quiet: { enabled, start, end },
});

describe("isQuiet", () => {
  test("reads the time on the person's clock, not the device's", () => {
    // 21:30 UTC in December is 22:30 in Berlin.
    assert.equal(minutesIn(new Date("2026-12-01T21:30:00Z"), "Europe/Berlin"), 22 * 60 + 30);
    assert.equal(isQuiet(berlin(), new Date("2026-12-01T21:30:00Z")), true);
    assert.equal(isQuiet(berlin(), new Date("2026-12-01T20:30:00Z")), false);
  });

  test("a window across midnight ends at its end, and summer time moves it", () => {
    assert.equal(isQuiet(berlin(), new Date("2026-12-02T05:59:00Z")), true);
    assert.equal(isQuiet(berlin(), new Date("2026-12-02T06:00:00Z")), false);
    assert.equal(isQuiet(berlin(), new Date("2026-07-01T20:30:00Z")), true);
  });

  test("switched off is never quiet; equal ends are all day", () => {
    assert.equal(isQuiet(berlin(false), new Date("2026-12-01T23:00:00Z")), false);
    assert.equal(isQuiet(berlin(true, "09:00", "09:00"), new Date("2026-12-01T12:00:00Z")), true);
  });
});
