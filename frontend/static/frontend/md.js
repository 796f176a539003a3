// @ts-check
// A small Markdown renderer for the composer's preview. It builds DOM nodes
// (never HTML strings), so nothing typed can become markup. The message
// itself is rendered by the server (rooms/markdown.py); this preview covers
// the common subset: paragraphs and line breaks, headings, quotes, lists,
// fenced code, rules, **bold**, *italic*, ~~strike~~, `code` and links.

import { h } from "./dom.js";

const SAFE_URL = /^(https?:|mailto:)/i;

/**
 * The preview of a Markdown source, as DOM nodes.
 * @param {string} source
 * @returns {DocumentFragment}
 */
export function renderPreview(source) {
  const root = document.createDocumentFragment();
  const lines = String(source).replace(/\r\n?/g, "\n").split("\n");
  /** @param {number} n */
  const at = (n) => lines[n] ?? ""; // only read below lines.length
  let i = 0;
  while (i < lines.length) {
    const line = at(i);
    if (/^\s*$/.test(line)) {
      i++;
      continue;
    }
    const fence = line.match(/^\s*(```|~~~)/)?.[1];
    if (fence) {
      const code = [];
      i++;
      while (i < lines.length && !at(i).trim().startsWith(fence)) code.push(at(i++));
      i++;
      root.append(h("pre", {}, h("code", {}, code.join("\n"))));
      continue;
    }
    const heading = line.match(/^(#{1,6})\s+(.*)$/);
    if (heading) {
      root.append(inline(h(`h${heading[1]?.length}`), heading[2] ?? ""));
      i++;
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      root.append(h("hr"));
      i++;
      continue;
    }
    if (/^\s*>/.test(line)) {
      const quoted = [];
      while (i < lines.length && /^\s*>/.test(at(i))) quoted.push(at(i++).replace(/^\s*>\s?/, ""));
      const quote = h("blockquote");
      quote.append(renderPreview(quoted.join("\n")));
      root.append(quote);
      continue;
    }
    const bullet = /^\s*[-*+]\s+/;
    const number = /^\s*\d+[.)]\s+/;
    if (bullet.test(line) || number.test(line)) {
      const marker = bullet.test(line) ? bullet : number;
      const list = h(marker === bullet ? "ul" : "ol");
      while (i < lines.length && marker.test(at(i))) {
        list.append(inline(h("li"), at(i++).replace(marker, "")));
      }
      root.append(list);
      continue;
    }
    // A paragraph takes this line whatever it is, so the loop always moves
    // on: a line the block rules above pass over but the stop rule below
    // matches ("# a\u2028b": `.` stops at U+2028) once hung the preview.
    const para = [at(i++)];
    while (i < lines.length && !/^\s*$/.test(at(i)) && !/^(#{1,6}\s|\s*```|\s*>)/.test(at(i))) {
      para.push(at(i++));
    }
    const p = h("p");
    para.forEach((text, n) => {
      if (n) p.append(h("br"));
      inline(p, text);
    });
    root.append(p);
  }
  return root;
}

const INLINE = /(`+)([\s\S]*?)\1|\*\*([\s\S]+?)\*\*|__([\s\S]+?)__|~~([\s\S]+?)~~|\*([^*\s][^*]*?)\*|\b_([^_\s][^_]*?)_\b|\[([^\]]+)\]\(([^)\s]+)\)/;

/**
 * Append `text`'s inline Markdown to `parent`, as nodes.
 * @template {HTMLElement} E
 * @param {E} parent
 * @param {string} text
 * @returns {E}
 */
function inline(parent, text) {
  let rest = text;
  while (rest) {
    const m = rest.match(INLINE);
    if (!m || m.index === undefined) {
      parent.append(rest);
      break;
    }
    if (m.index) parent.append(rest.slice(0, m.index));
    const [, ticks, code, strong, strong2, strike, em, em2, label, url] = m;
    if (ticks) parent.append(h("code", {}, code ?? ""));
    else if (strong !== undefined || strong2 !== undefined) parent.append(inline(h("strong"), strong ?? strong2 ?? ""));
    else if (strike !== undefined) parent.append(inline(h("del"), strike));
    else if (em !== undefined || em2 !== undefined) parent.append(inline(h("em"), em ?? em2 ?? ""));
    else if (label !== undefined && url !== undefined) {
      parent.append(
        SAFE_URL.test(url)
          ? inline(h("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow" }), label)
          : inline(h("span"), label),
      );
    }
    rest = rest.slice(m.index + m[0].length);
  }
  return parent;
}
