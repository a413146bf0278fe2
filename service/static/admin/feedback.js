// The votes on answers, newest first, and the 👎 ones downloaded as eval questions.

import { byId, h } from "../js/dom.js";
import { describe } from "./api.js";
import { formatTime } from "./format.js";

const VOTES = { up: "👍", down: "👎" };
const VOTE_NAMES = { up: "Nyttig", down: "Ikke nyttig" };
const CHANNELS = { web: "Nettsiden", slack: "Slack" };
const EXPORT_FILE = "refark-tilbakemeldinger.jsonl";

function feedbackTable(entries) {
  if (!entries.length) return h("p", { class: "hint" }, "Ingen tilbakemeldinger ennå.");
  return h(
    "table",
    { class: "admin-table", id: "tilbakemeldingstabell" },
    h("caption", { class: "visually-hidden" }, "Tilbakemeldinger, nyeste først"),
    h("thead", {}, h("tr", {}, ["Tidspunkt", "Stemme", "Spørsmål", "Kommentar", "Kanal"].map(
      (text) => h("th", { scope: "col" }, text)))),
    h(
      "tbody",
      {},
      entries.map((entry) =>
        h(
          "tr",
          {},
          h("td", {}, formatTime(entry.created_at)),
          h("td", {}, h("span", { role: "img", "aria-label": VOTE_NAMES[entry.vote] },
            VOTES[entry.vote])),
          h("td", {}, entry.question),
          h("td", {}, entry.comment || ""),
          h("td", {}, CHANNELS[entry.channel] || entry.channel),
        ),
      ),
    ),
  );
}

export async function showFeedback(api) {
  const entries = await api.getJson("api/admin/feedback?limit=200");
  byId("tilbakemeldinger").replaceChildren(feedbackTable(entries));
}

// The export needs the key, which a plain link cannot send: fetched, then saved from a blob.
export async function downloadExport(api) {
  const line = byId("tilbakemeldinger-status");
  line.textContent = "Henter evalueringsspørsmålene …";
  try {
    const url = URL.createObjectURL(await api.getBlob("api/admin/feedback/export"));
    const link = h("a", { href: url, download: EXPORT_FILE, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    line.textContent = `Lastet ned ${EXPORT_FILE}.`;
  } catch (error) {
    if (error.status !== 401) line.textContent = describe(error);
  }
}
