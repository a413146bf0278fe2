// Refark web page: search ("Søk") and questions ("Spør") over the document index.
// Plain DOM, no frameworks. All text from the server is inserted with textContent, never as HTML.

const SEARCH_MODES = ["hybrid", "dense", "lexical"];
const PAGE_SIZE = 10;
const MAX_RESULTS = 100;
const MAX_HISTORY_TURNS = 6; // question/answer pairs sent as context for a follow-up
const YEAR_MIN = 1900;
const YEAR_MAX = 2100;
const FACETS_RETRY_MS = [2000, 4000, 8000, 15000]; // then every 15 s until the facets come
const STORAGE_KEY = "refark.samtale.v1";

const TEXT = {
  sok: {
    label: "Søk i dokumentene",
    placeholder: "For eksempel: applikasjonskvittering",
    button: "Søk",
    hint: "Trykk Enter for å søke. Treffene er avsnitt fra dokumentene.",
    enterkey: "search",
  },
  spor: {
    label: "Still et spørsmål",
    placeholder: "For eksempel: Hva er en transportkvittering?",
    button: "Spør",
    hint: "Trykk Enter for å sende. Svaret settes sammen av utdrag fra dokumentene, med kilder.",
    enterkey: "send",
  },
};

const $ = (id) => document.getElementById(id);
const ui = {
  form: $("sokeskjema"),
  input: $("q"),
  label: $("q-label"),
  hint: $("q-hint"),
  send: $("send"),
  tabs: Array.from(document.querySelectorAll('[role="tab"]')),
  filters: $("filtre"),
  filterCount: $("filter-antall"),
  types: $("typer"),
  publishers: $("utgivere"),
  yearFrom: $("fra"),
  yearTo: $("til"),
  yearRange: $("aar-hint"),
  method: $("metode"),
  methodGroup: $("metode-gruppe"),
  reset: $("nullstill"),
  alert: $("varsel"),
  panels: { sok: $("panel-sok"), spor: $("panel-spor") },
  status: { sok: $("sok-status"), spor: $("spor-status") },
  content: { sok: $("sok-innhold"), spor: $("spor-innhold") },
  conversationBar: $("samtale-linje"),
  conversationInfo: $("samtale-info"),
  newConversation: $("ny-samtale"),
};

const state = {
  modus: "sok",
  documents: [],
  facets: null, // GET api/facets: the filter values with their labels and counts
  search: { q: "", filters: null, k: PAGE_SIZE, response: null },
  conversation: [], // [{question, filters, response, vote?}], vote once the user has voted
  shown: 0, // how many turns of `conversation` are on screen (browser history can go back)
  dirty: false, // the user has typed since the last run
};
const searchCache = new Map();
let searchController = null;
let askController = null;

// ---------------------------------------------------------------------------------------------
// Small DOM helpers

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function typeLabel(type) {
  const facet = state.facets && state.facets.types.find((t) => t.value === type);
  if (facet) return facet.label;
  return type || "Ukjent type";
}

const dateFormat = new Intl.DateTimeFormat("nb-NO", {
  day: "numeric",
  month: "long",
  year: "numeric",
  timeZone: "UTC",
});

function formatDate(value) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || "");
  if (!match) return value || "";
  const date = new Date(Date.UTC(+match[1], +match[2] - 1, +match[3]));
  return Number.isNaN(date.getTime()) ? value : dateFormat.format(date);
}

function formatMs(ms) {
  return `${Math.max(1, Math.round(Number(ms) || 0))} ms`;
}

function prefersReducedMotion() {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

// Text with <mark> around the character spans the server marked. Python counts code points,
// JavaScript counts UTF-16 units, so slice by code points.
// The passage text with the query's words in <mark>, and the sentence closest in meaning to
// the query (`best`, a [start, end] span) wrapped in <span class="best">.
function highlighted(text, spans, best) {
  const chars = Array.from(text || "");
  const fragment = document.createDocumentFragment();
  const [from, to] = Array.isArray(best) ? clamp(best, chars.length) : [0, 0];
  if (to <= from) {
    fragment.append(marked(chars, 0, chars.length, spans));
    return fragment;
  }
  fragment.append(
    marked(chars, 0, from, spans),
    h("span", { class: "best", title: "Setningen som ligner mest på spørsmålet" }, marked(chars, from, to, spans)),
    marked(chars, to, chars.length, spans),
  );
  return fragment;
}

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

function sectionPath(result) {
  let section = result.section || "";
  const prefix = `${result.title} › `;
  if (section === result.title) section = "";
  else if (section.startsWith(prefix)) section = section.slice(prefix.length);
  return section;
}

// ---------------------------------------------------------------------------------------------
// Alerts and errors

class ApiError extends Error {}

async function errorFrom(response) {
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
  return new ApiError(detail);
}

function describeError(error) {
  if (error instanceof ApiError) return error.message;
  return "Fikk ikke kontakt med tjenesten. Sjekk nettverket og prøv igjen.";
}

function showAlert(message, title = "Noe gikk galt", inProgress = false) {
  ui.alert.classList.toggle("in-progress", inProgress);
  ui.alert.replaceChildren(
    h("p", { class: "alert-title" }, title),
    h("p", { class: "alert-detail" }, message),
  );
  ui.alert.hidden = false;
}

function clearAlert() {
  ui.alert.hidden = true;
  ui.alert.replaceChildren();
}

async function getJson(url, options = {}) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, ...options });
  if (!response.ok) throw await errorFrom(response);
  return response.json();
}

// ---------------------------------------------------------------------------------------------
// Filters

function checkedValues(list) {
  return Array.from(list.querySelectorAll('input[type="checkbox"]:checked')).map((c) => c.value);
}

function yearValue(input) {
  const raw = input.value.trim();
  if (!raw) return null;
  const year = Number(raw);
  return Number.isInteger(year) ? year : NaN;
}

function currentFilters() {
  return {
    types: checkedValues(ui.types),
    publishers: checkedValues(ui.publishers),
    yearFrom: yearValue(ui.yearFrom),
    yearTo: yearValue(ui.yearTo),
    method: SEARCH_MODES.includes(ui.method.value) ? ui.method.value : "hybrid",
  };
}

// A message when the year fields cannot be sent, else null.
function filterProblem(filters) {
  for (const [year, name] of [[filters.yearFrom, "Fra år"], [filters.yearTo, "Til år"]]) {
    if (year === null) continue;
    if (Number.isNaN(year) || year < YEAR_MIN || year > YEAR_MAX) {
      return `${name} må være et årstall mellom ${YEAR_MIN} og ${YEAR_MAX}.`;
    }
  }
  if (filters.yearFrom !== null && filters.yearTo !== null && filters.yearFrom > filters.yearTo) {
    return "«Fra år» kan ikke være senere enn «Til år».";
  }
  return null;
}

function activeFilterCount(filters) {
  return (
    (filters.types.length ? 1 : 0) +
    (filters.publishers.length ? 1 : 0) +
    (filters.yearFrom !== null ? 1 : 0) +
    (filters.yearTo !== null ? 1 : 0) +
    (state.modus === "sok" && filters.method !== "hybrid" ? 1 : 0)
  );
}

function updateFilterCount() {
  const count = activeFilterCount(currentFilters());
  ui.filterCount.textContent = count ? `(${count} ${count === 1 ? "aktivt" : "aktive"})` : "";
}

function describeFilters(filters) {
  const parts = [];
  if (filters.types.length) parts.push(filters.types.map(typeLabel).join(", "));
  if (filters.publishers && filters.publishers.length) parts.push(filters.publishers.join(", "));
  if (filters.yearFrom !== null || filters.yearTo !== null) {
    parts.push(`${filters.yearFrom ?? "…"}–${filters.yearTo ?? "…"}`);
  }
  return parts.join(" · ");
}

// An id for a filter value: other characters than a-z, 0-9 become their code point, so two
// values never share one.
function checkboxId(prefix, value) {
  const safe = Array.from(value, (c) => (/[a-z0-9]/i.test(c) ? c : `_${c.codePointAt(0).toString(16)}`));
  return `${prefix}-${safe.join("")}`;
}

function addCheckbox(list, name, value, label, count) {
  const boxes = Array.from(list.querySelectorAll('input[type="checkbox"]'));
  if (boxes.some((box) => box.value === value)) return;
  const id = checkboxId(name, value);
  const box = h("input", { type: "checkbox", id, name, value });
  const text = h(
    "label",
    { for: id },
    label,
    count === null ? null : h("span", { class: "count" }, ` (${count})`),
  );
  list.append(h("div", { class: "check" }, box, text));
}

function addTypeCheckbox(type, count) {
  addCheckbox(ui.types, "type", type, typeLabel(type), count);
}

function addPublisherCheckbox(publisher, count) {
  addCheckbox(ui.publishers, "utgiver", publisher, publisher, count);
}

// The checkboxes of `list` from the facet values, keeping what is checked (also values the
// facets do not have, e.g. from a shared link).
function fillChecklist(list, values, add, empty) {
  const checked = checkedValues(list);
  list.replaceChildren();
  for (const facet of values) add(facet.value, facet.count);
  for (const value of checked) add(value, null);
  for (const box of list.querySelectorAll('input[type="checkbox"]')) box.checked = checked.includes(box.value);
  if (!values.length) list.append(h("p", { class: "hint" }, empty));
}

function buildFilterOptions(facets) {
  fillChecklist(ui.types, facets.types, addTypeCheckbox, "Ingen dokumenter i indeksen ennå.");
  fillChecklist(ui.publishers, facets.publishers, addPublisherCheckbox, "Ingen utgivere i indeksen ennå.");
  const { year_min: minYear, year_max: maxYear } = facets;
  ui.yearRange.textContent = minYear === null || maxYear === null
    ? ""
    : minYear === maxYear
      ? `Dokumentene er fra ${minYear}.`
      : `Dokumentene er fra ${minYear}–${maxYear}.`;
}

function showFacetsPending() {
  for (const list of [ui.types, ui.publishers]) {
    for (const hint of list.querySelectorAll("p.hint")) hint.remove();
    list.append(h("p", { class: "hint" }, "Filtervalgene hentes når indeksen er klar …"));
  }
}

function applyFiltersToControls(view) {
  // keep shared links faithful
  for (const type of view.types) addTypeCheckbox(type, null);
  for (const publisher of view.publishers) addPublisherCheckbox(publisher, null);
  for (const box of ui.types.querySelectorAll('input[type="checkbox"]')) {
    box.checked = view.types.includes(box.value);
  }
  for (const box of ui.publishers.querySelectorAll('input[type="checkbox"]')) {
    box.checked = view.publishers.includes(box.value);
  }
  ui.yearFrom.value = view.yearFrom ?? "";
  ui.yearTo.value = view.yearTo ?? "";
  ui.method.value = view.method;
  updateFilterCount();
}

// ---------------------------------------------------------------------------------------------
// URL <-> state. ?q=...&modus=sok|spor&type=...&utgiver=...&fra=...&til=...&metode=dense|lexical

function readUrl() {
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

function buildQuery(modus, q, filters) {
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

function setUrl(modus, q, filters, { replace = false, data = {} } = {}) {
  const query = buildQuery(modus, q, filters);
  const entry = { modus, ...data };
  if (replace || query === window.location.search) {
    window.history.replaceState(entry, "", query);
  } else {
    window.history.pushState(entry, "", query);
  }
  updateTitle(q);
}

function updateTitle(q) {
  document.title = q ? `${q} – Refark` : "Refark – søk og spørsmål om kommunal e-helsearkitektur";
}

// ---------------------------------------------------------------------------------------------
// Mode (tabs)

function setModus(modus) {
  state.modus = modus;
  const text = TEXT[modus];
  for (const tab of ui.tabs) {
    const selected = tab.dataset.modus === modus;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
  }
  ui.panels.sok.hidden = modus !== "sok";
  ui.panels.spor.hidden = modus !== "spor";
  ui.label.textContent = text.label;
  ui.input.placeholder = state.shown && modus === "spor"
    ? "Still et oppfølgingsspørsmål …"
    : text.placeholder;
  ui.input.setAttribute("enterkeyhint", text.enterkey);
  ui.send.textContent = text.button;
  ui.hint.textContent = text.hint;
  ui.methodGroup.hidden = modus !== "sok";
  updateFilterCount();
}

// Choosing a tab shows that mode's current view. Text the user typed but has not sent yet is
// run in the chosen mode, so "type, then pick Spør" asks the typed question.
function onTabActivated(modus) {
  const text = ui.input.value.trim();
  const typed = state.dirty && text !== "";
  setModus(modus);
  clearAlert();
  const filters = currentFilters();
  if (modus === "sok") {
    const shown = state.search.q;
    if (typed) {
      runSearch(text);
    } else if (shown) {
      ui.input.value = shown;
      state.dirty = false;
      if (searchKey(shown, filters, state.search.k) !== searchKey(shown, state.search.filters, state.search.k)) {
        runSearch(shown);
      } else {
        setUrl("sok", shown, filters);
      }
    } else {
      renderSearchIntro();
      setUrl("sok", "", filters);
    }
  } else {
    const last = state.conversation[state.shown - 1];
    if (typed && (!last || text !== last.question)) {
      runAsk(text);
    } else {
      if (last) {
        ui.input.value = ""; // the box is for the next question
        state.dirty = false;
      }
      renderConversation();
      setUrl("spor", last ? last.question : "", filters, { data: { turns: state.shown } });
    }
  }
}

function onTabKeydown(event) {
  const index = ui.tabs.indexOf(event.currentTarget);
  let next = null;
  if (event.key === "ArrowRight" || event.key === "ArrowDown") next = (index + 1) % ui.tabs.length;
  else if (event.key === "ArrowLeft" || event.key === "ArrowUp") next = (index - 1 + ui.tabs.length) % ui.tabs.length;
  else if (event.key === "Home") next = 0;
  else if (event.key === "End") next = ui.tabs.length - 1;
  if (next === null) return;
  event.preventDefault();
  ui.tabs[next].focus();
}

// ---------------------------------------------------------------------------------------------
// Loading state

function setBusy(modus, busy, message = "") {
  const panel = ui.panels[modus];
  panel.setAttribute("aria-busy", String(busy));
  panel.classList.toggle("loading", busy);
  if (busy) {
    ui.status[modus].replaceChildren(h("span", { class: "spinner", "aria-hidden": "true" }), message);
  }
}

// ---------------------------------------------------------------------------------------------
// Search

function searchKey(q, filters, k) {
  if (!filters) return "";
  const publishers = [...(filters.publishers || [])].sort();
  return JSON.stringify([q, [...filters.types].sort(), publishers, filters.yearFrom, filters.yearTo, filters.method, k]);
}

function searchUrl(q, filters, k) {
  const params = new URLSearchParams({ q, k: String(k), mode: filters.method });
  for (const type of filters.types) params.append("type", type);
  for (const publisher of filters.publishers) params.append("publisher", publisher);
  if (filters.yearFrom !== null) params.set("year_from", String(filters.yearFrom));
  if (filters.yearTo !== null) params.set("year_to", String(filters.yearTo));
  return `api/search?${params.toString()}`;
}

// The current filters, or null after showing why they cannot be used.
function checkedFilters() {
  const filters = currentFilters();
  const problem = filterProblem(filters);
  state.dirty = false;
  if (problem) {
    showAlert(problem);
    return null;
  }
  clearAlert();
  return filters;
}

async function runSearch(q, { push = true, k = PAGE_SIZE, focusFrom = null } = {}) {
  const filters = checkedFilters();
  if (!filters) return;
  if (push) setUrl("sok", q, filters);
  else updateTitle(q);
  const key = searchKey(q, filters, k);
  if (searchController) searchController.abort();
  let response = searchCache.get(key);
  if (!response) {
    const controller = new AbortController();
    searchController = controller;
    setBusy("sok", true, "Søker …");
    try {
      response = await getJson(searchUrl(q, filters, k), { signal: controller.signal });
    } catch (error) {
      if (controller.signal.aborted) return;
      setBusy("sok", false);
      state.search = { q, filters, k, response: null };
      ui.status.sok.textContent = "Søket kunne ikke gjennomføres.";
      ui.content.sok.replaceChildren();
      showAlert(describeError(error));
      return;
    } finally {
      if (searchController === controller) searchController = null;
    }
    searchCache.set(key, response);
    if (searchCache.size > 40) searchCache.delete(searchCache.keys().next().value);
  }
  setBusy("sok", false);
  state.search = { q, filters, k, response };
  renderSearch(focusFrom);
}

function resultCard(result, { headingLevel = "h3", idPrefix }) {
  const page = result.page ? `s. ${result.page}` : null;
  const section = sectionPath(result);
  const passageId = `${idPrefix}-tekst`;
  const passage = h("p", { class: "passage clamped", id: passageId }, highlighted(result.text, result.highlights, result.best_sentence));
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
  const facts = [result.publisher, formatDate(result.date)].filter(Boolean);
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
    facts.length
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
function measureClamps(root) {
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

function exampleLinks(modus, examples) {
  return h(
    "ul",
    { class: "examples" },
    examples.map((example) =>
      h(
        "li",
        {},
        h(
          "a",
          {
            href: buildQuery(modus, example, currentFilters()),
            onclick: (event) => {
              event.preventDefault();
              ui.input.value = example;
              if (modus === "sok") runSearch(example);
              else runAsk(example);
            },
          },
          example,
        ),
      ),
    ),
  );
}

// Why the filters matched nothing, as the server explains it; null when it has nothing to say.
function noticeLine(response) {
  const notices = Array.isArray(response.notices) ? response.notices.filter(Boolean) : [];
  if (!notices.length) return null;
  return h("p", { class: "filter-notice", role: "note" }, notices.join(" "));
}

function corpusLine() {
  const count = state.documents.length;
  if (!count) return null;
  return h("p", { class: "hint" }, `Indeksen har ${count} ${count === 1 ? "dokument" : "dokumenter"}.`);
}

function renderSearchIntro() {
  state.search = { q: "", filters: null, k: PAGE_SIZE, response: null };
  setBusy("sok", false);
  ui.status.sok.textContent = "";
  ui.content.sok.replaceChildren(
    h(
      "div",
      { class: "intro" },
      h("p", {}, "Skriv ett eller flere ord for å finne avsnitt i referansearkitekturer, standarder, veiledere og erfaringsrapporter."),
      h("p", { class: "examples-label" }, "Eksempler:"),
      exampleLinks("sok", ["applikasjonskvittering", "PLO-meldinger", "dokumentdeling"]),
      corpusLine(),
    ),
  );
}

function renderSearch(focusFrom = null) {
  const { q, filters, k, response } = state.search;
  const results = response.results || [];
  const container = ui.content.sok;
  const filterText = describeFilters(filters);
  ui.status.sok.replaceChildren(
    h("strong", {}, `${results.length} treff`),
    ` (${formatMs(response.took_ms)})`,
    filterText ? ` · filtrert på ${filterText}` : "",
    response.corrected_query ? ` · søkte etter «${response.corrected_query}»` : "",
  );
  const notice = noticeLine(response);
  if (!results.length) {
    const active =
      filters.types.length || filters.publishers.length || filters.yearFrom !== null || filters.yearTo !== null;
    container.replaceChildren(
      ...(notice ? [notice] : []),
      h(
        "div",
        { class: "empty" },
        h("p", { class: "empty-title" }, "Ingen treff"),
        h(
          "p",
          {},
          `Fant ingen avsnitt for «${q}». Prøv andre eller færre ord, eller velg søkemetoden «Semantisk», som også finner avsnitt med samme mening.`,
        ),
        active
          ? h(
              "p",
              {},
              "Filtrene kan også utelukke treff. ",
              h("button", { type: "button", class: "linklike", onclick: () => resetFilters() }, "Nullstill filtrene"),
            )
          : null,
      ),
    );
    return;
  }
  const list = h(
    "ol",
    { class: "results", "aria-label": `Treff for ${q}` },
    results.map((result, i) =>
      h("li", { id: `treff-${i + 1}` }, resultCard(result, { idPrefix: `treff-${i + 1}` })),
    ),
  );
  const nodes = notice ? [notice, list] : [list];
  if (results.length >= k && k < MAX_RESULTS) {
    nodes.push(
      h(
        "button",
        {
          type: "button",
          class: "secondary load-more",
          onclick: () => runSearch(q, { push: false, k: Math.min(MAX_RESULTS, k + PAGE_SIZE), focusFrom: results.length }),
        },
        "Vis flere treff",
      ),
    );
  }
  container.replaceChildren(...nodes);
  measureClamps(container);
  if (focusFrom !== null) {
    const link = container.querySelector(`#treff-${focusFrom + 1} .result-title a`);
    if (link) link.focus();
  }
}

// ---------------------------------------------------------------------------------------------
// Ask

function saveConversation() {
  try {
    window.sessionStorage.setItem(
      STORAGE_KEY,
      JSON.stringify({ conversation: state.conversation, shown: state.shown }),
    );
  } catch {
    // storage full or disabled: the conversation just won't survive a reload
  }
}

function loadConversation() {
  try {
    const saved = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || "null");
    if (saved && Array.isArray(saved.conversation)) {
      state.conversation = saved.conversation.filter((t) => t && t.question && t.response);
      state.shown = Math.min(Number(saved.shown) || 0, state.conversation.length);
    }
  } catch {
    state.conversation = [];
    state.shown = 0;
  }
}

function historyFor(turns) {
  return turns.slice(-MAX_HISTORY_TURNS).flatMap((turn) => [
    { role: "user", content: turn.question },
    { role: "assistant", content: turn.response.answer },
  ]);
}

async function runAsk(question, { push = true, fresh = false } = {}) {
  const filters = checkedFilters();
  if (!filters) return;
  if (fresh) {
    state.conversation = [];
    state.shown = 0;
  }
  const previous = state.conversation.slice(0, state.shown);
  if (askController) askController.abort();
  const controller = new AbortController();
  askController = controller;
  setBusy("spor", true, "Leter etter svar i dokumentene …");
  let response;
  try {
    response = await getJson("api/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({
        question,
        history: historyFor(previous),
        filters: {
          type: filters.types,
          publisher: filters.publishers,
          year_from: filters.yearFrom,
          year_to: filters.yearTo,
        },
      }),
      signal: controller.signal,
    });
  } catch (error) {
    if (controller.signal.aborted) return;
    setBusy("spor", false);
    ui.status.spor.textContent = "Spørsmålet kunne ikke besvares.";
    if (state.modus === "spor") showAlert(describeError(error));
    ui.input.value = question; // let the user correct and resend
    return;
  } finally {
    if (askController === controller) askController = null;
  }
  setBusy("spor", false);
  state.conversation = [...previous, { question, filters, response }];
  state.shown = state.conversation.length;
  saveConversation();
  if (state.modus === "spor") {
    setUrl("spor", question, filters, { replace: !push, data: { turns: state.shown } });
    if (ui.input.value.trim() === question) ui.input.value = "";
    setModus("spor"); // placeholder for follow-ups
  }
  renderConversation();
  const count = response.citations.length;
  ui.status.spor.textContent = response.found
    ? `Svar med ${count} ${count === 1 ? "kilde" : "kilder"} (${formatMs(response.took_ms)}).`
    : `Fant ikke noe sikkert svar. Viser ${count} nærmeste avsnitt.`;
}

function gotoCitation(turnIndex, n) {
  const target = $(`sitat-${turnIndex}-${n}`);
  if (!target) return;
  const details = target.closest("details");
  if (details) details.open = true;
  target.scrollIntoView({ behavior: prefersReducedMotion() ? "auto" : "smooth", block: "center" });
  target.focus({ preventScroll: true });
  target.classList.remove("flash");
  void target.offsetWidth; // restart the animation
  target.classList.add("flash");
  window.setTimeout(() => target.classList.remove("flash"), 2200);
}

// The answer text with each "[n]" that names a citation turned into a link to it.
function answerWithMarkers(answer, citations, turnIndex) {
  const known = new Map(citations.map((c) => [c.n, c]));
  const fragment = document.createDocumentFragment();
  const pattern = /\[(\d+)\]/g;
  let at = 0;
  let match;
  while ((match = pattern.exec(answer)) !== null) {
    const n = Number(match[1]);
    const citation = known.get(n);
    if (!citation) continue;
    if (match.index > at) fragment.append(answer.slice(at, match.index));
    fragment.append(
      h(
        "a",
        {
          href: `#sitat-${turnIndex}-${n}`,
          class: "ref",
          title: `Kilde ${n}: ${citation.title}`,
          dataset: { n: String(n) },
          onclick: (event) => {
            event.preventDefault();
            gotoCitation(turnIndex, n);
          },
        },
        `[${n}]`,
      ),
    );
    at = match.index + match[0].length;
  }
  if (at < answer.length) fragment.append(answer.slice(at));
  return fragment;
}

function citationList(turn, turnIndex) {
  return h(
    "ol",
    { class: "citations" },
    turn.response.citations.map((citation) =>
      h(
        "li",
        { id: `sitat-${turnIndex}-${citation.n}`, class: "citation", tabindex: "-1", dataset: { n: String(citation.n) } },
        h("span", { class: "cite-n", "aria-hidden": "true" }, `[${citation.n}]`),
        h("span", { class: "visually-hidden" }, `Kilde ${citation.n}: `),
        resultCard(citation, { headingLevel: "h4", idPrefix: `sitat-${turnIndex}-${citation.n}` }),
      ),
    ),
  );
}

function turnView(turn, turnIndex, latest) {
  const { response } = turn;
  const filterText = describeFilters(turn.filters || { types: [], yearFrom: null, yearTo: null });
  const parts = [
    h(
      "h3",
      { class: "turn-question", id: `samtale-${turnIndex}` },
      h("span", { class: "visually-hidden" }, "Spørsmål: "),
      turn.question,
    ),
  ];
  if (filterText) parts.push(h("p", { class: "facts" }, `Filtrert på ${filterText}`));
  const notice = noticeLine(response);
  if (notice) parts.push(notice);
  if (response.corrected_query) {
    parts.push(h("p", { class: "facts searched-as" }, `Søkte etter «${response.corrected_query}»`));
  }
  if (response.found) {
    parts.push(
      h(
        "div",
        { class: "answer" },
        h("p", { class: "answer-label" }, "Svar"),
        h("p", { class: "answer-text" }, answerWithMarkers(response.answer, response.citations, turnIndex)),
        h(
          "p",
          { class: "hint" },
          response.mode === "llm"
            ? "Svaret er skrevet av en språkmodell ut fra kildene nedenfor. Kontroller mot kildene."
            : "Svaret er sitert direkte fra kildene nedenfor. Tallene i hakeparentes viser til kildene.",
        ),
      ),
    );
  } else {
    parts.push(
      h(
        "div",
        { class: "notice", role: "note" },
        h("p", { class: "notice-title" }, "Fant ikke noe sikkert svar i dokumentene"),
        h("p", {}, response.answer),
      ),
    );
  }
  parts.push(feedbackControls(turn));
  const count = response.citations.length;
  if (count) {
    const heading = response.found ? "Kilder" : "Nærmeste avsnitt";
    const list = citationList(turn, turnIndex);
    if (latest) {
      parts.push(h("h4", { class: "list-heading" }, heading), list);
    } else {
      parts.push(h("details", { class: "earlier-sources" }, h("summary", {}, `${heading} (${count})`), list));
    }
  }
  return h("article", { class: latest ? "turn latest" : "turn", "aria-labelledby": `samtale-${turnIndex}` }, parts);
}

function renderAskIntro() {
  ui.content.spor.replaceChildren(
    h(
      "div",
      { class: "intro" },
      h(
        "p",
        {},
        "Still et spørsmål med vanlige ord. Svaret settes sammen av utdrag fra dokumentene, og hvert utdrag har en kilde du kan åpne. Du kan stille oppfølgingsspørsmål.",
      ),
      h("p", { class: "examples-label" }, "Eksempler:"),
      exampleLinks("spor", ["Hva er en transportkvittering?", "Hva skjer hvis en melding ikke blir kvittert?"]),
      corpusLine(),
    ),
  );
}

function renderConversation() {
  const turns = state.conversation.slice(0, state.shown);
  ui.conversationBar.hidden = turns.length === 0;
  ui.conversationInfo.textContent = turns.length
    ? `Samtale med ${turns.length} spørsmål. Nye spørsmål tolkes som oppfølging av samtalen.`
    : "";
  if (!turns.length) {
    ui.status.spor.textContent = "";
    renderAskIntro();
    sendDownVotesOfRemovedTurns();
    return;
  }
  const latestIndex = turns.length - 1;
  const nodes = [turnView(turns[latestIndex], latestIndex, true)];
  if (turns.length > 1) {
    nodes.push(
      h(
        "section",
        { class: "earlier", "aria-labelledby": "tidligere" },
        h("h3", { id: "tidligere", class: "earlier-heading" }, "Tidligere i samtalen"),
        turns
          .slice(0, latestIndex)
          .map((turn, i) => turnView(turn, i, false))
          .reverse(),
      ),
    );
  }
  ui.content.spor.replaceChildren(...nodes);
  measureClamps(ui.content.spor);
  sendDownVotesOfRemovedTurns();
}

function newConversation() {
  if (askController) askController.abort();
  setBusy("spor", false);
  state.shown = 0;
  saveConversation();
  clearAlert();
  ui.input.value = "";
  state.dirty = false;
  setModus("spor");
  renderConversation();
  ui.status.spor.textContent = "Ny samtale startet.";
  setUrl("spor", "", currentFilters(), { data: { turns: 0 } });
  ui.input.focus();
}

// ---------------------------------------------------------------------------------------------
// Feedback: 👍/👎 on an answer, into the store the Slack app also writes to (POST api/feedback)
//
// The API stores a vote in one request and cannot add a comment to it later, so a 👎 waits for
// its comment: 👎 opens the comment form, and "Send" posts the vote with the comment, "Send uten
// kommentar" without. Leaving the form any other way also posts the 👎 without a comment, so the
// vote is never lost: Escape, 👎 again, the answer leaving the screen (new conversation, browser
// back) or the page closing. 👍 while the form is open changes the vote to 👍 instead.

const MAX_FEEDBACK_COMMENT = 2000; // the API's limit
const FEEDBACK_FAILED = "Kunne ikke sende tilbakemeldingen.";
const feedbackViews = new WeakMap(); // turn -> its controls; a re-render keeps a half-written comment
const unsentDownVotes = new Set(); // controls whose comment form is open
let feedbackCount = 0; // for unique ids

function feedbackBody(turn, vote, comment) {
  const text = comment.trim();
  return {
    question: turn.question,
    answer: turn.response.answer,
    chunk_ids: turn.response.citations.map((citation) => citation.chunk_id),
    vote,
    ...(text ? { comment: text } : {}),
    channel: "web",
  };
}

function voteButton(emoji, label) {
  return h("button", { type: "button", class: "vote" }, h("span", { "aria-hidden": "true" }, emoji), label);
}

function feedbackControls(turn) {
  if (!feedbackViews.has(turn)) feedbackViews.set(turn, feedbackView(turn));
  return feedbackViews.get(turn).root;
}

function feedbackView(turn) {
  feedbackCount += 1;
  const id = `tilbakemelding-${feedbackCount}`;
  const up = voteButton("👍", "Nyttig");
  const down = voteButton("👎", "Ikke nyttig");
  const comment = h("textarea", {
    id: `${id}-kommentar`,
    name: "kommentar",
    rows: 3,
    maxlength: MAX_FEEDBACK_COMMENT,
    "aria-describedby": `${id}-hint`,
  });
  const send = h("button", { type: "submit", class: "primary" }, "Send");
  const sendBare = h("button", { type: "button", class: "secondary" }, "Send uten kommentar");
  const form = h(
    "form",
    { class: "feedback-form", id: `${id}-skjema`, hidden: true },
    h("label", { for: comment.id }, "Hva var galt med svaret? (valgfritt)"),
    comment,
    h(
      "p",
      { class: "hint", id: `${id}-hint` },
      "Ikke skriv personopplysninger.",
      h("span", { class: "keyboard-hint" }, " Esc sender uten kommentar."),
    ),
    h("div", { class: "feedback-actions" }, send, sendBare),
  );
  const status = h("p", { class: "feedback-status", role: "status", tabindex: "-1" });
  const root = h(
    "div",
    { class: "feedback", role: "group", "aria-labelledby": `${id}-tittel` },
    h("span", { class: "feedback-prompt", id: `${id}-tittel` }, "Var svaret nyttig?"),
    up,
    down,
    form,
    status,
  );
  down.setAttribute("aria-expanded", "false");
  down.setAttribute("aria-controls", form.id);
  let posting = false;

  function enable(enabled) {
    for (const button of [up, down, send, sendBare]) button.disabled = !enabled;
    comment.readOnly = !enabled;
  }

  function closeForm() {
    form.hidden = true;
    down.setAttribute("aria-expanded", "false");
    unsentDownVotes.delete(view);
  }

  function showVoted(vote) {
    closeForm();
    enable(false);
    down.removeAttribute("aria-expanded");
    down.removeAttribute("aria-controls");
    up.setAttribute("aria-pressed", String(vote === "up"));
    down.setAttribute("aria-pressed", String(vote === "down"));
    status.classList.remove("error");
    status.textContent = "Takk for tilbakemeldingen!";
  }

  function voted(vote) {
    posting = false;
    turn.vote = vote;
    saveConversation();
    showVoted(vote);
  }

  // `leaving`: the page is going away, so the request must outlive it and no reply will be seen.
  async function post(vote, text, { leaving = false } = {}) {
    if (posting || turn.vote) return;
    posting = true;
    const trigger = document.activeElement;
    enable(false);
    status.classList.remove("error");
    status.textContent = "Sender …";
    const request = getJson("api/feedback", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(feedbackBody(turn, vote, text)),
      keepalive: leaving,
    });
    if (leaving) {
      request.catch(() => {});
      voted(vote);
      return;
    }
    try {
      await request;
    } catch (error) {
      posting = false;
      enable(true);
      status.classList.add("error");
      status.textContent = error instanceof ApiError ? error.message : FEEDBACK_FAILED;
      if (document.activeElement === document.body && root.contains(trigger)) trigger.focus();
      return;
    }
    const focusLost = document.activeElement === document.body || root.contains(document.activeElement);
    voted(vote);
    if (focusLost) status.focus({ preventScroll: true });
  }

  const view = { root, sendWithoutComment: (options) => post("down", "", options) };
  up.addEventListener("click", () => {
    closeForm();
    post("up", "");
  });
  down.addEventListener("click", () => {
    if (!form.hidden) {
      post("down", "");
      return;
    }
    form.hidden = false;
    down.setAttribute("aria-expanded", "true");
    status.textContent = "";
    unsentDownVotes.add(view);
    comment.focus();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    post("down", comment.value);
  });
  sendBare.addEventListener("click", () => post("down", ""));
  form.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    post("down", "");
  });
  if (turn.vote === "up" || turn.vote === "down") showVoted(turn.vote);
  return view;
}

function sendDownVotesOfRemovedTurns() {
  for (const view of unsentDownVotes) {
    if (!view.root.isConnected) view.sendWithoutComment();
  }
}

function sendDownVotesBeforeLeaving() {
  for (const view of unsentDownVotes) view.sendWithoutComment({ leaving: true });
}

// ---------------------------------------------------------------------------------------------
// Routing: show what the URL describes (first load, reload, back/forward)

function showAskFromUrl(view) {
  if (!view.q) {
    state.shown = 0;
    ui.input.value = "";
    renderConversation();
    return;
  }
  const wanted = window.history.state && Number.isInteger(window.history.state.turns)
    ? window.history.state.turns
    : null;
  let shown = 0;
  if (wanted && state.conversation[wanted - 1] && state.conversation[wanted - 1].question === view.q) {
    shown = wanted;
  } else {
    for (let i = state.conversation.length - 1; i >= 0; i -= 1) {
      if (state.conversation[i].question === view.q) {
        shown = i + 1;
        break;
      }
    }
  }
  if (shown) {
    state.shown = shown;
    saveConversation();
    ui.input.value = "";
    setModus("spor");
    renderConversation();
    return;
  }
  ui.input.value = view.q;
  runAsk(view.q, { push: false, fresh: true });
}

function route() {
  const view = readUrl();
  clearAlert();
  applyFiltersToControls(view);
  setModus(view.modus);
  state.dirty = false;
  updateTitle(view.q);
  if (view.modus === "sok") {
    ui.input.value = view.q;
    if (view.q) runSearch(view.q, { push: false });
    else renderSearchIntro();
  } else {
    showAskFromUrl(view);
  }
}

// ---------------------------------------------------------------------------------------------
// Events

function onSubmit(event) {
  event.preventDefault();
  const text = ui.input.value.trim();
  if (!text) {
    ui.status[state.modus].textContent =
      state.modus === "sok" ? "Skriv inn ett eller flere søkeord." : "Skriv inn et spørsmål.";
    ui.input.focus();
    return;
  }
  if (state.modus === "sok") runSearch(text);
  else runAsk(text);
}

function onFiltersChanged() {
  updateFilterCount();
  const filters = currentFilters();
  const problem = filterProblem(filters);
  if (problem) {
    showAlert(problem);
    return;
  }
  clearAlert();
  if (state.modus === "sok") {
    const q = ui.input.value.trim() || state.search.q;
    if (q) runSearch(q);
  } else {
    const last = state.conversation[state.shown - 1];
    setUrl("spor", last ? last.question : "", filters, { replace: true, data: { turns: state.shown } });
    if (state.shown) ui.status.spor.textContent = "Filtrene gjelder fra neste spørsmål.";
  }
}

function resetFilters() {
  for (const list of [ui.types, ui.publishers]) {
    for (const box of list.querySelectorAll('input[type="checkbox"]')) box.checked = false;
  }
  ui.yearFrom.value = "";
  ui.yearTo.value = "";
  ui.method.value = "hybrid";
  onFiltersChanged();
}

async function loadDocuments() {
  try {
    const documents = await getJson("api/documents");
    state.documents = Array.isArray(documents) ? documents : [];
  } catch (error) {
    showAlert(describeError(error));
  }
}

// The filter values come from the server. Until they do (503 while an index is being built),
// the page works without them and keeps asking, then builds the filters.
async function loadFacets(attempt = 0) {
  try {
    state.facets = await getJson("api/facets");
  } catch {
    showFacetsPending();
    const wait = FACETS_RETRY_MS[Math.min(attempt, FACETS_RETRY_MS.length - 1)];
    window.setTimeout(() => loadFacets(attempt + 1), wait);
    return;
  }
  buildFilterOptions(state.facets);
  updateFilterCount();
  relabelBadges();
}

// Type badges shown before the facets came: their labels now.
function relabelBadges() {
  for (const badge of document.querySelectorAll(".badge[data-type]")) {
    badge.textContent = typeLabel(badge.dataset.type);
  }
}

function wire() {
  ui.form.addEventListener("submit", onSubmit);
  ui.input.addEventListener("input", () => {
    state.dirty = true;
  });
  for (const tab of ui.tabs) {
    tab.addEventListener("click", () => onTabActivated(tab.dataset.modus));
    tab.addEventListener("keydown", onTabKeydown);
  }
  ui.types.addEventListener("change", onFiltersChanged);
  ui.publishers.addEventListener("change", onFiltersChanged);
  ui.method.addEventListener("change", onFiltersChanged);
  for (const input of [ui.yearFrom, ui.yearTo]) {
    input.addEventListener("change", onFiltersChanged);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        input.blur();
        input.focus();
      }
    });
  }
  ui.reset.addEventListener("click", resetFilters);
  ui.newConversation.addEventListener("click", newConversation);
  window.addEventListener("popstate", route);
  window.addEventListener("pagehide", sendDownVotesBeforeLeaving);
  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => measureClamps(document), 150);
  });
  // Filters open beside the results on wide screens, folded away on phones.
  if (window.matchMedia("(min-width: 56rem)").matches) ui.filters.open = true;
}

// On a first start the server builds its index in the background (503 from /readyz with the
// progress): say so, and carry on by itself once the index is there.
async function waitForIndex() {
  let shownTens = null; // the alert is re-announced by screen readers: update it every 10 %
  for (;;) {
    let body = null;
    try {
      const response = await fetch("readyz", { headers: { Accept: "application/json" } });
      body = await response.json();
    } catch {
      return; // no answer at all: the calls that follow report it
    }
    if (!body || body.status !== "bygger indeks") break;
    const tens = Math.floor(body.percent / 10);
    if (tens !== shownTens) {
      shownTens = tens;
      showAlert(
        "Søk og spørsmål virker når den er klar; siden fortsetter da av seg selv.",
        `Indeksen bygges (${body.percent} %)`,
        true,
      );
    }
    await new Promise((resolve) => window.setTimeout(resolve, 2000));
  }
  clearAlert();
}

async function start() {
  wire();
  loadConversation();
  await waitForIndex();
  await Promise.all([loadDocuments(), loadFacets()]);
  route();
  document.documentElement.classList.add("ready");
}

start();
