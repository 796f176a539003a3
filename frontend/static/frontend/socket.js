// One multiplexed socket per tab (docs/protocol.md). It
// - reconnects with exponential backoff, at once when the browser says the
//   network is back, and notices a dead connection with an application ping;
// - resumes every watched room with `since` = the last seq it applied, so a
//   reconnect replays exactly what was missed, and re-subscribes on a gap;
// - keeps each `message.send` until its `ack` and resends it, with the same
//   client_id, after a reconnect: the server stores it once (idempotency key);
// - never sends a frame over hello's `limits.frame_max_bytes` (nor a body
//   over `message_max_chars`): `sendMessage` throws, `request` rejects, with
//   code "too_large" and a sentence for the person. A frame the server
//   refuses anyway (a `too_large` it cannot match to a send, or close 1009
//   from a proxy) is reported as "toolarge", and the sends it may concern
//   are marked failed instead of being resent on every reconnect.
//
// Events (EventTarget): "state" {state, retryIn}, one per frame type
// ("message.new", "typing", ...), "sendfailed" {client_id, code, detail},
// "toolarge" {detail, failed: how many sends it marked failed}.

const ROOM_EVENTS = new Set([
  "message.new", "message.edited", "message.deleted",
  "member.joined", "member.left", "room.updated", "room.archived",
  "workitem.created", "workitem.updated",
]);
const REPLIES = new Set(["ok", "error", "pong", "subscribed", "unsubscribed"]);
const PING_EVERY = 20000;
const PONG_WITHIN = 8000;
const REQUEST_TIMEOUT = 15000;
const SEND_TIMEOUT = 15000;
const CLOSE_TOO_BIG = 1009;
const encoder = new TextEncoder();

/** Bytes as KB with one decimal, rounded up: a frame over the limit never reads as the limit. */
function kb(bytes) {
  const tenths = Math.ceil(bytes / 102.4);
  return tenths % 10 ? (tenths / 10).toFixed(1) : String(tenths / 10);
}

function tooLarge(message) {
  return Object.assign(new Error(message), { code: "too_large" });
}

export function uuid() {
  if (crypto.randomUUID && window.isSecureContext) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export class CausewaySocket extends EventTarget {
  constructor(url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/`) {
    super();
    this.url = url;
    this.rooms = new Map(); // room id -> {last: seq of the last applied room event}
    this.outbox = new Map(); // client_id -> {frame, status: "pending" | "failed"}
    this.requests = new Map(); // ref -> {resolve, reject, timer}
    this.nextRef = 1;
    this.backoff = 500;
    this.state = "idle";
    this.me = null;
    // The server's defaults until hello says otherwise (protocol.md, "Limits").
    this.limits = { message_max_chars: 10000, frame_max_bytes: 65536, typing_ttl: 6 };
    this.ws = null;
    this.everLive = false;
    window.addEventListener("offline", () => this.abandon("offline"));
    window.addEventListener("online", () => this.reconnectNow());
    setInterval(() => this.checkOutbox(), 2500);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && this.state === "reconnecting") this.reconnectNow();
    });
  }

  get live() {
    return this.state === "live";
  }

  start() {
    this.connect();
    return this;
  }

  setState(state, extra = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, ...extra } }));
  }

  connect() {
    clearTimeout(this.retryTimer);
    if (!navigator.onLine) return this.setState("offline");
    this.setState(this.everLive ? "reconnecting" : "connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
    };
    ws.onmessage = (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      this.onFrame(frame);
    };
    ws.onclose = async (event) => {
      if (ws !== this.ws) return;
      this.closed();
      if (event.code === 4403) return this.signedOut();
      if (event.code === CLOSE_TOO_BIG) this.refusedAsTooLarge("The connection was closed: a message was too large to send.", true);
      // A refused handshake looks like 1006 to a browser: ask whether we are
      // still signed in before retrying forever (protocol.md, "Connecting").
      if (!opened && navigator.onLine && (await this.signedIn()) === false) return this.signedOut();
      this.scheduleReconnect();
    };
  }

  /** Drop the connection now (the network went away, or a ping went unanswered). */
  abandon(reason) {
    const ws = this.ws;
    if (!ws) {
      if (reason === "offline" && this.state !== "signed-out") {
        clearTimeout(this.retryTimer);
        this.setState("offline");
      }
      return;
    }
    ws.onopen = ws.onmessage = ws.onclose = null;
    try {
      ws.close();
    } catch {
      // already closing
    }
    this.closed();
    if (reason === "offline") this.setState("offline");
    else this.scheduleReconnect();
  }

  closed() {
    this.ws = null;
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    for (const [ref, pending] of this.requests) {
      clearTimeout(pending.timer);
      pending.reject(Object.assign(new Error("The connection was lost."), { code: "offline" }));
      this.requests.delete(ref);
    }
  }

  scheduleReconnect() {
    if (!navigator.onLine) return this.setState("offline");
    const delay = this.backoff * (1 + Math.random() * 0.3);
    this.backoff = Math.min(this.backoff * 2, 15000);
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.setState("reconnecting", { retryIn: delay });
  }

  reconnectNow() {
    if (this.ws || this.state === "signed-out") return;
    this.backoff = 500;
    this.connect();
  }

  async signedIn() {
    try {
      const response = await fetch("/api/rooms/", { credentials: "same-origin" });
      return response.status !== 401;
    } catch {
      return null; // server unreachable: keep retrying
    }
  }

  signedOut() {
    clearTimeout(this.retryTimer);
    this.setState("signed-out");
    location.assign(`/accounts/login/?next=${encodeURIComponent(location.pathname)}`);
  }

  // --- rooms ------------------------------------------------------------------

  /** Receive a room's events after `since` (the seq the page's data is current to). */
  watch(room, since) {
    this.rooms.set(room, { last: since });
    if (this.live) this.sendRaw({ type: "subscribe", room, since });
  }

  unwatch(room) {
    if (!this.rooms.delete(room)) return;
    if (this.live) this.sendRaw({ type: "unsubscribe", room });
  }

  lastSeq(room) {
    return this.rooms.get(room)?.last ?? 0;
  }

  // --- sending ------------------------------------------------------------------

  /**
   * Send a message optimistically; returns its client_id. Kept until acked.
   * Throws (code "too_large", a sentence for the person) if the server would
   * refuse it for its size: then nothing is sent or kept.
   */
  sendMessage(room, body, thread = null) {
    const chars = [...body].length; // code points, as the server counts
    const maxChars = this.limits.message_max_chars;
    if (chars > maxChars) {
      const n = (x) => x.toLocaleString("en-US");
      throw tooLarge(`This message is too long to send (${n(chars)} characters; the limit is ${n(maxChars)}).`);
    }
    const clientId = uuid();
    const frame = { type: "message.send", room, client_id: clientId, body };
    if (thread) frame.thread = thread;
    const problem = this.sizeProblem(frame);
    if (problem) throw problem;
    this.outbox.set(clientId, { frame, status: "pending", sentAt: this.live ? Date.now() : null });
    if (this.live) this.sendRaw(frame);
    return clientId;
  }

  retry(clientId) {
    const entry = this.outbox.get(clientId);
    if (!entry) return;
    const problem = this.sizeProblem(entry.frame);
    if (problem) return this.emit("sendfailed", { client_id: clientId, code: problem.code, detail: problem.message });
    entry.status = "pending";
    entry.sentAt = this.live ? Date.now() : null;
    if (this.live) this.sendRaw(entry.frame);
  }

  /** A send the live server has not answered for a while is marked failed, for a retry. */
  checkOutbox() {
    if (!this.live) return;
    const now = Date.now();
    for (const [clientId, entry] of this.outbox) {
      if (entry.status === "pending" && entry.sentAt && now - entry.sentAt > SEND_TIMEOUT) {
        entry.status = "failed";
        this.emit("sendfailed", { client_id: clientId, code: "timeout", detail: "No answer from the server." });
      }
    }
  }

  discard(clientId) {
    this.outbox.delete(clientId);
  }

  /** Fire and forget (typing, read): dropped while disconnected. */
  send(frame) {
    if (this.live) this.sendRaw(frame);
  }

  /** A frame answered by `ok` (or `error`) with our ref. */
  request(frame) {
    return new Promise((resolve, reject) => {
      if (!this.live) {
        reject(Object.assign(new Error("Not connected. Try again when the connection is back."), { code: "offline" }));
        return;
      }
      const problem = this.sizeProblem(frame);
      if (problem) {
        reject(problem);
        return;
      }
      const ref = `r${this.nextRef++}`;
      const timer = setTimeout(() => {
        this.requests.delete(ref);
        reject(Object.assign(new Error("No answer from the server."), { code: "timeout" }));
      }, REQUEST_TIMEOUT);
      this.requests.set(ref, { resolve, reject, timer });
      this.sendRaw({ ...frame, ref });
    });
  }

  sendRaw(frame) {
    if (this.ws?.readyState !== WebSocket.OPEN) return;
    const text = JSON.stringify(frame);
    // The callers above check first; this keeps any other frame from
    // costing the connection.
    if (encoder.encode(text).length > this.limits.frame_max_bytes) return;
    this.ws.send(text);
  }

  /** Why the server would refuse `frame` for its size (an Error), or null. */
  sizeProblem(frame) {
    const size = encoder.encode(JSON.stringify(frame)).length;
    const limit = this.limits.frame_max_bytes;
    if (size <= limit) return null;
    return tooLarge(`This message is too large to send (${kb(size)} KB; the limit is ${kb(limit)} KB).`);
  }

  /**
   * The server (or a proxy) refused a frame for its size without saying which.
   * After an answer, the culprit is the largest send still waiting (others
   * waiting are smaller, or would be refused too). After a close, every send
   * still waiting is marked failed, so the reconnect does not send the
   * culprit again, and again; the person can retry the ones that fit.
   */
  refusedAsTooLarge(detail, closed = false) {
    const waiting = [...this.outbox].filter(([, entry]) => entry.status === "pending" && (closed || entry.sentAt));
    const size = ([, entry]) => encoder.encode(JSON.stringify(entry.frame)).length;
    const culprits = closed ? waiting : waiting.sort((a, b) => size(b) - size(a)).slice(0, 1);
    for (const [clientId, entry] of culprits) {
      entry.status = "failed";
      this.emit("sendfailed", { client_id: clientId, code: "too_large", detail });
    }
    this.emit("toolarge", { detail, failed: culprits.length });
  }

  // --- receiving ----------------------------------------------------------------

  onFrame(frame) {
    const type = frame.type;
    if (type === "hello") return this.onHello(frame);
    if (ROOM_EVENTS.has(type)) {
      const room = this.rooms.get(frame.room);
      if (!room) return;
      if (frame.seq <= room.last) return; // already applied
      if (frame.seq > room.last + 1) {
        // A gap: ask for exactly what is missing (the server replays it in order).
        this.sendRaw({ type: "subscribe", room: frame.room, since: room.last });
        return;
      }
      room.last = frame.seq;
    } else if (type === "resync") {
      const room = this.rooms.get(frame.room);
      if (room) room.last = frame.head_seq;
    } else if (type === "ack") {
      this.outbox.delete(frame.client_id);
    } else if (type === "room.removed") {
      this.rooms.delete(frame.room);
    } else if (type === "pong") {
      clearTimeout(this.pongTimer);
    } else if (type === "error" && frame.ref && this.outbox.has(frame.ref)) {
      this.outbox.get(frame.ref).status = "failed";
      this.emit("sendfailed", { client_id: frame.ref, code: frame.code, detail: frame.detail });
    } else if (type === "error" && frame.code === "too_large" && !this.requests.has(frame.ref)) {
      // Over the frame limit: refused before parsing, so `ref` is null.
      this.refusedAsTooLarge(`The server refused it as too large: ${frame.detail}`);
    }
    if (REPLIES.has(type) && frame.ref && this.requests.has(frame.ref)) {
      const pending = this.requests.get(frame.ref);
      this.requests.delete(frame.ref);
      clearTimeout(pending.timer);
      if (type === "error") pending.reject(Object.assign(new Error(frame.detail), { code: frame.code }));
      else pending.resolve(frame);
    }
    this.emit(type, frame);
  }

  onHello(frame) {
    this.me = frame.me;
    this.limits = { ...this.limits, ...frame.limits };
    this.backoff = 500;
    this.everLive = true;
    this.setState("live");
    for (const [room, { last }] of this.rooms) this.sendRaw({ type: "subscribe", room, since: last });
    for (const entry of this.outbox.values()) {
      if (entry.status !== "pending") continue;
      entry.sentAt = Date.now();
      this.sendRaw(entry.frame);
    }
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => this.ping(), PING_EVERY);
    this.emit("hello", frame);
  }

  ping() {
    if (!this.live) return;
    this.sendRaw({ type: "ping", ref: "keepalive" });
    clearTimeout(this.pongTimer);
    this.pongTimer = setTimeout(() => this.abandon("timeout"), PONG_WITHIN);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
