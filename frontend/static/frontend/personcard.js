// @ts-check
// A person's card: a popover (click a name: a message's author, a member in
// the members panel) with their name, organization, title, their local time
// in their own time zone, and the rooms you are both in, from
// `GET /api/people/{id}/` (docs/protocol.md). The server decides which rooms
// (only those you are in too); the card shows what it is given.
//
// It is not modal: Escape or Close closes it and gives focus back to the name
// that opened it; a click elsewhere closes it. It is kept inside the window,
// and at phone width it sits at the bottom of the screen, full width.

import { get } from "./api.js";
import { face } from "./avatars.js";
import { h } from "./dom.js";
import { errorCode, errorText } from "./errors.js";
import { roomLink } from "./links.js";
import { offsetMinutes } from "./zone.js";

/** @import { OrgRef, PersonCard as CardData } from "./wire.gen.js" */

const MARGIN = 8; // px kept between the card and the window's edges
const TICK = 30_000; // the local time is redrawn while the card is open

/**
 * "Tue 14:05" on `timeZone`'s clock, and how far it is from the viewer's.
 * @param {Date} at
 * @param {string} timeZone IANA
 * @param {{locale?: string, viewerZone?: string}} [options] the viewer's: this device's by default
 */
export function localTime(at, timeZone, { locale, viewerZone } = {}) {
  const clock = new Intl.DateTimeFormat(locale, { timeZone, hour: "2-digit", minute: "2-digit", weekday: "short" }).format(at);
  const minutes = offsetMinutes(timeZone, at) - offsetMinutes(viewerZone, at);
  if (minutes === 0) return { clock, relative: "same time as you" };
  const hours = Math.abs(minutes) / 60;
  const amount = Number.isInteger(hours) ? `${hours} h` : `${Math.floor(hours)} h ${Math.abs(minutes) % 60} min`;
  return { clock, relative: `${amount} ${minutes > 0 ? "ahead of" : "behind"} you` };
}

/**
 * Where a card of `size` goes next to `anchor`, inside a window of `view`:
 * below the anchor if it fits, else above; never past an edge.
 * @param {{left: number, top: number, bottom: number}} anchor
 * @param {{width: number, height: number}} size
 * @param {{width: number, height: number}} view
 */
export function placeCard(anchor, size, view) {
  const left = Math.max(MARGIN, Math.min(anchor.left, view.width - size.width - MARGIN));
  const below = anchor.bottom + 6;
  const above = anchor.top - 6 - size.height;
  const top = below + size.height + MARGIN <= view.height || above < MARGIN ? below : above;
  return { left, top: Math.max(MARGIN, Math.min(top, view.height - size.height - MARGIN)) };
}

export class PersonCards {
  /**
   * @param {{me: {id: number, org: OrgRef | null}, isPartnerOrg: (org: OrgRef | null | undefined) => boolean}} ctx
   */
  constructor(ctx) {
    this.ctx = ctx;
    /** @type {{el: HTMLElement, opener: HTMLElement | null, inPanel: boolean, timer: number | undefined} | null} */
    this.shown = null;
    // Any name carrying `data-card-person` opens its card (messages.js, members.js).
    document.addEventListener("click", (event) => {
      const target = event.target instanceof Element ? event.target : null;
      const name = /** @type {HTMLElement | null} */ (target?.closest("[data-card-person]") ?? null);
      if (name) {
        event.preventDefault();
        void this.open(Number(name.dataset.cardPerson), name);
      } else if (this.shown && target && !this.shown.el.contains(target)) this.close(false);
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.shown) {
        event.preventDefault();
        event.stopPropagation();
        this.close(true);
      }
    }, true);
    window.addEventListener("resize", () => this.place());
  }

  /**
   * @param {number} personId
   * @param {HTMLElement} opener focus goes back there when the card closes
   */
  async open(personId, opener) {
    this.close(false);
    const el = h("div", { class: "person-card", role: "dialog", tabindex: -1, aria: { label: "Person", busy: "true" } }, h("p", { class: "muted" }, "Loading…"));
    // Where the name was, noted now: once its list is redrawn it is nowhere.
    this.shown = { el, opener, inPanel: Boolean(opener.closest("#panel")), timer: undefined };
    document.body.append(el);
    this.place();
    el.focus();
    /** @type {CardData} */
    let card;
    try {
      ({ card } = await get(`/api/people/${personId}/`));
    } catch (error) {
      if (this.shown?.el !== el) return;
      el.removeAttribute("aria-busy");
      el.replaceChildren(
        h("p", {}, errorCode(error) === "not_found" ? "This person's card is not available to you." : errorText(error)),
        this.closeButton(),
      );
      this.place();
      return;
    }
    if (this.shown?.el !== el) return; // closed, or another opened, meanwhile
    this.draw(el, card);
    this.place();
  }

  /**
   * @param {HTMLElement} el
   * @param {CardData} card
   */
  draw(el, { person, time_zone: zone, rooms }) {
    const partner = this.ctx.isPartnerOrg(person.org);
    const headingId = `person-card-${person.id}`;
    const time = h("p", { class: "person-card-time" });
    const drawTime = () => {
      const { clock, relative } = localTime(new Date(), zone);
      time.replaceChildren(h("strong", {}, clock), ` local time (${zone}), ${relative}`);
    };
    drawTime();
    if (this.shown) this.shown.timer = window.setInterval(drawTime, TICK);
    el.removeAttribute("aria-busy");
    el.setAttribute("aria-labelledby", headingId);
    el.removeAttribute("aria-label");
    el.dataset.person = String(person.id);
    const head = h(
      "div",
      { class: "person-card-head" },
      h("span", { class: `avatar${partner ? " partner" : ""}`, aria: { hidden: "true" } }, face(person)),
      h("div", {}, h("h2", { id: headingId }, person.name, person.id === this.ctx.me.id ? " (you)" : ""), h("p", { class: "muted" }, `@${person.handle}`)),
    );
    const org = person.org
      ? h(
          "p",
          {},
          h("span", { class: `org-badge ${partner ? "partner" : "mine"}` }, partner ? h("span", { class: "partner-mark", aria: { label: "Partner company:" } }, "⇄ ") : null, person.org.name),
        )
      : null;
    const common = rooms.length
      ? h("ul", { class: "person-card-rooms" }, ...rooms.map((r) => h("li", {}, h("a", { href: roomLink(r.id) }, r.name))))
      : h("p", { class: "muted" }, "None.");
    el.replaceChildren(
      h(
        "div",
        {},
        head,
        person.title ? h("p", { class: "person-card-title" }, person.title) : null,
        org,
        time,
        h("h3", {}, "Rooms you are both in"),
        common,
        this.closeButton(),
      ),
    );
  }

  closeButton() {
    return h("div", { class: "form-actions" }, h("button", { type: "button", class: "button", onclick: () => this.close(true) }, "Close"));
  }

  /** Next to its opener, inside the window (at phone width the stylesheet puts it at the bottom). */
  place() {
    if (!this.shown) return;
    const { el, opener } = this.shown;
    if (window.matchMedia("(max-width: 700px)").matches || !opener?.isConnected) {
      el.style.left = el.style.top = "";
      return;
    }
    const spot = placeCard(opener.getBoundingClientRect(), el.getBoundingClientRect(), { width: window.innerWidth, height: window.innerHeight });
    el.style.left = `${spot.left}px`;
    el.style.top = `${spot.top}px`;
  }

  /** @param {boolean} refocus give focus back to the name that opened it */
  close(refocus) {
    if (!this.shown) return;
    const { el, opener, inPanel, timer } = this.shown;
    this.shown = null;
    window.clearInterval(timer);
    el.remove();
    if (refocus && opener) returnFocus(opener, inPanel);
  }
}

/**
 * Focus back on the name that opened the card, or, if its list was redrawn
 * meanwhile (a presence change redraws the members panel), on the same
 * person's name in the same kind of place.
 * @param {HTMLElement} opener
 * @param {boolean} inPanel whether it was in the side panel
 */
function returnFocus(opener, inPanel) {
  if (opener.isConnected) return opener.focus();
  const again = [...document.querySelectorAll(`[data-card-person="${opener.dataset.cardPerson}"]`)].find(
    (el) => el instanceof HTMLElement && el.className === opener.className && Boolean(el.closest("#panel")) === inPanel,
  );
  if (again instanceof HTMLElement) again.focus();
}
