// Experience reports sent in by municipalities, waiting for a maintainer to approve (which
// files them in the corpus and ingests them) or reject them with a reason.

import { byId, h } from "../js/dom.js";
import { describe } from "./api.js";
import { formatBytes, formatTime } from "./format.js";

function fact(term, value) {
  return [h("dt", {}, term), h("dd", {}, value || "–")];
}

function card(report, api, reload, onApproved) {
  const reasonId = `begrunnelse-${report.id}`;
  const reason = h("input", { type: "text", id: reasonId, maxlength: 2000, autocomplete: "off" });
  const note = h("p", { class: "status", "aria-live": "polite" });

  async function decide(action, body) {
    note.textContent = "";
    try {
      const result = await api.postJson(`api/admin/experiences/${encodeURIComponent(report.id)}/${action}`, body);
      const message = action === "approve"
        ? `«${report.filename}» er godkjent og lagt i korpuset som ${result.source}; den leses inn nå.`
        : `«${report.filename}» er avvist.`;
      await reload(message);
      if (action === "approve") onApproved();
    } catch (error) {
      if (error.status !== 401) note.textContent = describe(error);
    }
  }

  function reject() {
    if (!reason.value.trim()) {
      note.textContent = "Skriv en begrunnelse før du avviser rapporten.";
      reason.focus();
      return;
    }
    decide("reject", { reason: reason.value.trim() });
  }

  return h(
    "article",
    { class: "admin-card", "aria-labelledby": `rapport-${report.id}` },
    h("h3", { id: `rapport-${report.id}` }, report.topic || report.filename),
    h(
      "dl",
      { class: "admin-facts" },
      fact("Kommune", report.municipality),
      fact("Kontakt", report.contact),
      fact("Dato", report.date),
      fact("Fil", `${report.filename} (${formatBytes(report.size)})`),
      fact("Mottatt", formatTime(report.submitted_at)),
    ),
    h(
      "div",
      { class: "admin-decision" },
      h("button", { type: "button", class: "primary", onclick: () => decide("approve") }, "Godkjenn"),
      h("div", { class: "admin-reason" }, h("label", { for: reasonId }, "Begrunnelse for avvisning"), reason),
      h("button", { type: "button", class: "secondary", onclick: reject }, "Avvis"),
    ),
    note,
  );
}

// `onApproved` is called once an approved report's ingest has been asked for.
export async function showExperiences(api, onApproved, message = "") {
  const list = byId("erfaringer");
  const line = byId("erfaringer-status");
  line.textContent = message;
  let reports;
  try {
    reports = await api.getJson("api/admin/experiences");
  } catch (error) {
    if (error.status === 401) throw error;
    list.replaceChildren();
    line.textContent = error.status === 404
      ? "Mottak av erfaringsrapporter er ikke tatt i bruk på denne tjeneren ennå."
      : describe(error);
    return;
  }
  const pending = reports.filter((report) => report.status === "pending");
  const reload = (text) => showExperiences(api, onApproved, text);
  list.replaceChildren(
    pending.length
      ? h("div", { class: "admin-cards" },
        pending.map((report) => card(report, api, reload, onApproved)))
      : h("p", { class: "hint" }, "Ingen rapporter venter på vurdering."),
  );
}
