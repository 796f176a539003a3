// A small Markdown renderer for the composer's preview. It builds DOM nodes
// (never HTML strings), so nothing typed can become markup. The message
// itself is rendered by the server (rooms/markdown.py); this preview covers
// the common subset: paragraphs and line breaks, headings, quotes, lists,
// fenced code, rules, **bold**, *italic*, ~~strike~~, `code` and links.

import { h } from "./dom.js";

const SAFE_URL = /^(https?:|mailto:)/i;

export function renderPreview(source) {
  const root = document.createDocumentFragment();
  const lines = String(source).replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^\s*$/.test(line)) {
      i++;
      continue;
    }
    const fence = line.match(/^\s*(```|~~~)/);
    if (fence) {
      const code = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) code.push(lines[i++]);
      i++;
      root.append(h("pre", {}, h("code", {}, code.join("\n"))));
      continue;
    }
    const heading = line.match(/^(#{1,6})\s+(.*)$/);
    if (heading) {
      root.append(inline(h(`h${heading[1].length}`), heading[2]));
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
      while (i < lines.length && /^\s*>/.test(lines[i])) quoted.push(lines[i++].replace(/^\s*>\s?/, ""));
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
      while (i < lines.length && marker.test(lines[i])) {
        list.append(inline(h("li"), lines[i++].replace(marker, "")));
      }
      root.append(list);
      continue;
    }
    const para = [];
    while (i < lines.length && !/^\s*$/.test(lines[i]) && !/^(#{1,6}\s|\s*```|\s*>)/.test(lines[i])) {
      para.push(lines[i++]);
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

function inline(parent, text) {
  let rest = text;
  while (rest) {
    const m = rest.match(INLINE);
    if (!m) {
      parent.append(rest);
      break;
    }
    if (m.index) parent.append(rest.slice(0, m.index));
    if (m[1]) parent.append(h("code", {}, m[2]));
    else if (m[3] !== undefined || m[4] !== undefined) parent.append(inline(h("strong"), m[3] ?? m[4]));
    else if (m[5] !== undefined) parent.append(inline(h("del"), m[5]));
    else if (m[6] !== undefined || m[7] !== undefined) parent.append(inline(h("em"), m[6] ?? m[7]));
    else if (m[8] !== undefined) {
      parent.append(
        SAFE_URL.test(m[9])
          ? inline(h("a", { href: m[9], target: "_blank", rel: "noopener noreferrer nofollow" }), m[8])
          : inline(h("span"), m[8]),
      );
    }
    rest = rest.slice(m.index + m[0].length);
  }
  return parent;
}
