// Change password: current, new, repeat; a strength meter fed by `password_strength`
// (debounced) and the policy checked as the user types and again before submitting.

import { call, isSignedOutError } from "./api.js";
import { $, clearErrorsOnInput, clearFieldErrors, setFieldError, setStatus, withBusy } from "./dom.js";
import { errorText } from "./errors.js";
import { t } from "./i18n.js";
import { notify, view } from "./store.js";

const MIN_LEN = 15;
const MAX_LEN = 128;
const DEBOUNCE_MS = 300;

// { score, acceptable, reasons } for the value in #pw-new, or null. `reasons` are the
// error codes the change would refuse with, the first being the one it would answer.
let strength = null;
let strengthFor = "";
let sequence = 0;
let timer = null;

const length = (text) => [...text].length;

/** The user's name parts and email local part (3+ characters), as the server checks. */
function personalFragments() {
  const v = view();
  if (!v) return [];
  const parts = String(v.name ?? "").split(/[^\p{L}\p{N}]+/u);
  parts.push(String(v.email ?? "").split("@")[0]);
  return [...new Set(parts.map((p) => p.toLowerCase()).filter((p) => length(p) >= 3))];
}

function containsPersonal(password) {
  const lowered = password.toLowerCase();
  return personalFragments().some((f) => lowered.includes(f));
}

function setRule(rule, state) {
  const item = $("pw-policy").querySelector(`[data-rule="${rule}"]`);
  item.dataset.state = state ?? "";
  item.querySelector(".rule-state").textContent =
    state === "met" ? t("password.rule.met") : state === "unmet" ? t("password.rule.unmet") : "";
}

function renderChecks() {
  const pw = $("pw-new").value;
  const repeat = $("pw-repeat").value;
  const n = length(pw);
  const lengthOk = n >= MIN_LEN && n <= MAX_LEN;
  const known = n > 0 && strength && strengthFor === pw;
  const reasons = known ? (strength.reasons ?? []) : [];
  // The server's verdict once it has answered for this value; until then the local guess
  // for the rules the page can check itself (length exactly, the name approximately).
  const personalOk = known
    ? !reasons.includes("password_contains_personal_info")
    : !containsPersonal(pw);
  setRule("length", n === 0 ? null : lengthOk ? "met" : "unmet");
  setRule("personal", n === 0 ? null : personalOk ? "met" : "unmet");
  let common = null;
  if (known) {
    const guessable = reasons.includes("password_too_common") || reasons.includes("password_too_weak");
    common = guessable ? "unmet" : "met";
  }
  setRule("common", common);
  setRule("match", repeat === "" ? null : repeat === pw ? "met" : "unmet");

  const meter = $("pw-strength");
  const score = known ? strength.score : 0;
  meter.value = score;
  meter.dataset.score = known ? String(score) : "";
  // A score says nothing of the reasons a strong-looking value is still refused (on the
  // common list, holds the person's name): those are named beside it.
  const unscored = reasons.find((r) => r === "password_too_common" || r === "password_contains_personal_info");
  const text = $("pw-strength-text");
  text.textContent = known ? t(`password.score.${score}`) : "";
  text.dataset.reason = unscored ?? "";
  if (unscored) text.textContent += ` — ${errorText({ code: unscored })}`;
}

function scheduleStrength() {
  clearTimeout(timer);
  const candidate = $("pw-new").value;
  if (!candidate) {
    strength = null;
    renderChecks();
    return;
  }
  timer = setTimeout(async () => {
    const mine = ++sequence;
    try {
      const result = await call("password_strength", { candidate });
      if (mine !== sequence) return;
      strength = result;
      strengthFor = candidate;
    } catch {
      if (mine !== sequence) return;
      strength = null;
    }
    renderChecks();
  }, DEBOUNCE_MS);
}

const FIELD_OF = {
  wrong_password: "pw-current",
  password_too_short: "pw-new",
  password_too_long: "pw-new",
  password_too_common: "pw-new",
  password_too_weak: "pw-new",
  password_contains_personal_info: "pw-new",
  password_unchanged: "pw-new",
  password_mismatch: "pw-repeat",
};

function reset() {
  for (const id of ["pw-current", "pw-new", "pw-repeat"]) $(id).value = "";
  strength = null;
  strengthFor = "";
  renderChecks();
}

export function initPassword({ onPasswordChanged }) {
  const form = $("pw-form");
  clearErrorsOnInput(form);
  $("pw-new").addEventListener("input", () => {
    renderChecks();
    scheduleStrength();
  });
  $("pw-repeat").addEventListener("input", renderChecks);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    setStatus("pw-status", null, "");
    const current = $("pw-current").value;
    const next = $("pw-new").value;
    const repeat = $("pw-repeat").value;
    const problems = [];
    if (!current) problems.push(["pw-current", t("error.required")]);
    const n = length(next);
    if (!next) problems.push(["pw-new", t("error.required")]);
    else if (n < MIN_LEN) problems.push(["pw-new", t("error.password_too_short")]);
    else if (n > MAX_LEN) problems.push(["pw-new", t("error.password_too_long")]);
    else if (containsPersonal(next)) problems.push(["pw-new", t("error.password_contains_personal_info")]);
    else if (next === current) problems.push(["pw-new", t("error.password_unchanged")]);
    if (!repeat) problems.push(["pw-repeat", t("error.required")]);
    else if (next && repeat !== next) problems.push(["pw-repeat", t("error.password_mismatch")]);
    if (problems.length) {
      for (const [id, text] of problems) setFieldError($(id), text);
      setStatus("pw-status", "error", problems.length === 1 ? problems[0][1] : t("common.fixFields"));
      $(problems[0][0]).focus();
      return;
    }
    await withBusy($("pw-submit"), async () => {
      try {
        await call("change_password", { current, new: next, repeat });
        reset();
        setStatus("pw-status", "ok", t("password.changed"));
        onPasswordChanged?.();
      } catch (error) {
        if (isSignedOutError(error)) return notify("signed-out");
        const text = errorText(error);
        setStatus("pw-status", "error", text);
        const field = FIELD_OF[error.code];
        if (field) {
          setFieldError($(field), text);
          $(field).focus();
          if (field === "pw-current") $(field).select();
        }
      }
    });
  });
}

/** Re-renders texts that depend on the language (rules, strength word). */
export function renderPassword() {
  renderChecks();
}

/** Forgets everything typed (sign-out). */
export function resetPassword() {
  clearTimeout(timer);
  sequence++;
  reset();
  clearFieldErrors($("pw-form"));
  setStatus("pw-status", null, "");
}
