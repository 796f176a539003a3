// How a message shows its files (frontend/static/frontend/files.js), in a
// jsdom document: thumbnails only for the image types the server marks
// inline, a download card for everything else, sizes people can read.

import "./support/jsdom.js";

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { formatSize, kindLabel, renderFiles } from "../../../frontend/static/frontend/files.js";

/** @param {Partial<import("../../../frontend/static/frontend/wire.gen.js").FileData>} over */
function file(over) {
  return {
    id: "k".repeat(32),
    name: "photo.jpg",
    type: "image/jpeg",
    kind: "image",
    size: 1234,
    width: 800,
    height: 600,
    inline: true,
    url: "/api/files/kkk/",
    thumbnail: "/api/files/kkk/thumbnail/",
    ...over,
  };
}

describe("formatSize", () => {
  test("says bytes, KB or MB as people read them", () => {
    assert.equal(formatSize(193), "193 B");
    assert.equal(formatSize(2048), "2 KB");
    assert.equal(formatSize(1297576), "1.2 MB");
    assert.equal(formatSize(25 * 1024 * 1024), "25 MB");
  });
});

describe("kindLabel", () => {
  test("names the kind, or the extension of an unknown kind", () => {
    assert.equal(kindLabel(file({ kind: "pdf", name: "8D.pdf" })), "PDF");
    assert.equal(kindLabel(file({ kind: "other", name: "flange.step" })), "STEP");
    assert.equal(kindLabel(file({ kind: "other", name: "noextension" })), "File");
  });
});

describe("renderFiles", () => {
  test("shows an inline image as a thumbnail that opens the viewer, and a PDF as a card", () => {
    const list = renderFiles([file({}), file({ name: "8D report.pdf", kind: "pdf", type: "application/pdf", inline: false, thumbnail: null })]);
    const img = list.querySelector(".file-thumb img");
    assert.equal(img?.getAttribute("src"), "/api/files/kkk/thumbnail/");
    assert.equal(img?.getAttribute("alt"), "photo.jpg");
    assert.equal(list.querySelector(".file-thumb button")?.getAttribute("aria-label"), "View photo.jpg");
    const card = list.querySelector(".file-card");
    assert.equal(card?.querySelector("a.file-name")?.getAttribute("download"), "8D report.pdf");
    assert.match(card?.textContent ?? "", /PDF · 1 KB/);
  });

  test("never shows a file the server did not mark inline as an image, whatever its name", () => {
    const list = renderFiles([file({ name: "evil.svg", type: "text/plain", kind: "text", inline: false, thumbnail: null })]);
    assert.equal(list.querySelectorAll("img").length, 0);
    assert.equal(list.querySelectorAll(".file-card").length, 1);
  });

  test("puts the name in as text, never as markup", () => {
    const list = renderFiles([file({ name: '<img src=x onerror="alert(1)">.pdf', kind: "pdf", inline: false, thumbnail: null })]);
    assert.equal(list.querySelectorAll("img").length, 0);
    assert.equal(list.querySelector("a.file-name")?.textContent, '<img src=x onerror="alert(1)">.pdf');
  });
});
