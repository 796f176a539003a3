// @ts-check
// The profile page (/profile/): the form is the server's (name, title, handle,
// time zone); this adds "Use this device's" time zone, and the notification
// settings (notify.js).

import { $ } from "./dom.js";
import { mountNotificationSettings } from "./notify.js";

/** Offer the browser's time zone when the server knows it and the form shows another. */
function deviceZone() {
  const select = /** @type {HTMLSelectElement} */ ($("#id_time_zone"));
  const button = $("#zone-from-device");
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone || ![...select.options].some((o) => o.value === zone)) return;
  button.textContent = `Use this device's (${zone})`;
  button.hidden = false;
  button.addEventListener("click", () => {
    select.value = zone;
    select.focus();
  });
}

deviceZone();
void mountNotificationSettings($("#notification-settings"));
