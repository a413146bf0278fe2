// What the index holds, as the server describes it: the filter values with their labels and
// counts (GET api/facets) and the documents. This module owns them; others ask through it.
import { ApiError, getJson } from "./api.js";

const FACETS_RETRY_MS = [2000, 4000, 8000, 15000]; // then every 15 s while the index is built

let facets = null;
let documentCount = 0;

export function typeLabel(type) {
  const facet = facets && facets.types.find((t) => t.value === type);
  if (facet) return facet.label;
  return type || "Ukjent type";
}

export function documentsInIndex() {
  return documentCount;
}

export async function loadDocuments() {
  const documents = await getJson("api/documents");
  documentCount = Array.isArray(documents) ? documents.length : 0;
}

// Calls `onFacets(facets)` once the server has them. While the index is being built (503) or
// the service cannot be reached it keeps asking; any other refusal is final, so a broken
// deployment is not polled forever. `onPending` is told each time it has to wait.
export async function loadFacets({ onFacets, onPending }, attempt = 0) {
  try {
    facets = await getJson("api/facets");
  } catch (error) {
    const retry = !(error instanceof ApiError) || error.status === 503 || error.status === 429;
    onPending(retry);
    if (!retry) return;
    const wait = FACETS_RETRY_MS[Math.min(attempt, FACETS_RETRY_MS.length - 1)];
    window.setTimeout(() => loadFacets({ onFacets, onPending }, attempt + 1), wait);
    return;
  }
  onFacets(facets);
}
