// 👍/👎 on an answer, into the store the Slack app also writes to (POST api/feedback).
//
// The API stores a vote in one request and cannot add a comment to it later, so a 👎 waits for
// its comment: 👎 opens the comment form, and "Send" posts the vote with the comment, "Send uten
// kommentar" without. Leaving the form any other way also posts the 👎 without a comment, so the
// vote is never lost: Escape, 👎 again, the answer leaving the screen (new conversation, browser
// back) or the page closing. 👍 while the form is open changes the vote to 👍 instead.
import { ApiError, postJson } from "./api.js";
import { h } from "./dom.js";

const MAX_FEEDBACK_COMMENT = 2000; // the API's limit
const FEEDBACK_FAILED = "Kunne ikke sende tilbakemeldingen.";
const views = new WeakMap(); // turn -> its controls; a re-render keeps a half-written comment
const unsentDownVotes = new Set(); // controls whose comment form is open
let count = 0; // for unique ids

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

// The controls for `turn` ({question, response, vote?}); `onVoted(turn)` runs once the vote is
// stored (turn.vote set), so the conversation can remember it.
export function feedbackControls(turn, onVoted) {
  if (!views.has(turn)) views.set(turn, feedbackView(turn, onVoted));
  return views.get(turn).root;
}

function feedbackView(turn, onVoted) {
  count += 1;
  const id = `tilbakemelding-${count}`;
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
    onVoted(turn);
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
    const request = postJson("api/feedback", feedbackBody(turn, vote, text), { keepalive: leaving });
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

export function sendDownVotesOfRemovedTurns() {
  for (const view of unsentDownVotes) {
    if (!view.root.isConnected) view.sendWithoutComment();
  }
}

export function sendDownVotesBeforeLeaving() {
  for (const view of unsentDownVotes) view.sendWithoutComment({ leaving: true });
}
