// @ts-check
// Unread state between the server's reports. The server counts unread
// messages when a page loads (`GET /api/rooms/`, the room's boot) and after
// each `read` (the `unread` frame); in between, the pages count what arrives
// (docs/protocol.md, `unread`: "New messages do not produce unread").
// Pure functions on plain data: shell.js keeps the badges with them, the
// room page (history.js) places the "new since you last read" divider.

import { UNREAD_RULE } from "./wire.gen.js";

/** @import { MessageData, MessageNewEvent, UnreadEvent } from "./wire.gen.js" */

/**
 * Whether the server's rule counts this message as unread in its room for
 * `me` (the read marker aside): UNREAD_RULE, generated from the server's.
 * @param {MessageData} message
 * @param {number} me
 */
export function countsInRoom(message, me) {
  const inTimeline = message.thread === null || (message.in_room && UNREAD_RULE.counts_replies_sent_to_room);
  if (!inTimeline && !UNREAD_RULE.counts_thread_replies) return false;
  if (message.author.id === me && !UNREAD_RULE.counts_own) return false;
  return !message.deleted || UNREAD_RULE.counts_deleted;
}

/**
 * One room's badge counts, as the shell keeps them.
 * @typedef {object} RoomCounts
 * @property {number} unread
 * @property {number} mentions
 * @property {number} last_read_seq
 * @property {number} head_seq
 * @property {Set<number>} counted ids of the messages counted since the last report
 */

/**
 * A message arrived (`message.new`): count it as the server would
 * (`countsInRoom`; a mention counts in a thread reply too), unless it is at
 * or before the read marker, it was counted already (a replay after a
 * reconnect delivers it again), or the person is reading the room right now.
 * True if a count changed.
 * @param {RoomCounts} room
 * @param {MessageNewEvent} frame
 * @param {{me: number, reading: () => boolean}} who
 */
export function countArrival(room, frame, { me, reading }) {
  room.head_seq = Math.max(room.head_seq, frame.seq);
  const message = frame.message;
  if (message.author.id === me || message.deleted) return false;
  if (message.seq <= room.last_read_seq || room.counted.has(message.id)) return false;
  if (reading()) return false;
  room.counted.add(message.id);
  const unread = countsInRoom(message, me);
  const mention = message.mentions.includes(me);
  if (unread) room.unread += 1;
  if (mention) room.mentions += 1;
  return unread || mention;
}

/**
 * The server's counts after one of the person's tabs sent `read`.
 * @param {RoomCounts} room
 * @param {UnreadEvent} frame
 */
export function applyUnread(room, frame) {
  room.unread = frame.count;
  room.mentions = frame.mentions;
  room.last_read_seq = frame.last_read_seq;
}

/**
 * The counts the server gave again (`GET /api/rooms/`), after a `resync` or
 * for a room that is polled rather than watched.
 * @param {RoomCounts} room
 * @param {{unread: number, mentions: number, last_read_seq: number}} fresh
 */
export function takeCounts(room, { unread, mentions, last_read_seq }) {
  Object.assign(room, { unread, mentions, last_read_seq });
}

/**
 * Where "New since you last read" goes: the first message the room's unread
 * count counts (`countsInRoom`) after the read marker the page opened with,
 * among those that were there when it opened (up to `head`; what arrives
 * later is in view as it comes).
 * @param {ReadonlyArray<MessageData>} messages
 * @param {{lastRead: number, head: number, me: number}} at
 */
export function firstUnread(messages, { lastRead, head, me }) {
  if (lastRead >= head) return undefined;
  return messages
    .filter((m) => m.seq > lastRead && m.seq <= head && countsInRoom(m, me))
    .sort((a, b) => a.seq - b.seq)[0];
}

/**
 * Whether the page offers "Jump to first unread" when it opens.
 * @param {{unread: number, last_read_seq: number, head_seq: number}} room
 */
export function offersJump(room) {
  return room.unread > 0 && room.last_read_seq < room.head_seq;
}

/** The read marker this tab reported: `read` only ever moves it forward. */
export class ReadMarker {
  /** @param {number} sent the marker the page opened with */
  constructor(sent) {
    this.sent = sent;
  }

  /**
   * The seq to report now, or null when it would not move the marker.
   * @param {number} seq the last room event shown
   */
  advance(seq) {
    if (seq <= this.sent) return null;
    this.sent = seq;
    return seq;
  }
}
