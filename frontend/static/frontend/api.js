// The JSON API (docs/protocol.md, "HTTP JSON endpoints"): same-origin fetch,
// Django's CSRF header from the csrftoken cookie, errors as ApiError.

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.detail = detail || this.message;
  }
}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  // Fallback: the token of any form on the page (the sign-out form has one).
  return document.querySelector("[name=csrfmiddlewaretoken]")?.value ?? "";
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["X-CSRFToken"] = csrfToken();
    headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached. Try again in a moment.");
  }
  const data = await response.json().catch(() => null);
  if (response.status === 401) {
    location.assign(`/accounts/login/?next=${encodeURIComponent(location.pathname)}`);
  }
  if (!response.ok) {
    const error = data?.error;
    if (!error && response.status === 403) {
      throw new ApiError(403, "csrf", "Your session expired. Reload the page and try again.");
    }
    throw new ApiError(response.status, error?.code ?? "http", error?.detail ?? `HTTP ${response.status}`);
  }
  return data;
}

export const get = (path) => api("GET", path);
export const post = (path, body = {}) => api("POST", path, body);
export const patch = (path, body) => api("PATCH", path, body);
export const del = (path) => api("DELETE", path);
