// The page's address describes what it shows, so a result or answer can be shared and the
// browser's back button works: ?q=…&modus=sok|spor&type=…&utgiver=…&fra=…&til=…&metode=…
import { SEARCH_MODES } from "./filters.js";

export function readUrl() {
  const params = new URLSearchParams(window.location.search);
  const year = (name) => {
    const value = params.get(name);
    if (value === null || value.trim() === "") return null;
    const number = Number(value);
    return Number.isInteger(number) ? number : null;
  };
  const method = params.get("metode");
  return {
    q: (params.get("q") || "").trim(),
    modus: params.get("modus") === "spor" ? "spor" : "sok",
    types: params.getAll("type").filter(Boolean),
    publishers: params.getAll("utgiver").filter(Boolean),
    yearFrom: year("fra"),
    yearTo: year("til"),
    method: SEARCH_MODES.includes(method) ? method : "hybrid",
  };
}

export function buildQuery(modus, q, filters) {
  const params = new URLSearchParams();
  if (q) params.set("q", q);
  params.set("modus", modus);
  for (const type of filters.types) params.append("type", type);
  for (const publisher of filters.publishers) params.append("utgiver", publisher);
  if (filters.yearFrom !== null) params.set("fra", String(filters.yearFrom));
  if (filters.yearTo !== null) params.set("til", String(filters.yearTo));
  if (filters.method !== "hybrid") params.set("metode", filters.method);
  return `?${params.toString()}`;
}

export function updateTitle(q) {
  document.title = q ? `${q} – Refark` : "Refark – søk og spørsmål om kommunal e-helsearkitektur";
}

export function setUrl(modus, q, filters, { replace = false, data = {} } = {}) {
  const query = buildQuery(modus, q, filters);
  const entry = { modus, ...data };
  if (replace || query === window.location.search) {
    window.history.replaceState(entry, "", query);
  } else {
    window.history.pushState(entry, "", query);
  }
  updateTitle(q);
}

// Which turn of the conversation the current history entry shows, if it says.
export function turnsInHistory() {
  const entry = window.history.state;
  return entry && Number.isInteger(entry.turns) ? entry.turns : null;
}
