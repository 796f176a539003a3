// @ts-check
// What the socket waits on the server for. Pure state, no I/O: the socket
// (socket.js) decides when to send, and tells the page.
//
// The outbox: each `message.send` kept until the server answers it
// (docs/protocol.md, "Sequence numbers and resume", step 4).
// An entry is "pending" while it waits (resent with the same client_id after
// every reconnect: the server stores it once) and "failed" once the server
// refused it, it went unanswered, or it was too large; a failed entry waits
// for the person's Retry or Discard and is never resent by itself. Over the
// rate limit a send is neither: it is held (pending, not sent, sentAt null)
// and goes out by itself when the server's `retry_after` has passed.
//
// PendingRequests: the other frames that expect an answer (`ok` or `error`
// with their `ref`). They are never resent: a lost connection or no answer
// in time rejects them, and the person tries again.

import { CodedError } from "./errors.js";

/**
 * The frame of a message send (docs/protocol.md, `message.send`).
 * @typedef {{type: "message.send", room: number, client_id: string, body: string, thread?: number, files?: string[], also_to_room?: boolean}} MessageSendFrame
 */

/**
 * @typedef {object} OutboxEntry
 * @property {MessageSendFrame} frame
 * @property {"pending" | "failed"} status
 * @property {number | null} sentAt when it last went out on a live socket; null: not yet
 */

const encoder = new TextEncoder();

/**
 * The size the server counts: UTF-8 bytes of the JSON text.
 * @param {unknown} frame
 */
export function frameBytes(frame) {
  return encoder.encode(JSON.stringify(frame)).length;
}

/**
 * Bytes as KB with one decimal, rounded up: a frame over the limit never reads as the limit.
 * @param {number} bytes
 */
function kb(bytes) {
  const tenths = Math.ceil(bytes / 102.4);
  return tenths % 10 ? (tenths / 10).toFixed(1) : String(tenths / 10);
}

/**
 * Why the server would refuse a body for its length (an error with code
 * "too_large" and a sentence for the person), or null. The server counts
 * code points, before cleaning (protocol.md, `message.send`).
 * @param {string} body
 * @param {number} maxChars hello's `limits.message_max_chars`
 */
export function lengthProblem(body, maxChars) {
  const chars = [...body].length;
  if (chars <= maxChars) return null;
  /** @param {number} x */
  const n = (x) => x.toLocaleString("en-US");
  return new CodedError("too_large", `This message is too long to send (${n(chars)} characters; the limit is ${n(maxChars)}).`);
}

/**
 * Why the server would refuse a frame for its size, or null.
 * @param {unknown} frame
 * @param {number} limit hello's `limits.frame_max_bytes`
 */
export function sizeProblem(frame, limit) {
  const size = frameBytes(frame);
  if (size <= limit) return null;
  return new CodedError("too_large", `This message is too large to send (${kb(size)} KB; the limit is ${kb(limit)} KB).`);
}

export class Outbox {
  constructor() {
    /** @type {Map<string, OutboxEntry>} client_id -> entry, in the order sent */
    this.entries = new Map();
  }

  /**
   * @param {MessageSendFrame} frame
   * @param {number | null} sentAt
   */
  add(frame, sentAt) {
    this.entries.set(frame.client_id, { frame, status: "pending", sentAt });
  }

  /** @param {string} clientId */
  get(clientId) {
    return this.entries.get(clientId);
  }

  /** @param {string} clientId */
  has(clientId) {
    return this.entries.has(clientId);
  }

  /**
   * Acked (stored), or discarded by the person.
   * @param {string} clientId
   */
  delete(clientId) {
    return this.entries.delete(clientId);
  }

  /**
   * Mark a send failed; false if there is no such send.
   * @param {string} clientId
   */
  fail(clientId) {
    const entry = this.entries.get(clientId);
    if (!entry) return false;
    entry.status = "failed";
    return true;
  }

  /**
   * Pending again (Retry), sent at `sentAt` (null: not yet, the socket is down).
   * @param {string} clientId
   * @param {number | null} sentAt
   */
  retry(clientId, sentAt) {
    const entry = this.entries.get(clientId);
    if (!entry) return null;
    entry.status = "pending";
    entry.sentAt = sentAt;
    return entry.frame;
  }

  /**
   * Pending again but not sent (the rate limit): the socket sends these when
   * the window reopens. Returns the client_ids it holds, in the order sent.
   * @param {Iterable<string>} clientIds
   */
  hold(clientIds) {
    const held = [];
    for (const clientId of clientIds) {
      const entry = this.entries.get(clientId);
      if (!entry || entry.status !== "pending") continue;
      entry.sentAt = null;
      held.push(clientId);
    }
    return held;
  }

  /** Every send that is waiting for an answer on this connection (sent, pending). */
  unanswered() {
    return [...this.entries].filter(([, entry]) => entry.status === "pending" && entry.sentAt !== null).map(([clientId]) => clientId);
  }

  /**
   * The pending sends not yet sent (held, or written while offline), stamped as
   * sent `now`, in the order written.
   * @param {number} now
   */
  sendUnsent(now) {
    const frames = [];
    for (const entry of this.entries.values()) {
      if (entry.status !== "pending" || entry.sentAt !== null) continue;
      entry.sentAt = now;
      frames.push(entry.frame);
    }
    return frames;
  }

  /**
   * The frames to send again on a new connection, stamped as sent `now`.
   * Failed sends stay where they are: only the person resends those.
   * @param {number} now
   */
  resend(now) {
    const frames = [];
    for (const entry of this.entries.values()) {
      if (entry.status !== "pending") continue;
      entry.sentAt = now;
      frames.push(entry.frame);
    }
    return frames;
  }

  /**
   * Sends that went out more than `timeout` ms before `now` and got no
   * answer: marked failed, their client_ids returned.
   * @param {number} now
   * @param {number} timeout
   */
  expire(now, timeout) {
    const expired = [];
    for (const [clientId, entry] of this.entries) {
      if (entry.status === "pending" && entry.sentAt !== null && now - entry.sentAt > timeout) {
        entry.status = "failed";
        expired.push(clientId);
      }
    }
    return expired;
  }

  /**
   * The server (or a proxy) refused a frame for its size without saying which.
   * After an answer on a live socket, the culprit is the largest send that
   * went out and still waits (the others are smaller, or would be refused
   * too). After a close, every send still waiting is, so the reconnect does
   * not send the culprit again, and again; the person can retry the ones that
   * fit. Returns the client_ids it marked failed.
   * @param {{closed: boolean}} how
   */
  refuseTooLarge({ closed }) {
    const waiting = [...this.entries].filter(([, entry]) => entry.status === "pending" && (closed || entry.sentAt !== null));
    /** @param {[string, OutboxEntry]} item */
    const size = ([, entry]) => frameBytes(entry.frame);
    const culprits = closed ? waiting : waiting.sort((a, b) => size(b) - size(a)).slice(0, 1);
    for (const [, entry] of culprits) entry.status = "failed";
    return culprits.map(([clientId]) => clientId);
  }
}

/**
 * @typedef {object} Pending
 * @property {(frame: SocketFrame) => void} resolve
 * @property {(error: Error) => void} reject
 * @property {number} timer
 */

/** @import { SocketFrame } from "./wire.gen.js" */

export class PendingRequests {
  /**
   * @param {{setTimeout: (callback: () => void, ms: number) => number, clearTimeout: (id: number | undefined) => void}} timers
   * @param {number} timeout ms to wait for the answer
   */
  constructor(timers, timeout) {
    this.timers = timers;
    this.timeout = timeout;
    this.nextRef = 1;
    /** @type {Map<string, Pending>} ref -> */
    this.pending = new Map();
  }

  /**
   * A new ref, to send with the frame; the promise settles with its answer.
   * @param {(frame: SocketFrame) => void} resolve
   * @param {(error: Error) => void} reject
   */
  add(resolve, reject) {
    const ref = `r${this.nextRef++}`;
    const timer = this.timers.setTimeout(() => {
      this.pending.delete(ref);
      reject(new CodedError("timeout", "No answer from the server."));
    }, this.timeout);
    this.pending.set(ref, { resolve, reject, timer });
    return ref;
  }

  /** @param {unknown} ref */
  has(ref) {
    return this.pending.has(String(ref));
  }

  /**
   * The answer to one of ours: `error` rejects, anything else resolves.
   * @param {SocketFrame & {ref: string | number | null}} frame
   */
  settle(frame) {
    const ref = String(frame.ref);
    const pending = this.pending.get(ref);
    if (!pending) return;
    this.pending.delete(ref);
    this.timers.clearTimeout(pending.timer);
    if (frame.type === "error") pending.reject(new CodedError(frame.code, frame.detail));
    else pending.resolve(frame);
  }

  /** The connection is gone: nothing will answer these. */
  rejectAll() {
    for (const [ref, pending] of this.pending) {
      this.timers.clearTimeout(pending.timer);
      pending.reject(new CodedError("offline", "The connection was lost."));
      this.pending.delete(ref);
    }
  }
}
