// The composer's Markdown preview (frontend/static/frontend/md.js): built as
// DOM nodes, so whatever is typed shows as text, never as markup.

import "./support/jsdom.js";

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Worker } from "node:worker_threads";

import { renderPreview } from "../../../frontend/static/frontend/md.js";

/** The preview of `source`, as HTML, to compare. */
function preview(source) {
  const box = document.createElement("div");
  box.append(renderPreview(source));
  return box.innerHTML;
}

/** The preview, rendered in a worker that is stopped after `ms`: a hang fails instead of blocking. */
function previewWithin(source, ms) {
  const worker = new Worker(new URL("./support/md-worker.js", import.meta.url), { workerData: source });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      worker.terminate();
      reject(new Error(`the preview of ${JSON.stringify(source)} did not return within ${ms} ms`));
    }, ms);
    worker.once("message", (html) => {
      clearTimeout(timer);
      worker.terminate();
      resolve(html);
    });
    worker.once("error", reject);
  });
}

describe("blocks", () => {
  test("paragraphs are split by blank lines; a single newline is a line break", () => {
    assert.equal(preview("one\ntwo\n\nthree"), "<p>one<br>two</p><p>three</p>");
  });

  test("headings take their level from the hashes", () => {
    assert.equal(preview("# Title\n### Part"), "<h1>Title</h1><h3>Part</h3>");
  });

  test("bullets and numbers make lists", () => {
    assert.equal(preview("- a\n* b\n\n1. one\n2) two"), "<ul><li>a</li><li>b</li></ul><ol><li>one</li><li>two</li></ol>");
  });

  test("a quote holds Markdown of its own", () => {
    assert.equal(preview("> **said**\n> twice"), "<blockquote><p><strong>said</strong><br>twice</p></blockquote>");
  });

  test("a fenced block is code, its Markdown and markup left as typed", () => {
    assert.equal(preview("```\n**x** <b>y</b>\n```"), "<pre><code>**x** &lt;b&gt;y&lt;/b&gt;</code></pre>");
  });

  test("a rule", () => {
    assert.equal(preview("---"), "<hr>");
  });
});

describe("inline", () => {
  test("bold, italic, strike and code, nested", () => {
    assert.equal(
      preview("**bold _and italic_** *it* ~~gone~~ `a*b*`"),
      "<p><strong>bold <em>and italic</em></strong> <em>it</em> <del>gone</del> <code>a*b*</code></p>",
    );
  });

  test("web and mail links open in a new tab without the opener", () => {
    assert.equal(
      preview("[spec](https://example.com/a) [mail](mailto:x@example.com)"),
      '<p><a href="https://example.com/a" target="_blank" rel="noopener noreferrer nofollow">spec</a> ' +
        '<a href="mailto:x@example.com" target="_blank" rel="noopener noreferrer nofollow">mail</a></p>',
    );
  });
});

describe("text stays text", () => {
  test("typed HTML shows as text: no element is made from it", () => {
    const box = document.createElement("div");
    box.append(renderPreview('<img src=x onerror="alert(1)"> <script>alert(2)</script>'));

    assert.equal(box.querySelector("img, script"), null);
    assert.equal(box.textContent, '<img src=x onerror="alert(1)"> <script>alert(2)</script>');
  });

  test("a link to anything but http(s) or mailto is no link", () => {
    assert.equal(preview("[click](javascript:alert(1))"), "<p><span>click</span>)</p>");
    assert.equal(preview("[x](data:text/html,hi)"), "<p><span>x</span></p>");
  });
});

test("a line the block rules pass over still ends the preview (U+2028 after a heading's start)", async () => {
  assert.equal(await previewWithin("# a\u2028b", 5000), "<p># a\u2028b</p>");
});
