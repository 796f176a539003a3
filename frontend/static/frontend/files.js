// @ts-check
// Files (docs/protocol.md, "Files"): uploading them for a message (button,
// drag and drop, paste; a progress bar and Cancel for each), how a message
// shows its files (image thumbnails that open a viewer; a card for anything
// else), and the room's Files panel. A file is uploaded first, over HTTP;
// the message that names it is sent once every upload is stored.

import { ApiError, csrfToken, get } from "./api.js";
import { h, plural, shortTime } from "./dom.js";
import { FILE_KINDS } from "./wire.gen.js";

/** @import { FileData, PersonRef } from "./wire.gen.js" */

/**
 * One row of `GET /api/rooms/{room}/files/`.
 * @typedef {{file: FileData, message: number, thread: number | null, seq: number, by: PersonRef, at: string}} RoomFile
 */

/** @param {number} bytes */
export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, "")} MB`;
}

/** @param {FileData} file */
export function kindLabel(file) {
  const ext = file.name.includes(".") ? file.name.split(".").pop()?.toUpperCase() : "";
  return file.kind === "other" && ext ? ext : FILE_KINDS[file.kind]?.label ?? "File";
}

/**
 * POST one file with upload progress (fetch reports none). `abort` cancels it.
 * @param {number} roomId
 * @param {File} file
 * @param {(fraction: number) => void} onProgress
 * @returns {{done: Promise<FileData>, abort: () => void}}
 */
export function uploadFile(roomId, file, onProgress) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    // The body is the file itself, its name in the query (docs/protocol.md, "Files").
    xhr.open("POST", `/api/rooms/${roomId}/files/?name=${encodeURIComponent(file.name || "pasted file")}`);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      /** @type {any} */
      const body = xhr.response;
      if (xhr.status === 201 && body?.id) return resolve(/** @type {FileData} */ (body));
      const error = body?.error;
      reject(new ApiError(xhr.status, error?.code ?? "http", error?.detail ?? `The upload failed (HTTP ${xhr.status}).`));
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "network", "The upload was interrupted; try again.")));
    xhr.addEventListener("abort", () => reject(new ApiError(0, "cancelled", "Cancelled.")));
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}

/**
 * @typedef {object} TrayItem
 * @property {File} file
 * @property {FileData | null} stored
 * @property {string} problem
 * @property {() => void} abort
 * @property {Promise<void>} settled
 * @property {HTMLElement} li
 */

/**
 * The files waiting to be sent with the composer's message. Each uploads at
 * once; a failed one says why and can be removed; `ready` waits for the rest.
 */
export class FileTray {
  /**
   * @param {{roomId: number, maxFiles?: number, maxBytes?: number, onChange?: () => void}} options
   */
  constructor({ roomId, maxFiles = 10, maxBytes = 25 * 1024 * 1024, onChange = () => {} }) {
    this.roomId = roomId;
    this.maxFiles = maxFiles;
    this.maxBytes = maxBytes;
    this.onChange = onChange;
    /** @type {TrayItem[]} */
    this.items = [];
    /** While the message waits for its uploads, its files cannot change (composer.js). */
    this.locked = false;
    this.el = h("ul", { class: "file-tray", aria: { label: "Files to send" }, hidden: true });
    this.picker = h("input", { type: "file", multiple: true, hidden: true, tabindex: "-1", aria: { hidden: "true" } });
    this.picker.addEventListener("change", () => {
      if (this.picker.files) this.add([...this.picker.files]);
      this.picker.value = "";
    });
  }

  /** Open the browser's file picker. */
  choose() {
    if (!this.locked) this.picker.click();
  }

  /** @param {File[]} files */
  add(files) {
    if (this.locked) return;
    for (const file of files) {
      if (this.items.length >= this.maxFiles) {
        this.note(`At most ${this.maxFiles} files per message.`);
        break;
      }
      this.start(file);
    }
    this.draw();
  }

  /** @param {string} text */
  note(text) {
    const li = h("li", { class: "file-chip failed", role: "alert" }, text);
    this.el.append(li);
    this.el.hidden = false;
    setTimeout(() => li.remove(), 6000);
  }

  /** @param {File} file */
  start(file) {
    const bar = h("progress", { max: "100", value: "0", aria: { label: `Uploading ${file.name}` } });
    const status = h("span", { class: "file-status" }, formatSize(file.size));
    const remove = h("button", { type: "button", class: "icon-button small", aria: { label: `Cancel ${file.name}` }, title: "Cancel" }, "✕");
    const li = h("li", { class: "file-chip uploading" }, h("span", { class: "file-name", title: file.name }, file.name), status, bar, remove);
    /** @type {TrayItem} */
    const item = { file, stored: null, problem: "", abort: () => {}, settled: Promise.resolve(), li };
    remove.addEventListener("click", () => this.remove(item));
    if (file.size > this.maxBytes) {
      item.problem = `Larger than ${formatSize(this.maxBytes)}.`;
    } else {
      const upload = uploadFile(this.roomId, file, (fraction) => {
        bar.value = Math.round(fraction * 100);
      });
      item.abort = upload.abort;
      item.settled = upload.done.then(
        (stored) => {
          item.stored = stored;
        },
        (/** @type {ApiError} */ error) => {
          if (error.code !== "cancelled") item.problem = error.detail || error.message;
        },
      );
      item.settled.then(() => this.draw());
    }
    this.items.push(item);
  }

  /** @param {TrayItem} item */
  remove(item) {
    item.abort(); // allowed while locked: the message then goes without it
    this.items = this.items.filter((i) => i !== item);
    this.draw();
  }

  draw() {
    for (const item of this.items) {
      const { li } = item;
      li.classList.toggle("uploading", !item.stored && !item.problem);
      li.classList.toggle("failed", Boolean(item.problem));
      li.classList.toggle("stored", Boolean(item.stored));
      const status = li.querySelector(".file-status");
      if (status) status.textContent = item.problem || formatSize(item.stored?.size ?? item.file.size);
      const bar = li.querySelector("progress");
      if (bar) bar.hidden = Boolean(item.stored || item.problem);
      const remove = li.querySelector("button");
      if (remove) remove.setAttribute("aria-label", `${item.stored || item.problem ? "Remove" : "Cancel"} ${item.file.name}`);
    }
    this.el.replaceChildren(...this.items.map((i) => i.li));
    this.el.hidden = !this.items.length;
    this.onChange();
  }

  get uploading() {
    return this.items.some((i) => !i.stored && !i.problem);
  }

  get failed() {
    return this.items.some((i) => i.problem);
  }

  get count() {
    return this.items.length;
  }

  /** The stored files, once every upload has finished (or null if one failed or all were removed). */
  async ready() {
    await Promise.all(this.items.map((i) => i.settled));
    if (this.failed) return null;
    return this.items.map((i) => /** @type {FileData} */ (i.stored));
  }

  clear() {
    this.items = [];
    this.draw();
  }
}

/**
 * A message's files: thumbnails (a click opens the viewer) and cards.
 * @param {ReadonlyArray<FileData>} files
 */
export function renderFiles(files) {
  const images = files.filter((f) => f.inline && f.thumbnail);
  const list = h("ul", { class: "msg-files", aria: { label: plural(files.length, "file", "files") } });
  for (const file of files) {
    if (file.inline && file.thumbnail) {
      const index = images.indexOf(file);
      const ratio = file.width && file.height ? file.width / file.height : 4 / 3;
      list.append(
        h(
          "li",
          { class: "file-thumb" },
          h(
            "button",
            { type: "button", class: "thumb-button", onclick: () => openViewer(images, index), aria: { label: `View ${file.name}` } },
            h("img", {
              src: file.thumbnail,
              alt: file.name,
              loading: "lazy",
              width: String(Math.round(Math.min(240, 180 * ratio))),
              height: String(Math.round(Math.min(240, 180 * ratio) / ratio)),
            }),
          ),
        ),
      );
    } else {
      list.append(fileCard(file));
    }
  }
  return list;
}

/** @param {FileData} file */
export function fileCard(file) {
  return h(
    "li",
    { class: `file-card kind-${file.kind}` },
    h("span", { class: "file-icon", aria: { hidden: "true" } }, kindLabel(file).slice(0, 4)),
    h(
      "span",
      { class: "file-meta" },
      h("a", { href: file.url, class: "file-name", download: file.name, title: `Download ${file.name}` }, file.name),
      h("span", { class: "muted" }, `${kindLabel(file)} · ${formatSize(file.size)}`),
    ),
    h("a", { href: file.url, class: "button small", download: file.name, aria: { label: `Download ${file.name}` } }, "Download"),
  );
}

/**
 * The image viewer: the image as large as fits, its name, Download; arrows
 * move between the message's images, Escape closes.
 * @param {ReadonlyArray<FileData>} images
 * @param {number} index
 */
export function openViewer(images, index) {
  const returnFocus = document.activeElement;
  const img = h("img", { class: "viewer-image", alt: "" });
  const name = h("span", { class: "viewer-name" });
  const count = h("span", { class: "muted" });
  const download = h("a", { class: "button small", download: "" }, "Download");
  const prev = h("button", { type: "button", class: "icon-button", aria: { label: "Previous image" } }, "‹");
  const next = h("button", { type: "button", class: "icon-button", aria: { label: "Next image" } }, "›");
  const close = h("button", { type: "button", class: "icon-button", aria: { label: "Close viewer" } }, "✕");
  const dialog = h(
    "dialog",
    { class: "viewer", aria: { label: "Image viewer" } },
    h("div", { class: "viewer-bar" }, name, count, download, close),
    h("div", { class: "viewer-stage" }, images.length > 1 ? prev : null, img, images.length > 1 ? next : null),
  );
  /** @param {number} i */
  function show(i) {
    index = (i + images.length) % images.length;
    const file = images[index];
    if (!file) return;
    img.src = file.url;
    img.alt = file.name;
    name.textContent = file.name;
    count.textContent = images.length > 1 ? `${index + 1} of ${images.length}` : formatSize(file.size);
    download.href = file.url;
    download.setAttribute("download", file.name);
    download.setAttribute("aria-label", `Download ${file.name}`);
  }
  prev.addEventListener("click", () => show(index - 1));
  next.addEventListener("click", () => show(index + 1));
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "ArrowLeft") show(index - 1);
    else if (event.key === "ArrowRight") show(index + 1);
    else return;
    event.preventDefault();
  });
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close(); // the backdrop
  });
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (returnFocus instanceof HTMLElement) returnFocus.focus();
  });
  show(index);
  document.body.append(dialog);
  dialog.showModal();
  close.focus();
}

/**
 * Drag and drop onto `zone`, and pasting into `input`, add files to `tray`.
 * @param {HTMLElement} zone
 * @param {HTMLElement} input
 * @param {FileTray} tray
 */
export function acceptFiles(zone, input, tray) {
  /** @param {DragEvent} event */
  const carriesFiles = (event) => Boolean(event.dataTransfer?.types.includes("Files"));
  let depth = 0;
  zone.addEventListener("dragenter", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    depth += 1;
    zone.classList.add("dropping");
  });
  zone.addEventListener("dragover", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
  });
  zone.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) zone.classList.remove("dropping");
  });
  zone.addEventListener("drop", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    depth = 0;
    zone.classList.remove("dropping");
    tray.add([...(event.dataTransfer?.files ?? [])]);
  });
  input.addEventListener("paste", (event) => {
    const files = [...(event.clipboardData?.files ?? [])];
    if (!files.length) return;
    event.preventDefault();
    tray.add(files);
  });
}

/**
 * The room's Files panel: newest first, who and when, a name filter, more on demand.
 * @param {number} roomId
 * @param {{openMessage: (entry: RoomFile) => void}} actions
 */
export function filesPanel(roomId, { openMessage }) {
  const search = h("input", { type: "search", class: "files-search", placeholder: "Find a file by name", aria: { label: "Find a file by name" } });
  const list = h("ul", { class: "files-list", aria: { live: "polite" } });
  const more = h("button", { type: "button", class: "button small", hidden: true }, "Older files");
  const state = h("p", { class: "muted files-state" }, "Loading files…");
  /** @type {number | null} */
  let before = null;
  let query = "";
  let timer = 0;

  /** @param {boolean} append */
  async function load(append) {
    const params = new URLSearchParams();
    if (query) params.set("q", query);
    if (append && before !== null) params.set("before", String(before));
    try {
      /** @type {{files: RoomFile[], before: number | null}} */
      const page = await get(`/api/rooms/${roomId}/files/?${params}`);
      before = page.before;
      const rows = page.files.map(row);
      if (append) list.append(...rows);
      else list.replaceChildren(...rows);
      more.hidden = before === null;
      state.textContent = list.children.length ? "" : query ? `No file named like “${query}”.` : "No files in this room yet.";
    } catch (error) {
      state.textContent = error instanceof Error ? error.message : "The files could not be loaded.";
    }
  }

  /** @param {RoomFile} entry */
  function row(entry) {
    const file = entry.file;
    const preview =
      file.inline && file.thumbnail
        ? h("button", { type: "button", class: "thumb-button", onclick: () => openViewer([file], 0), aria: { label: `View ${file.name}` } }, h("img", { src: file.thumbnail, alt: "", loading: "lazy", width: "48", height: "48" }))
        : h("span", { class: "file-icon", aria: { hidden: "true" } }, kindLabel(file).slice(0, 4));
    return h(
      "li",
      { class: "files-row", dataset: { file: file.id, message: entry.message } },
      preview,
      h(
        "span",
        { class: "file-meta" },
        h("a", { href: file.url, class: "file-name", download: file.name }, file.name),
        h("span", { class: "muted" }, `${kindLabel(file)} · ${formatSize(file.size)} · ${entry.by.name}${entry.by.org ? ` (${entry.by.org.name})` : ""} · ${shortTime(entry.at)}`),
      ),
      h("button", { type: "button", class: "link small", onclick: () => openMessage(entry) }, entry.thread ? "Open thread" : "Show message"),
    );
  }

  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => {
      query = search.value.trim();
      before = null;
      load(false);
    }, 250);
  });
  more.addEventListener("click", () => load(true));
  load(false);
  return {
    el: h("div", { class: "files-panel" }, search, state, list, more),
    search,
    /** Reload (a message with files arrived or was deleted). */
    refresh: () => load(false),
  };
}
