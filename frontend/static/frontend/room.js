import { CausewaySocket } from "./socket.js";

const root = document.getElementById("room");
const roomId = Number(root.dataset.room);
const myOrg = Number(root.dataset.org);
const list = document.getElementById("messages");
const typingLine = document.getElementById("typing");
const conn = document.getElementById("conn");
const form = document.getElementById("composer");
const input = document.getElementById("body");
const pending = new Map(); // client_id -> list item
const names = new Map();

const socket = new CausewaySocket();
socket.addEventListener("state", (e) => {
  conn.textContent = e.detail === "live" ? "live" : e.detail;
  conn.dataset.state = e.detail;
});
socket.addEventListener("subscribed", (e) => {
  for (const m of e.detail.members) names.set(m.person.id, m.person);
});
socket.addEventListener("message.new", (e) => render(e.detail.message));
socket.addEventListener("message.edited", (e) => render(e.detail.message));
socket.addEventListener("message.deleted", (e) => {
  const li = list.querySelector(`[data-id="${e.detail.id}"]`);
  if (li) li.querySelector(".body").textContent = "(deleted)";
});
socket.addEventListener("ack", (e) => {
  const li = pending.get(e.detail.client_id);
  if (li) li.classList.remove("pending");
});
socket.addEventListener("error", (e) => {
  const li = e.detail.ref && pending.get(e.detail.ref);
  if (li) li.classList.add("failed");
});
socket.addEventListener("typing", (e) => {
  const who = names.get(e.detail.user);
  if (e.detail.user === Number(root.dataset.me) || !who) return;
  typingLine.textContent = `${who.name} is typing…`;
  clearTimeout(typingLine.timer);
  typingLine.timer = setTimeout(() => (typingLine.textContent = ""), e.detail.expires_in * 1000);
});
socket.subscribe(roomId);

function render(message) {
  if (message.room !== roomId || message.thread) return;
  let li = list.querySelector(`[data-id="${message.id}"]`) || pending.get(message.client_id);
  if (!li) {
    li = document.createElement("li");
    list.append(li);
  }
  pending.delete(message.client_id);
  li.className = "message";
  li.dataset.id = message.id;
  li.replaceChildren();
  const head = document.createElement("div");
  head.className = "meta";
  const author = document.createElement("strong");
  author.textContent = message.author.name;
  const org = document.createElement("span");
  org.className = message.author.org && message.author.org.id !== myOrg ? "org-badge other" : "org-badge";
  org.textContent = message.author.org ? message.author.org.name : "";
  head.append(author, " ", org);
  const body = document.createElement("div");
  body.className = "body";
  // The only HTML we insert: sanitized on the server (rooms/markdown.py).
  if (message.deleted) body.textContent = "(deleted)";
  else body.innerHTML = message.html;
  li.append(head, body);
  li.scrollIntoView({ block: "end" });
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const body = input.value.trim();
  if (!body) return;
  const clientId = crypto.randomUUID();
  const li = document.createElement("li");
  li.className = "message pending";
  li.textContent = body;
  list.append(li);
  pending.set(clientId, li);
  socket.send({ type: "message.send", room: roomId, client_id: clientId, body });
  input.value = "";
});
input.addEventListener("input", () => socket.send({ type: "typing", room: roomId }));
