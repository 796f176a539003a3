// @ts-check
// Errors the client shows to people. Each has a stable `code`: one of the
// server's (docs/protocol.md, "Errors") or the client's own ("offline",
// "timeout", "network", "csrf", "http"), and a message meant for a person.

export class CodedError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/**
 * The code of anything thrown: a CodedError's, or "" for anything else
 * (a bug in the page, not a refusal).
 * @param {unknown} error
 */
export function errorCode(error) {
  return error instanceof CodedError ? error.code : "";
}

/**
 * A sentence for the person, whatever was thrown.
 * @param {unknown} error
 */
export function errorText(error) {
  return error instanceof Error ? error.message : String(error);
}
