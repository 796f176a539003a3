// @ts-check
// The My work page: the work still to do across my rooms that is assigned to
// me, and the work I raised whoever does it (GET /api/workitems/mine/), live.

import { $ } from "./dom.js";
import { startShell } from "./shell.js";
import { mountWorkList, workRow } from "./worklist.js";

const shell = startShell();
/** @param {number} room */
const roomName = (room) => shell.rooms.get(room)?.name ?? "";

mountWorkList($("#assigned"), { path: "/api/workitems/mine/", key: "items", empty: "Nothing assigned to you.", row: (item) => workRow(item, roomName), socket: shell.socket });
mountWorkList($("#raised"), { path: "/api/workitems/mine/", key: "raised", empty: "Nothing you raised is still open.", row: (item) => workRow(item, roomName), socket: shell.socket });
