// @ts-check
// The composer's Markdown preview, rendered by the server's one renderer
// (POST /api/markdown/preview/, rooms/markdown.py): exactly the HTML the
// message will show once sent, lists, tables and bare links included.

import { post } from "./api.js";

/**
 * The HTML a message with this text would show.
 * @param {string} source
 * @returns {Promise<string>}
 */
export async function renderPreview(source) {
  /** @type {{html: string}} */
  const rendered = await post("/api/markdown/preview/", { body: source });
  return rendered.html;
}
