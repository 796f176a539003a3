// Frames that belong to a room's sequence; everything else is a reply or ephemeral.
const ROOM_EVENTS = new Set([
  "message.new", "message.edited", "message.deleted",
  "member.joined", "member.left", "room.updated",
  "workitem.created", "workitem.updated",
]);

// One multiplexed socket per tab: reconnects with backoff and resumes each
// room from the last seq it applied, so nothing is missed (docs/protocol.md).
export class CausewaySocket extends EventTarget {
  constructor(url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/`) {
    super();
    this.url = url;
    this.rooms = new Map(); // room id -> last applied seq (null until subscribed)
    this.backoff = 500;
    this.queue = [];
    this.connect();
  }

  connect() {
    this.state("connecting");
    const ws = (this.ws = new WebSocket(this.url));
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.backoff = 500;
      this.state("live");
      for (const [room, since] of this.rooms) this.sendRaw({ type: "subscribe", room, since: since ?? undefined });
      for (const frame of this.queue.splice(0)) this.sendRaw(frame);
    };
    ws.onmessage = (event) => this.onFrame(JSON.parse(event.data));
    ws.onclose = async (event) => {
      if (event.code === 4403 || event.code === 4401) return this.signedOut();
      // A refused handshake looks like 1006 to a browser: ask whether we are
      // still signed in before retrying forever.
      if (!opened && (await this.signedIn()) === false) return this.signedOut();
      this.state("reconnecting");
      setTimeout(() => this.connect(), this.backoff + Math.random() * 250);
      this.backoff = Math.min(this.backoff * 2, 15000);
    };
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
    this.state("signed-out");
    location.assign(`/accounts/login/?next=${encodeURIComponent(location.pathname)}`);
  }

  state(value) {
    this.dispatchEvent(new CustomEvent("state", { detail: value }));
  }

  subscribe(room) {
    if (!this.rooms.has(room)) this.rooms.set(room, null);
    this.send({ type: "subscribe", room });
  }

  onFrame(frame) {
    if (ROOM_EVENTS.has(frame.type) && this.rooms.has(frame.room)) {
      const last = this.rooms.get(frame.room);
      if (last !== null && frame.seq <= last) return; // already applied
      if (last !== null && frame.seq > last + 1) {
        // A gap: ask for exactly what is missing.
        this.sendRaw({ type: "subscribe", room: frame.room, since: last });
        return;
      }
      this.rooms.set(frame.room, frame.seq);
    }
    if (frame.type === "subscribed" && this.rooms.get(frame.room) === null) {
      this.rooms.set(frame.room, Math.max(0, frame.head_seq - 50));
    }
    if (frame.type === "resync") this.rooms.set(frame.room, frame.head_seq);
    this.dispatchEvent(new CustomEvent(frame.type, { detail: frame }));
    this.dispatchEvent(new CustomEvent("frame", { detail: frame }));
  }

  send(frame) {
    if (this.ws.readyState === WebSocket.OPEN) this.sendRaw(frame);
    else this.queue.push(frame);
  }

  sendRaw(frame) {
    this.ws.send(JSON.stringify(frame));
  }
}
