// The maintainers' page: asks for the admin key, then shows the index's status and ingests,
// the votes on answers and the experience reports waiting for review.

import { byId } from "../js/dom.js";
import { adminClient, adminEnabled, describe, forgetToken, readToken, saveToken } from "./api.js";
import { showExperiences } from "./experiences.js";
import { downloadExport, showFeedback } from "./feedback.js";
import { reingest, showStatus } from "./status.js";

const OFF = "Administrasjon er slått av på denne tjeneren: REFARK_ADMIN_TOKEN er ikke satt.";
const REFUSED = "Administrasjonsnøkkelen ble ikke godtatt. Skriv den inn på nytt.";

// The client of the signed-in maintainer; null while the page asks for the key.
let api = null;

function showAlert(message) {
  const box = byId("varsel");
  box.textContent = message;
  box.hidden = !message;
}

function askForKey(message = "") {
  api = null;
  byId("admin-innhold").hidden = true;
  byId("logg-ut").hidden = true;
  showAlert(message);
  byId("innlogging").hidden = false;
  const input = byId("nokkel");
  input.value = "";
  input.focus();
}

function refused() {
  forgetToken();
  askForKey(REFUSED);
}

async function signIn(token) {
  const client = adminClient(token, refused);
  let status;
  try {
    status = await showStatus(client);
  } catch (error) {
    if (error.status === 401) return; // `refused` asks again
    if (error.status === 403) {
      forgetToken();
      byId("innlogging").hidden = true;
      showAlert(error.message);
      return;
    }
    askForKey(describe(error));
    return;
  }
  api = client;
  showAlert("");
  byId("innlogging").hidden = true;
  byId("admin-innhold").hidden = false;
  byId("logg-ut").hidden = false;
  showFeedback(client).catch((error) => {
    if (error.status !== 401) byId("tilbakemeldinger-status").textContent = describe(error);
  });
  // Only a refused key gets to the catch, and `refused` has dealt with it.
  showExperiences(client, () => reingest(client, false)).catch(() => {});
  if (status.ingest_running) reingest(client, false);
}

function setUp() {
  byId("innlogging").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = byId("nokkel").value.trim();
    if (!token) {
      showAlert("Skriv inn administrasjonsnøkkelen.");
      return;
    }
    // A browser sends a header's characters as single bytes: any other key could never match.
    if (/[^\x20-\x7e]/.test(token)) {
      showAlert("Administrasjonsnøkkelen kan bare ha tegn fra ASCII (ikke æ, ø, å).");
      return;
    }
    saveToken(token);
    signIn(token);
  });
  byId("logg-ut").addEventListener("click", () => {
    forgetToken();
    askForKey();
  });
  byId("les-inn").addEventListener("click", () => api && reingest(api, true));
  byId("last-ned-eval").addEventListener("click", () => api && downloadExport(api));
}

async function start() {
  setUp();
  const token = readToken();
  if (token) {
    signIn(token);
    return;
  }
  try {
    if (await adminEnabled()) askForKey();
    else showAlert(OFF);
  } catch (error) {
    showAlert(describe(error));
  }
}

start();
