// @ts-check
// One multiplexed socket per tab (docs/protocol.md). It reconnects with
// exponential backoff (at once when the network is back) and notices a dead
// connection with an application ping; resumes every watched room from the
// last seq it applied (cursors.js), and re-subscribes on a gap; keeps each
// `message.send` until its `ack` and resends it with the same client_id after
// a reconnect (outbox.js); and never sends a frame over hello's limits:
// `sendMessage` throws, `request` rejects, with code "too_large". A frame the
// server refuses anyway (a `too_large` it cannot match to a send, or close
// 1009 from a proxy) is reported as "toolarge", and the sends it may concern
// are marked failed instead of being resent on every reconnect.
//
// Over the rate limit (`rate_limited` with `retry_after`) sends are held,
// not failed: every send until the window reopens waits, then they all go
// out by themselves, in order, with their client_ids (a resend of one the
// server stored is answered with its first ack).
//
// Events (`on`): "state" {state, retryIn}, each server frame by its type,
// "sendfailed" {client_id, code, detail}, "toolarge" {detail, failed},
// "sendsheld" {client_ids, retry_after}, "sendsreleased" {client_ids}.
// The browser comes in through a SocketEnv (socketenv.js): the unit tests
// (tests/frontend/js/socket.test.js) drive the socket with a fake one.

import { CodedError } from "./errors.js";
import { RoomCursors } from "./cursors.js";
import { DetailEvent, Emitter } from "./emitter.js";
import { lengthProblem, Outbox, PendingRequests, sizeProblem } from "./outbox.js";
import { browserEnv } from "./socketenv.js";
import { CLOSE_SESSION_ENDED, REPLY_TYPES, ROOM_EVENT_TYPES } from "./wire.gen.js";

/** @import { MessageSendFrame } from "./outbox.js" */
/** @import { Connection, SocketEnv } from "./socketenv.js" */
/** @import { FrameOfType, HelloFrame, PersonRef, RoomEventFrame, ServerFrame, SocketFrame } from "./wire.gen.js" */

/** @typedef {"idle" | "connecting" | "live" | "reconnecting" | "offline" | "signed-out"} SocketState */

/**
 * A frame the client sends (docs/protocol.md, "Client frames"). The server
 * parses these by hand; there is no schema to generate them from.
 * @typedef {{type: string, [field: string]: unknown}} ClientFrame
 */

/**
 * Everything `on` can listen to: each server frame by its type, and the socket's own.
 * @typedef {FrameOfType & {
 *   state: {state: SocketState, retryIn?: number},
 *   sendfailed: {client_id: string, code: string, detail: string},
 *   toolarge: {detail: string, failed: number},
 *   sendsheld: {client_ids: string[], retry_after: number},
 *   sendsreleased: {client_ids: string[]},
 * }} SocketEvents
 */

/**
 * hello's `limits` (docs/protocol.md, "Limits"); the file limits are the server's
 * (an organization's policy may be narrower in shared rooms).
 * @typedef {{message_max_chars: number, frame_max_bytes: number, typing_ttl: number, file_max_bytes?: number, message_files_max?: number, message_files_max_bytes?: number}} Limits
 */

const ROOM_EVENTS = new Set(/** @type {ReadonlyArray<string>} */ (ROOM_EVENT_TYPES));
const REPLIES = new Set(REPLY_TYPES);
const PING_EVERY = 20000;
const PONG_WITHIN = 8000;
const REQUEST_TIMEOUT = 15000;
export const SEND_TIMEOUT = 15000;
const CHECK_OUTBOX_EVERY = 2500;
const CLOSE_TOO_BIG = 1009;
const encoder = new TextEncoder();

/**
 * @param {ServerFrame} frame
 * @returns {frame is RoomEventFrame}
 */
function isRoomEvent(frame) {
  return ROOM_EVENTS.has(frame.type);
}

/** @extends {Emitter<SocketEvents>} */
export class CausewaySocket extends Emitter {
  /**
   * @param {string} [url]
   * @param {SocketEnv} [env]
   */
  constructor(url, env = browserEnv()) {
    super();
    this.url = url ?? `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/`;
    this.env = env;
    this.rooms = new RoomCursors();
    this.outbox = new Outbox();
    this.requests = new PendingRequests(env, REQUEST_TIMEOUT);
    this.backoff = 500;
    /** @type {SocketState} */
    this.state = "idle";
    /** @type {PersonRef | null} */
    this.me = null;
    /** @type {Limits} The server's defaults until hello says otherwise (protocol.md, "Limits"). */
    this.limits = { message_max_chars: 10000, frame_max_bytes: 65536, typing_ttl: 6 };
    /** @type {Connection | null} */
    this.ws = null;
    this.everLive = false;
    /** @type {number | undefined} */ this.retryTimer = undefined;
    /** @type {number | undefined} */ this.pingTimer = undefined;
    /** @type {number | undefined} */ this.pongTimer = undefined;
    /** @type {number | undefined} */ this.releaseTimer = undefined;
    /** When held sends may go (the rate limit's window reopens); 0: not holding. */
    this.heldUntil = 0;
    env.listen({
      offline: () => this.abandon("offline"),
      online: () => this.reconnectNow(),
      visible: () => {
        if (this.state === "reconnecting") this.reconnectNow();
      },
    });
    env.setInterval(() => this.checkOutbox(), CHECK_OUTBOX_EVERY);
  }

  get live() {
    return this.state === "live";
  }

  start() {
    this.connect();
    return this;
  }

  /**
   * @param {SocketState} state
   * @param {{retryIn?: number}} [extra]
   */
  setState(state, extra = {}) {
    this.state = state;
    this.emit("state", { state, ...extra });
  }

  connect() {
    this.env.clearTimeout(this.retryTimer);
    if (!this.env.online()) return this.setState("offline");
    this.setState(this.everLive ? "reconnecting" : "connecting");
    let opened = false;
    const ws = this.env.open(this.url, {
      open: () => {
        opened = true;
      },
      message: (data) => {
        if (ws !== this.ws) return; // abandoned: its last frames come too late
        /** @type {unknown} */
        let frame;
        try {
          frame = JSON.parse(String(data));
        } catch {
          return;
        }
        // The one place a frame becomes its type: the server sends what its
        // TypedDicts (wire.gen.js) say.
        this.onFrame(/** @type {ServerFrame} */ (frame));
      },
      close: async (code) => {
        if (ws !== this.ws) return;
        this.closed();
        if (code === CLOSE_SESSION_ENDED) return this.signedOut();
        if (code === CLOSE_TOO_BIG) this.refusedAsTooLarge("The connection was closed: a message was too large to send.", true);
        // A refused handshake looks like 1006 to a browser: ask whether we are
        // still signed in before retrying forever (protocol.md, "Connecting").
        if (!opened && this.env.online() && (await this.env.signedIn()) === false) return this.signedOut();
        this.scheduleReconnect();
      },
    });
    this.ws = ws;
  }

  /**
   * Drop the connection now (the network went away, or a ping went unanswered).
   * @param {"offline" | "timeout"} reason
   */
  abandon(reason) {
    const ws = this.ws;
    if (!ws) {
      if (reason === "offline" && this.state !== "signed-out") {
        this.env.clearTimeout(this.retryTimer);
        this.setState("offline");
      }
      return;
    }
    this.closed(); // from here on `ws` is not this.ws: its events are ignored
    try {
      ws.close();
    } catch {
      // already closing
    }
    if (reason === "offline") this.setState("offline");
    else this.scheduleReconnect();
  }

  closed() {
    this.ws = null;
    this.env.clearInterval(this.pingTimer);
    this.env.clearTimeout(this.pongTimer);
    this.requests.rejectAll();
  }

  scheduleReconnect() {
    if (!this.env.online()) return this.setState("offline");
    const delay = this.backoff * (1 + this.env.random() * 0.3);
    this.backoff = Math.min(this.backoff * 2, 15000);
    this.retryTimer = this.env.setTimeout(() => this.connect(), delay);
    this.setState("reconnecting", { retryIn: delay });
  }

  reconnectNow() {
    if (this.ws || this.state === "signed-out") return;
    this.backoff = 500;
    this.connect();
  }

  signedOut() {
    this.env.clearTimeout(this.retryTimer);
    this.setState("signed-out");
    this.env.signIn();
  }

  // --- rooms ------------------------------------------------------------------

  /**
   * Receive a room's events after `since` (the seq the page's data is current to).
   * @param {number} room
   * @param {number} since
   */
  watch(room, since) {
    this.rooms.watch(room, since);
    if (this.live) this.sendRaw({ type: "subscribe", room, since });
  }

  /** @param {number} room */
  unwatch(room) {
    if (this.rooms.forget(room) && this.live) this.sendRaw({ type: "unsubscribe", room });
  }

  /** @param {number} room */
  lastSeq(room) {
    return this.rooms.last(room);
  }

  // --- sending ------------------------------------------------------------------

  /**
   * Send a message optimistically; returns its client_id. Kept until acked.
   * Throws (code "too_large", a sentence for the person) if the server would
   * refuse it for its size: then nothing is sent or kept.
   * @param {number} room
   * @param {string} body
   * @param {number | null} [thread]
   * @param {string[]} [files] ids of the sender's uploads (files.js), sent with it
   * @param {{alsoToRoom?: boolean}} [options] a reply that shows in the room's timeline too
   */
  sendMessage(room, body, thread = null, files = [], { alsoToRoom = false } = {}) {
    const tooLong = lengthProblem(body, this.limits.message_max_chars);
    if (tooLong) throw tooLong;
    const clientId = this.env.uuid();
    /** @type {MessageSendFrame} */
    const frame = { type: "message.send", room, client_id: clientId, body };
    if (thread) frame.thread = thread;
    if (files.length) frame.files = files;
    if (thread && alsoToRoom) frame.also_to_room = true;
    const problem = this.sizeProblem(frame);
    if (problem) throw problem;
    const go = this.live && !this.holding;
    this.outbox.add(frame, go ? this.env.now() : null);
    if (go) this.sendRaw(frame);
    else if (this.holding) this.emit("sendsheld", { client_ids: [clientId], retry_after: this.holdLeft });
    return clientId;
  }

  /** @param {string} clientId */
  retry(clientId) {
    const entry = this.outbox.get(clientId);
    if (!entry) return;
    const problem = this.sizeProblem(entry.frame);
    if (problem) return this.emit("sendfailed", { client_id: clientId, code: problem.code, detail: problem.message });
    const go = this.live && !this.holding;
    this.outbox.retry(clientId, go ? this.env.now() : null);
    if (go) this.sendRaw(entry.frame);
  }

  get holding() {
    return this.heldUntil > this.env.now();
  }

  /** Whole seconds until held sends go. */
  get holdLeft() {
    return Math.max(1, Math.ceil((this.heldUntil - this.env.now()) / 1000));
  }

  /**
   * The server refused sends for the rate limit: hold them, and every send
   * after them, until `retryAfter` seconds have passed.
   * @param {string[]} clientIds
   * @param {number} retryAfter
   */
  holdSends(clientIds, retryAfter) {
    const held = this.outbox.hold(clientIds);
    this.heldUntil = Math.max(this.heldUntil, this.env.now() + retryAfter * 1000);
    this.env.clearTimeout(this.releaseTimer);
    this.releaseTimer = this.env.setTimeout(() => this.releaseSends(), this.heldUntil - this.env.now());
    if (held.length) this.emit("sendsheld", { client_ids: held, retry_after: this.holdLeft });
  }

  /** The window reopened: the held sends go, in order (on the next connection if down). */
  releaseSends() {
    this.heldUntil = 0;
    if (!this.live) return;
    const frames = this.outbox.sendUnsent(this.env.now());
    for (const frame of frames) this.sendRaw(frame);
    if (frames.length) this.emit("sendsreleased", { client_ids: frames.map((f) => f.client_id) });
  }

  /** A send the live server has not answered for a while is marked failed, for a retry. */
  checkOutbox() {
    if (!this.live) return;
    for (const clientId of this.outbox.expire(this.env.now(), SEND_TIMEOUT)) {
      this.emit("sendfailed", { client_id: clientId, code: "timeout", detail: "No answer from the server." });
    }
  }

  /** @param {string} clientId */
  discard(clientId) {
    this.outbox.delete(clientId);
  }

  /**
   * Fire and forget (typing, read): dropped while disconnected.
   * @param {ClientFrame} frame
   */
  send(frame) {
    if (this.live) this.sendRaw(frame);
  }

  /**
   * A frame answered by `ok` (or `error`) with our ref.
   * @param {ClientFrame} frame
   * @returns {Promise<SocketFrame>}
   */
  request(frame) {
    return new Promise((resolve, reject) => {
      if (!this.live) {
        reject(new CodedError("offline", "Not connected. Try again when the connection is back."));
        return;
      }
      const problem = this.sizeProblem(frame);
      if (problem) {
        reject(problem);
        return;
      }
      this.sendRaw({ ...frame, ref: this.requests.add(resolve, reject) });
    });
  }

  /** @param {ClientFrame} frame */
  sendRaw(frame) {
    if (!this.ws?.isOpen()) return;
    const text = JSON.stringify(frame);
    // The callers above check first; this keeps any other frame from
    // costing the connection.
    if (encoder.encode(text).length > this.limits.frame_max_bytes) return;
    this.ws.send(text);
  }

  /**
   * Why the server would refuse `frame` for its size, or null.
   * @param {ClientFrame} frame
   */
  sizeProblem(frame) {
    return sizeProblem(frame, this.limits.frame_max_bytes);
  }

  /**
   * The server (or a proxy) refused a frame for its size without saying
   * which: Outbox.refuseTooLarge picks the sends it concerns.
   * @param {string} detail
   */
  refusedAsTooLarge(detail, closed = false) {
    const failed = this.outbox.refuseTooLarge({ closed });
    for (const clientId of failed) this.emit("sendfailed", { client_id: clientId, code: "too_large", detail });
    this.emit("toolarge", { detail, failed: failed.length });
  }

  // --- receiving ----------------------------------------------------------------

  /** @param {ServerFrame} frame */
  onFrame(frame) {
    if (frame.type === "hello") return this.onHello(frame);
    if (isRoomEvent(frame)) {
      const step = this.rooms.advance(frame);
      // A gap: ask for exactly what is missing (the server replays it in order).
      if (step === "gap") this.sendRaw({ type: "subscribe", room: frame.room, since: this.rooms.last(frame.room) });
      if (step !== "apply") return;
    } else if (frame.type === "resync") {
      this.rooms.resync(frame.room, frame.head_seq);
    } else if (frame.type === "ack") {
      this.outbox.delete(frame.client_id);
    } else if (frame.type === "room.removed") {
      this.rooms.forget(frame.room);
    } else if (frame.type === "pong") {
      this.env.clearTimeout(this.pongTimer);
    } else if (frame.type === "error" && frame.code === "rate_limited" && typeof frame.ref === "string" && this.outbox.has(frame.ref)) {
      this.holdSends([frame.ref], frame.retry_after ?? 1);
    } else if (frame.type === "error" && frame.code === "rate_limited" && frame.ref === null) {
      // The socket's frame allowance: refused before it was read, so any send
      // still unanswered may be the one. Resending a stored one only brings its ack.
      this.holdSends(this.outbox.unanswered(), frame.retry_after ?? 1);
    } else if (frame.type === "error" && typeof frame.ref === "string" && this.outbox.has(frame.ref)) {
      this.outbox.fail(frame.ref);
      this.emit("sendfailed", { client_id: frame.ref, code: frame.code, detail: frame.detail });
    } else if (frame.type === "error" && frame.code === "too_large" && !this.requests.has(frame.ref)) {
      // Over the frame limit: refused before parsing, so `ref` is null.
      this.refusedAsTooLarge(`The server refused it as too large: ${frame.detail}`);
    }
    if (REPLIES.has(frame.type) && "ref" in frame && frame.ref) this.requests.settle(frame);
    this.emitFrame(frame);
  }

  /**
   * Hand a frame to the page, as the event of its type.
   * @template {ServerFrame} F
   * @param {F} frame
   */
  emitFrame(frame) {
    this.dispatchEvent(new DetailEvent(frame.type, frame));
  }

  /** @param {HelloFrame} frame */
  onHello(frame) {
    this.me = frame.me;
    this.limits = { ...this.limits, ...frame.limits };
    this.backoff = 500;
    this.everLive = true;
    this.setState("live");
    for (const { room, since } of this.rooms.all()) this.sendRaw({ type: "subscribe", room, since });
    if (this.holding) this.outbox.hold(this.outbox.unanswered());
    else for (const sendFrame of this.outbox.resend(this.env.now())) this.sendRaw(sendFrame);
    this.env.clearInterval(this.pingTimer);
    this.pingTimer = this.env.setInterval(() => this.ping(), PING_EVERY);
    this.emitFrame(frame);
  }

  ping() {
    if (!this.live) return;
    this.sendRaw({ type: "ping", ref: "keepalive" });
    this.env.clearTimeout(this.pongTimer);
    this.pongTimer = this.env.setTimeout(() => this.abandon("timeout"), PONG_WITHIN);
  }
}
