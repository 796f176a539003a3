// @ts-check
// Where the tab stands in each room it watches: `last`, the seq of the last
// room event it applied (docs/protocol.md, "Sequence numbers and resume").
// Pure state: the socket (socket.js) subscribes with `since: last` after
// every reconnect and on a gap, so the server replays exactly what is missing.

/** @import { RoomEventFrame } from "./wire.gen.js" */

export class RoomCursors {
  constructor() {
    /** @type {Map<number, {last: number}>} room id -> */
    this.rooms = new Map();
  }

  /**
   * Watch `room` from `since` (the seq the page's data is current to).
   * @param {number} room
   * @param {number} since
   */
  watch(room, since) {
    this.rooms.set(room, { last: since });
  }

  /**
   * Stop watching; false if it was not watched.
   * @param {number} room
   */
  forget(room) {
    return this.rooms.delete(room);
  }

  /** @param {number} room */
  last(room) {
    return this.rooms.get(room)?.last ?? 0;
  }

  /** Every watched room with its `last`: what to subscribe to after a reconnect. */
  all() {
    return [...this.rooms].map(([room, { last }]) => ({ room, since: last }));
  }

  /**
   * A room event arrived. "apply": it is the next one (and `last` moved to
   * it); "old": already applied (`seq <= last`); "gap": events are missing
   * before it, do not apply it but re-subscribe from `last`; "unwatched".
   * @param {RoomEventFrame} frame
   * @returns {"apply" | "old" | "gap" | "unwatched"}
   */
  advance(frame) {
    const room = this.rooms.get(frame.room);
    if (!room) return "unwatched";
    if (frame.seq <= room.last) return "old";
    if (frame.seq > room.last + 1) return "gap";
    room.last = frame.seq;
    return "apply";
  }

  /**
   * The server replayed nothing (`resync`): live events continue after `head`.
   * @param {number} room
   * @param {number} head
   */
  resync(room, head) {
    const cursor = this.rooms.get(room);
    if (cursor) cursor.last = head;
  }
}
