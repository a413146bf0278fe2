// The "Del en erfaring" form: checks the fields as the server does (so most mistakes are shown
// before a large file is sent), posts the form and shows the server's receipt or its error.
import { describeError, getJson } from "../js/api.js";
import { byId } from "../js/dom.js";

const FILE_TYPES = { ".pdf": "PDF", ".docx": "DOCX", ".md": "Markdown", ".markdown": "Markdown" };
const FIELD_NAMES = { municipality: "Kommune", contact: "Kontaktperson", topic: "Tema", date: "Dato" };
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s.]+$/;
const PHONE = /^\+?[\d ().-]+$/;

const form = byId("erfaring-skjema");
const errorBox = byId("skjemafeil");
const receipt = byId("kvittering");
const maxBytes = Number(form.dataset.maxBytes);

function humanSize(bytes) {
  const mb = 1024 * 1024;
  return bytes >= mb ? `${Math.round(bytes / mb)} MB` : `${Math.round(bytes / 1024)} KB`;
}

function isContact(value) {
  if (EMAIL.test(value)) return true;
  const digits = value.replace(/\D/g, "").length;
  return PHONE.test(value) && digits >= 8 && digits <= 15;
}

function isRealDate(value) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const date = new Date(Date.UTC(+match[1], +match[2] - 1, +match[3]));
  return date.getUTCFullYear() === +match[1] && date.getUTCMonth() === +match[2] - 1 && date.getUTCDate() === +match[3];
}

// The first problem as [message, field], or null when the form may be sent.
function problem() {
  for (const [name, label] of Object.entries(FIELD_NAMES)) {
    const input = form.elements[name];
    const value = input.value.trim();
    if (!value) return [`${label} må fylles ut.`, input];
    if (input.maxLength > 0 && value.length > input.maxLength) {
      return [`${label} kan ha høyst ${input.maxLength} tegn.`, input];
    }
  }
  const { contact, date, file } = form.elements;
  if (!isContact(contact.value.trim())) {
    return ["Kontaktperson må være en e-postadresse (navn@kommune.no) eller et telefonnummer (8 sifre).", contact];
  }
  const day = date.value.trim();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return ["Dato må skrives som ÅÅÅÅ-MM-DD, for eksempel 2025-03-14.", date];
  if (!isRealDate(day)) return [`Datoen ${day} finnes ikke.`, date];
  const chosen = file.files[0];
  if (!chosen) return ["Velg en fil med rapporten.", file];
  const dot = chosen.name.lastIndexOf(".");
  const suffix = dot > 0 ? chosen.name.slice(dot).toLowerCase() : "";
  if (!(suffix in FILE_TYPES)) {
    return [`Filtypen til «${chosen.name}» støttes ikke. Send rapporten som PDF, Word (DOCX) eller Markdown (.md).`, file];
  }
  if (chosen.size === 0) return [`Filen «${chosen.name}» er tom.`, file];
  if (chosen.size > maxBytes) return [`Filen «${chosen.name}» er for stor. Grensen er ${humanSize(maxBytes)}.`, file];
  return null;
}

function showError(message, field = null) {
  errorBox.textContent = message;
  errorBox.hidden = false;
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
}

async function submit(event) {
  event.preventDefault();
  const found = problem();
  if (found) {
    showError(...found);
    return;
  }
  errorBox.hidden = true;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const answer = await getJson(form.action, { method: "POST", body: new FormData(form) });
    byId("kvittering-id").textContent = answer.id;
    form.hidden = true;
    receipt.hidden = false;
    receipt.focus();
  } catch (error) {
    showError(describeError(error));
  } finally {
    button.disabled = false;
  }
}

form.addEventListener("submit", submit);
