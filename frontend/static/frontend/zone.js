// @ts-check
// Deadlines in the viewer's time zone: the person's one time zone, from their
// profile (the page's boot, `boot.me.time_zone`), which their quiet hours and
// their card use too; the browser's only where a page has no boot.
// Every deadline the pages show (an escalation's acknowledgement time, a
// work item's due date) is written by this module, so two people on two
// continents each read it on their own clock.

import { readBoot } from "./dom.js";

/**
 * An IANA zone name Intl knows, or null.
 * @param {unknown} zone
 */
function known(zone) {
  if (typeof zone !== "string" || !zone) return null;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone;
  } catch {
    return null; // a zone this browser does not know: fall back to its own
  }
}

/**
 * The viewer's time zone.
 * @param {{me?: {time_zone?: unknown}} | null} [boot] the page's boot (read from the page if left out)
 * @returns {string}
 */
export function viewerZone(boot) {
  /** @type {{me?: {time_zone?: unknown}} | null} */
  const from = boot === undefined ? (typeof document === "undefined" ? null : /** @type {{me?: {time_zone?: unknown}}} */ (readBoot())) : boot;
  return known(from?.me?.time_zone) ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/**
 * "Tue 1 Dec, 17:30 CET": a moment on the viewer's clock, its zone named.
 * @param {string} iso
 * @param {{zone?: string, locale?: string}} [options]
 */
export function deadlineText(iso, { zone = viewerZone(), locale = undefined } = {}) {
  return new Intl.DateTimeFormat(locale, {
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    timeZone: zone,
    timeZoneName: "short",
  }).format(new Date(iso));
}

/**
 * Today's date (YYYY-MM-DD) where the viewer is.
 * @param {string} zone
 * @param {number} [now]
 */
export function todayIn(zone, now = Date.now()) {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(now));
}

/**
 * A due date (a calendar day, YYYY-MM-DD) as the viewer reads it: "Due today",
 * "Due tomorrow", "Due Thu 24 Dec", or "Overdue: Fri 20 Nov", with `overdue`
 * once that day has passed on the viewer's clock.
 * @param {string} date
 * @param {{zone?: string, now?: number, locale?: string}} [options]
 * @returns {{text: string, overdue: boolean}}
 */
export function dueText(date, { zone = viewerZone(), now = Date.now(), locale = undefined } = {}) {
  const today = todayIn(zone, now);
  const tomorrow = todayIn(zone, Date.parse(`${today}T12:00:00Z`) + 86_400_000);
  // The day itself, at noon UTC, written in UTC: the same calendar day everywhere.
  const day = new Intl.DateTimeFormat(locale, { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" }).format(new Date(`${date}T12:00:00Z`));
  if (date < today) return { text: `Overdue: ${day}`, overdue: true };
  if (date === today) return { text: "Due today", overdue: false };
  if (date === tomorrow) return { text: "Due tomorrow", overdue: false };
  return { text: `Due ${day}`, overdue: false };
}

/**
 * The zone's offset from UTC at `at`, in minutes (Berlin in summer: 120). No
 * zone: this device's. An unknown zone throws, as Intl does.
 * @param {string | undefined} zone
 * @param {Date} at
 */
export function offsetMinutes(zone, at) {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" }).formatToParts(at);
  const name = parts.find((p) => p.type === "timeZoneName")?.value ?? "GMT";
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return match ? (match[1] === "-" ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0;
}
