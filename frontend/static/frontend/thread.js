// A thread: its first message, the replies, a typing line and a composer.
// Shown in the side panel, and inside a work item's panel (its discussion).
// In a shared room it offers "Mirror to my internal room"; under a mirror's
// copy in an internal room it says the replies stay internal and offers
// "Share back…" on each internal note, which asks first (dialog.js).

import { del, get, post } from "./api.js";
import { createComposer } from "./composer.js";
import { confirmDialog } from "./dialog.js";
import { h } from "./dom.js";
import { MessageList } from "./messages.js";

export class ThreadView {
  /**
   * page: the room page's context (see room.js `page`).
   * root: the thread's first message (at least {id}).
   */
  constructor(page, root, { mirrorControls = true, embedded = false } = {}) {
    this.page = page;
    this.rootId = root.id;
    this.root = root;
    this.mirror = page.mirrorForCopy(root.id); // set when this is a mirror's copy
    this.ol = h("ol", { class: "messages thread-messages", aria: { label: "Thread messages", live: "polite" } });
    this.typingLine = h("div", { class: "typing", aria: { live: "polite" } });
    this.list = new MessageList(this.ol, page.messageContext({ inThread: true, thread: this }));
    const scope = this.scope();
    this.composer = createComposer({
      scope: scope.kind,
      scopeText: scope.text,
      label: "Reply in thread",
      placeholder: scope.kind === "internal" && this.mirror ? "Internal note (Markdown)" : "Reply (Markdown)",
      sendLabel: "Reply",
      maxChars: page.socket.limits.message_max_chars,
      members: () => page.mentionable(),
      onSend: (body) => this.send(body),
      onTyping: () => page.socket.send({ type: "typing", room: page.roomId, thread: this.rootId }),
    });
    this.info = h("div", { class: "thread-info" });
    this.el = h("div", { class: "thread" }, this.info, this.ol, this.typingLine, this.composer.el);
    this.mirrorControls = mirrorControls;
    this.embedded = embedded; // inside a work item's panel: do not scroll the panel on load
    this.drawInfo();
  }

  scope() {
    const page = this.page;
    if (page.room.kind === "shared") {
      return { kind: "shared", text: `Shared with ${page.room.partner.name}: people of both companies see replies here.` };
    }
    if (this.mirror || this.root.kind === "mirror") {
      return { kind: "internal", text: `Internal: not visible to ${page.partnerForMirror(this.root)}` };
    }
    return { kind: "internal", text: `Internal: only ${page.me.org.name} sees this room.` };
  }

  async load() {
    try {
      const data = await get(`/api/rooms/${this.page.roomId}/threads/${this.rootId}/`);
      for (const message of data.messages) this.list.upsert(message);
      this.root = data.messages[0];
      this.mirror = this.page.mirrorForCopy(this.rootId);
      this.drawInfo();
      const last = data.messages[data.messages.length - 1];
      this.page.socket.send({ type: "thread.read", room: this.page.roomId, root: this.rootId, seq: last.seq });
    } catch (error) {
      this.ol.replaceChildren(h("li", { class: "form-error" }, error.message));
    }
    if (!this.embedded) this.scrollToEnd();
  }

  scrollToEnd(force = false) {
    const scroller = this.el.closest(".panel-body");
    if (scroller && (force || !this.embedded)) scroller.scrollTop = scroller.scrollHeight;
  }

  send(body) {
    const clientId = this.page.socket.sendMessage(this.page.roomId, body, this.rootId);
    this.list.addPending(clientId, body, this.rootId);
    this.scrollToEnd(true);
  }

  // Frames routed here by the room page.
  onMessage(message) {
    const atEnd = this.isAtEnd();
    this.list.upsert(message);
    if (atEnd) this.scrollToEnd(true);
  }

  isAtEnd() {
    const scroller = this.el.closest(".panel-body");
    return !scroller || scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 60;
  }

  setTyping(names) {
    this.typingLine.textContent = names.length ? `${names.join(", ")} ${names.length > 1 ? "are" : "is"} typing…` : "";
  }

  // --- mirror and share-back ---------------------------------------------------

  drawInfo() {
    const page = this.page;
    const scope = this.scope();
    this.composer.setScope(scope.text, scope.kind);
    // Redraw only when what it shows changed: a form in it may be in use.
    const key = [this.root.kind, this.root.thread, this.root.deleted, this.mirror?.id, this.mirror?.stopped_at].join("|");
    if (key === this.infoKey) return;
    this.infoKey = key;
    this.info.replaceChildren();
    if (page.room.kind === "shared" && this.mirrorControls && !this.root.thread && !this.root.deleted) {
      this.info.append(this.mirrorBox());
    } else if (page.room.kind === "internal" && (this.mirror || this.root.kind === "mirror")) {
      const p = this.root.mirror || {};
      this.info.append(
        h(
          "div",
          { class: "mirror-box internal" },
          h("p", {}, "Mirror of a thread in the shared room ", h("strong", {}, p.room_name || "?"), ` (shared with ${page.partnerForMirror(this.root)}).`),
          h("p", { class: "muted" }, "New replies there appear here. Replies you write here are internal notes; “Share back…” on a note shows you what would cross, and posts it in the shared thread only if you confirm."),
          this.mirror && !this.mirror.stopped_at
            ? h("button", { type: "button", class: "button small", onclick: () => this.stopMirror() }, "Stop mirroring")
            : this.mirror
              ? h("p", { class: "muted" }, "Mirroring stopped.")
              : null,
        ),
      );
    }
  }

  mirrorBox() {
    const page = this.page;
    const targets = page.internalRooms();
    const existing = page.mirrorsOf(this.rootId);
    const box = h("div", { class: "mirror-box" });
    const status = h("p", { class: "form-status", role: "status" });
    const list = h(
      "ul",
      { class: "mirror-list" },
      existing.map((m) =>
        h(
          "li",
          {},
          "Mirrored to ",
          h("a", { href: `/rooms/${m.target_room}/?thread=${m.root_copy}` }, page.roomName(m.target_room)),
        ),
      ),
    );
    if (!targets.length) {
      box.append(h("p", { class: "muted" }, `You have no internal room to mirror into.`), list);
      return box;
    }
    const id = `mirror-target-${this.rootId}`;
    // Nothing is chosen for the person: mirroring into the wrong room puts the
    // thread in front of the wrong colleagues. Each room says who is in it.
    const colleagues = (r) => {
      const others = Math.max(0, (r.member_count ?? 1) - 1);
      return others ? `${others} ${others === 1 ? "colleague" : "colleagues"}` : "only you";
    };
    const select = h(
      "select",
      { id, class: "mirror-target", required: true },
      h("option", { value: "", selected: true, disabled: true }, "Choose an internal room…"),
      [...targets]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((r) => h("option", { value: r.id }, `${r.name} (${colleagues(r)})`)),
    );
    const button = h("button", { type: "button", class: "button small", disabled: true }, "Mirror to my internal room");
    select.addEventListener("change", () => {
      button.disabled = !select.value;
    });
    button.addEventListener("click", async () => {
      if (!select.value) return;
      button.disabled = true;
      status.textContent = "";
      try {
        const mirror = await post("/api/mirrors/", {
          source_room: page.roomId,
          thread: this.rootId,
          target_room: Number(select.value),
        });
        page.addMirror(mirror);
        status.replaceChildren(
          "Mirrored to ",
          h("a", { href: `/rooms/${mirror.target_room}/?thread=${mirror.root_copy}` }, page.roomName(mirror.target_room)),
          `. ${page.room.partner.name} is not told.`,
        );
      } catch (error) {
        status.textContent = error.code === "conflict" ? "Already mirrored into that room." : error.message;
      } finally {
        button.disabled = !select.value;
      }
    });
    box.append(
      h("p", { class: "muted" }, `Follow this thread privately in one of your internal rooms. ${page.room.partner.name} does not see the mirror.`),
      h("div", { class: "inline-form" }, h("label", { for: id, class: "sr-only" }, "Internal room"), select, button),
      status,
      list,
    );
    return box;
  }

  async stopMirror() {
    try {
      const stopped = await del(`/api/mirrors/${this.mirror.id}/`);
      this.page.addMirror(stopped);
      this.mirror = stopped;
    } catch (error) {
      this.page.toast("Could not stop the mirror", error.message);
    }
    this.drawInfo();
    this.list.refreshAll();
  }

  /** The "Share back…" control for an internal note under this mirror, or null. */
  shareBackFor(message) {
    const mirror = this.mirror;
    if (!mirror || mirror.stopped_at || message.thread !== this.rootId) return null;
    if (message.kind !== "message" || message.deleted || message.author.org?.id !== this.page.me.org.id) return null;
    if (message.shared_back) return null; // the server says so, to everyone in this room
    const partner = this.page.partnerForMirror(this.root);
    return h(
      "button",
      {
        type: "button",
        class: "tool share-back",
        aria: { label: `Share this note with ${partner}…` },
        title: `Share this note with ${partner}…`,
        onclick: () => this.confirmShareBack(message),
      },
      "Share back…",
    );
  }

  /** Sharing a note crosses to the partner: show exactly what, and to whom, before it goes. */
  confirmShareBack(message) {
    const page = this.page;
    const partner = page.partnerForMirror(this.root);
    const roomName = this.root.mirror?.room_name || page.roomName(this.mirror.source_room);
    const body = message.body; // what the person reads is what the server is asked to share
    return confirmDialog({
      title: `Share this note with ${partner}?`,
      content: [
        h("p", {}, "This exact text will be posted in the shared thread, as you:"),
        h("blockquote", { class: "dialog-quote", dataset: { shareText: "" } }, body),
        h(
          "p",
          {},
          "Visible to ",
          h("span", { class: "dialog-audience" }, partner),
          ` in ${roomName}`,
          `, and to everyone of ${page.me.org.name} there. Sharing cannot be undone.`,
        ),
      ],
      confirmLabel: `Share with ${partner}`,
      onConfirm: async () => {
        try {
          await post(`/api/mirrors/${this.mirror.id}/share-back/`, { message: message.id, confirmed_body: body });
        } catch (error) {
          if (error.code === "conflict" && /already/i.test(error.message)) return true;
          throw error;
        }
        return true;
      },
    });
  }
}
