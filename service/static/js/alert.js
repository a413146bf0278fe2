// The page's one alert box (#varsel): errors, and the index being built.
import { byId, h } from "./dom.js";

export function showAlert(message, title = "Noe gikk galt", inProgress = false) {
  const alert = byId("varsel");
  alert.classList.toggle("in-progress", inProgress);
  alert.replaceChildren(h("p", { class: "alert-title" }, title), h("p", { class: "alert-detail" }, message));
  alert.hidden = false;
}

export function clearAlert() {
  const alert = byId("varsel");
  alert.hidden = true;
  alert.replaceChildren();
}
