// Small DOM helpers shared by the sections: element creation, status regions, field
// errors, busy buttons and "dirty" tracking of form controls.

import { t } from "./i18n.js";

export const $ = (id) => document.getElementById(id);

/** Creates an element: el("li", { class: "x", dataset: { id: 1 } }, "text", child). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "text") node.textContent = value;
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Writes a form's status region (`#<form>-status`); kind is "ok", "error" or "info". */
export function setStatus(id, kind, text, options = {}) {
  const node = typeof id === "string" ? $(id) : id;
  if (!node) return;
  node.replaceChildren();
  if (!text) {
    delete node.dataset.state;
    delete node.dataset.kind;
    return;
  }
  node.dataset.state = kind === "error" ? "error" : "ok";
  if (options.kind) node.dataset.kind = options.kind;
  else if (kind === "info") node.dataset.kind = "info";
  else delete node.dataset.kind;
  node.append(el("span", { class: "status-icon", "aria-hidden": "true" }), el("span", { text }));
}

export function clearStatus(id) {
  setStatus(id, null, "");
}

function errorNodeFor(input) {
  let node = $(`${input.id}-error`);
  if (!node) {
    node = el("p", { id: `${input.id}-error`, class: "field-error" });
    const field = input.closest(".field") ?? input.parentElement;
    field.append(node);
  }
  return node;
}

function describedBy(input, id, add) {
  const ids = new Set((input.getAttribute("aria-describedby") ?? "").split(/\s+/).filter(Boolean));
  if (add) ids.add(id);
  else ids.delete(id);
  if (ids.size) input.setAttribute("aria-describedby", [...ids].join(" "));
  else input.removeAttribute("aria-describedby");
}

/** Marks one field invalid: aria-invalid, a message below it, aria-describedby. */
export function setFieldError(input, text) {
  const node = errorNodeFor(input);
  node.textContent = text;
  node.hidden = false;
  input.setAttribute("aria-invalid", "true");
  describedBy(input, node.id, true);
  input.closest(".field")?.classList.add("invalid");
}

export function clearFieldError(input) {
  const node = $(`${input.id}-error`);
  if (node) {
    node.textContent = "";
    node.hidden = true;
    describedBy(input, node.id, false);
  }
  input.removeAttribute("aria-invalid");
  input.closest(".field")?.classList.remove("invalid");
}

export function clearFieldErrors(root) {
  for (const input of root.querySelectorAll("[aria-invalid]")) clearFieldError(input);
}

/** Clears a field's error as soon as the user edits it. */
export function clearErrorsOnInput(root) {
  root.addEventListener("input", (event) => {
    if (event.target.getAttribute?.("aria-invalid")) clearFieldError(event.target);
  });
}

/**
 * Runs `task` with `button` showing progress (disabled, aria-busy, spinner) and keeps
 * keyboard focus on the button when it had it. Refuses to run twice at once.
 */
export async function withBusy(button, task) {
  if (button.getAttribute("aria-busy") === "true") return undefined;
  const hadFocus = document.activeElement === button;
  const wasDisabled = button.disabled;
  button.setAttribute("aria-busy", "true");
  button.disabled = true;
  try {
    return await task();
  } finally {
    button.removeAttribute("aria-busy");
    button.disabled = wasDisabled;
    if (hadFocus && document.activeElement === document.body && button.isConnected && !button.closest("[hidden]")) {
      button.focus();
    }
  }
}

function currentValue(control) {
  return control.type === "checkbox" ? String(control.checked) : control.value;
}

/**
 * Shows a server value in a control unless the user has edited that control since the
 * last time it was shown (then the user's value stays and the control stays "dirty").
 */
export function showValue(control, value) {
  const text = control.type === "checkbox" ? String(Boolean(value)) : String(value ?? "");
  if (control.dataset.dirty === "true" && currentValue(control) !== text) {
    control.dataset.base = text;
    return;
  }
  if (control.type === "checkbox") control.checked = Boolean(value);
  else control.value = text;
  control.dataset.base = text;
  control.dataset.dirty = "false";
}

/** Forgets the user's edits of these controls, so the next render shows the server's. */
export function forgetEdits(controls) {
  for (const control of controls) if (control) control.dataset.dirty = "false";
}

/** Tracks which controls inside `root` the user changed since they were last shown. */
export function trackEdits(root) {
  const mark = (event) => {
    const control = event.target;
    if (!control?.dataset || control.dataset.base === undefined) return;
    control.dataset.dirty = String(currentValue(control) !== control.dataset.base);
  };
  root.addEventListener("input", mark);
  root.addEventListener("change", mark);
}

/** Toggles `.pending` and the "pending" badges for the fields named in `pendingFields`. */
export function showPending(root, pendingFields) {
  const pending = new Set(pendingFields ?? []);
  for (const node of root.querySelectorAll("[data-pending-field]")) {
    node.classList.toggle("pending", pending.has(node.dataset.pendingField));
  }
  for (const badge of root.querySelectorAll("[data-pending-badge]")) {
    const on = pending.has(badge.dataset.pendingBadge);
    badge.hidden = !on;
    if (on) badge.title = t("common.pendingHint");
  }
}

/** Moves focus to an element that is not normally focusable (a heading). */
export function focusHeading(node) {
  if (!node) return;
  if (!node.hasAttribute("tabindex")) node.setAttribute("tabindex", "-1");
  node.focus();
}
