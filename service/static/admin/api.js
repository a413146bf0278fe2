// Calls to the admin API with the maintainer's key as a Bearer token, the key itself (kept in
// sessionStorage: it lasts as long as the tab) and server-sent events read from a fetch, since
// EventSource cannot send an Authorization header.
import { errorFrom } from "../js/api.js";

const TOKEN_KEY = "refark-admin-token";

export const readToken = () => sessionStorage.getItem(TOKEN_KEY);
export const saveToken = (token) => sessionStorage.setItem(TOKEN_KEY, token);
export const forgetToken = () => sessionStorage.removeItem(TOKEN_KEY);

export { describeError as describe } from "../js/api.js";

// Whether the server has an admin key configured: asked before the key is (it needs none).
export async function adminEnabled() {
  const response = await fetch("api/admin/enabled", { cache: "no-store" });
  if (!response.ok) throw await errorFrom(response);
  return (await response.json()).enabled;
}

// `onRefused` is told when the server does not accept the key (401), before the call fails.
export function adminClient(token, onRefused) {
  async function send(path, { method = "GET", body, accept = "application/json" } = {}) {
    const headers = { Authorization: `Bearer ${token}`, Accept: accept };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    if (!response.ok) {
      const error = await errorFrom(response);
      if (response.status === 401) onRefused(error);
      throw error;
    }
    return response;
  }

  return {
    getJson: async (path) => (await send(path)).json(),
    postJson: async (path, body) => (await send(path, { method: "POST", body })).json(),
    getBlob: async (path) => (await send(path, { accept: "*/*" })).blob(),
    events: async function* (path) {
      yield* readEvents(await send(path, { accept: "text/event-stream" }));
    },
  };
}

// One server-sent event block ("event: …" and "data: …" lines) as {name, data}; the data is
// JSON. Comment lines (":") and blocks without data are no events.
export function parseEvent(block) {
  let name = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") name = value;
    else if (field === "data") data.push(value);
  }
  return data.length ? { name, data: JSON.parse(data.join("\n")) } : null;
}

async function* readEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer = (buffer + value).replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = parseEvent(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (event) yield event;
    }
  }
}
