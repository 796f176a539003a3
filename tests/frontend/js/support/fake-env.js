// A SocketEnv (frontend/static/frontend/socketenv.js) that the test drives:
// a clock that moves only when told, connections that open, answer and drop
// when told, and the online/visible/signed-in state of a pretend browser.

class FakeClock {
  constructor() {
    // Zero, as no browser clock reads: a timestamp is never tested for truth.
    this.now = 0;
    this.nextId = 1;
    /** @type {Map<number, {at: number, callback: () => void, every: number | null}>} */
    this.timers = new Map();
  }

  set(callback, ms, every) {
    const id = this.nextId++;
    this.timers.set(id, { at: this.now + ms, callback, every });
    return id;
  }

  clear(id) {
    this.timers.delete(id);
  }

  /** Move time on by `ms`, running each timer that comes due, in order. */
  advance(ms) {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.at <= end).sort(([, a], [, b]) => a.at - b.at)[0];
      if (!due) break;
      const [id, timer] = due;
      this.now = timer.at;
      if (timer.every === null) this.timers.delete(id);
      else timer.at += timer.every;
      timer.callback();
    }
    this.now = end;
  }
}

export class FakeConnection {
  constructor(url, on) {
    this.url = url;
    this.on = on;
    this.opened = false;
    this.closed = false;
    /** Every frame the socket sent on this connection, parsed. */
    this.sent = [];
  }

  isOpen() {
    return this.opened && !this.closed;
  }

  send(text) {
    if (!this.isOpen()) throw new Error("send on a connection that is not open");
    this.sent.push(JSON.parse(text));
  }

  close() {
    this.closed = true;
  }

  // --- what the server does ---------------------------------------------------------

  /** The handshake succeeds and the server says hello. */
  accept(limits = {}) {
    this.opened = true;
    this.on.open();
    this.receive({
      type: "hello",
      protocol: 1,
      me: { id: 7, name: "Cleo Client", handle: "cleo", title: "", org: { id: 2, name: "Acme", slug: "acme" } },
      limits: { message_max_chars: 10000, frame_max_bytes: 65536, typing_ttl: 6, ...limits },
    });
  }

  receive(frame) {
    this.on.message(JSON.stringify(frame));
  }

  /** The connection ends (1006: the network, a restart; 4403: session ended; 1009: too big). */
  drop(code = 1006) {
    this.closed = true;
    return this.on.close(code);
  }

  sentOfType(type) {
    return this.sent.filter((frame) => frame.type === type);
  }
}

export function fakeEnv() {
  const clock = new FakeClock();
  let uuids = 0;
  const env = {
    clock,
    /** @type {FakeConnection[]} every connection the socket opened, in order */
    connections: [],
    isOnline: true,
    isSignedIn: true,
    signIns: 0,
    listeners: null,
    open(url, on) {
      const connection = new FakeConnection(url, on);
      env.connections.push(connection);
      return connection;
    },
    setTimeout: (callback, ms) => clock.set(callback, ms, null),
    clearTimeout: (id) => clock.clear(id),
    setInterval: (callback, ms) => clock.set(callback, ms, ms),
    clearInterval: (id) => clock.clear(id),
    now: () => clock.now,
    random: () => 0,
    online: () => env.isOnline,
    signedIn: async () => env.isSignedIn,
    signIn: () => {
      env.signIns += 1;
    },
    uuid: () => `client-${++uuids}`,
    listen(on) {
      env.listeners = on;
    },
    /** The connection the socket uses now. */
    get current() {
      return env.connections[env.connections.length - 1];
    },
  };
  return env;
}
