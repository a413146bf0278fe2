// The filter panel: document types and publishers (values from the server's facets), year
// range and search method. It reads and sets its own controls; the page decides what a change
// means.
import { typeLabel } from "./catalog.js";
import { byId, h } from "./dom.js";

export const SEARCH_MODES = ["hybrid", "dense", "lexical"];
const YEAR_MIN = 1900;
const YEAR_MAX = 2100;

export const NO_FILTERS = { types: [], publishers: [], yearFrom: null, yearTo: null, method: "hybrid" };

function checkedValues(list) {
  return Array.from(list.querySelectorAll('input[type="checkbox"]:checked')).map((c) => c.value);
}

function yearValue(input) {
  const raw = input.value.trim();
  if (!raw) return null;
  const year = Number(raw);
  return Number.isInteger(year) ? year : NaN;
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
  const text = h("label", { for: id }, label, count === null ? null : h("span", { class: "count" }, ` (${count})`));
  list.append(h("div", { class: "check" }, box, text));
}

// A message when the year fields cannot be sent, else null.
export function filterProblem(filters) {
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

export function narrows(filters) {
  return Boolean(
    filters.types.length || filters.publishers.length || filters.yearFrom !== null || filters.yearTo !== null,
  );
}

export function describeFilters(filters) {
  const parts = [];
  if (filters.types.length) parts.push(filters.types.map(typeLabel).join(", "));
  if (filters.publishers && filters.publishers.length) parts.push(filters.publishers.join(", "));
  if (filters.yearFrom !== null || filters.yearTo !== null) {
    parts.push(`${filters.yearFrom ?? "…"}–${filters.yearTo ?? "…"}`);
  }
  return parts.join(" · ");
}

export function createFilters({ onChange }) {
  const ui = {
    panel: byId("filtre"),
    count: byId("filter-antall"),
    types: byId("typer"),
    publishers: byId("utgivere"),
    yearFrom: byId("fra"),
    yearTo: byId("til"),
    yearRange: byId("aar-hint"),
    method: byId("metode"),
    methodGroup: byId("metode-gruppe"),
    reset: byId("nullstill"),
  };
  let modus = "sok";

  const addType = (type, count) => addCheckbox(ui.types, "type", type, typeLabel(type), count);
  const addPublisher = (publisher, count) => addCheckbox(ui.publishers, "utgiver", publisher, publisher, count);

  function current() {
    return {
      types: checkedValues(ui.types),
      publishers: checkedValues(ui.publishers),
      yearFrom: yearValue(ui.yearFrom),
      yearTo: yearValue(ui.yearTo),
      method: SEARCH_MODES.includes(ui.method.value) ? ui.method.value : "hybrid",
    };
  }

  function updateCount() {
    const filters = current();
    const count =
      (filters.types.length ? 1 : 0) +
      (filters.publishers.length ? 1 : 0) +
      (filters.yearFrom !== null ? 1 : 0) +
      (filters.yearTo !== null ? 1 : 0) +
      (modus === "sok" && filters.method !== "hybrid" ? 1 : 0);
    ui.count.textContent = count ? `(${count} ${count === 1 ? "aktivt" : "aktive"})` : "";
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

  function build(facets) {
    fillChecklist(ui.types, facets.types, addType, "Ingen dokumenter i indeksen ennå.");
    fillChecklist(ui.publishers, facets.publishers, addPublisher, "Ingen utgivere i indeksen ennå.");
    const { year_min: minYear, year_max: maxYear } = facets;
    ui.yearRange.textContent =
      minYear === null || maxYear === null
        ? ""
        : minYear === maxYear
          ? `Dokumentene er fra ${minYear}.`
          : `Dokumentene er fra ${minYear}–${maxYear}.`;
    updateCount();
  }

  function showPending(retrying) {
    const message = retrying
      ? "Filtervalgene hentes når indeksen er klar …"
      : "Filtervalgene kunne ikke hentes. Last inn siden på nytt for å prøve igjen.";
    for (const list of [ui.types, ui.publishers]) {
      for (const hint of list.querySelectorAll("p.hint")) hint.remove();
      list.append(h("p", { class: "hint" }, message));
    }
  }

  // The controls as a view (from the URL) describes them; values the facets lack are added, so
  // a shared link stays faithful.
  function show(view) {
    for (const type of view.types) addType(type, null);
    for (const publisher of view.publishers) addPublisher(publisher, null);
    for (const box of ui.types.querySelectorAll('input[type="checkbox"]')) box.checked = view.types.includes(box.value);
    for (const box of ui.publishers.querySelectorAll('input[type="checkbox"]')) {
      box.checked = view.publishers.includes(box.value);
    }
    ui.yearFrom.value = view.yearFrom ?? "";
    ui.yearTo.value = view.yearTo ?? "";
    ui.method.value = view.method;
    updateCount();
  }

  function reset() {
    show(NO_FILTERS);
    changed();
  }

  function setModus(next) {
    modus = next;
    ui.methodGroup.hidden = modus !== "sok";
    updateCount();
  }

  function changed() {
    updateCount();
    onChange(current());
  }

  ui.types.addEventListener("change", changed);
  ui.publishers.addEventListener("change", changed);
  ui.method.addEventListener("change", changed);
  for (const input of [ui.yearFrom, ui.yearTo]) {
    input.addEventListener("change", changed);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        input.blur();
        input.focus();
      }
    });
  }
  ui.reset.addEventListener("click", reset);
  // Filters open beside the results on wide screens, folded away on phones.
  if (window.matchMedia("(min-width: 56rem)").matches) ui.panel.open = true;

  return { current, build, showPending, show, reset, setModus };
}
