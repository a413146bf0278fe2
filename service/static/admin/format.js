// How the admin page words and formats what the API returns.

const timeFormat = new Intl.DateTimeFormat("nb-NO", { dateStyle: "short", timeStyle: "medium" });

export function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso || "" : timeFormat.format(date);
}

export function formatSeconds(seconds) {
  const value = Number(seconds) || 0;
  if (value < 60) return `${value.toLocaleString("nb-NO", { maximumFractionDigits: 1 })} s`;
  return `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
}

export function formatBytes(bytes) {
  const value = Number(bytes) || 0;
  if (value < 1024) return `${value} byte`;
  if (value < 1024 * 1024) return `${Math.round(value / 1024)} KB`;
  return `${(value / (1024 * 1024)).toLocaleString("nb-NO", { maximumFractionDigits: 1 })} MB`;
}

export const STAGES = {
  starter: "Starter",
  filer: "Leser filer",
  tekstbiter: "Lager innbygginger for tekstbiter",
  setninger: "Lager innbygginger for setninger",
};

export const OUTCOMES = {
  published: "Ny indeks tatt i bruk",
  unchanged: "Ingen endringer",
  failed: "Feilet",
};

// One sentence on how an ingest ended, for the line under the button.
export function describeOutcome(record) {
  if (record.outcome === "failed") return `Innlesingen feilet: ${record.error}`;
  const failed = Object.keys(record.failures || {}).length;
  const files = failed ? ` ${failed} fil${failed === 1 ? "" : "er"} kunne ikke leses.` : "";
  return (
    `Innlesingen er ferdig: ${OUTCOMES[record.outcome].toLowerCase()} ` +
    `(lagt til ${record.added}, endret ${record.changed}, uendret ${record.unchanged}, ` +
    `fjernet ${record.removed}).${files}`
  );
}
