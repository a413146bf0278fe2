// "Spør": a conversation of questions and answers with numbered sources. Follow-ups send the
// earlier turns as history; the conversation survives a reload (sessionStorage), and the
// browser's back button steps through it.
import { describeError, postJson } from "./api.js";
import { clearAlert, showAlert } from "./alert.js";
import { documentsInIndex } from "./catalog.js";
import { byId, formatMs, h, plural, prefersReducedMotion, setBusy } from "./dom.js";
import { feedbackControls, sendDownVotesOfRemovedTurns } from "./feedback.js";
import { describeFilters, NO_FILTERS } from "./filters.js";
import { hasTable, measureClamps, noticeLine, resultCard, tableView } from "./passages.js";
import { setUrl, turnsInHistory } from "./url.js";

const MAX_HISTORY_TURNS = 6; // question/answer pairs sent as context for a follow-up
const STORAGE_KEY = "refark.samtale.v1";

function historyFor(turns) {
  return turns.slice(-MAX_HISTORY_TURNS).flatMap((turn) => [
    { role: "user", content: turn.question },
    { role: "assistant", content: turn.response.answer },
  ]);
}

function gotoCitation(turnIndex, n) {
  const target = byId(`sitat-${turnIndex}-${n}`);
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

// The tables of the sources the answer cites, so rows quoted in the answer can be read in
// their table.
function citedTables(response) {
  const cited = new Set(Array.from(response.answer.matchAll(/\[(\d+)\]/g), (m) => Number(m[1])));
  return response.citations
    .filter((citation) => cited.has(citation.n) && hasTable(citation))
    .map((citation) =>
      h(
        "figure",
        { class: "answer-table" },
        tableView(citation.table),
        h("figcaption", { class: "hint" }, `Tabell fra kilde [${citation.n}]: ${citation.title}`),
      ),
    );
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

// `page`: takeFilters(), examples(modus, list), isShowing(modus), input (the query box),
// answered() after an answer is shown in the ask view (the placeholder becomes "follow-up").
export function createConversation(page) {
  const panel = byId("panel-spor");
  const status = byId("spor-status");
  const content = byId("spor-innhold");
  const bar = byId("samtale-linje");
  const info = byId("samtale-info");
  let turns = []; // [{question, filters, response, vote?}]
  let shown = 0; // how many turns are on screen (browser history can go back)
  let controller = null;

  function save() {
    try {
      window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ conversation: turns, shown }));
    } catch {
      // storage full or disabled: the conversation just won't survive a reload
    }
  }

  function load() {
    try {
      const saved = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || "null");
      if (saved && Array.isArray(saved.conversation)) {
        turns = saved.conversation.filter((t) => t && t.question && t.response);
        shown = Math.min(Number(saved.shown) || 0, turns.length);
      }
    } catch {
      turns = [];
      shown = 0;
    }
  }

  async function run(question, { push = true, fresh = false } = {}) {
    const filters = page.takeFilters();
    if (!filters) return;
    if (fresh) {
      turns = [];
      shown = 0;
    }
    const previous = turns.slice(0, shown);
    if (controller) controller.abort();
    const mine = new AbortController();
    controller = mine;
    setBusy(panel, status, true, "Leter etter svar i dokumentene …");
    let response;
    try {
      response = await postJson(
        "api/ask",
        {
          question,
          history: historyFor(previous),
          filters: {
            type: filters.types,
            publisher: filters.publishers,
            year_from: filters.yearFrom,
            year_to: filters.yearTo,
          },
        },
        { signal: mine.signal },
      );
    } catch (error) {
      if (mine.signal.aborted) return;
      setBusy(panel, status, false);
      status.textContent = "Spørsmålet kunne ikke besvares.";
      if (page.isShowing("spor")) showAlert(describeError(error));
      page.input.value = question; // let the user correct and resend
      return;
    } finally {
      if (controller === mine) controller = null;
    }
    setBusy(panel, status, false);
    turns = [...previous, { question, filters, response }];
    shown = turns.length;
    save();
    if (page.isShowing("spor")) {
      setUrl("spor", question, filters, { replace: !push, data: { turns: shown } });
      if (page.input.value.trim() === question) page.input.value = "";
      page.answered();
    }
    render();
    const count = response.citations.length;
    status.textContent = response.found
      ? `Svar med ${plural(count, "kilde", "kilder")} (${formatMs(response.took_ms)}).`
      : `Fant ikke noe sikkert svar. Viser ${count} nærmeste avsnitt.`;
  }

  function turnView(turn, turnIndex, latest) {
    const { response } = turn;
    const filterText = describeFilters(turn.filters || NO_FILTERS);
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
          citedTables(response),
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
    parts.push(feedbackControls(turn, save));
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

  function renderIntro() {
    const documents = documentsInIndex();
    content.replaceChildren(
      h(
        "div",
        { class: "intro" },
        h(
          "p",
          {},
          "Still et spørsmål med vanlige ord. Svaret settes sammen av utdrag fra dokumentene, og hvert utdrag har en kilde du kan åpne. Du kan stille oppfølgingsspørsmål.",
        ),
        h("p", { class: "examples-label" }, "Eksempler:"),
        page.examples("spor", ["Hva er en transportkvittering?", "Hva skjer hvis en melding ikke blir kvittert?"]),
        documents ? h("p", { class: "hint" }, `Indeksen har ${plural(documents, "dokument", "dokumenter")}.`) : null,
      ),
    );
  }

  function render() {
    const visible = turns.slice(0, shown);
    bar.hidden = visible.length === 0;
    info.textContent = visible.length
      ? `Samtale med ${visible.length} spørsmål. Nye spørsmål tolkes som oppfølging av samtalen.`
      : "";
    if (!visible.length) {
      status.textContent = "";
      renderIntro();
      sendDownVotesOfRemovedTurns();
      return;
    }
    const latestIndex = visible.length - 1;
    const nodes = [turnView(visible[latestIndex], latestIndex, true)];
    if (visible.length > 1) {
      nodes.push(
        h(
          "section",
          { class: "earlier", "aria-labelledby": "tidligere" },
          h("h3", { id: "tidligere", class: "earlier-heading" }, "Tidligere i samtalen"),
          visible
            .slice(0, latestIndex)
            .map((turn, i) => turnView(turn, i, false))
            .reverse(),
        ),
      );
    }
    content.replaceChildren(...nodes);
    measureClamps(content);
    sendDownVotesOfRemovedTurns();
  }

  function startOver(filters) {
    if (controller) controller.abort();
    setBusy(panel, status, false);
    shown = 0;
    save();
    clearAlert();
    render();
    status.textContent = "Ny samtale startet.";
    setUrl("spor", "", filters, { data: { turns: 0 } });
  }

  // The conversation as the URL (and history entry) describes it: an earlier turn it already
  // has, or the question asked afresh.
  function showFromUrl(q) {
    if (!q) {
      shown = 0;
      page.input.value = "";
      render();
      return;
    }
    const wanted = turnsInHistory();
    let found = 0;
    if (wanted && turns[wanted - 1] && turns[wanted - 1].question === q) {
      found = wanted;
    } else {
      for (let i = turns.length - 1; i >= 0; i -= 1) {
        if (turns[i].question === q) {
          found = i + 1;
          break;
        }
      }
    }
    if (found) {
      shown = found;
      save();
      page.input.value = "";
      page.answered();
      render();
      return;
    }
    page.input.value = q;
    run(q, { push: false, fresh: true });
  }

  // Show the conversation again for the tab; `typed` is a question typed but not yet sent.
  function reshow(filters, typed) {
    const last = turns[shown - 1];
    if (typed && (!last || typed !== last.question)) {
      run(typed);
      return;
    }
    if (last) page.input.value = ""; // the box is for the next question
    render();
    setUrl("spor", last ? last.question : "", filters, { data: { turns: shown } });
  }

  // The filters changed: they apply from the next question.
  function filtersChanged(filters) {
    const last = turns[shown - 1];
    setUrl("spor", last ? last.question : "", filters, { replace: true, data: { turns: shown } });
    if (shown) status.textContent = "Filtrene gjelder fra neste spørsmål.";
  }

  load();
  return {
    run,
    render,
    startOver,
    showFromUrl,
    reshow,
    filtersChanged,
    hasTurns: () => shown > 0,
    remeasure: () => measureClamps(content),
  };
}
