// @ts-check
// Unread state between the server's reports. The server counts unread
// messages when a page loads (`GET /api/rooms/`, the room's boot) and after
// each `read` (the `unread` frame); in between, the pages count what arrives
// (docs/protocol.md, `unread`: "New messages do not produce unread").
// Pure functions on plain data: shell.js keeps the badges with them, the
// room page (history.js) places the "new since you last read" divider.

/** @import { MessageData, MessageNewEvent, UnreadEvent } from "./wire.gen.js" */

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
 * A message arrived (`message.new`): count it, unless the person wrote it,
 * it is deleted, it is at or before the read marker, it was counted already
 * (a replay after a reconnect delivers it again), or the person is reading
 * the room right now. True if a count changed.
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
  room.unread += 1;
  if (message.mentions?.includes(me)) room.mentions += 1;
  return true;
}

/**
 * The server's count after one of the person's tabs sent `read`. The frame
 * has no mention count: none are left once everything is read, and never
 * more than the unread messages.
 * @param {RoomCounts} room
 * @param {UnreadEvent} frame
 */
export function applyUnread(room, frame) {
  room.unread = frame.count;
  room.last_read_seq = frame.last_read_seq;
  if (room.unread === 0 || room.last_read_seq >= room.head_seq) room.mentions = 0;
  else room.mentions = Math.min(room.mentions, room.unread);
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
 * Where "New since you last read" goes: the first message someone else wrote
 * after the read marker the page opened with, among those that were there
 * when it opened (up to `head`; what arrives later is in view as it comes).
 * @param {ReadonlyArray<MessageData>} messages
 * @param {{lastRead: number, head: number, me: number}} at
 */
export function firstUnread(messages, { lastRead, head, me }) {
  if (lastRead >= head) return undefined;
  return messages
    .filter((m) => m.seq > lastRead && m.seq <= head && m.author.id !== me)
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
