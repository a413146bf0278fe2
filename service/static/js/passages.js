// How a passage from the documents is shown, in search results and as an answer's source:
// title link, type, section and page, the text with the query's words marked, and tables as
// tables.
import { typeLabel } from "./catalog.js";
import { formatDate, h } from "./dom.js";

function clamp([start, end], length) {
  return [Math.max(0, start | 0), Math.min(length, end | 0)];
}

// chars[from:to] with the parts that fall inside `spans` wrapped in <mark>.
function marked(chars, from, to, spans) {
  const ranges = (Array.isArray(spans) ? spans : [])
    .map((span) => clamp(span, chars.length))
    .map(([start, end]) => [Math.max(from, start), Math.min(to, end)])
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([...range]);
  }
  // Blank lines between list items and paragraphs become single line breaks (CSS pre-line).
  const piece = (start, end) => chars.slice(start, end).join("").replace(/\n\s*\n/g, "\n");
  const fragment = document.createDocumentFragment();
  let at = from;
  for (const [start, end] of merged) {
    if (start > at) fragment.append(piece(at, start));
    fragment.append(h("mark", {}, piece(start, end)));
    at = end;
  }
  if (at < to) fragment.append(piece(at, to));
  return fragment;
}

// chars[from:to] with the query's words in <mark>, and the sentence closest in meaning to the
// query (`best`, a [start, end] span) wrapped in <span class="best">. Python counts code
// points, JavaScript UTF-16 units, so the text is handled as an array of code points.
function highlighted(chars, from, to, spans, best) {
  const fragment = document.createDocumentFragment();
  const [bestFrom, bestTo] = Array.isArray(best) ? clamp(best, chars.length) : [0, 0];
  const start = Math.max(from, bestFrom);
  const end = Math.min(to, bestTo);
  if (end <= start) {
    fragment.append(marked(chars, from, to, spans));
    return fragment;
  }
  fragment.append(
    marked(chars, from, start, spans),
    h("span", { class: "best", title: "Setningen som ligner mest på spørsmålet" }, marked(chars, start, end, spans)),
    marked(chars, end, to, spans),
  );
  return fragment;
}

// A table from the documents ({header, rows}) as a real table with column headers.
export function tableView(table, caption = null) {
  const header = Array.isArray(table.header) ? table.header : [];
  const rows = Array.isArray(table.rows) ? table.rows : [];
  return tableElement(
    header,
    rows.map((cells) => ({ cells, best: false })),
    caption,
  );
}

function tableElement(header, rows, caption) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "doc-table" },
      caption ? h("caption", { class: "visually-hidden" }, caption) : null,
      header.length ? h("thead", {}, h("tr", {}, header.map((cell) => h("th", { scope: "col" }, cell)))) : null,
      h(
        "tbody",
        {},
        rows.map((row) =>
          h(
            "tr",
            row.best ? { class: "best", title: "Raden som ligner mest på spørsmålet" } : {},
            row.cells.map((cell) => h("td", {}, cell)),
          ),
        ),
      ),
    ),
  );
}

export function hasTable(result) {
  return Boolean(result.table && Array.isArray(result.table.rows) && result.table.rows.length);
}

const CELL_SEPARATOR = " | "; // how the extracted text joins a row's cells

// The passage's lines, each with its code-point span and whether it is a row of the table.
function tableLines(chars, table) {
  const rows = new Set([table.header, ...table.rows].map((cells) => cells.join(CELL_SEPARATOR)));
  const lines = [];
  let at = 0;
  for (const line of chars.join("").split("\n")) {
    const length = Array.from(line).length;
    lines.push({ start: at, end: at + length, text: line, isRow: rows.has(line.trim()) });
    at += length + 1;
  }
  return lines;
}

// One row line's cells, each with the query's words marked (spans are code points of the text).
function markedCells(chars, line, spans) {
  const cells = [];
  let at = line.start;
  for (const cell of line.text.split(CELL_SEPARATOR)) {
    const length = Array.from(cell).length;
    cells.push(marked(chars, at, at + length, spans));
    at += length + CELL_SEPARATOR.length;
  }
  return cells;
}

// A passage holding (part of) a table: its prose with marks as usual, and the table's lines as a
// table, the query's words marked in the cells and the row closest to the query shaded. The
// header comes from the structure when the passage starts inside a long table.
function passageWithTable(result, chars) {
  const table = result.table;
  const lines = tableLines(chars, table);
  const first = lines.findIndex((line) => line.isRow);
  if (first < 0) return [tableView(table, `Tabell fra ${result.title}`)];
  let last = first;
  while (last + 1 < lines.length && lines[last + 1].isRow) last += 1;
  const rowLines = lines.slice(first, last + 1);
  const headerText = table.header.join(CELL_SEPARATOR);
  const hasHeaderLine = rowLines[0].text.trim() === headerText;
  const [bestFrom, bestTo] = Array.isArray(result.best_sentence) ? clamp(result.best_sentence, chars.length) : [0, 0];
  const rows = (hasHeaderLine ? rowLines.slice(1) : rowLines).map((line) => ({
    cells: markedCells(chars, line, result.highlights),
    best: bestTo > bestFrom && bestFrom < line.end && bestTo > line.start,
  }));
  const header = hasHeaderLine ? markedCells(chars, rowLines[0], result.highlights) : table.header;
  const before = rowLines[0].start;
  const after = Math.min(chars.length, rowLines[rowLines.length - 1].end + 1);
  const prose = (from, to) =>
    chars.slice(from, to).join("").trim() ? h("p", {}, highlighted(chars, from, to, result.highlights, result.best_sentence)) : null;
  return [prose(0, before), tableElement(header, rows, `Tabell fra ${result.title}`), prose(after, chars.length)];
}

export function sectionPath(result) {
  let section = result.section || "";
  const prefix = `${result.title} › `;
  if (section === result.title) section = "";
  else if (section.startsWith(prefix)) section = section.slice(prefix.length);
  return section;
}

function passageView(result, passageId) {
  const chars = Array.from(result.text || "");
  if (hasTable(result)) {
    return h("div", { class: "passage with-table clamped", id: passageId }, passageWithTable(result, chars));
  }
  return h(
    "p",
    { class: "passage clamped", id: passageId },
    highlighted(chars, 0, chars.length, result.highlights, result.best_sentence),
  );
}

export function resultCard(result, { headingLevel = "h3", idPrefix }) {
  const page = result.page ? `s. ${result.page}` : null;
  const section = sectionPath(result);
  const passageId = `${idPrefix}-tekst`;
  const passage = passageView(result, passageId);
  const more = h(
    "button",
    { type: "button", class: "more", "aria-expanded": "false", "aria-controls": passageId, hidden: true },
    "Vis mer",
  );
  more.addEventListener("click", () => {
    const open = more.getAttribute("aria-expanded") !== "true";
    more.setAttribute("aria-expanded", String(open));
    more.textContent = open ? "Vis mindre" : "Vis mer";
    passage.classList.toggle("clamped", !open);
  });
  return h(
    "article",
    { class: "result", dataset: { docType: result.doc_type } },
    h(
      headingLevel,
      { class: "result-title" },
      h(
        "a",
        { href: result.url, target: "_blank", rel: "noopener" },
        result.title,
        h("span", { class: "visually-hidden" }, " (åpnes i ny fane)"),
        h("span", { class: "ext", "aria-hidden": "true" }, " ↗"),
      ),
    ),
    h(
      "p",
      { class: "meta" },
      h("span", { class: `badge badge-${result.doc_type}`, dataset: { type: result.doc_type } }, typeLabel(result.doc_type)),
      section || page
        ? h(
            "span",
            { class: "where" },
            section ? h("span", { class: "section" }, section) : null,
            section && page ? " · " : null,
            page ? h("span", { class: "page" }, page) : null,
          )
        : null,
    ),
    result.publisher || result.date
      ? h(
          "p",
          { class: "facts" },
          result.publisher || null,
          result.publisher && result.date ? " · " : null,
          result.date ? h("time", { datetime: result.date }, formatDate(result.date)) : null,
        )
      : null,
    passage,
    more,
  );
}

// Show "Vis mer" only where the clamp actually cuts text, and open a passage at once when the
// clamp would hide the sentence closest to the question.
export function measureClamps(root) {
  window.requestAnimationFrame(() => {
    for (const passage of root.querySelectorAll(".passage")) {
      const button = passage.parentElement.querySelector(".more");
      if (!button || button.getAttribute("aria-expanded") === "true") continue;
      button.hidden = passage.scrollHeight <= passage.clientHeight + 2;
      const best = passage.querySelector(".best");
      if (!button.hidden && best && best.getBoundingClientRect().bottom > passage.getBoundingClientRect().bottom + 1) {
        button.click();
      }
    }
  });
}

// Why the filters matched nothing, as the server explains it; null when it has nothing to say.
export function noticeLine(response) {
  const notices = Array.isArray(response.notices) ? response.notices.filter(Boolean) : [];
  if (!notices.length) return null;
  return h("p", { class: "filter-notice", role: "note" }, notices.join(" "));
}

// Type badges drawn before the facets came: their labels now.
export function relabelBadges() {
  for (const badge of document.querySelectorAll(".badge[data-type]")) {
    badge.textContent = typeLabel(badge.dataset.type);
  }
}
