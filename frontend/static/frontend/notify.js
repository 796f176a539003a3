// @ts-check
// Being told: the quiet hours rule as the server has it (NotificationSettings.is_quiet),
// the browser's own notifications (the Notification API, only when the tab is
// hidden and the person allowed it), and the notification settings form of the
// profile page (GET/PUT /api/me/notifications/; the time zone is the profile's).

import { get, put } from "./api.js";
import { h } from "./dom.js";
import { errorText } from "./errors.js";

/** @import { NotificationSettingsData } from "./wire.gen.js" */

/**
 * The minutes since midnight of `at` on the clock of `timeZone`.
 * @param {Date} at
 * @param {string} timeZone
 */
export function minutesIn(at, timeZone) {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(at);
  const part = (/** @type {string} */ type) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return part("hour") * 60 + part("minute");
}

/** @param {string} hhmm */
function minutesOf(hhmm) {
  const [hours, minutes] = hhmm.split(":").map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

/**
 * Whether `at` falls in the person's quiet hours, on their own clock: the
 * server's rule (a window across midnight is quiet after its start or before
 * its end; equal ends mean all day).
 * @param {Pick<NotificationSettingsData, "time_zone" | "quiet">} settings
 * @param {Date} at
 */
export function isQuiet(settings, at) {
  const { enabled, start, end } = settings.quiet;
  if (!enabled) return false;
  const now = minutesIn(at, settings.time_zone);
  const from = minutesOf(start);
  const to = minutesOf(end);
  if (from === to) return true;
  return from < to ? from <= now && now < to : now >= from || now < to;
}

/**
 * The browser's notification, when the tab is hidden and the person allowed
 * it. A click brings the tab forward and opens `href`.
 * @param {string} title
 * @param {string} body
 * @param {string} href
 * @param {string} tag one notice per tag (a repeat replaces it)
 */
export function desktopNotice(title, body, href, tag) {
  if (typeof Notification === "undefined" || Notification.permission !== "granted") return false;
  if (document.visibilityState === "visible") return false;
  const notice = new Notification(title, { body, tag });
  notice.onclick = () => {
    window.focus();
    location.assign(href);
    notice.close();
  };
  return true;
}

/** Whether asking for the browser's permission makes sense (available, not yet asked). */
export function canAskForDesktop() {
  return typeof Notification !== "undefined" && Notification.permission === "default";
}

/**
 * The profile page's notification settings.
 * @param {HTMLElement} card
 */
export async function mountNotificationSettings(card) {
  const status = h("p", { class: "form-status", role: "status" });
  /** @type {NotificationSettingsData} */
  let settings;
  try {
    ({ settings } = await get("/api/me/notifications/"));
  } catch (error) {
    card.append(h("p", { class: "form-error" }, errorText(error)));
    return;
  }
  const quietOn = h("input", { type: "checkbox", id: "notify-quiet", checked: settings.quiet.enabled });
  const start = h("input", { type: "time", id: "notify-start", value: settings.quiet.start, required: true });
  const end = h("input", { type: "time", id: "notify-end", value: settings.quiet.end, required: true });
  // One switch per topic (the server's list): e-mailed in the digest when you
  // are away, escalations at once.
  const mail = Object.entries(settings.topics).map(([topic, label]) => ({
    topic,
    box: h("input", { type: "checkbox", id: `notify-mail-${topic}`, checked: settings.email[topic] ?? true }),
    label,
  }));
  const form = h(
    "form",
    { class: "notify-form" },
    h("p", { class: "muted small", id: "notify-zone" }, `Quiet hours are on your clock: ${settings.time_zone} (your time zone, above).`),
    h("label", { class: "check" }, quietOn, " Do not disturb between"),
    h("div", { class: "inline-field" }, h("label", { class: "sr-only", for: "notify-start" }, "From"), start, " and ", h("label", { class: "sr-only", for: "notify-end" }, "Until"), end),
    h("p", { class: "muted small" }, "In these hours nothing pops up: notifications wait in the bell."),
    h(
      "fieldset",
      { class: "notify-mail" },
      h("legend", {}, "E-mail me about"),
      ...mail.map(({ box, label }) => h("label", { class: "check" }, box, ` ${label}`)),
      h("p", { class: "muted small" }, "In one digest when you have been away a while; escalations at once."),
    ),
    status,
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "button primary" }, "Save notification settings")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "Saving…";
    try {
      ({ settings } = await put("/api/me/notifications/", {
        quiet: { enabled: quietOn.checked, start: start.value, end: end.value },
        email: Object.fromEntries(mail.map(({ topic, box }) => [topic, box.checked])),
      }));
      status.textContent = settings.quiet_now ? "Saved. Do not disturb is on now." : "Saved.";
    } catch (error) {
      status.textContent = errorText(error);
    }
  });
  card.append(form);
}
