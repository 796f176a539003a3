// @ts-check
// The room's members panel: who is in the room (with presence), "Add people"
// (colleagues, and for an owner of a shared room the partner's people you
// already know), and "Invite by e-mail" for people without an account.
//
// Nobody joins an organization by accident: when the e-mail's domain decides
// nothing the server asks for an explicit choice (`organization_required`),
// and making an address outside your organization's verified domains your
// colleague takes an admin's confirmation (`confirmation_required`, then the
// dialog). docs/protocol.md, POST /api/invitations/.

import { del, get, patch, post } from "./api.js";
import { confirmDialog } from "./dialog.js";
import { face } from "./avatars.js";
import { asYouType, h, plural, timeEl } from "./dom.js";
import { errorCode, errorText } from "./errors.js";

/** @import { Invitation, Member } from "./api.js" */
/** @import { RoomPage } from "./room.js" */
/** @import { PersonRef } from "./wire.gen.js" */

/** @typedef {{person: PersonRef, colleague: boolean}} Candidate `GET …/members/candidates/` */

/**
 * `POST /api/invitations/` (protocol.md).
 * @typedef {{room: number, email: string, organization?: string, confirm_outside_domain?: boolean}} InvitationRequest
 */

/** @typedef {{id: number, email: string, organization: string, outside_domain: boolean, expires_at: string}} InvitationSent */

/** @type {Readonly<Record<string, number>>} presence -> order in the lists */
const RANK = { active: 0, away: 1 };

/** @param {string | undefined} state */
export function stateLabel(state) {
  if (state === "unknown") return "presence unknown"; // the socket is not live
  return state === "active" ? "online" : state === "away" ? "away" : "offline";
}

/**
 * Members by presence (online, away, offline), then name.
 * @param {ReadonlyMap<number, Member>} members
 * @param {ReadonlyMap<number, string>} presence
 */
export function sortedMembers(members, presence) {
  /** @param {Member} m */
  const rank = (m) => RANK[presence.get(m.person.id) ?? ""] ?? 2;
  return [...members.values()].sort((a, b) => rank(a) - rank(b) || a.person.name.localeCompare(b.person.name));
}

/**
 * @param {PersonRef} person
 * @param {boolean} partner
 */
function orgBadge(person, partner) {
  return h("span", { class: `org-badge ${partner ? "partner" : "mine"}` }, partner ? "⇄ " : "", person.org?.name ?? "");
}

export class MembersPanel {
  /**
   * @param {RoomPage} page
   * @param {ReadonlyMap<number, Member>} members person id ->
   * @param {ReadonlyMap<number, string>} presence person id -> state
   */
  constructor(page, members, presence) {
    this.page = page;
    this.members = members;
    this.presence = presence;
    /** Whether the presence is current (people.js: the socket is live); else "unknown". */
    this.live = true;
    /** @type {{heading: HTMLElement, list: HTMLElement, adder: {el: HTMLElement, reload: () => void}} | null} while the panel is open */
    this.view = null;
    /** @type {Invitation[] | null} the last GET /api/invitations/ */
    this.invitations = null;
  }

  get isOpen() {
    return Boolean(this.view) && this.page.panel.is("members");
  }

  /** The panel's parts while it is open. */
  get openView() {
    return this.page.panel.is("members") ? this.view : null;
  }

  toggle() {
    if (this.isOpen) this.page.panel.close();
    else this.open();
  }

  /** Open the panel, or redraw its member list (never its forms) when open. */
  open() {
    if (this.isOpen) return this.refresh();
    const heading = h("h3", {}, plural(this.members.size, "member"));
    const list = h("ul", { class: "member-list" }, this.memberItems());
    const direct = this.page.room.kind === "direct";
    const adder = direct ? { el: h("p", { class: "muted small" }, "A direct conversation keeps the people it started with."), reload: () => {} } : this.addPeople();
    this.view = { heading, list, adder };
    this.page.panel.open(
      "members",
      "Members",
      h("div", { class: "members-panel" }, heading, list, adder.el, direct ? null : this.inviteForm()),
      { onClose: () => (this.view = null) },
    );
  }

  /**
   * Members or presence changed.
   * @param {{candidates?: boolean}} [options] whether "Add people" asks again whom it may add
   */
  refresh({ candidates = true } = {}) {
    const view = this.openView;
    if (!view) return;
    view.heading.textContent = plural(this.members.size, "member");
    // A redraw (any presence change) must not drop the keyboard's place in the list.
    const focused = document.activeElement instanceof HTMLElement && view.list.contains(document.activeElement) ? document.activeElement.dataset.cardPerson : undefined;
    view.list.replaceChildren(...this.memberItems());
    if (focused) view.list.querySelector(`[data-card-person="${focused}"]`)?.closest("button")?.focus({ preventScroll: true });
    if (candidates) view.adder.reload();
  }

  memberItems() {
    const { me } = this.page;
    return sortedMembers(this.members, this.presence).map(({ person, role }) => {
      const state = this.live ? (this.presence.get(person.id) ?? "offline") : "unknown";
      const partner = this.page.isPartnerOrg(person.org);
      return h(
        "li",
        { dataset: { person: person.id, state } },
        h("span", { class: `avatar${partner ? " partner" : ""}`, aria: { hidden: "true" } }, face(person), h("span", { class: "presence", dataset: { presenceFor: person.id, state } })),
        h(
          "span",
          { class: "member-text" },
          h("button", { type: "button", class: "person-name", dataset: { cardPerson: person.id }, aria: { haspopup: "dialog" } }, person.name, person.id === me.id ? " (you)" : ""),
          h("span", { class: "muted" }, person.title || ""),
          h("span", {}, orgBadge(person, partner), role === "owner" ? h("span", { class: "role" }, " owner") : null),
        ),
        h("span", { class: `state state-${state}` }, stateLabel(state)),
        this.roleButton(person, role),
      );
    });
  }

  /**
   * For the room's owners: make a member an owner, or an owner a member (the
   * server refuses to demote the last owner, and says so).
   * @param {PersonRef} person
   * @param {string} role
   */
  roleButton(person, role) {
    const { room, roomId, toast } = this.page;
    if (room.role !== "owner" || room.archived) return null;
    const next = role === "owner" ? "member" : "owner";
    return h(
      "button",
      {
        type: "button",
        class: "link role-change",
        // The visible words first, as a voice user says them (WCAG 2.5.3).
        aria: { label: next === "owner" ? `Make owner: ${person.name}` : `Make member (not an owner): ${person.name}` },
        onclick: async () => {
          try {
            await patch(`/api/rooms/${roomId}/members/${person.id}/`, { role: next });
            // member.role redraws the list.
          } catch (error) {
            toast("Could not change the role", errorText(error), { kind: "alert" });
          }
        },
      },
      next === "owner" ? "Make owner" : "Make member",
    );
  }

  // --- add people who already have an account --------------------------------------

  addPeople() {
    const { roomId, room } = this.page;
    const id = "add-people-search";
    const search = h("input", { id, type: "search", autocomplete: "off", placeholder: "Name or @handle", aria: { controls: "add-people-results" } });
    const results = h("ul", { id: "add-people-results", class: "candidates", aria: { label: "People you can add", live: "polite" } });
    const status = h("p", { class: "form-status", role: "status" });
    const hint =
      room.kind === "shared" && room.role === "owner"
        ? `Your colleagues, and people of ${room.partner?.name} you already share a room with.`
        : room.kind === "shared"
          ? `Your colleagues. Only the room's owners add people of ${room.partner?.name}.`
          : "Your colleagues.";
    const load = asYouType(search, async (q, isLatest) => {
      try {
        /** @type {{candidates: Candidate[]}} */
        const data = await get(`/api/rooms/${roomId}/members/candidates/${q ? `?q=${encodeURIComponent(q)}` : ""}`);
        if (!isLatest()) return; // an older answer arriving late
        results.replaceChildren(
          ...(data.candidates.length
            ? data.candidates.map((c) => this.candidateItem(c, status))
            : [h("li", { class: "muted" }, q ? "Nobody you can add matches." : "Everyone you can add is here.")]),
        );
      } catch (error) {
        results.replaceChildren(h("li", { class: "form-error" }, errorText(error)));
      }
    });
    load();
    const el = h(
      "section",
      { class: "add-people", aria: { labelledby: "add-people-title" } },
      h("h3", { id: "add-people-title" }, "Add people"),
      h("p", { class: "muted small" }, hint),
      h("label", { for: id, class: "sr-only" }, "Find people to add"),
      search,
      results,
      status,
    );
    return { el, reload: load };
  }

  /**
   * @param {Candidate} candidate
   * @param {HTMLElement} status where to say how it went
   */
  candidateItem({ person, colleague }, status) {
    const partner = !colleague;
    const button = h(
      "button",
      { type: "button", class: "button small", aria: { label: `Add ${person.name} (${person.org?.name ?? ""})` } },
      "Add",
    );
    button.addEventListener("click", async () => {
      button.disabled = true;
      status.textContent = "";
      try {
        await post(`/api/rooms/${this.page.roomId}/members/`, { person: person.id });
        status.textContent = `${person.name} was added.`;
        // member.joined redraws the list; the picker reloads with it.
      } catch (error) {
        status.textContent = errorText(error);
        button.disabled = false;
      }
    });
    return h(
      "li",
      { dataset: { person: person.id } },
      h("span", { class: `avatar small${partner ? " partner" : ""}`, aria: { hidden: "true" } }, face(person)),
      h("span", { class: "member-text" }, h("strong", {}, person.name), h("span", { class: "muted" }, ` @${person.handle}`), " ", orgBadge(person, partner)),
      button,
    );
  }

  // --- invite by e-mail --------------------------------------------------------------

  inviteForm() {
    const { me, room, roomId } = this.page;
    const email = h("input", { id: "invite-email", type: "email", name: "email", required: true, placeholder: "name@company.example", autocomplete: "off" });
    /** @type {[string | undefined, string][]} slug, label */
    const orgs = [[me.org?.slug, `${me.org?.name} (your organization)`]];
    if (room.kind === "shared") orgs.push([room.partner?.slug, `${room.partner?.name} (partner)`]);
    const org = h(
      "select",
      { id: "invite-org", name: "organization", aria: { describedby: "invite-org-help" } },
      room.kind === "shared" ? h("option", { value: "" }, "Decide by e-mail domain") : null,
      orgs.map(([slug, label]) => h("option", { value: slug }, label)),
    );
    const orgHelp = h(
      "p",
      { id: "invite-org-help", class: "muted small" },
      room.kind === "shared"
        ? "An address on neither organization's verified domains needs a choice."
        : `They join ${me.org?.name}.`,
    );
    const status = h("p", { class: "form-status", role: "status" });
    const pending = h("ul", { class: "invitations" });
    const form = h(
      "form",
      { class: "invite-form", aria: { label: "Invite by e-mail" } },
      h("h3", {}, "Invite by e-mail"),
      h("p", { class: "muted small" }, "For people who have no account yet."),
      h("label", { for: "invite-email" }, "E-mail"),
      email,
      h("label", { for: "invite-org" }, "Joins as"),
      org,
      orgHelp,
      h("div", { class: "form-actions" }, h("button", { type: "submit", class: "button primary" }, "Send invitation")),
      status,
      h("h4", {}, "Pending invitations to this room"),
      pending,
    );
    /** @param {Invitation[]} invitations */
    const drawPending = (invitations) => {
      const here = invitations.filter((i) => i.room_id === roomId);
      pending.replaceChildren(
        ...(here.length ? here.map((i) => this.pendingItem(i, status, refresh)) : [h("li", { class: "muted" }, "None.")]),
      );
    };
    const refresh = async () => {
      try {
        /** @type {{invitations: Invitation[]}} */
        const data = await get("/api/invitations/");
        this.invitations = data.invitations;
        drawPending(data.invitations);
      } catch {
        pending.replaceChildren(h("li", { class: "muted" }, "Could not load invitations."));
      }
    };
    if (this.invitations) drawPending(this.invitations);
    refresh();
    org.addEventListener("change", () => org.removeAttribute("aria-invalid"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      status.textContent = "";
      /** @type {InvitationRequest} */
      const body = { room: roomId, email: email.value.trim() };
      if (org.value) body.organization = org.value;
      try {
        const invitation = await this.invite(body);
        if (!invitation) return; // the person did not confirm
        status.textContent = `Invitation sent to ${invitation.email}, to join ${invitation.organization}.`;
        email.value = "";
        refresh();
      } catch (error) {
        status.textContent = errorText(error);
        if (errorCode(error) === "organization_required") {
          org.setAttribute("aria-invalid", "true");
          org.focus();
        }
      }
    });
    return form;
  }

  /**
   * POST the invitation; an address outside your domains is confirmed in a dialog first.
   * Null when the person did not confirm.
   * @param {InvitationRequest} body
   * @returns {Promise<InvitationSent | null>}
   */
  async invite(body) {
    try {
      return await post("/api/invitations/", body);
    } catch (error) {
      if (errorCode(error) !== "confirmation_required") throw error;
      const org = this.page.me.org?.name;
      const sent = await confirmDialog({
        title: `Make ${body.email} a member of ${org}?`,
        content: [
          h("p", {}, errorText(error)),
          h(
            "p",
            {},
            `Once they accept, they are a colleague: they can be added to ${org}'s internal rooms and see what is shared with ${org}. `,
            "The invitation is marked “outside your domains” and recorded in the audit log.",
          ),
        ],
        confirmLabel: `Invite as a member of ${org}`,
        danger: true,
        /** @returns {Promise<InvitationSent>} */
        onConfirm: () => post("/api/invitations/", { ...body, confirm_outside_domain: true }),
      });
      return sent === true ? null : sent;
    }
  }

  /**
   * @param {Invitation} i
   * @param {HTMLElement} status
   * @param {() => void} refresh
   */
  pendingItem(i, status, refresh) {
    return h(
      "li",
      { dataset: { invitation: i.id } },
      h("span", { class: "inv-email" }, i.email),
      i.outside_domain ? h("span", { class: "warn-chip", title: "Not on a verified domain of the organization they join" }, "outside your domains") : null,
      h("span", { class: "muted" }, ` · joins ${i.organization} · invited by ${i.invited_by} · expires `, timeEl(i.expires_at)),
      revokeButton(i, { onRevoked: refresh, onError: (error) => (status.textContent = errorText(error)) }),
    );
  }
}

/**
 * "Revoke" for a pending invitation (the members panel and the home page).
 * @param {Invitation} invitation
 * @param {{onRevoked: () => void, onError: (error: unknown) => void}} then
 */
export function revokeButton(invitation, { onRevoked, onError }) {
  return h(
    "button",
    {
      type: "button",
      class: "link danger",
      aria: { label: `Revoke the invitation for ${invitation.email}` },
      onclick: async () => {
        try {
          await del(`/api/invitations/${invitation.id}/`);
          onRevoked();
        } catch (error) {
          onError(error);
        }
      },
    },
    "Revoke",
  );
}
