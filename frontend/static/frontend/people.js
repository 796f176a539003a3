// @ts-check
// Who is in the room and what they are doing: the members with their
// presence (from `subscribed`, `presence`, `member.joined`/`member.left`),
// the header strip of faces, the "… is typing" lines (the room's, and the
// open thread's), and the members panel (members.js). Typing notices are
// never stored: each is shown for its `expires_in`, unless renewed.
//
// Presence is only known while the socket is live: when it is not, every
// dot greys out (app.css, by the body's `data-conn`) and the strip and the
// panel say "presence unknown" to screen readers too, until the next
// `subscribed` brings the states back.

import { face } from "./avatars.js";
import { $, $all, h } from "./dom.js";
import { MembersPanel, sortedMembers, stateLabel } from "./members.js";
import { PersonCards } from "./personcard.js";

/** @import { Member } from "./api.js" */
/** @import { RoomPage } from "./room.js" */
/** @import { ThreadView } from "./thread.js" */
/** @import { MemberJoinedEvent, PersonRef, PresenceEvent, SubscribedFrame, TypingEvent } from "./wire.gen.js" */

const SHOWN = 6; // faces in the header strip

/**
 * "Anna is typing…", "Anna, Ben are typing…", or "".
 * @param {ReadonlyArray<string>} names
 */
export function typingText(names) {
  return names.length ? `${names.join(", ")} ${names.length > 1 ? "are" : "is"} typing…` : "";
}

export class RoomPeople {
  /**
   * @param {RoomPage} page
   * @param {() => ThreadView | null} activeThread the thread open in the panel
   */
  constructor(page, activeThread) {
    this.page = page;
    this.activeThread = activeThread;
    /** @type {Map<number, Member>} person id -> */
    this.members = new Map();
    /** @type {Map<number, string>} person id -> "active" | "away" | "offline" */
    this.presence = new Map();
    /** @type {Map<number, {thread: number | null, until: number}>} person id -> */
    this.typists = new Map();
    this.panel = new MembersPanel(page, this.members, this.presence);
    // A click on any name (`data-card-person`) opens that person's card.
    this.cards = new PersonCards({ me: page.me, isPartnerOrg: (org) => page.isPartnerOrg(org) });
    /**
     * Whether the presence shown is current: the socket is live and the room's
     * `subscribed` has come since (before it, the states are last connection's).
     */
    this.live = false;
    this.panel.live = false;
    page.socket.on("state", ({ state }) => {
      if (state === "live" || !this.live) return; // live again: wait for `subscribed`
      this.live = this.panel.live = false;
      // Who may be added has not changed: no request for it (it would fail while down).
      this.draw({ candidates: false });
    });
    $("#members-button").addEventListener("click", () => this.panel.toggle());
    $("#people").addEventListener("click", () => this.panel.open());
    setInterval(() => this.drawTyping(), 1000);
  }

  /** @param {number} id */
  name(id) {
    return this.members.get(id)?.person.name ?? `person #${id}`;
  }

  /** The members' people, by name. */
  list() {
    return [...this.members.values()].map((m) => m.person).sort((a, b) => a.name.localeCompare(b.name));
  }

  // --- frames (room.js routes this room's here) ---------------------------------------

  /** @param {SubscribedFrame} frame */
  subscribed(frame) {
    this.members.clear();
    // `members` is a plain list of dicts in rooms.events.SubscribedFrame; each
    // is {person, role} (protocol.md, `subscribed`).
    for (const m of /** @type {Member[]} */ (frame.members)) this.members.set(m.person.id, m);
    this.presence.clear();
    for (const [id, state] of Object.entries(frame.presence)) this.presence.set(Number(id), state);
    this.live = this.panel.live = this.page.socket.live;
    // Messages drawn before the snapshot (history) show their authors' state too.
    for (const dot of $all("[data-presence-for]")) {
      const state = this.presence.get(Number(dot.dataset.presenceFor));
      if (state) dot.dataset.state = state;
    }
    this.draw();
  }

  /** @param {PresenceEvent} frame everyone of the room who changed in one tick */
  presenceChanged({ people }) {
    let shown = false;
    for (const [id, state] of Object.entries(people)) {
      const user = Number(id);
      this.presence.set(user, state);
      if (!this.members.has(user)) continue;
      for (const dot of $all(`[data-presence-for="${user}"]`)) dot.dataset.state = state;
      shown = true;
    }
    if (shown) this.draw();
  }

  /** @param {MemberJoinedEvent} frame */
  joined({ member, role }) {
    this.members.set(member.id, { person: member, role });
    this.draw();
  }

  /**
   * A member changed their name, title or handle (`member.updated`).
   * @param {PersonRef} person
   */
  updated(person) {
    const held = this.members.get(person.id);
    if (held) held.person = person;
    this.draw();
  }

  /**
   * An owner changed someone's role (`member.role`).
   * @param {{user: number, role: string}} frame
   */
  roleChanged({ user, role }) {
    const held = this.members.get(user);
    if (held) held.role = role;
    this.draw();
  }

  /** @param {number} user */
  left(user) {
    this.members.delete(user);
    this.draw();
  }

  /** @param {TypingEvent} frame */
  typing({ user, thread, expires_in: ttl }) {
    if (user === this.page.me.id) return; // our own notices come back too
    if (ttl <= 0) this.typists.delete(user); // they erased what they were writing
    else this.typists.set(user, { thread: thread ?? null, until: Date.now() + ttl * 1000 });
    this.drawTyping();
  }

  /**
   * Their message arrived: they are done typing it.
   * @param {number} user
   */
  wrote(user) {
    this.typists.delete(user);
    this.drawTyping();
  }

  // --- drawing ----------------------------------------------------------------------------

  drawTyping() {
    const now = Date.now();
    for (const [id, t] of this.typists) if (t.until < now) this.typists.delete(id);
    /** @param {number | null} thread */
    const names = (thread) =>
      [...this.typists.entries()]
        .filter(([, t]) => t.thread === thread)
        .map(([id]) => this.members.get(id)?.person.name ?? "Someone");
    const line = $("#typing");
    const text = typingText(names(null));
    if (line.textContent !== text) line.textContent = text;
    const thread = this.activeThread();
    thread?.setTyping(names(thread.rootId));
  }

  /** The header strip (faces with presence), the online count, the open members panel. */
  /** @param {{candidates?: boolean}} [options] whether the open panel asks again whom it may add */
  draw({ candidates = true } = {}) {
    const { members, presence } = this;
    const list = $("#people");
    const shown = sortedMembers(members, presence).slice(0, SHOWN);
    list.replaceChildren(
      ...shown.map(({ person }) => {
        const state = this.live ? (presence.get(person.id) ?? "offline") : "unknown";
        const partner = this.page.isPartnerOrg(person.org);
        return h(
          "li",
          {
            class: `person-chip${partner ? " partner" : ""}`,
            dataset: { person: person.id, state },
            title: `${person.name} · ${person.org?.name ?? ""} · ${stateLabel(state)}`,
          },
          h(
            "span",
            { class: `avatar small${partner ? " partner" : ""}`, aria: { hidden: "true" } },
            face(person),
            h("span", { class: "presence", dataset: { presenceFor: person.id, state } }),
          ),
          h("span", { class: "sr-only" }, `${person.name}, ${stateLabel(state)}`),
        );
      }),
    );
    if (members.size > shown.length) list.append(h("li", { class: "more" }, `+${members.size - shown.length}`));
    const online = [...members.keys()].filter((id) => presence.get(id) === "active").length;
    $("#members-button").replaceChildren(
      h("span", { class: "long" }, "Members · "),
      this.live ? `${online}/${members.size} online` : `${members.size}, presence unknown`,
    );
    this.panel.refresh({ candidates });
  }
}
