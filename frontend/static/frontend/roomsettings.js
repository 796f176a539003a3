// @ts-check
// The room's settings panel: its name and topic (owners change them),
// archiving and reopening (owners; a room whose partnership ended stays
// archived, and the panel says why), and leaving (the last owner names who
// becomes owner first), and exporting it (an organization's admins: a ZIP the
// worker builds, followed here until it can be downloaded). The server decides
// each of these; this panel only offers what it would accept (docs/protocol.md,
// "Managing a room" and "Room exports").

import { get, patch, post } from "./api.js";
import { confirmDialog } from "./dialog.js";
import { h, timeEl } from "./dom.js";
import { errorText } from "./errors.js";

/** @import { RoomExportData, RoomExportList } from "./wire.gen.js" */

/** @import { Member } from "./api.js" */
/** @import { RoomPage } from "./room.js" */

export class RoomSettings {
  /**
   * @param {RoomPage} page
   * @param {ReadonlyMap<number, Member>} members person id -> (people.js keeps it current)
   */
  constructor(page, members) {
    this.page = page;
    this.members = members;
    /** @type {HTMLElement | null} the panel's content while open */
    this.el = null;
    /** @type {HTMLElement | null} the export section, kept across redraws while it follows an export */
    this.exportEl = null;
  }

  get isOpen() {
    return Boolean(this.el) && this.page.panel.is("settings");
  }

  toggle() {
    if (this.isOpen) this.page.panel.close();
    else this.open();
  }

  open() {
    this.exportEl = null;
    this.el = h("div", { class: "room-settings" }, ...this.sections());
    this.page.panel.open("settings", "Room settings", this.el, {
      onClose: () => {
        this.el = null;
        this.exportEl = null;
      },
      focus: this.el.querySelector("input, button"),
    });
  }

  /** The room changed (renamed, archived, reopened, your role): redraw, unless a form is being typed in. */
  refresh() {
    if (!this.isOpen || !this.el) return;
    if (this.el.contains(document.activeElement) && document.activeElement instanceof HTMLInputElement) return;
    this.el.replaceChildren(...this.sections());
  }

  isOwner() {
    return this.page.room.role === "owner";
  }

  /** @returns {HTMLElement[]} */
  sections() {
    const exporting = this.page.me.admin ? [this.exporting()] : [];
    if (this.page.room.kind === "direct") return [this.aboutDirect(), ...exporting, this.leaving()];
    return this.isOwner() ? [this.about(), this.archiving(), ...exporting, this.leaving()] : [this.about(), ...exporting, this.leaving()];
  }

  /** A direct conversation has nothing to set: say what it is, and what it does not hold. */
  aboutDirect() {
    const { room } = this.page;
    return h(
      "section",
      { class: "settings-about" },
      h("h3", {}, `Conversation with ${room.name}`),
      h("p", {}, room.partner ? `People of ${room.partner.name} are in it: both companies' people see it, nobody else.` : "Only the people in it see it."),
      h("p", { class: "muted small" }, "It has no name or owners, and keeps the people it started with: start another conversation for someone else. Work items, escalations and mirrors live in rooms."),
    );
  }

  // --- name and topic -----------------------------------------------------------------

  about() {
    const { room, roomId } = this.page;
    if (!this.isOwner() || room.archived) {
      return h(
        "section",
        { class: "settings-about" },
        h("h3", {}, room.name),
        room.topic ? h("p", {}, room.topic) : h("p", { class: "muted" }, "No topic."),
        h("p", { class: "muted small" }, room.archived ? "Archived: nothing here can change." : "Only the room's owners can rename it or change its topic."),
      );
    }
    const name = h("input", { id: "room-settings-name", value: room.name, maxlength: 120, required: true, autocomplete: "off" });
    const topic = h("input", { id: "room-settings-topic", value: room.topic, maxlength: 500, autocomplete: "off" });
    const status = h("p", { class: "form-status", role: "status" });
    const form = h(
      "form",
      { class: "settings-about" },
      h("label", { for: "room-settings-name" }, "Name"),
      name,
      h("label", { for: "room-settings-topic" }, "Topic ", h("span", { class: "muted" }, "(optional)")),
      topic,
      h("p", { class: "muted small" }, room.kind === "shared" ? `${room.partner?.name ?? "The partner"} sees the name and topic too.` : "Only your organization sees this room."),
      h("div", { class: "form-actions" }, h("button", { type: "submit", class: "button primary" }, "Save")),
      status,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      status.textContent = "";
      try {
        await patch(`/api/rooms/${roomId}/`, { name: name.value, topic: topic.value });
        // room.updated redraws the header for everyone in the room, and may have
        // redrawn this panel already: say it where the form is now.
        const shown = this.el?.querySelector(".settings-about .form-status");
        (shown instanceof HTMLElement ? shown : status).textContent = "Saved.";
      } catch (error) {
        status.textContent = errorText(error);
      }
    });
    return form;
  }

  // --- archive and reopen -------------------------------------------------------------

  archiving() {
    const { room, roomId } = this.page;
    const status = h("p", { class: "form-status", role: "status" });
    const section = h("section", { class: "settings-archive", aria: { labelledby: "settings-archive-title" } }, h("h3", { id: "settings-archive-title" }, "Archive"));
    if (room.archived && room.archived_cause !== "owner") {
      section.append(
        h(
          "p",
          {},
          `This room was archived because the partnership with ${room.partner?.name ?? "the partner"} ended. It stays read-only for both sides and cannot be reopened.`,
        ),
      );
      return section;
    }
    if (room.archived) {
      const reopen = h("button", { type: "button", class: "button primary" }, "Reopen room");
      reopen.addEventListener("click", async () => {
        reopen.disabled = true;
        try {
          await post(`/api/rooms/${roomId}/unarchive/`);
        } catch (error) {
          status.textContent = errorText(error);
          reopen.disabled = false;
        }
      });
      section.append(h("p", {}, "Archived by an owner: everyone in it can read it, nobody can write. Reopen it to write again."), reopen, status);
      return section;
    }
    const archive = h("button", { type: "button", class: "button danger" }, "Archive room…");
    archive.addEventListener("click", () =>
      confirmDialog({
        title: `Archive ${room.name}?`,
        content: [
          h("p", {}, `Everyone in it${room.kind === "shared" ? `, at ${room.partner?.name} too,` : ""} can still read it; nobody can write in it, change its work items or add people until an owner reopens it.`),
          h("p", {}, "Mirrors of its threads, and into it, stop (their copies stay)."),
        ],
        confirmLabel: "Archive room",
        danger: true,
        onConfirm: () => post(`/api/rooms/${roomId}/archive/`),
      }),
    );
    section.append(h("p", { class: "muted small" }, "Read-only for everyone in it, until an owner reopens it."), archive, status);
    return section;
  }

  // --- export ----------------------------------------------------------------------------

  /**
   * An admin's export of the room: asked for here, built by the worker, polled until
   * done; the room's past exports by the admin's organization are listed below, and
   * one still building when the panel opens is followed again.
   */
  exporting() {
    if (this.exportEl) return this.exportEl;
    const { roomId } = this.page;
    const button = h("button", { type: "button", class: "button", id: "room-export-button" }, "Export this room");
    const progress = h("progress", { id: "room-export-progress", max: 100, value: 0, hidden: true, aria: { labelledby: "settings-export-title" } });
    const status = h("p", { class: "form-status", role: "status", id: "room-export-status" });
    const download = h("p", { class: "room-export-download" });
    const past = h("ul", { class: "room-export-list", id: "room-export-list", aria: { labelledby: "settings-export-past" } });
    const pastTitle = h("h4", { id: "settings-export-past", hidden: true }, "Past exports");
    const section = h(
      "section",
      { class: "settings-export", aria: { labelledby: "settings-export-title" } },
      h("h3", { id: "settings-export-title" }, "Export"),
      h("p", { class: "muted small" }, "A ZIP of what your organization can read here: messages, threads, work items with their history, and files, as JSON and a readable page. It is kept for 7 days; the partner is not told."),
      button,
      progress,
      status,
      download,
      pastTitle,
      past,
    );
    this.exportEl = section;
    const ui = { section, button, progress, status, download, past, pastTitle };
    button.addEventListener("click", async () => {
      button.disabled = true;
      download.replaceChildren();
      status.textContent = "Export queued…";
      progress.hidden = false;
      progress.value = 0;
      try {
        /** @type {RoomExportData} */
        const created = await post(`/api/rooms/${roomId}/exports/`);
        void this.listExports(ui);
        await this.followExport(created.id, ui);
      } catch (error) {
        status.textContent = errorText(error);
        progress.hidden = true;
        button.disabled = false;
      }
    });
    void this.listExports(ui).then((exports) => {
      const building = exports?.find((e) => e.status === "queued" || e.status === "running");
      if (!building || this.exportEl !== section || button.disabled) return;
      button.disabled = true;
      progress.hidden = false;
      progress.value = building.progress;
      status.textContent = building.status === "queued" ? "Export queued…" : `Exporting… ${building.progress}%`;
      void this.followExport(building.id, ui).catch((error) => {
        status.textContent = errorText(error);
        progress.hidden = true;
        button.disabled = false;
      });
    });
    return section;
  }

  /**
   * Draw the room's past exports; returns them (null if they could not be read).
   * @param {{section: HTMLElement, past: HTMLElement, pastTitle: HTMLElement}} ui
   * @returns {Promise<RoomExportData[] | null>}
   */
  async listExports({ section, past, pastTitle }) {
    /** @type {RoomExportList} */
    let listed;
    try {
      listed = await get(`/api/rooms/${this.page.roomId}/exports/`);
    } catch {
      return null; // the list is a convenience: asking for an export still works
    }
    if (this.exportEl !== section) return listed.exports;
    pastTitle.hidden = listed.exports.length === 0;
    past.replaceChildren(...listed.exports.map((e) => h("li", {}, timeEl(e.created_at), " ", exportState(e))));
    return listed.exports;
  }

  /**
   * Poll the export about once a second until it is done or failed (or the panel closes).
   * @param {number} id
   * @param {{section: HTMLElement, button: HTMLButtonElement, progress: HTMLProgressElement, status: HTMLElement, download: HTMLElement, past: HTMLElement, pastTitle: HTMLElement}} ui
   */
  async followExport(id, ui) {
    const { section, button, progress, status, download } = ui;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      if (this.exportEl !== section) return;
      /** @type {RoomExportData} */
      const state = await get(`/api/exports/${id}/`);
      progress.value = state.progress;
      if (state.status === "done" && state.download) {
        progress.hidden = true;
        status.textContent = "The export is ready.";
        download.replaceChildren(h("a", { href: state.download, class: "button primary", id: "room-export-download", download: "" }, "Download the ZIP"));
        button.disabled = false;
        void this.listExports(ui);
        return;
      }
      if (state.status === "failed") {
        progress.hidden = true;
        status.textContent = state.error ?? "The export failed. Try again.";
        button.disabled = false;
        void this.listExports(ui);
        return;
      }
      status.textContent = state.status === "queued" ? "Export queued…" : `Exporting… ${state.progress}%`;
    }
  }

  // --- leaving ----------------------------------------------------------------------------

  leaving() {
    const button = h("button", { type: "button", class: "button danger" }, "Leave room…");
    button.addEventListener("click", () => this.confirmLeave());
    return h(
      "section",
      { class: "settings-leave", aria: { labelledby: "settings-leave-title" } },
      h("h3", { id: "settings-leave-title" }, "Leave"),
      h("p", { class: "muted small" }, "You stop seeing this room. Someone in it can add you again."),
      button,
    );
  }

  confirmLeave() {
    const { me, room, roomId } = this.page;
    const others = [...this.members.values()].filter((m) => m.person.id !== me.id).sort((a, b) => a.person.name.localeCompare(b.person.name));
    const lastOwner = this.isOwner() && others.length > 0 && !others.some((m) => m.role === "owner");
    const successor = h(
      "select",
      { id: "leave-new-owner", aria: { required: "true" } },
      h("option", { value: "" }, "Choose a member…"),
      others.map((m) => h("option", { value: m.person.id }, `${m.person.name} (${m.person.org?.name ?? ""})`)),
    );
    const said = lastOwner
      ? "You are the room's last owner. Choose who becomes owner: they can rename it, archive it and add people from the partner."
      : others.length === 0
        ? "You are the only one in this room: once you leave, nobody is in it, and nobody can open it again."
        : "You stop seeing this room and its messages. Someone in it can add you again.";
    return confirmDialog({
      title: `Leave ${room.name}?`,
      content: h("p", {}, said),
      fields: lastOwner ? h("div", { class: "field" }, h("label", { for: "leave-new-owner" }, "New owner"), successor) : null,
      confirmLabel: "Leave room",
      danger: true,
      onConfirm: async () => {
        if (lastOwner && !successor.value) {
          successor.focus();
          throw new Error("Choose who becomes owner first.");
        }
        await post(`/api/rooms/${roomId}/leave/`, lastOwner ? { new_owner: Number(successor.value) } : {});
        location.assign("/");
      },
    });
  }
}

/**
 * One past export's state in the list: its download while kept, otherwise why not.
 * @param {RoomExportData} e
 * @returns {HTMLElement}
 */
function exportState(e) {
  if (e.download) {
    return h("span", {}, h("a", { href: e.download, download: "" }, "Download"), h("span", { class: "muted small" }, ` · kept until `, timeEl(e.expires_at ?? e.created_at)));
  }
  if (e.status === "failed") return h("span", { class: "muted" }, "Failed");
  if (e.expired) return h("span", { class: "muted" }, "Expired");
  return h("span", { class: "muted" }, e.status === "queued" ? "Queued" : `Building… ${e.progress}%`);
}
