// @ts-check
// The room page's addresses, as room.js reads them when it opens: a message
// (its permalink), a thread, a work item, or the room itself. Every link into a
// room is made here.

/**
 * `/rooms/{room}/?message={id}`: the room around the message, and its thread if it is a reply.
 * @param {number} room
 * @param {number} message
 */
export function permalink(room, message) {
  return `/rooms/${room}/?message=${message}`;
}

/**
 * `/rooms/{room}/?thread={root}`: the room with the thread open.
 * @param {number} room
 * @param {number} root
 */
export function threadLink(room, root) {
  return `/rooms/${room}/?thread=${root}`;
}

/**
 * `/rooms/{room}/?item={id}`: the room with the work item open.
 * @param {number} room
 * @param {number} item
 */
export function itemLink(room, item) {
  return `/rooms/${room}/?item=${item}`;
}

/**
 * `/rooms/{room}/`: the room, at its latest messages.
 * @param {number} room
 */
export function roomLink(room) {
  return `/rooms/${room}/`;
}
