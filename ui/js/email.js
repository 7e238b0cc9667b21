// Change email: new address + password → the code sent to the new address.

import { $, setFieldError, setStatus } from "./dom.js";
import { call } from "./api.js";
import { createCodeStep } from "./codestep.js";
import { t } from "./i18n.js";
import { view } from "./store.js";

const looksLikeEmail = (value) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);

let step = null;

function request() {
  const emailInput = $("email-new");
  const passwordInput = $("email-password");
  const email = emailInput.value.trim();
  const password = passwordInput.value;
  const problems = [];
  if (!email) problems.push([emailInput, t("error.required")]);
  else if (!looksLikeEmail(email)) problems.push([emailInput, t("error.invalid_email")]);
  else if (email.toLowerCase() === String(view()?.email ?? "").toLowerCase()) {
    problems.push([emailInput, t("error.email_unchanged")]);
  }
  if (!password) problems.push([passwordInput, t("error.required")]);
  if (problems.length) {
    for (const [input, text] of problems) setFieldError(input, text);
    setStatus("email-status", "error", problems.length === 1 ? problems[0][1] : t("common.fixFields"));
    problems[0][0].focus();
    return null;
  }
  return { email, password };
}

export function initEmail() {
  step = createCodeStep({
    kind: "email",
    prefix: "email",
    request,
    calls: {
      request: (args) => call("request_email_change", args),
      confirm: (args) => call("confirm_email_change", args),
      resend: () => call("resend_email_code"),
      cancel: () => call("cancel_email_change"),
    },
    fieldOf: {
      invalid_email: "email-new",
      email_confusable: "email-new",
      email_taken: "email-new",
      email_unchanged: "email-new",
      wrong_password: "email-password",
      too_many_attempts: "email-password",
    },
    describe: (target) => target,
    reset() {
      $("email-new").value = "";
      $("email-password").value = "";
    },
    confirmedText: (account) => t("email.changed", { email: account.view.email }),
  });
}

export function renderEmail({ focus = false } = {}) {
  const v = view();
  if (!v) return;
  $("email-current").textContent = v.email;
  step.render({ focus });
}

export function resetEmail() {
  step.reset();
}
