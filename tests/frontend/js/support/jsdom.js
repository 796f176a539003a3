// A document for the modules that build DOM (messages.js, reactions.js,
// messagelist.js): jsdom's, installed as the browser globals they use.
// Import this before them.

import { JSDOM } from "jsdom";

const { window } = new JSDOM("<!doctype html><html><body></body></html>");
for (const name of ["window", "document", "Node", "HTMLElement", "HTMLAnchorElement", "DocumentFragment", "Element", "MutationObserver", "HTMLTextAreaElement", "HTMLInputElement", "HTMLSelectElement"]) {
  globalThis[name] = name === "window" ? window : window[name];
}
