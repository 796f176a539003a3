// @ts-check
// Events with a typed detail: `on(type, detail => ...)` hands each listener
// the detail its type carries, and `emit` checks what is sent. An
// EventTarget underneath, with an Event of our own rather than CustomEvent,
// which Node 18 (Debian 12's, running the unit tests) does not have.

/** @template T */
export class DetailEvent extends Event {
  /**
   * @param {string} type
   * @param {T} detail
   */
  constructor(type, detail) {
    super(type);
    this.detail = detail;
  }
}

/** @template {Record<string, unknown>} Events type -> its detail */
export class Emitter extends EventTarget {
  /**
   * @template {keyof Events & string} K
   * @param {K} type
   * @param {(detail: Events[K]) => void} listener
   */
  on(type, listener) {
    this.addEventListener(type, (event) => listener(/** @type {DetailEvent<Events[K]>} */ (event).detail));
  }

  /**
   * @template {keyof Events & string} K
   * @param {K} type
   * @param {Events[K]} detail
   */
  emit(type, detail) {
    this.dispatchEvent(new DetailEvent(type, detail));
  }
}
