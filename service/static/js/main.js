// Refark's web page: search ("Søk") and questions ("Spør") over the document index. This module
// wires the page together: the query box, the two tabs, the filters, routing by URL, and the
// wait for an index that is still being built. Each view keeps its own state.
import { clearAlert, showAlert } from "./alert.js";
import { describeError } from "./api.js";
import { loadDocuments, loadFacets } from "./catalog.js";
import { byId, h } from "./dom.js";
import { createConversation } from "./ask.js";
import { sendDownVotesBeforeLeaving } from "./feedback.js";
import { createFilters, filterProblem } from "./filters.js";
import { relabelBadges } from "./passages.js";
import { createSearch } from "./search.js";
import { buildQuery, readUrl, updateTitle } from "./url.js";

const TEXT = {
  sok: {
    label: "Søk i dokumentene",
    placeholder: "For eksempel: applikasjonskvittering",
    button: "Søk",
    hint: "Trykk Enter for å søke. Treffene er avsnitt fra dokumentene. Trykk / for å komme hit.",
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

const ui = {
  form: byId("sokeskjema"),
  input: byId("q"),
  label: byId("q-label"),
  hint: byId("q-hint"),
  send: byId("send"),
  tabs: Array.from(document.querySelectorAll('[role="tab"]')),
  panels: { sok: byId("panel-sok"), spor: byId("panel-spor") },
  status: { sok: byId("sok-status"), spor: byId("spor-status") },
  newConversation: byId("ny-samtale"),
};

let modus = "sok";
let dirty = false; // the user has typed since the last run

const filters = createFilters({ onChange: onFiltersChanged });

// What the search and ask views need from the page.
const page = {
  input: ui.input,
  isShowing: (which) => modus === which,
  // The current filters, or null after showing why they cannot be used.
  takeFilters() {
    const current = filters.current();
    const problem = filterProblem(current);
    dirty = false;
    if (problem) {
      showAlert(problem);
      return null;
    }
    clearAlert();
    return current;
  },
  examples: exampleLinks,
  resetFilters: () => filters.reset(),
  answered: () => setModus("spor"), // the placeholder now invites a follow-up
};
const search = createSearch(page);
const conversation = createConversation(page);
const views = { sok: search, spor: conversation };

function exampleLinks(which, examples) {
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
            href: buildQuery(which, example, filters.current()),
            onclick: (event) => {
              event.preventDefault();
              ui.input.value = example;
              views[which].run(example);
            },
          },
          example,
        ),
      ),
    ),
  );
}

function setModus(next) {
  modus = next;
  const text = TEXT[next];
  for (const tab of ui.tabs) {
    const selected = tab.dataset.modus === next;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
  }
  ui.panels.sok.hidden = next !== "sok";
  ui.panels.spor.hidden = next !== "spor";
  ui.label.textContent = text.label;
  ui.input.placeholder = next === "spor" && conversation.hasTurns() ? "Still et oppfølgingsspørsmål …" : text.placeholder;
  ui.input.setAttribute("enterkeyhint", text.enterkey);
  ui.send.textContent = text.button;
  ui.hint.textContent = text.hint;
  filters.setModus(next);
}

// Choosing a tab shows that mode's current view. Text the user typed but has not sent yet is
// run in the chosen mode, so "type, then pick Spør" asks the typed question.
function onTabActivated(next) {
  const text = ui.input.value.trim();
  const typed = dirty && text !== "" ? text : null;
  setModus(next);
  clearAlert();
  if (next === "sok" && !typed && search.query()) ui.input.value = search.query();
  dirty = false;
  views[next].reshow(filters.current(), typed);
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

function onSubmit(event) {
  event.preventDefault();
  const text = ui.input.value.trim();
  if (!text) {
    ui.status[modus].textContent = modus === "sok" ? "Skriv inn ett eller flere søkeord." : "Skriv inn et spørsmål.";
    ui.input.focus();
    return;
  }
  views[modus].run(text);
}

function onFiltersChanged(current) {
  const problem = filterProblem(current);
  if (problem) {
    showAlert(problem);
    return;
  }
  clearAlert();
  if (modus === "sok") {
    const q = ui.input.value.trim() || search.query();
    if (q) search.run(q);
  } else {
    conversation.filtersChanged(current);
  }
}

function startNewConversation() {
  ui.input.value = "";
  dirty = false;
  conversation.startOver(filters.current());
  setModus("spor");
  ui.input.focus();
}

// "/" anywhere but in a text field goes to the query box, as on most search sites.
function onKeydown(event) {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
    return;
  }
  event.preventDefault();
  ui.input.focus();
  ui.input.select();
}

// Show what the URL describes (first load, reload, back/forward).
function route() {
  const view = readUrl();
  clearAlert();
  filters.show(view);
  setModus(view.modus);
  dirty = false;
  updateTitle(view.q);
  if (view.modus === "sok") {
    ui.input.value = view.q;
    if (view.q) search.run(view.q, { push: false });
    else search.renderIntro();
  } else {
    conversation.showFromUrl(view.q);
  }
}

function wire() {
  ui.form.addEventListener("submit", onSubmit);
  ui.input.addEventListener("input", () => {
    dirty = true;
  });
  for (const tab of ui.tabs) {
    tab.addEventListener("click", () => onTabActivated(tab.dataset.modus));
    tab.addEventListener("keydown", onTabKeydown);
  }
  ui.newConversation.addEventListener("click", startNewConversation);
  document.addEventListener("keydown", onKeydown);
  window.addEventListener("popstate", route);
  window.addEventListener("pagehide", sendDownVotesBeforeLeaving);
  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => {
      search.remeasure();
      conversation.remeasure();
    }, 150);
  });
}

// On a first start the server builds its index in the background: /readyz says "bygger
// indeks" (503) until the files are read, then "delvis klar" while keyword search already works
// and the embeddings are built, then "ok". The page says so in its status box (not the alert,
// which errors replace) and carries on by itself.
const BUILDING = "bygger indeks";
const PARTIAL = "delvis klar";

async function readiness() {
  try {
    const response = await fetch("readyz", { headers: { Accept: "application/json" } });
    return await response.json();
  } catch {
    return null; // no answer at all: the calls that follow report it
  }
}

// The status box for `body` (from /readyz); hidden once the index is complete. The text changes
// in steps of 10 %, so screen readers are not told every two seconds.
function showIndexStatus(body) {
  const box = byId("indeks-status");
  if (!body || (body.status !== BUILDING && body.status !== PARTIAL)) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const percent = Math.floor((body.percent || 0) / 10) * 10;
  const key = `${body.status} ${percent}`;
  if (box.dataset.key === key && !box.hidden) return;
  box.dataset.key = key;
  box.replaceChildren(
    h("p", { class: "alert-title" }, `Indeksen bygges (${percent} %)`),
    h(
      "p",
      { class: "alert-detail" },
      body.status === PARTIAL
        ? "Søk på nøkkelord virker allerede. Søk på mening og spørsmål virker når den er ferdig; siden oppdaterer seg selv."
        : "Søk og spørsmål virker når den er klar; siden fortsetter da av seg selv.",
    ),
  );
  box.hidden = false;
}

const pause = (ms) => new Promise((resolve) => window.setTimeout(resolve, ms));

// Until the service can search at all; returns its last /readyz answer.
async function waitForIndex() {
  for (;;) {
    const body = await readiness();
    showIndexStatus(body);
    if (!body || body.status !== BUILDING) return body;
    await pause(2000);
  }
}

// While only keyword search works, keep the status current; once the full index serves, show
// what is on screen again from it.
async function followPartialIndex() {
  for (;;) {
    await pause(2000);
    const body = await readiness();
    showIndexStatus(body);
    if (!body || body.status !== PARTIAL) break;
  }
  search.refresh();
}

async function start() {
  wire();
  const readyz = await waitForIndex();
  if (readyz && readyz.status === PARTIAL) followPartialIndex();
  const facets = loadFacets({
    onFacets(values) {
      filters.build(values);
      relabelBadges();
    },
    onPending: filters.showPending,
  });
  await Promise.all([loadDocuments().catch((error) => showAlert(describeError(error))), facets]);
  route();
  document.documentElement.classList.add("ready");
}

start();
