// Unread state between the server's reports (frontend/static/frontend/unread.js):
// the badge counters the shell keeps, the "new since you last read" divider
// the room page places, and the read marker it reports.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  applyUnread,
  countArrival,
  firstUnread,
  offersJump,
  ReadMarker,
  takeCounts,
} from "../../../frontend/static/frontend/unread.js";

const ME = 7;
const SAM = { id: 3, name: "Sam" };

function room(counts = {}) {
  return { unread: 0, mentions: 0, last_read_seq: 10, head_seq: 10, counted: new Set(), ...counts };
}

function arrival(seq, { id = 1000 + seq, author = SAM, deleted = false, mentions = [], thread = null } = {}) {
  return { type: "message.new", room: 12, seq, message: { id, seq, author, deleted, mentions, thread } };
}

const notReading = { me: ME, reading: () => false };

describe("the badge counters", () => {
  test("someone else's new message counts, and a mention of you counts as one too", () => {
    const r = room();

    assert.equal(countArrival(r, arrival(11), notReading), true);
    assert.equal(countArrival(r, arrival(12, { mentions: [ME] }), notReading), true);

    assert.deepEqual([r.unread, r.mentions, r.head_seq], [2, 1, 12]);
  });

  test("your own, deleted, already read and already counted messages do not count", () => {
    const r = room({ last_read_seq: 10 });
    countArrival(r, arrival(11), notReading);

    const changed = [
      countArrival(r, arrival(12, { author: { id: ME } }), notReading),
      countArrival(r, arrival(13, { deleted: true }), notReading),
      countArrival(r, arrival(9), notReading),
      countArrival(r, arrival(11), notReading), // a replay after a reconnect
    ];

    assert.deepEqual(changed, [false, false, false, false]);
    assert.equal(r.unread, 1);
    assert.equal(r.head_seq, 13, "the head moves on whatever the message");
  });

  test("a thread reply counts in its thread, not in the room; a mention in one counts", () => {
    const r = room();

    assert.equal(countArrival(r, arrival(11, { thread: 900 }), notReading), false);
    assert.equal(countArrival(r, arrival(12, { thread: 900, mentions: [ME] }), notReading), true);

    assert.deepEqual([r.unread, r.mentions, r.head_seq], [0, 1, 12]);
  });

  test("nothing counts while the person is reading the room", () => {
    const r = room();

    assert.equal(countArrival(r, arrival(11, { mentions: [ME] }), { me: ME, reading: () => true }), false);

    assert.deepEqual([r.unread, r.mentions], [0, 0]);
  });

  test("the server's counts after a read replace ours", () => {
    const r = room({ unread: 5, mentions: 2, head_seq: 20 });

    applyUnread(r, { type: "unread", room: 12, count: 1, mentions: 1, last_read_seq: 19 });

    assert.deepEqual([r.unread, r.mentions, r.last_read_seq], [1, 1, 19]);
  });

  test("counts taken from the room list again replace ours", () => {
    const r = room({ unread: 9, mentions: 4 });

    takeCounts(r, { unread: 2, mentions: 1, last_read_seq: 30, name: "ignored" });

    assert.deepEqual([r.unread, r.mentions, r.last_read_seq], [2, 1, 30]);
    assert.equal("name" in r, false);
  });
});

describe("the divider", () => {
  const message = (seq, author = SAM, more = {}) => ({ id: 1000 + seq, seq, author, thread: null, deleted: false, ...more });

  test("goes before the first message someone else wrote after the marker", () => {
    const messages = [message(12), message(9), message(11, { id: ME }), message(14)];

    assert.equal(firstUnread(messages, { lastRead: 10, head: 14, me: ME })?.seq, 12);
  });

  test("passes over what the room's count does not count: replies and deleted messages", () => {
    const messages = [message(11, SAM, { thread: 900 }), message(12, SAM, { deleted: true }), message(13)];

    assert.equal(firstUnread(messages, { lastRead: 10, head: 14, me: ME })?.seq, 13);
  });

  test("ignores what arrived after the page opened", () => {
    const messages = [message(15), message(16)];

    assert.equal(firstUnread(messages, { lastRead: 10, head: 14, me: ME }), undefined);
  });

  test("is nowhere when everything was read", () => {
    assert.equal(firstUnread([message(12)], { lastRead: 14, head: 14, me: ME }), undefined);
  });

  test("the jump is offered only with unread messages before the head", () => {
    assert.equal(offersJump({ unread: 3, last_read_seq: 10, head_seq: 14 }), true);
    assert.equal(offersJump({ unread: 0, last_read_seq: 10, head_seq: 14 }), false);
    assert.equal(offersJump({ unread: 3, last_read_seq: 14, head_seq: 14 }), false);
  });
});

describe("the read marker", () => {
  test("only moves forward: each seq is reported once, and never an older one", () => {
    const marker = new ReadMarker(10);

    assert.deepEqual([12, 12, 11, 10, 15].map((seq) => marker.advance(seq)), [12, null, null, null, 15]);
  });
});
