// frontend/static/frontend/zonenudge.js: when the home page asks to use this device's time zone.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { sameClock, shouldAsk } from "../../../frontend/static/frontend/zonenudge.js";

describe("shouldAsk", () => {
  test("asks when the device's clock is not the profile's", () => {
    assert.equal(shouldAsk("UTC", "Europe/Berlin", null), true);
    assert.equal(shouldAsk("Asia/Tokyo", "America/New_York", null), true);
  });

  test("does not ask for two names of one clock", () => {
    assert.equal(shouldAsk("UTC", "Etc/UTC", null), false);
    assert.equal(shouldAsk("Asia/Calcutta", "Asia/Kolkata", null), false);
    assert.equal(shouldAsk("Europe/Berlin", "Europe/Berlin", null), false);
  });

  test("zones that agree in winter but not in summer are different clocks", () => {
    // Berlin keeps summer time, Algiers does not; both are UTC+1 in January.
    assert.equal(sameClock("Europe/Berlin", "Africa/Algiers"), false);
  });

  test("'Keep' on this device holds for that pair of zones only", () => {
    assert.equal(shouldAsk("UTC", "Europe/Berlin", "UTC>Europe/Berlin"), false);
    assert.equal(shouldAsk("UTC", "Asia/Tokyo", "UTC>Europe/Berlin"), true);
  });
});
