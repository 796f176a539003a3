// @ts-check
// The person's time zone is on their profile (UTC until they choose one), and
// every deadline, their quiet hours and their card follow it. When this
// device's clock says otherwise, the home page asks once: use the device's
// zone (PATCH /api/me/), or keep the profile's. "Keep" is remembered on this
// device for that pair of zones, so a trip abroad asks again.

import { patch } from "./api.js";
import { h } from "./dom.js";
import { errorText } from "./errors.js";
import { offsetMinutes } from "./zone.js";

const KEPT = "causeway.zone-kept";

/**
 * The zone's offset from UTC in minutes at `at`, or null for a zone Intl does not know.
 * @param {string} zone
 * @param {Date} at
 */
function offsetAt(zone, at) {
  try {
    return offsetMinutes(zone, at);
  } catch {
    return null;
  }
}

/**
 * Two names of one clock ("UTC" and "Etc/UTC", "Asia/Calcutta" and
 * "Asia/Kolkata"): the same offset in January and in July of this year.
 * @param {string} a
 * @param {string} b
 * @param {Date} [now]
 */
export function sameClock(a, b, now = new Date()) {
  if (a === b) return true;
  const year = now.getUTCFullYear();
  return [new Date(Date.UTC(year, 0, 15)), new Date(Date.UTC(year, 6, 15))].every((at) => {
    const x = offsetAt(a, at);
    return x !== null && x === offsetAt(b, at);
  });
}

/**
 * Whether to ask: the device's clock differs from the profile's, and the
 * person has not said, on this device, to keep the profile's over this zone.
 * @param {string} profileZone
 * @param {string} deviceZone
 * @param {string | null} kept what "Keep" stored: "profile>device"
 */
export function shouldAsk(profileZone, deviceZone, kept) {
  if (!deviceZone || !profileZone || sameClock(profileZone, deviceZone)) return false;
  return kept !== `${profileZone}>${deviceZone}`;
}

/**
 * The question, or null when there is nothing to ask.
 * @param {{profileZone: string, deviceZone?: string, storage?: Storage, reload?: () => void}} options
 */
export function zoneNudge({
  profileZone,
  deviceZone = Intl.DateTimeFormat().resolvedOptions().timeZone,
  storage = localStorage,
  reload = () => location.reload(),
}) {
  if (!shouldAsk(profileZone, deviceZone, storage.getItem(KEPT))) return null;
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const use = h("button", { type: "button", class: "button small primary" }, `Use ${deviceZone}`);
  const keep = h("button", { type: "button", class: "button small" }, `Keep ${profileZone}`);
  const el = h(
    "section",
    { class: "card side-card zone-nudge", aria: { labelledby: "zone-nudge-title" } },
    h("h2", { id: "zone-nudge-title" }, "Your time zone"),
    h(
      "p",
      {},
      `Your profile says ${profileZone}; this device is on ${deviceZone}. Deadlines, your quiet hours and the local time others see on your card follow your profile.`,
    ),
    h("div", { class: "form-actions" }, use, keep),
    error,
  );
  use.addEventListener("click", async () => {
    use.disabled = keep.disabled = true;
    try {
      await patch("/api/me/", { time_zone: deviceZone });
      reload(); // every time on the page is drawn again on the new clock
    } catch (e) {
      error.textContent = errorText(e);
      error.hidden = false;
      use.disabled = keep.disabled = false;
    }
  });
  keep.addEventListener("click", () => {
    storage.setItem(KEPT, `${profileZone}>${deviceZone}`);
    el.remove();
  });
  return el;
}
