// Notifications: contact-import channels for everyone; billing channels and the
// low-balance alert only for users with billing permission (`view.notifications.billing`).

import { applyI18n, t } from "./i18n.js";
import {
  $,
  clearErrorsOnInput,
  clearFieldErrors,
  setFieldError,
  setStatus,
  showPending,
  showValue,
  trackEdits,
} from "./dom.js";
import { currencySymbol, decimalsOf, majorInput, money, parseMajor } from "./format.js";
import { savePreferences } from "./prefs.js";
import { state, view } from "./store.js";

const ORDER = ["email", "sms", "desktop"];
/** The largest threshold the server accepts (account-model prefs.rs). */
const MAX_THRESHOLD_MINOR = 1_000_000_000_000;

const GROUPS = {
  contactImports: { email: "notif-contacts-email", sms: "notif-contacts-sms" },
  billing: { email: "notif-billing-email", sms: "notif-billing-sms" },
  lowBalance: { email: "lowbal-email", sms: "lowbal-sms", desktop: "lowbal-desktop" },
};

function hasPhone() {
  return Boolean(view()?.phone);
}

/** Channels ticked in a group, in canonical order; SMS only counts with a phone. */
function chosen(group) {
  return ORDER.filter((c) => GROUPS[group][c] && $(GROUPS[group][c])?.checked && (c !== "sms" || hasPhone()));
}

function effective(channels) {
  return ORDER.filter((c) => (channels ?? []).includes(c) && (c !== "sms" || hasPhone()));
}

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

function ensureBillingSection(present) {
  const existing = $("billing-section");
  if (present && !existing) {
    const fragment = $("billing-template").content.cloneNode(true);
    applyI18n(fragment);
    $("billing-slot").append(fragment);
  } else if (!present && existing) {
    existing.remove();
  }
}

/** Ticks what the account has; SMS shows unticked without a phone (it cannot be sent). */
function showGroup(group, channels) {
  const chosenChannels = effective(channels);
  for (const [channel, id] of Object.entries(GROUPS[group])) {
    const box = $(id);
    if (box) showValue(box, chosenChannels.includes(channel));
  }
}

export function renderNotifications() {
  const v = view();
  if (!v) return;
  const n = v.notifications ?? {};
  showGroup("contactImports", n.contactImports);
  const billing = Array.isArray(n.billing);
  ensureBillingSection(billing);
  if (billing) {
    showGroup("billing", n.billing);
    const low = n.lowBalance ?? { enabled: false, thresholdMinor: 0, channels: [] };
    const currency = v.organization?.currency ?? v.balance?.currency ?? "EUR";
    showValue($("lowbal-enabled"), low.enabled);
    const threshold = $("lowbal-threshold");
    if (threshold.dataset.dirty !== "true" || threshold.dataset.currency !== currency) {
      showValue(threshold, majorInput(low.thresholdMinor, currency));
    }
    threshold.dataset.currency = currency;
    $("lowbal-currency").textContent = currencySymbol(currency);
    const example = 50 * 10 ** decimalsOf(currency);
    $("lowbal-threshold-hint").textContent = t("notif.lowbal.thresholdHint", {
      number: "50",
      amount: money(example, currency),
      currency,
    });
    showGroup("lowBalance", low.channels);
  }

  const phone = hasPhone();
  for (const box of document.querySelectorAll("#notif-form .sms-choice")) {
    box.disabled = !phone;
    if (phone) box.removeAttribute("aria-describedby");
    else box.setAttribute("aria-describedby", "notif-sms-note");
    box.closest(".check")?.classList.toggle("disabled", !phone);
  }
  $("notif-sms-note").hidden = phone;
  showPending($("notif-form"), state.account.pendingFields);
}

function controls() {
  return [...document.querySelectorAll("#notif-form input")];
}

function buildEdit() {
  const v = view();
  const n = v.notifications ?? {};
  const edit = {};
  const contacts = chosen("contactImports");
  if (!same(contacts, effective(n.contactImports))) edit.contactImports = contacts;
  if (Array.isArray(n.billing) && $("billing-section")) {
    const billing = chosen("billing");
    if (!same(billing, effective(n.billing))) edit.billing = billing;
    const low = n.lowBalance ?? { enabled: false, thresholdMinor: 0, channels: [] };
    const lowEdit = {};
    const enabled = $("lowbal-enabled").checked;
    if (enabled !== low.enabled) lowEdit.enabled = enabled;
    const input = $("lowbal-threshold");
    const currency = v.organization?.currency ?? v.balance?.currency ?? "EUR";
    const minor = parseMajor(input.value, currency);
    if (minor === null || minor > MAX_THRESHOLD_MINOR) {
      return { error: [input, input.value.trim() ? t("error.invalid_threshold") : t("error.required")] };
    }
    if (minor !== low.thresholdMinor) lowEdit.thresholdMinor = minor;
    const channels = chosen("lowBalance");
    if (!same(channels, effective(low.channels))) lowEdit.channels = channels;
    if (Object.keys(lowEdit).length) edit.lowBalance = lowEdit;
  }
  return { edit };
}

export function initNotifications() {
  const form = $("notif-form");
  trackEdits(form);
  clearErrorsOnInput(form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!view()) return;
    clearFieldErrors(form);
    setStatus("notif-status", null, "");
    const { edit, error } = buildEdit();
    if (error) {
      setFieldError(error[0], error[1]);
      setStatus("notif-status", "error", error[1]);
      error[0].focus();
      return;
    }
    if (!Object.keys(edit).length) {
      setStatus("notif-status", "ok", t("common.nothingToSave"), { kind: "info" });
      return;
    }
    await savePreferences(edit, {
      button: $("notif-save"),
      statusId: "notif-status",
      controls: controls(),
      onError(err) {
        const target =
          err.code === "invalid_threshold"
            ? $("lowbal-threshold")
            : err.code === "phone_required"
              ? form.querySelector(".sms-choice:checked")
              : null;
        if (target) {
          setFieldError(target, $("notif-status").textContent);
          target.focus();
        }
      },
    });
  });
}

export function resetNotifications() {
  for (const c of controls()) c.dataset.dirty = "false";
  $("billing-section")?.remove();
  setStatus("notif-status", null, "");
}
