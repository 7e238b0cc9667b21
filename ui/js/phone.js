// Change phone: country calling code + number + password → the code sent by SMS.

import { $, el, setFieldError, setStatus } from "./dom.js";
import { call } from "./api.js";
import { createCodeStep } from "./codestep.js";
import { collator, countryName } from "./format.js";
import { language, t } from "./i18n.js";
import { displayPhone } from "./user.js";
import { state, view } from "./store.js";

let step = null;
let optionsKey = "";

function countries() {
  return (state.reference?.countries ?? [])
    .map((c) => ({ code: String(c.code).toUpperCase(), calling: String(c.callingCode).replace(/\D/g, "") }))
    .filter((c) => c.code && c.calling);
}

/** The country whose calling code starts the number (longest match; ties → account country). */
function countryOfNumber(e164, list) {
  if (!e164) return null;
  const digits = e164.replace(/^\+/, "");
  const matches = list.filter((c) => digits.startsWith(c.calling));
  if (!matches.length) return null;
  const longest = Math.max(...matches.map((c) => c.calling.length));
  const best = matches.filter((c) => c.calling.length === longest);
  const home = view()?.country;
  return (best.find((c) => c.code === home) ?? best[0]).code;
}

function renderCountries() {
  const select = $("phone-country");
  const list = countries();
  const key = `${language()}|${list.length}`;
  if (key !== optionsKey) {
    const chosen = select.value;
    const sorter = collator();
    const named = list
      .map((c) => ({ ...c, name: countryName(c.code) }))
      .sort((a, b) => sorter.compare(a.name, b.name));
    select.replaceChildren(
      el("option", { value: "", text: t("phone.countryChoose") }),
      ...named.map((c) => el("option", { value: c.code, dataset: { calling: c.calling }, text: `${c.name} (+${c.calling})` })),
    );
    if (chosen) select.value = chosen;
    optionsKey = key;
  }
  if (!select.value || select.dataset.dirty !== "true") {
    const v = view();
    const guess =
      countryOfNumber(v?.phone, list) ?? v?.country ?? state.detected?.country ?? "";
    if (list.some((c) => c.code === guess)) select.value = guess;
  }
}

function request() {
  const select = $("phone-country");
  const numberInput = $("phone-number");
  const passwordInput = $("phone-password");
  const raw = numberInput.value.trim();
  const password = passwordInput.value;
  const problems = [];
  let phone = null;
  if (!raw) {
    problems.push([numberInput, t("error.required")]);
  } else if (/^(\+|00)/.test(raw)) {
    // Typed with its own country code: send it as written; the server parses it.
    phone = `+${raw.replace(/^(\+|00)/, "").replace(/[^\d]/g, "")}`;
  } else {
    const calling = select.selectedOptions[0]?.dataset.calling;
    if (!calling) problems.push([select, t("error.choose_country")]);
    else phone = `+${calling}${raw.replace(/[^\d]/g, "")}`;
  }
  if (phone && (phone.length < 6 || phone.length > 17 || /[^\d\s().\-+/]/.test(raw))) {
    problems.push([numberInput, t("error.invalid_phone")]);
  }
  if (phone && phone === view()?.phone) problems.push([numberInput, t("error.phone_unchanged")]);
  if (!password) problems.push([passwordInput, t("error.required")]);
  if (problems.length) {
    for (const [input, text] of problems) setFieldError(input, text);
    setStatus("phone-status", "error", problems.length === 1 ? problems[0][1] : t("common.fixFields"));
    problems[0][0].focus();
    return null;
  }
  return { phone, password };
}

export function initPhone() {
  $("phone-country").addEventListener("change", (e) => {
    e.target.dataset.dirty = "true";
  });
  step = createCodeStep({
    kind: "phone",
    prefix: "phone",
    request,
    calls: {
      request: (args) => call("request_phone_change", args),
      confirm: (args) => call("confirm_phone_change", args),
      resend: () => call("resend_phone_code"),
      cancel: () => call("cancel_phone_change"),
    },
    fieldOf: {
      invalid_phone: "phone-number",
      phone_country_not_allowed: "phone-country",
      phone_unchanged: "phone-number",
      wrong_password: "phone-password",
      too_many_attempts: "phone-password",
    },
    describe: displayPhone,
    reset() {
      $("phone-number").value = "";
      $("phone-password").value = "";
      $("phone-country").dataset.dirty = "false";
    },
    confirmedText: (account) => t("phone.changed", { phone: displayPhone(account.view.phone) }),
  });
}

export function renderPhone({ focus = false } = {}) {
  const v = view();
  if (!v) return;
  $("phone-current").textContent = v.phone ? displayPhone(v.phone) : t("user.noPhone");
  renderCountries();
  step.render({ focus });
}

export function resetPhone() {
  step.reset();
}
