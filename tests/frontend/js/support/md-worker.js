// Renders one preview in a worker thread, so a test can give up on a
// preview that never returns (a loop blocks its own thread, not the test's).

import "./jsdom.js";

import { parentPort, workerData } from "node:worker_threads";

const { renderPreview } = await import("../../../../frontend/static/frontend/md.js");
const box = document.createElement("div");
box.append(renderPreview(workerData));
parentPort.postMessage(box.innerHTML);
