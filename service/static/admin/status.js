// The index's status, the last ingests and "Les inn på nytt" with live progress.

import { byId, h } from "../js/dom.js";
import { describe } from "./api.js";
import { describeOutcome, formatSeconds, formatTime, OUTCOMES, STAGES } from "./format.js";

function facts(status) {
  const generation = status.generation;
  const rows = [
    ["Generasjon", generation ? `${generation.name} (nr. ${generation.number})` : "Ingen"],
    ["Bygget", generation ? formatTime(generation.created) : "–"],
    ["Modell", status.model],
    ["Dokumenter", String(status.documents)],
    ["Tekstbiter", String(status.chunks)],
  ];
  const list = rows.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]);
  if (status.unavailable) list.push(h("dt", {}, "Merk"), h("dd", {}, status.unavailable));
  return list;
}

function failureList(record) {
  if (record.outcome === "failed") return h("p", { class: "admin-failed" }, record.error);
  const failures = Object.entries(record.failures || {});
  if (!failures.length) return "Ingen";
  return h(
    "ul",
    { class: "admin-failures" },
    failures.map(([source, reason]) => h("li", {}, h("code", {}, source), `: ${reason}`)),
  );
}

function ingestTable(ingests) {
  if (!ingests.length) return h("p", { class: "hint" }, "Ingen innlesinger er registrert ennå.");
  const headings = ["Startet", "Varighet", "Utfall", "Lagt til", "Endret", "Uendret", "Fjernet",
    "Filer som feilet"];
  return h(
    "table",
    { class: "admin-table", id: "innlesingstabell" },
    h("caption", { class: "visually-hidden" }, "Siste innlesinger, nyeste først"),
    h("thead", {}, h("tr", {}, headings.map((text) => h("th", { scope: "col" }, text)))),
    h(
      "tbody",
      {},
      ingests.map((record) =>
        h(
          "tr",
          { class: `outcome-${record.outcome}` },
          h("td", {}, formatTime(record.started)),
          h("td", {}, formatSeconds(record.seconds)),
          h("td", {}, OUTCOMES[record.outcome] || record.outcome,
            record.generation ? h("span", { class: "hint admin-generation" }, record.generation) : null),
          [record.added, record.changed, record.unchanged, record.removed].map((n) =>
            h("td", { class: "admin-number" }, String(n))),
          h("td", {}, failureList(record)),
        ),
      ),
    ),
  );
}

export async function showStatus(api) {
  const status = await api.getJson("api/admin/status");
  byId("indeks-fakta").replaceChildren(...facts(status));
  byId("innlesinger").replaceChildren(ingestTable(status.ingests));
  return status;
}

function showProgress(state) {
  byId("fremdrift").hidden = false;
  byId("fremdrift-linje").value = state.percent;
  const stage = STAGES[state.stage] || state.stage;
  const count = state.total ? `: ${state.done} av ${state.total}` : "";
  byId("fremdrift-tekst").textContent = `${stage}${count} (${state.percent} %)`;
}

// Follows the running ingest. When none runs, the last one is reported if it is ours
// (`started`: it may have ended before the stream was opened), else nothing is.
async function follow(api, started) {
  const line = byId("innlesing-status");
  for await (const event of api.events("api/admin/reingest/events")) {
    if (event.name === "progress") showProgress(event.data);
    else if (event.name === "done") {
      const failed = event.data.outcome === "failed";
      if (!failed) byId("fremdrift-linje").value = 100;
      byId("fremdrift-tekst").textContent = failed ? "Feilet" : "Ferdig (100 %)";
      line.textContent = describeOutcome(event.data);
    } else if (event.name === "idle" && started && event.data.last) {
      line.textContent = describeOutcome(event.data.last);
    }
  }
}

// Starts a re-ingest (or, with `start` false, joins the one running), shows its progress, then
// the new status.
export async function reingest(api, start) {
  const button = byId("les-inn");
  const line = byId("innlesing-status");
  button.disabled = true;
  line.textContent = "";
  try {
    if (start) {
      try {
        await api.postJson("api/admin/reingest?wait=false");
      } catch (error) {
        if (error.status !== 409) throw error;
        line.textContent = "En innlesing pågår allerede; viser fremdriften.";
      }
    }
    await follow(api, start);
    await showStatus(api);
  } catch (error) {
    if (error.status !== 401) line.textContent = describe(error);
  } finally {
    button.disabled = false;
  }
}
