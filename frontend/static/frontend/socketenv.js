// @ts-check
// What the socket (socket.js) needs from the browser, behind one interface:
// the WebSocket, timers, the clock, online/offline and visibility, the
// sign-in check and navigation. The page uses `browserEnv()`; the unit tests
// (tests/frontend/js/) give the socket a fake one and drive it frame by frame.

/**
 * A connection, as the socket uses it: `open(url, handlers)` in SocketEnv.
 * @typedef {object} Connection
 * @property {() => boolean} isOpen
 * @property {(text: string) => void} send
 * @property {() => void} close
 */

/**
 * @typedef {object} ConnectionHandlers
 * @property {() => void} open
 * @property {(data: unknown) => void} message
 * @property {(code: number) => void} close
 */

/**
 * What the socket needs from its surroundings: the browser's (`browserEnv`),
 * or a fake in tests. Timer ids are numbers, as in the browser.
 * @typedef {object} SocketEnv
 * @property {(url: string, on: ConnectionHandlers) => Connection} open a WebSocket
 * @property {(callback: () => void, ms: number) => number} setTimeout
 * @property {(id: number | undefined) => void} clearTimeout
 * @property {(callback: () => void, ms: number) => number} setInterval
 * @property {(id: number | undefined) => void} clearInterval
 * @property {() => number} now milliseconds
 * @property {() => number} random in [0, 1), for the backoff's jitter
 * @property {() => boolean} online whether the browser thinks it has a network
 * @property {() => Promise<boolean | null>} signedIn null when the server cannot tell
 * @property {() => void} signIn send the tab to the sign-in page
 * @property {() => string} uuid a client_id
 * @property {(on: {online: () => void, offline: () => void, visible: () => void}) => void} listen
 */

export function uuid() {
  if (crypto.randomUUID && globalThis.isSecureContext) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const x = Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** @returns {SocketEnv} */
export function browserEnv() {
  return {
    open(url, on) {
      const ws = new WebSocket(url);
      ws.onopen = () => on.open();
      ws.onmessage = (event) => on.message(event.data);
      ws.onclose = (event) => on.close(event.code);
      return {
        isOpen: () => ws.readyState === WebSocket.OPEN,
        send: (text) => ws.send(text),
        close: () => ws.close(),
      };
    },
    setTimeout: (callback, ms) => window.setTimeout(callback, ms),
    clearTimeout: (id) => window.clearTimeout(id),
    setInterval: (callback, ms) => window.setInterval(callback, ms),
    clearInterval: (id) => window.clearInterval(id),
    now: () => Date.now(),
    random: () => Math.random(),
    online: () => navigator.onLine,
    async signedIn() {
      try {
        const response = await fetch("/api/rooms/", { credentials: "same-origin" });
        return response.status !== 401;
      } catch {
        return null; // server unreachable: keep retrying
      }
    },
    signIn: () => location.assign(`/accounts/login/?next=${encodeURIComponent(location.pathname)}`),
    uuid,
    listen(on) {
      window.addEventListener("offline", on.offline);
      window.addEventListener("online", on.online);
      document.addEventListener("visibilitychange", () => {
        if (document.visibilityState === "visible") on.visible();
      });
    },
  };
}
