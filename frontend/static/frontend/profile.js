// @ts-check
// The profile page (/profile/): the form is the server's (name, title, handle,
// time zone); this adds "Use this device's" time zone, the picture (PUT and
// DELETE /api/me/avatar/), and the notification settings (notify.js).

import { ApiError, csrfToken, del } from "./api.js";
import { face } from "./avatars.js";
import { $ } from "./dom.js";
import { errorText } from "./errors.js";
import { mountNotificationSettings } from "./notify.js";

/** @import { Me } from "./api.js" */

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

/** The picture: chosen, sent as the request's body, shown as the server made it. */
function picture() {
  const preview = $("#avatar-preview");
  const input = /** @type {HTMLInputElement} */ ($("#avatar-file"));
  const remove = /** @type {HTMLButtonElement} */ ($("#avatar-remove"));
  const status = $("#avatar-status");
  const name = preview.dataset.name ?? "";
  /** @param {string | null} avatar */
  const show = (avatar) => {
    preview.replaceChildren(face({ name, avatar }));
    remove.hidden = !avatar;
  };
  show(preview.dataset.avatar || null);
  input.addEventListener("change", async () => {
    const file = input.files?.[0];
    if (!file) return;
    status.textContent = "Uploading…";
    try {
      const response = await fetch("/api/me/avatar/", {
        method: "PUT",
        headers: { "X-CSRFToken": csrfToken(), "Content-Type": file.type || "application/octet-stream", Accept: "application/json" },
        credentials: "same-origin",
        body: file,
      });
      const data = await response.json().catch(() => null);
      if (!response.ok) throw new ApiError(response.status, data?.error?.code ?? "http", data?.error?.detail ?? `HTTP ${response.status}`);
      show(/** @type {{me: Me}} */ (data).me.avatar);
      status.textContent = "Saved. Everyone who sees you has it now.";
    } catch (error) {
      status.textContent = errorText(error);
    }
    input.value = "";
  });
  remove.addEventListener("click", async () => {
    try {
      /** @type {{me: Me}} */
      const { me } = await del("/api/me/avatar/");
      show(me.avatar);
      status.textContent = "Removed: your initials show.";
      input.focus();
    } catch (error) {
      status.textContent = errorText(error);
    }
  });
}

deviceZone();
picture();
void mountNotificationSettings($("#notification-settings"));
