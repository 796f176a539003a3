// frontend/static/frontend/personcard.js: a person's local time, and where the card goes.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { localTime, placeCard } from "../../../frontend/static/frontend/personcard.js";

describe("localTime", () => {
  const at = new Date("2026-12-01T21:30:00Z");

  test("reads the clock of the person's time zone, and how far it is from the viewer's", () => {
    const tokyo = localTime(at, "Asia/Tokyo", { locale: "en-GB", viewerZone: "Europe/Berlin" });
    assert.equal(tokyo.clock, "Wed 06:30");
    assert.equal(tokyo.relative, "8 h ahead of you");
  });

  test("says behind, half hours, and the same time", () => {
    const fromKolkata = { locale: "en-GB", viewerZone: "Asia/Kolkata" };
    assert.equal(localTime(at, "UTC", fromKolkata).relative, "5 h 30 min behind you");
    assert.equal(localTime(at, "Europe/Paris", { viewerZone: "Europe/Berlin" }).relative, "same time as you");
  });

  test("follows summer time on the person's own calendar", () => {
    const july = new Date("2026-07-01T12:00:00Z");
    assert.equal(localTime(july, "Europe/Berlin", { locale: "en-GB", viewerZone: "UTC" }).relative, "2 h ahead of you");
  });
});

describe("placeCard", () => {
  const view = { width: 1200, height: 800 };
  const size = { width: 300, height: 260 };

  test("goes below the name when it fits", () => {
    assert.deepEqual(placeCard({ left: 100, top: 50, bottom: 70 }, size, view), { left: 100, top: 76 });
  });

  test("goes above a name near the bottom, and never past the right edge", () => {
    const spot = placeCard({ left: 1100, top: 700, bottom: 720 }, size, view);
    assert.deepEqual(spot, { left: 1200 - 300 - 8, top: 700 - 6 - 260 });
  });

  test("stays inside a window too small for either", () => {
    const spot = placeCard({ left: 10, top: 100, bottom: 120 }, size, { width: 320, height: 300 });
    assert.ok(spot.left >= 8 && spot.left + size.width <= 320);
    assert.ok(spot.top >= 8 && spot.top + size.height <= 300);
  });
});
