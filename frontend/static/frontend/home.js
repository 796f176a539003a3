// @ts-check
// The home page: rooms with live unread and mention badges (shell.js), the
// open escalations of my rooms and my work (worklist.js), the threads you follow (threads.js), partnership decisions, a new room (the account manager's dedicated
// room for a customer), and the invitations still pending.

import { get, post } from "./api.js";
import { confirmDialog } from "./dialog.js";
import { $, $all, h, timeEl } from "./dom.js";
import { errorText } from "./errors.js";
import { mountFilePolicy } from "./filepolicy.js";
import { revokeButton } from "./members.js";
import { startShell } from "./shell.js";
import { mountFollowedThreads } from "./threads.js";
import { escalationRow, mountWorkList, workRow } from "./worklist.js";
import { zoneNudge } from "./zonenudge.js";

/** @import { Invitation, Partnership } from "./api.js" */
/** @import { OrgRef } from "./wire.gen.js" */

const shell = startShell();
const { boot } = shell;
const me = boot.me;
/** @type {Partnership[]} */
const partnerships = boot.partnerships ?? [];

mountFilePolicy($("#file-policy"), me.org?.name ?? "Your organization");
// The profile's time zone (UTC until chosen) against this device's clock.
const nudge = me.time_zone ? zoneNudge({ profileZone: me.time_zone }) : null;
if (nudge) $(".home-side").prepend(nudge);

// --- partnerships ---------------------------------------------------------------------
for (const button of $all("[data-accept], [data-decline]")) {
  button.addEventListener("click", async () => {
    const accept = "accept" in button.dataset;
    const id = button.dataset.accept ?? button.dataset.decline;
    const row = button.closest("li");
    if (!row) return;
    const error = $(".p-error", row);
    for (const b of row.querySelectorAll("button")) b.disabled = true;
    try {
      /** @type {{id: number, status: string}} */
      const result = await post(`/api/partnerships/${id}/${accept ? "accept" : "decline"}/`);
      const chip = $(".status-chip", row);
      chip.textContent = result.status;
      chip.className = `status-chip status-${result.status}`;
      row.querySelector(".p-actions")?.remove();
      const partnership = partnerships.find((p) => p.id === result.id);
      if (partnership) partnership.status = result.status;
      fillWhere();
    } catch (e) {
      for (const b of row.querySelectorAll("button")) b.disabled = false;
      error.hidden = false;
      error.textContent = errorText(e);
    }
  });
}

for (const button of $all("[data-end]")) {
  button.addEventListener("click", () => endPartnership(Number(button.dataset.end), button));
}

/**
 * Ending is for both sides and cannot be undone: say what happens, and ask why.
 * @param {number} id
 * @param {HTMLElement} button
 */
function endPartnership(id, button) {
  const partnership = partnerships.find((p) => p.id === id);
  if (!partnership) return;
  const partner = partnerOf(partnership);
  const shared = [...shell.rooms.values()].filter((r) => r.partner?.id === partner.id && !r.archived);
  const reason = h("textarea", { id: "end-reason", rows: 3, maxlength: 2000, aria: { required: "true" } });
  return confirmDialog({
    title: `End the partnership with ${partner.name}?`,
    content: [
      h(
        "p",
        {},
        shared.length === 1
          ? "Its shared room becomes read-only for both sides: everyone can still read it, nobody can write in it. "
          : `Its ${shared.length || ""} shared rooms become read-only for both sides: everyone can still read them, nobody can write in them. `.replace("  ", " "),
        "Mirrors of their threads stop (each side keeps its copies), and pending invitations into them stop working.",
      ),
      h("p", {}, `${partner.name} sees who ended it and the reason you give. Both organizations can propose a new partnership later.`),
    ],
    fields: h("div", { class: "field" }, h("label", { for: "end-reason" }, "Reason (shown to both organizations)"), reason),
    confirmLabel: `End partnership with ${partner.name}`,
    danger: true,
    onConfirm: async () => {
      if (!reason.value.trim()) {
        reason.focus();
        throw new Error("Give a reason: both organizations will see it.");
      }
      return post(`/api/partnerships/${id}/end/`, { reason: reason.value.trim() });
    },
  }).then((result) => {
    if (result) location.reload();
    else button.focus();
  });
}

// --- new room -----------------------------------------------------------------------
const form = $("#new-room", document, HTMLFormElement);
const openButton = $("#new-room-button");
const where = $("#new-room-where", document, HTMLSelectElement);
const hint = $("#new-room-hint");
const cancelButton = $("[data-cancel]", form);

/**
 * The other side of a partnership.
 * @param {Partnership} p
 * @returns {OrgRef}
 */
function partnerOf(p) {
  return p.supplier.id === me.org?.id ? p.client : p.supplier;
}

function fillWhere() {
  const active = partnerships.filter((p) => p.status === "active");
  where.replaceChildren(
    ...active.map((p) => {
      const partner = partnerOf(p);
      const role = p.supplier.id === me.org?.id ? "customer" : "supplier";
      return h("option", { value: `p:${p.id}` }, `Shared with ${partner.name} (your ${role})`);
    }),
    h("option", { value: "internal" }, `Internal (${me.org?.name ?? "your organization"})`),
  );
  drawHint();
}

function drawHint() {
  hint.textContent = where.value.startsWith("p:")
    ? "People of both companies can be in it. Invite them by e-mail once it exists."
    : `Only people of ${me.org?.name ?? "your organization"} can be in it.`;
}

where.addEventListener("change", drawHint);
openButton.addEventListener("click", () => {
  const open = form.hidden;
  form.hidden = !open;
  openButton.setAttribute("aria-expanded", String(open));
  if (open) {
    fillWhere();
    $("#new-room-name").focus();
  }
});
cancelButton.addEventListener("click", () => {
  form.hidden = true;
  openButton.setAttribute("aria-expanded", "false");
  openButton.focus();
});
form.addEventListener("keydown", (e) => {
  if (e.key === "Escape") cancelButton.click();
});
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = $(".form-error", form);
  error.hidden = true;
  const internal = where.value === "internal";
  const body = {
    name: $("#new-room-name", document, HTMLInputElement).value,
    topic: $("#new-room-topic", document, HTMLInputElement).value,
    ...(internal ? { kind: "internal" } : { partnership: Number(where.value.slice(2)) }),
  };
  try {
    /** @type {{id: number}} */
    const created = await post("/api/rooms/", body);
    location.assign(`/rooms/${created.id}/${internal ? "" : "?panel=members"}`);
  } catch (e) {
    error.hidden = false;
    error.textContent = errorText(e);
  }
});

// --- my work and open escalations ----------------------------------------------------
/** @param {number} room */
const roomName = (room) => shell.rooms.get(room)?.name ?? "";
// --- invitations ----------------------------------------------------------------------
async function loadInvitations() {
  const list = $("#invitations");
  try {
    /** @type {{invitations: Invitation[]}} */
    const { invitations } = await get("/api/invitations/");
    list.replaceChildren(
      ...(invitations.length
        ? invitations.map((i) =>
            h(
              "li",
              { dataset: { invitation: i.id } },
              h("span", { class: "inv-email" }, i.email),
              i.outside_domain ? h("span", { class: "warn-chip", title: "Not on a verified domain of the organization they join" }, "outside your domains") : null,
              h("span", { class: "muted" }, ` → ${i.room ?? i.organization} · joins ${i.organization} · expires `, timeEl(i.expires_at)),
              revokeButton(i, {
                onRevoked: loadInvitations,
                onError: (e) => shell.toast("Could not revoke", errorText(e), { kind: "alert" }),
              }),
            ),
          )
        : [h("li", { class: "muted" }, "None pending.")]),
    );
  } catch (e) {
    list.replaceChildren(h("li", { class: "form-error" }, errorText(e)));
  }
}

// Work assigned or escalated elsewhere shows up here without a reload.
mountWorkList($("#my-work"), { path: "/api/workitems/mine/", key: "items", empty: "Nothing assigned to you.", row: (item) => workRow(item, roomName), socket: shell.socket });
mountWorkList($("#open-escalations"), { path: "/api/escalations/", key: "items", empty: "No open escalations.", row: (item) => escalationRow(item, roomName), socket: shell.socket });
loadInvitations();
mountFollowedThreads($("#followed-threads"), shell.socket);
