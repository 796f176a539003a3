// @ts-check
// A thread: its first message, the replies, a typing line and a composer.
// Shown in the side panel, and inside a work item's panel (its discussion).
// In a shared room it offers "Mirror to my internal room"; under a mirror's
// copy in an internal room it says the replies stay internal and offers
// "Share back…" on each internal note, which asks first (dialog.js).

import { del, get, post } from "./api.js";
import { createComposer } from "./composer.js";
import { confirmDialog } from "./dialog.js";
import { h, plural } from "./dom.js";
import { errorCode, errorText } from "./errors.js";
import { formatSize, kindLabel } from "./files.js";
import { threadLink } from "./links.js";
import { MessageList } from "./messagelist.js";
import { provenance } from "./messages.js";
import { typingText } from "./people.js";

/** @import { Mirror, RoomListing } from "./api.js" */
/** @import { RoomPage } from "./room.js" */
/** @import { FileData, MessageData } from "./wire.gen.js" */

/**
 * A thread's first message: the whole message once loaded, at first what the
 * page knows of it (at least its id).
 * @typedef {Pick<MessageData, "id" | "thread" | "kind"> & Partial<MessageData>} ThreadRoot
 */

export class ThreadView {
  /**
   * @param {RoomPage} page
   * @param {ThreadRoot} root
   * @param {{mirrorControls?: boolean, embedded?: boolean}} [options]
   */
  constructor(page, root, { mirrorControls = true, embedded = false } = {}) {
    this.page = page;
    this.rootId = root.id;
    /** @type {ThreadRoot} */
    this.root = root;
    /** @type {Mirror | null} set when this is a mirror's copy */
    this.mirror = page.mirrorForCopy(root.id);
    /** @type {string | undefined} what the info box shows, to redraw only on a change */
    this.infoKey = undefined;
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
      tray: page.newTray(),
      onSend: (body, files) => this.send(body, files),
      onTyping: (stop = false) =>
        page.socket.send({ type: "typing", room: page.roomId, thread: this.rootId, ...(stop ? { stop } : {}) }),
      onEditLast: () => {
        const last = this.list.lastOwn();
        if (!last) return false;
        this.list.ctx.actions.edit(last);
        return true;
      },
    });
    // "Also send to room": the reply shows in the room's timeline too (not in a
    // work item's discussion, whose thread is its own place).
    this.alsoToRoom = h("input", { type: "checkbox", class: "also-to-room" });
    this.alsoBox = h("label", { class: "also-to-room-label", hidden: embedded }, this.alsoToRoom, " Also send to the room");
    this.info = h("div", { class: "thread-info" });
    // Following: its replies count as unread for you, and it is listed under
    // "Threads you follow". Replying follows it (the server's rule).
    this.followButton = h("button", { type: "button", class: "button small follow-toggle", aria: { pressed: "false" } }, "Follow");
    this.followButton.addEventListener("click", () => this.toggleFollow());
    this.tools = h("div", { class: "thread-tools" }, this.followButton);
    this.el = h("div", { class: "thread" }, this.tools, this.info, this.ol, this.typingLine, this.composer.el, this.alsoBox);
    this.mirrorControls = mirrorControls;
    this.embedded = embedded; // inside a work item's panel: do not scroll the panel on load
    this.drawInfo();
    this.drawFollow();
  }

  /** Show whether the person follows this thread (the page keeps what the server said). */
  drawFollow() {
    const following = this.page.isFollowing(this.rootId);
    this.followButton.textContent = following ? "Following" : "Follow";
    this.followButton.setAttribute("aria-pressed", String(following));
    this.followButton.title = following ? "Stop following: its replies will not count as unread" : "Follow: its replies count as unread and it is listed on your home page";
    this.tools.hidden = Boolean(this.root.thread) || Boolean(this.root.deleted);
  }

  async toggleFollow() {
    const follow = !this.page.isFollowing(this.rootId);
    this.followButton.disabled = true;
    try {
      await this.page.socket.request({ type: "thread.follow", room: this.page.roomId, root: this.rootId, follow });
      this.page.setFollowing(this.rootId, follow);
    } catch (error) {
      this.page.toast(follow ? "Could not follow the thread" : "Could not stop following", errorText(error), { kind: "alert" });
    } finally {
      this.followButton.disabled = false;
      this.drawFollow();
    }
  }

  /** @returns {{kind: "shared" | "internal", text: string}} who reads the replies */
  scope() {
    const page = this.page;
    if (page.room.kind === "direct") {
      return { kind: page.room.partner ? "shared" : "internal", text: "Direct conversation: only the people in it see replies here." };
    }
    if (page.room.kind === "shared") {
      return { kind: "shared", text: `Shared with ${page.room.partner?.name}: people of both companies see replies here.` };
    }
    if (this.mirror || this.root.kind === "mirror") {
      return { kind: "internal", text: `Internal: not visible to ${this.partner()}` };
    }
    return { kind: "internal", text: `Internal: only ${page.me.org?.name} sees this room.` };
  }

  /** The partner of the shared room this (mirrored) thread comes from. */
  partner() {
    return this.page.partnerForMirror(this.root);
  }

  async load() {
    try {
      /** @type {{messages: MessageData[]}} [root, replies…] in seq order */
      const data = await get(`/api/rooms/${this.page.roomId}/threads/${this.rootId}/`);
      for (const message of data.messages) this.list.upsert(message);
      this.root = data.messages[0] ?? this.root;
      this.mirror = this.page.mirrorForCopy(this.rootId);
      this.drawInfo();
      this.drawFollow();
      const last = data.messages[data.messages.length - 1];
      if (last) this.page.socket.send({ type: "thread.read", room: this.page.roomId, root: this.rootId, seq: last.seq });
    } catch (error) {
      this.ol.replaceChildren(h("li", { class: "form-error" }, errorText(error)));
    }
    if (!this.embedded) this.scrollToEnd();
  }

  scrollToEnd(force = false) {
    const scroller = this.el.closest(".panel-body");
    if (scroller && (force || !this.embedded)) scroller.scrollTop = scroller.scrollHeight;
  }

  /**
   * @param {string} body
   * @param {FileData[]} files
   */
  send(body, files) {
    const ids = files.map((f) => f.id);
    const alsoToRoom = this.alsoToRoom.checked;
    const clientId = this.page.socket.sendMessage(this.page.roomId, body, this.rootId, ids, { alsoToRoom });
    this.alsoToRoom.checked = false; // one reply at a time, as chosen
    this.list.addPending(clientId, body, this.rootId, files);
    if (this.page.socket.holding) this.list.setPendingState(clientId, "held");
    // Replying follows the thread (rooms.actions.messages), as it will be on the server.
    this.page.setFollowing(this.rootId, true);
    this.drawFollow();
    this.scrollToEnd(true);
  }

  /**
   * A message of this thread, new or edited, routed here by the room page.
   * @param {MessageData} message
   */
  onMessage(message) {
    const atEnd = this.isAtEnd();
    this.list.upsert(message);
    if (atEnd) this.scrollToEnd(true);
  }

  isAtEnd() {
    const scroller = this.el.closest(".panel-body");
    return !scroller || scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 60;
  }

  /** @param {ReadonlyArray<string>} names who is typing in this thread */
  setTyping(names) {
    this.typingLine.textContent = typingText(names);
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
      this.info.append(
        h(
          "div",
          { class: "mirror-box internal" },
          h("p", {}, "Mirror of a thread in the shared room ", h("strong", {}, provenance(this.root)?.roomName || "?"), ` (shared with ${this.partner()}).`),
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
    const partner = page.room.partner?.name;
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
          h("a", { href: threadLink(m.target_room, m.root_copy) }, page.roomName(m.target_room)),
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
    /** @param {RoomListing} r */
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
        /** @type {Mirror} */
        const mirror = await post("/api/mirrors/", {
          source_room: page.roomId,
          thread: this.rootId,
          target_room: Number(select.value),
        });
        page.addMirror(mirror);
        status.replaceChildren(
          "Mirrored to ",
          h("a", { href: threadLink(mirror.target_room, mirror.root_copy) }, page.roomName(mirror.target_room)),
          `. ${partner} is not told.`,
        );
      } catch (error) {
        status.textContent = errorCode(error) === "conflict" ? "Already mirrored into that room." : errorText(error);
      } finally {
        button.disabled = !select.value;
      }
    });
    box.append(
      h("p", { class: "muted" }, `Follow this thread privately in one of your internal rooms. ${partner} does not see the mirror.`),
      h("div", { class: "inline-form" }, h("label", { for: id, class: "sr-only" }, "Internal room"), select, button),
      status,
      list,
    );
    return box;
  }

  async stopMirror() {
    if (!this.mirror) return;
    try {
      /** @type {Mirror} */
      const stopped = await del(`/api/mirrors/${this.mirror.id}/`);
      this.page.addMirror(stopped);
      this.mirror = stopped;
    } catch (error) {
      this.page.toast("Could not stop the mirror", errorText(error));
    }
    this.drawInfo();
    this.list.refreshAll();
  }

  /**
   * The "Share back…" control for an internal note under this mirror, or null.
   * @param {MessageData} message
   */
  shareBackFor(message) {
    const mirror = this.mirror;
    if (!mirror || mirror.stopped_at || message.thread !== this.rootId) return null;
    if (message.kind !== "message" || message.deleted || message.author.org?.id !== this.page.me.org?.id) return null;
    if (message.shared_back) return null; // the server says so, to everyone in this room
    const partner = this.partner();
    return h(
      "button",
      {
        type: "button",
        class: "tool share-back",
        aria: { label: `Share this note with ${partner}…` },
        title: `Share this note with ${partner}…`,
        onclick: () => this.confirmShareBack(message, mirror),
      },
      "Share back…",
    );
  }

  /**
   * Sharing a note crosses to the partner: show exactly what, and to whom, before it goes.
   * @param {MessageData} message
   * @param {Mirror} mirror
   */
  confirmShareBack(message, mirror) {
    const partner = this.partner();
    const body = message.body; // what the person reads is what the server is asked to share
    const files = message.files; // and every file the note has, listed: the server wants them named
    // The question and who will see it are the server's words (one wording, also the
    // Matrix bridge's !share answer); the partner's name is picked out in it.
    const prompt = mirror.share_prompt;
    const [before, ...after] = prompt.audience.split(prompt.partner);
    return confirmDialog({
      title: prompt.question,
      content: [
        h("p", {}, body ? "This exact text will be posted in the shared thread, as you:" : "This note will be posted in the shared thread, as you:"),
        body ? h("blockquote", { class: "dialog-quote", dataset: { shareText: "" } }, body) : null,
        files.length
          ? [
              h("p", {}, h("strong", {}, `${plural(files.length, "file")} will cross`), ` — ${partner} can open and download ${files.length === 1 ? "it" : "them"}:`),
              h(
                "ul",
                { class: "dialog-files", aria: { label: "Files that will be shared" } },
                ...files.map((f) => h("li", {}, h("span", { class: "file-name" }, f.name), h("span", { class: "muted" }, ` · ${kindLabel(f)} · ${formatSize(f.size)}`))),
              ),
            ]
          : null,
        h("p", {}, before, h("span", { class: "dialog-audience" }, prompt.partner), after.join(prompt.partner)),
      ],
      confirmLabel: `Share with ${partner}`,
      onConfirm: async () => {
        try {
          await post(`/api/mirrors/${mirror.id}/share-back/`, {
            message: message.id,
            confirmed_body: body,
            confirmed_files: files.map((f) => f.id),
          });
        } catch (error) {
          if (errorCode(error) === "conflict" && /already/i.test(errorText(error))) return true;
          throw error;
        }
        return true;
      },
    });
  }
}
