// The socket (frontend/static/frontend/socket.js, cursors.js, outbox.js),
// driven frame by frame through a fake browser (support/fake-env.js):
// resume after a reconnect, gaps, the outbox of sends, and sizes.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { CausewaySocket, SEND_TIMEOUT } from "../../../frontend/static/frontend/socket.js";
import { fakeEnv } from "./support/fake-env.js";

/** A started socket on a fake browser, its first connection accepted. */
function liveSocket(limits = {}) {
  const env = fakeEnv();
  const socket = new CausewaySocket("ws://test/ws/", env).start();
  env.current.accept(limits);
  return { env, socket };
}

/** Everything the socket emitted of `type`, as it happens. */
function record(socket, type) {
  const seen = [];
  socket.on(type, (detail) => seen.push(detail));
  return seen;
}

function messageNew(room, seq, extra = {}) {
  return {
    type: "message.new",
    room,
    seq,
    message: { id: 1000 + seq, room, seq, kind: "message", author: { id: 3, name: "Sam" }, client_id: "", ...extra },
  };
}

/** The connection drops; the backoff runs out; the socket connects again. */
function reconnect(env) {
  env.current.drop(1006);
  env.clock.advance(15000);
  env.current.accept();
  return env.current;
}

describe("resume", () => {
  test("after a reconnect every watched room is subscribed again from the last seq applied", () => {
    const { env, socket } = liveSocket();
    socket.watch(12, 5);
    socket.watch(40, 70);
    env.current.receive(messageNew(12, 6));
    env.current.receive(messageNew(12, 7));

    const again = reconnect(env);

    assert.deepEqual(again.sentOfType("subscribe"), [
      { type: "subscribe", room: 12, since: 7 },
      { type: "subscribe", room: 40, since: 70 },
    ]);
  });

  test("an event at or below the last seq is dropped, the next one is applied and emitted", () => {
    const { env, socket } = liveSocket();
    const emitted = record(socket, "message.new");
    socket.watch(12, 5);

    env.current.receive(messageNew(12, 5));
    env.current.receive(messageNew(12, 4));
    env.current.receive(messageNew(12, 6));
    env.current.receive(messageNew(12, 6));

    assert.deepEqual(emitted.map((f) => f.seq), [6]);
    assert.equal(socket.lastSeq(12), 6);
  });

  test("a gap re-subscribes from the last seq applied and does not apply the early event", () => {
    const { env, socket } = liveSocket();
    const emitted = record(socket, "message.new");
    socket.watch(12, 5);
    env.current.sent.length = 0;

    env.current.receive(messageNew(12, 8));

    assert.deepEqual(env.current.sent, [{ type: "subscribe", room: 12, since: 5 }]);
    assert.deepEqual(emitted, []);
    assert.equal(socket.lastSeq(12), 5);
    // The replay then fills it in order.
    for (const seq of [6, 7, 8]) env.current.receive(messageNew(12, seq));
    assert.deepEqual(emitted.map((f) => f.seq), [6, 7, 8]);
  });

  test("resync moves the room on to the head, so the next subscribe starts there", () => {
    const { env, socket } = liveSocket();
    socket.watch(12, 5);

    env.current.receive({ type: "resync", room: 12, head_seq: 5230 });
    const again = reconnect(env);

    assert.deepEqual(again.sentOfType("subscribe"), [{ type: "subscribe", room: 12, since: 5230 }]);
  });

  test("events of a room that is not watched, or was removed, are not emitted", () => {
    const { env, socket } = liveSocket();
    const emitted = record(socket, "message.new");
    socket.watch(12, 5);

    env.current.receive({ type: "room.removed", room: 12 });
    env.current.receive(messageNew(12, 6));
    env.current.receive(messageNew(99, 1));

    assert.deepEqual(emitted, []);
  });
});

describe("the outbox of sends", () => {
  test("a send waiting for its ack is resent after a reconnect, with the same client_id", () => {
    const { env, socket } = liveSocket();
    const clientId = socket.sendMessage(12, "Ship on Friday?", 845);
    const first = env.current.sentOfType("message.send");

    const again = reconnect(env);

    assert.deepEqual(first, [{ type: "message.send", room: 12, client_id: clientId, body: "Ship on Friday?", thread: 845 }]);
    assert.deepEqual(again.sentOfType("message.send"), first);
  });

  test("a send made while disconnected goes out once the socket is live", () => {
    const env = fakeEnv();
    const socket = new CausewaySocket("ws://test/ws/", env).start();
    const clientId = socket.sendMessage(12, "queued");

    env.current.accept();

    assert.deepEqual(env.current.sentOfType("message.send").map((f) => f.client_id), [clientId]);
  });

  test("an acked send is dropped: the next reconnect does not send it again", () => {
    const { env, socket } = liveSocket();
    const clientId = socket.sendMessage(12, "hello");
    env.current.receive({ type: "ack", room: 12, client_id: clientId, id: 846, seq: 319, ref: clientId });

    const again = reconnect(env);

    assert.deepEqual(again.sentOfType("message.send"), []);
  });

  test("an error naming the send marks it failed; it is not resent until the person retries", () => {
    const { env, socket } = liveSocket();
    const failed = record(socket, "sendfailed");
    const clientId = socket.sendMessage(12, "hello");

    env.current.receive({ type: "error", code: "forbidden", detail: "You may not write here.", ref: clientId });
    const again = reconnect(env);

    assert.deepEqual(failed, [{ client_id: clientId, code: "forbidden", detail: "You may not write here." }]);
    assert.deepEqual(again.sentOfType("message.send"), []);
    socket.retry(clientId);
    assert.deepEqual(again.sentOfType("message.send").map((f) => f.client_id), [clientId]);
  });

  test("a send over the rate limit is held, not failed, and goes out by itself when the window reopens", () => {
    const { env, socket } = liveSocket();
    const failed = record(socket, "sendfailed");
    const held = record(socket, "sendsheld");
    const released = record(socket, "sendsreleased");
    const first = socket.sendMessage(12, "one");
    env.current.receive({ type: "error", code: "rate_limited", detail: "At most 30 per 10 s; slow down.", ref: first, retry_after: 4 });
    // Sent while held: it waits with the first instead of being refused too.
    const second = socket.sendMessage(12, "two");

    assert.deepEqual(failed, []);
    assert.deepEqual(held, [
      { client_ids: [first], retry_after: 4 },
      { client_ids: [second], retry_after: 4 },
    ]);
    assert.deepEqual(env.current.sentOfType("message.send").map((f) => f.client_id), [first]);
    env.clock.advance(3999);
    assert.equal(env.current.sentOfType("message.send").length, 1);
    env.clock.advance(1);

    // In the order they were written, with the same client_ids.
    assert.deepEqual(env.current.sentOfType("message.send").map((f) => f.client_id), [first, first, second]);
    assert.deepEqual(released, [{ client_ids: [first, second] }]);
  });

  test("a held send is not marked failed by the send timeout while it waits", () => {
    const { env, socket } = liveSocket();
    const failed = record(socket, "sendfailed");
    const clientId = socket.sendMessage(12, "hello");
    env.current.receive({ type: "error", code: "rate_limited", detail: "slow down", ref: clientId, retry_after: 30 });

    env.clock.advance(SEND_TIMEOUT + 5000);
    env.current.receive({ type: "pong", ref: "keepalive" });

    assert.deepEqual(failed, []);
  });

  test("a reconnect while sends are held keeps them until the window reopens", () => {
    const { env, socket } = liveSocket();
    const clientId = socket.sendMessage(12, "hello");
    env.current.receive({ type: "error", code: "rate_limited", detail: "slow down", ref: clientId, retry_after: 20 });

    const again = reconnect(env); // 15 s of backoff: 5 s of the window remain
    assert.deepEqual(again.sentOfType("message.send"), []);
    env.clock.advance(5000);

    assert.deepEqual(again.sentOfType("message.send").map((f) => f.client_id), [clientId]);
  });

  test("the socket's frame limit (no ref) holds every send still unanswered, which goes again once", () => {
    const { env, socket } = liveSocket();
    const held = record(socket, "sendsheld");
    const a = socket.sendMessage(12, "a");
    const b = socket.sendMessage(12, "b");
    env.current.receive({ type: "ack", room: 12, client_id: a, id: 900, seq: 40, ref: a });
    env.current.receive({ type: "error", code: "rate_limited", detail: "Too many frames; slow down.", ref: null, retry_after: 1 });

    assert.deepEqual(held, [{ client_ids: [b], retry_after: 1 }]);
    env.clock.advance(1000);

    assert.deepEqual(env.current.sentOfType("message.send").map((f) => f.client_id), [a, b, b]);
  });

  test("a send the live server leaves unanswered is marked failed once the send timeout passes", () => {
    const { env, socket } = liveSocket();
    const failed = record(socket, "sendfailed");
    const clientId = socket.sendMessage(12, "hello");
    env.current.receive({ type: "pong", ref: "keepalive" }); // the connection is fine

    env.clock.advance(SEND_TIMEOUT);
    assert.deepEqual(failed, []);
    env.clock.advance(2500);

    assert.deepEqual(failed, [{ client_id: clientId, code: "timeout", detail: "No answer from the server." }]);
  });

  test("a send waiting while the socket is down is not timed out", () => {
    const env = fakeEnv();
    const socket = new CausewaySocket("ws://test/ws/", env).start();
    const failed = record(socket, "sendfailed");
    socket.sendMessage(12, "queued");

    env.clock.advance(SEND_TIMEOUT * 4);

    assert.deepEqual(failed, []);
  });
});

describe("sizes", () => {
  test("a body over the server's message_max_chars is refused with too_large; nothing is sent or kept", () => {
    const { env, socket } = liveSocket({ message_max_chars: 5 });

    assert.throws(() => socket.sendMessage(12, "🙂🙂🙂🙂🙂🙂"), {
      code: "too_large",
      message: "This message is too long to send (6 characters; the limit is 5).",
    });
    assert.ok(socket.sendMessage(12, "🙂🙂🙂🙂🙂"), "five code points fit, whatever their UTF-16 length");
    assert.equal(env.current.sentOfType("message.send").length, 1);
    assert.equal(socket.outbox.entries.size, 1);
  });

  test("a frame over frame_max_bytes is refused with too_large in KB, rounded up", () => {
    const { env, socket } = liveSocket({ frame_max_bytes: 1024 });

    assert.throws(() => socket.sendMessage(12, "x".repeat(1000)), {
      code: "too_large",
      message: /^This message is too large to send \(1\.1 KB; the limit is 1 KB\)\.$/,
    });
    assert.deepEqual(env.current.sentOfType("message.send"), []);
    assert.equal(socket.outbox.entries.size, 0);
  });

  test("a too_large the server cannot tie to a send fails the largest send that went out, only", () => {
    const { env, socket } = liveSocket();
    const failed = record(socket, "sendfailed");
    const toolarge = record(socket, "toolarge");
    const small = socket.sendMessage(12, "small");
    const big = socket.sendMessage(12, "big ".repeat(500));

    env.current.receive({ type: "error", code: "too_large", detail: "Frame over 65536 bytes.", ref: null });
    const again = reconnect(env);

    assert.deepEqual(failed.map((f) => [f.client_id, f.code]), [[big, "too_large"]]);
    assert.equal(toolarge[0].failed, 1);
    assert.deepEqual(again.sentOfType("message.send").map((f) => f.client_id), [small]);
  });

  test("a close 1009 fails every waiting send, so the reconnect sends none of them", () => {
    const { env, socket } = liveSocket();
    const failed = record(socket, "sendfailed");
    const sent = [socket.sendMessage(12, "one"), socket.sendMessage(12, "two")];

    env.current.drop(1009);
    env.clock.advance(15000);
    env.current.accept();

    assert.deepEqual(failed.map((f) => f.client_id), sent);
    assert.deepEqual(env.current.sentOfType("message.send"), []);
  });
});

describe("the connection", () => {
  test("close 4403 (session ended) sends the tab to sign in and never reconnects", () => {
    const { env, socket } = liveSocket();

    env.current.drop(4403);
    env.clock.advance(60000);

    assert.equal(env.signIns, 1);
    assert.equal(socket.state, "signed-out");
    assert.equal(env.connections.length, 1);
  });

  test("a handshake refused while signed out sends the tab to sign in", async () => {
    const env = fakeEnv();
    const socket = new CausewaySocket("ws://test/ws/", env).start();
    env.isSignedIn = false;

    await env.current.drop(1006); // never opened: a refused upgrade looks like this

    assert.equal(env.signIns, 1);
    assert.equal(socket.state, "signed-out");
  });

  test("reconnecting backs off, doubling up to 15 s", async () => {
    const { env, socket } = liveSocket();
    const delays = [];
    socket.on("state", ({ state, retryIn }) => state === "reconnecting" && retryIn && delays.push(retryIn));

    for (let i = 0; i < 7; i++) {
      await env.current.drop(1006); // after the first, handshakes that never open: it asks if signed in
      env.clock.advance(delays[delays.length - 1]);
    }

    assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 15000, 15000]);
  });

  test("a ping unanswered within 8 s drops the connection and connects again", () => {
    const { env } = liveSocket();
    const first = env.current;

    env.clock.advance(20000); // the ping goes out
    assert.deepEqual(first.sentOfType("ping"), [{ type: "ping", ref: "keepalive" }]);
    env.clock.advance(8000); // no pong
    env.clock.advance(500); // the first backoff

    assert.equal(first.closed, true);
    assert.equal(env.connections.length, 2);
  });

  test("going offline drops the connection at once; coming back online connects at once", () => {
    const { env, socket } = liveSocket();

    env.isOnline = false;
    env.listeners.offline();
    assert.equal(socket.state, "offline");
    assert.equal(env.connections[0].closed, true);

    env.isOnline = true;
    env.listeners.online();
    assert.equal(env.connections.length, 2);
  });

  test("a request resolves with its answer, rejects with the error's code, and fails when the connection drops", async () => {
    const { env, socket } = liveSocket();

    const edit = socket.request({ type: "message.edit", room: 12, id: 846, body: "Thursday?" });
    const [editFrame] = env.current.sentOfType("message.edit");
    env.current.receive({ type: "ok", op: "message.edit", id: 846, ref: editFrame.ref });
    assert.deepEqual(await edit, { type: "ok", op: "message.edit", id: 846, ref: editFrame.ref });

    const remove = socket.request({ type: "message.delete", room: 12, id: 846 });
    const [deleteFrame] = env.current.sentOfType("message.delete");
    env.current.receive({ type: "error", code: "forbidden", detail: "Not yours.", ref: deleteFrame.ref });
    await assert.rejects(remove, { code: "forbidden", message: "Not yours." });

    const pending = socket.request({ type: "room.update", room: 12, name: "Q1" });
    env.current.drop(1006);
    await assert.rejects(pending, { code: "offline" });
  });
});
