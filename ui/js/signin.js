// The sign-in screen: server address, email, password.

import { call } from "./api.js";
import { $, clearErrorsOnInput, clearFieldErrors, setFieldError, setStatus, withBusy } from "./dom.js";
import { errorText } from "./errors.js";
import { t } from "./i18n.js";
import { setServer, state } from "./store.js";

const looksLikeEmail = (value) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);

/** "example.com" → "https://example.com"; null when it cannot be a server address. */
export function normalizeServer(input) {
  let value = input.trim();
  if (!value) return null;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) value = `https://${value}`;
  try {
    const url = new URL(value);
    if ((url.protocol !== "https:" && url.protocol !== "http:") || !url.hostname) return null;
    return value.replace(/\/+$/, "");
  } catch {
    return null;
  }
}

function markInvalid(input) {
  input.setAttribute("aria-invalid", "true");
  const ids = new Set((input.getAttribute("aria-describedby") ?? "").split(/\s+/).filter(Boolean));
  ids.add("signin-error");
  input.setAttribute("aria-describedby", [...ids].join(" "));
}

function showError(error, server) {
  const text =
    error.code === "offline"
      ? t("signin.unreachable", { server })
      : error.code === "invalid_credentials"
        ? t("error.invalid_credentials")
        : errorText(error);
  setStatus("signin-error", "error", text);
  const target =
    error.code === "offline" || error.code === "invalid_request"
      ? $("signin-server")
      : error.code === "invalid_credentials" || error.code === "too_many_attempts"
        ? $("signin-password")
        : null;
  if (target) {
    markInvalid(target);
    target.focus();
    if (target.type === "password") target.select();
  }
}

/** Wires the form; `onSignedIn(account, server)` runs after a successful sign-in. */
export function initSignIn({ onSignedIn }) {
  const form = $("signin-form");
  clearErrorsOnInput(form);
  form.addEventListener("input", () => {
    if ($("signin-error").dataset.state) setStatus("signin-error", null, "");
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    setStatus("signin-error", null, "");
    const serverInput = $("signin-server");
    const emailInput = $("signin-email");
    const passwordInput = $("signin-password");
    const server = normalizeServer(serverInput.value);
    const email = emailInput.value.trim();
    const password = passwordInput.value;
    const problems = [];
    if (!serverInput.value.trim()) problems.push([serverInput, t("error.required")]);
    else if (!server) problems.push([serverInput, t("error.invalid_server_url")]);
    if (!email) problems.push([emailInput, t("error.required")]);
    else if (!looksLikeEmail(email)) problems.push([emailInput, t("error.invalid_email")]);
    if (!password) problems.push([passwordInput, t("error.required")]);
    if (problems.length) {
      for (const [input, text] of problems) setFieldError(input, text);
      problems[0][0].focus();
      return;
    }
    serverInput.value = server;
    await withBusy($("signin-submit"), async () => {
      try {
        const account = await call("sign_in", { server, email, password });
        setServer(server);
        passwordInput.value = "";
        onSignedIn(account);
      } catch (error) {
        showError(error, server);
      }
    });
  });
}

/** Shows the sign-in form, prefilled; `notice` explains why (session ended…). */
export function prepareSignIn({ server, email, notice, error } = {}) {
  const form = $("signin-form");
  clearFieldErrors(form);
  setStatus("signin-error", null, "");
  $("signin-password").value = "";
  if (server && !$("signin-server").value) $("signin-server").value = server;
  if (email && !$("signin-email").value) $("signin-email").value = email;
  setStatus("signin-notice", "info", notice ?? "");
  if (error) setStatus("signin-error", "error", errorText(error));
}

/** Focuses the first field that still needs typing. */
export function focusSignIn() {
  const first = ["signin-server", "signin-email", "signin-password"].map($).find((i) => !i.value);
  (first ?? $("signin-submit")).focus();
}
