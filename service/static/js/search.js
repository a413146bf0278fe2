// "Søk": passages for a query, grouped by document — at most PER_DOCUMENT passages of a
// document at first, the rest behind "N treff til i dette dokumentet" — so one long document
// cannot fill the page. A query nothing resembles says so and suggests words the index knows.
import { describeError, getJson } from "./api.js";
import { showAlert } from "./alert.js";
import { documentsInIndex } from "./catalog.js";
import { byId, formatMs, h, plural, setBusy } from "./dom.js";
import { describeFilters, narrows } from "./filters.js";
import { measureClamps, noticeLine, resultCard } from "./passages.js";
import { setUrl, updateTitle } from "./url.js";

const PAGE_SIZE = 10; // passages shown per page
const POOL_SIZE = 30; // passages fetched per request: enough to fill a page after grouping
const MAX_RESULTS = 100; // the API's limit
const PER_DOCUMENT = 2;
const CACHE_SIZE = 40;

// The results as documents in the order of their best passage, each with its passages.
export function groupByDocument(results) {
  const groups = new Map();
  for (const result of results) {
    if (!groups.has(result.doc_id)) groups.set(result.doc_id, []);
    groups.get(result.doc_id).push(result);
  }
  return Array.from(groups.values());
}

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

// `page`: takeFilters() → the filters to use or null (after saying why), examples(modus, list)
// → links that run them, resetFilters().
export function createSearch(page) {
  const panel = byId("panel-sok");
  const status = byId("sok-status");
  const content = byId("sok-innhold");
  const cache = new Map();
  let controller = null;
  // what is on screen: the query, its filters, how many passages were fetched and are shown
  let view = { q: "", filters: null, k: POOL_SIZE, visible: PAGE_SIZE, response: null };

  async function run(q, { push = true, k = POOL_SIZE, visible = PAGE_SIZE, focusFrom = null } = {}) {
    const filters = page.takeFilters();
    if (!filters) return;
    if (push) setUrl("sok", q, filters);
    else updateTitle(q);
    const key = searchKey(q, filters, k);
    if (controller) controller.abort();
    let response = cache.get(key);
    if (!response) {
      const mine = new AbortController();
      controller = mine;
      setBusy(panel, status, true, "Søker …");
      try {
        response = await getJson(searchUrl(q, filters, k), { signal: mine.signal });
      } catch (error) {
        if (mine.signal.aborted) return;
        setBusy(panel, status, false);
        view = { q, filters, k, visible, response: null };
        status.textContent = "Søket kunne ikke gjennomføres.";
        content.replaceChildren();
        showAlert(describeError(error));
        return;
      } finally {
        if (controller === mine) controller = null;
      }
      cache.set(key, response);
      if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value);
    }
    setBusy(panel, status, false);
    view = { q, filters, k, visible, response };
    render(focusFrom);
  }

  function corpusLine() {
    const count = documentsInIndex();
    return count ? h("p", { class: "hint" }, `Indeksen har ${plural(count, "dokument", "dokumenter")}.`) : null;
  }

  function renderIntro() {
    view = { q: "", filters: null, k: POOL_SIZE, visible: PAGE_SIZE, response: null };
    setBusy(panel, status, false);
    status.textContent = "";
    content.replaceChildren(
      h(
        "div",
        { class: "intro" },
        h("p", {}, "Skriv ett eller flere ord for å finne avsnitt i referansearkitekturer, standarder, veiledere og erfaringsrapporter."),
        h("p", { class: "examples-label" }, "Eksempler:"),
        page.examples("sok", ["applikasjonskvittering", "PLO-meldinger", "dokumentdeling"]),
        corpusLine(),
      ),
    );
  }

  function suggestionLinks(suggestions) {
    if (!suggestions.length) return null;
    return h("div", {}, h("p", { class: "examples-label" }, "Prøv for eksempel:"), page.examples("sok", suggestions));
  }

  function renderEmpty(response, notice) {
    const { q, filters } = view;
    const suggestions = Array.isArray(response.suggestions) ? response.suggestions : [];
    const title = response.no_match ? "Ingen treff som ligner" : "Ingen treff";
    const why = response.no_match
      ? `Ingen avsnitt ligner på «${q}». Sjekk stavingen, eller bruk ord som står i dokumentene.`
      : `Fant ingen avsnitt for «${q}». Prøv andre eller færre ord, eller velg søkemetoden «Semantisk», som også finner avsnitt med samme mening.`;
    content.replaceChildren(
      ...(notice ? [notice] : []),
      h(
        "div",
        { class: "empty" },
        h("p", { class: "empty-title" }, title),
        h("p", {}, why),
        suggestionLinks(suggestions),
        narrows(filters)
          ? h(
              "p",
              {},
              "Filtrene kan også utelukke treff. ",
              h("button", { type: "button", class: "linklike", onclick: () => page.resetFilters() }, "Nullstill filtrene"),
            )
          : null,
      ),
    );
  }

  // One list item per passage; a document's passages past PER_DOCUMENT start hidden, with a
  // button that shows them. Returns the items in order and how many are visible.
  function groupItems(groups) {
    const items = [];
    let visible = 0;
    for (const group of groups) {
      if (visible >= view.visible) break;
      const open = Math.min(PER_DOCUMENT, view.visible - visible);
      group.forEach((result, i) => {
        const item = h(
          "li",
          { id: `treff-${result.rank}`, class: i ? "result-item same-document" : "result-item" },
          resultCard(result, { idPrefix: `treff-${result.rank}` }),
        );
        item.hidden = i >= open;
        items.push(item);
      });
      visible += Math.min(open, group.length);
      const extra = group.length - open;
      if (extra > 0) {
        const hidden = items.slice(-extra);
        const button = h(
          "button",
          { type: "button", class: "linklike more-in-document", "aria-expanded": "false" },
          `${plural(extra, "treff", "treff")} til i dette dokumentet`,
        );
        button.addEventListener("click", () => {
          for (const item of hidden) item.hidden = false;
          button.closest("li").remove();
          const link = hidden[0].querySelector(".result-title a");
          if (link) link.focus();
          measureClamps(content);
        });
        items.push(h("li", { class: "more-in-document-item" }, button));
      }
    }
    return { items, visible };
  }

  function render(focusFrom = null) {
    const { q, filters, k, response } = view;
    const results = response.results || [];
    const filterText = describeFilters(filters);
    const groups = groupByDocument(results);
    const notice = noticeLine(response);
    status.replaceChildren(
      h("strong", {}, plural(results.length, "treff", "treff")),
      results.length ? ` i ${plural(groups.length, "dokument", "dokumenter")}` : "",
      ` (${formatMs(response.took_ms)})`,
      filterText ? ` · filtrert på ${filterText}` : "",
      response.corrected_query ? ` · søkte etter «${response.corrected_query}»` : "",
    );
    if (!results.length) {
      renderEmpty(response, notice);
      return;
    }
    const { items, visible } = groupItems(groups);
    const list = h("ol", { class: "results", "aria-label": `Treff for ${q}` }, items);
    const nodes = notice ? [notice, list] : [list];
    const shownAll = items.filter((item) => item.classList.contains("result-item")).length >= results.length;
    const moreOnServer = results.length >= k && k < MAX_RESULTS;
    if (!shownAll || moreOnServer) {
      nodes.push(
        h(
          "button",
          {
            type: "button",
            class: "secondary load-more",
            onclick: () => {
              const next = { push: false, visible: visible + PAGE_SIZE, focusFrom: visible };
              // fetch more only when the page would run out of fetched passages
              const fetchMore = moreOnServer && visible + PAGE_SIZE > groupsVisibleLimit(groups);
              run(q, { ...next, k: fetchMore ? Math.min(MAX_RESULTS, k + POOL_SIZE) : k });
            },
          },
          "Vis flere treff",
        ),
      );
    }
    content.replaceChildren(...nodes);
    measureClamps(content);
    if (focusFrom !== null) {
      const visibleItems = Array.from(list.querySelectorAll("li.result-item:not([hidden])"));
      const link = visibleItems[focusFrom] && visibleItems[focusFrom].querySelector(".result-title a");
      if (link) link.focus();
    }
  }

  // How many passages the fetched pool can show with at most PER_DOCUMENT per document.
  function groupsVisibleLimit(groups) {
    return groups.reduce((sum, group) => sum + Math.min(group.length, PER_DOCUMENT), 0);
  }

  // Show the search view again for `filters`: rerun when they changed what is shown.
  function reshow(filters, typed) {
    if (typed) {
      run(typed);
      return;
    }
    if (!view.q) {
      renderIntro();
      setUrl("sok", "", filters);
      return;
    }
    if (searchKey(view.q, filters, view.k) !== searchKey(view.q, view.filters, view.k)) run(view.q);
    else setUrl("sok", view.q, filters);
  }

  // Search again what is shown, past the cache: the index behind it has changed.
  function refresh() {
    cache.clear();
    if (view.q) run(view.q, { push: false, k: view.k, visible: view.visible });
  }

  return { run, renderIntro, reshow, refresh, query: () => view.q, remeasure: () => measureClamps(content) };
}
