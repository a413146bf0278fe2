// Calls to the JSON API and the Norwegian messages for what goes wrong.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

export async function errorFrom(response) {
  let detail = null;
  try {
    const body = await response.json();
    detail = body && body.detail;
  } catch {
    // not JSON
  }
  if (Array.isArray(detail)) {
    detail = detail.map((item) => (item && item.msg) || JSON.stringify(item)).join("; ");
  }
  if (typeof detail !== "string" || !detail.trim()) {
    detail = `Tjenesten svarte med feilkode ${response.status}.`;
  }
  return new ApiError(detail, response.status);
}

export function describeError(error) {
  if (error instanceof ApiError) return error.message;
  return "Fikk ikke kontakt med tjenesten. Sjekk nettverket og prøv igjen.";
}

export async function getJson(url, options = {}) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, ...options });
  if (!response.ok) throw await errorFrom(response);
  return response.json();
}

export function postJson(url, body, options = {}) {
  return getJson(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
    ...options,
  });
}
