// DOM and formatting helpers shared by every view. Text from the server is always inserted as
// text nodes, never as HTML.

export const byId = (id) => document.getElementById(id);

export function h(tag, attrs = {}, ...children) {
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

const dateFormat = new Intl.DateTimeFormat("nb-NO", {
  day: "numeric",
  month: "long",
  year: "numeric",
  timeZone: "UTC",
});

export function formatDate(value) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || "");
  if (!match) return value || "";
  const date = new Date(Date.UTC(+match[1], +match[2] - 1, +match[3]));
  return Number.isNaN(date.getTime()) ? value : dateFormat.format(date);
}

export function formatMs(ms) {
  return `${Math.max(1, Math.round(Number(ms) || 0))} ms`;
}

export function prefersReducedMotion() {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

export function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

// A panel's busy state: aria-busy, a dimmed look and a spinner with `message` in its status line.
export function setBusy(panel, status, busy, message = "") {
  panel.setAttribute("aria-busy", String(busy));
  panel.classList.toggle("loading", busy);
  if (busy) status.replaceChildren(h("span", { class: "spinner", "aria-hidden": "true" }), message);
}
