// The two-step change shared by email and phone: request (new value + password) →
// enter the code sent to the new address/number, with resend countdown and cancel.

import { isSignedOutError } from "./api.js";
import {
  $,
  clearErrorsOnInput,
  clearFieldErrors,
  focusHeading,
  setFieldError,
  setStatus,
  withBusy,
} from "./dom.js";
import { errorText } from "./errors.js";
import { countdown, timeOfDay } from "./format.js";
import { t } from "./i18n.js";
import { notify, pendingChange, setAccount, setPendingChange } from "./store.js";

/** Codes after which the pending change is gone and a new request is needed. */
const GONE = new Set(["no_pending_change", "code_expired", "code_attempts_exceeded", "too_many_attempts"]);
const BAD_CODE = new Set(["code_invalid"]);

/**
 * kind: "email" | "phone"; prefix: element id prefix; request(): validates the first
 * form and returns the args of the request command, or null; calls: { request(args),
 * confirm(args), resend(), cancel() }, each one command named literally by the caller
 * (so a test can match the UI's commands against the app's); fieldOf: error code →
 * input id of the first form; describe(target): how to show the new value; reset():
 * clears the first form; confirmedText(account): the success message.
 */
export function createCodeStep({ kind, prefix, request, calls, fieldOf, describe, reset, confirmedText }) {
  const statusId = `${prefix}-status`;
  const requestForm = $(`${prefix}-form`);
  const codeForm = $(`${prefix}-code-form`);
  const codeInput = $(`${prefix}-code`);
  const resend = $(`${prefix}-resend`);
  let ticker = null;

  function tick() {
    const pending = pendingChange(kind);
    if (!pending || codeForm.hidden) {
      clearInterval(ticker);
      ticker = null;
      return;
    }
    const now = Date.now();
    const wait = (Date.parse(pending.resendAvailableAt) - now) / 1000;
    if (resend.getAttribute("aria-busy") !== "true") {
      if (wait > 0) {
        resend.disabled = true;
        resend.dataset.countdown = String(Math.ceil(wait));
        resend.textContent = t("code.resendIn", { time: countdown(wait) });
      } else {
        resend.disabled = false;
        delete resend.dataset.countdown;
        resend.textContent = t("code.resend");
      }
    }
    const expired = Date.parse(pending.expiresAt) <= now;
    $(`${prefix}-code-hint`).textContent = expired
      ? t("code.expired")
      : t("code.expiresAt", { time: timeOfDay(pending.expiresAt) });
  }

  function render({ focus = false } = {}) {
    const pending = pendingChange(kind);
    requestForm.hidden = Boolean(pending);
    codeForm.hidden = !pending;
    if (pending) {
      $(`${prefix}-code-sent`).textContent = t(`${kind}.codeSent`, { target: describe(pending.target) });
      tick();
      if (!ticker) ticker = setInterval(tick, 1000);
      if (focus) codeInput.focus();
    } else {
      clearInterval(ticker);
      ticker = null;
      codeInput.value = "";
      clearFieldErrors(codeForm);
    }
  }

  function fail(error, { input } = {}) {
    if (isSignedOutError(error)) {
      notify("signed-out");
      return;
    }
    const text = errorText(error);
    setStatus(statusId, "error", text);
    if (input) {
      setFieldError(input, text);
      input.focus();
      if (input.type === "password") input.select();
    }
  }

  function backToRequest(error) {
    setPendingChange(kind, null);
    render();
    setStatus(statusId, "error", `${errorText(error)} ${t("code.requestAgain")}`);
    requestForm.querySelector("input")?.focus();
  }

  clearErrorsOnInput(requestForm);
  clearErrorsOnInput(codeForm);

  requestForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(requestForm);
    setStatus(statusId, null, "");
    const args = request();
    if (!args) return;
    await withBusy($(`${prefix}-submit`), async () => {
      try {
        const pending = await calls.request(args);
        reset();
        setPendingChange(kind, pending);
        render({ focus: true });
        setStatus(statusId, "ok", t(`${kind}.codeSentStatus`, { target: describe(pending.target) }));
      } catch (error) {
        const id = fieldOf[error.code];
        fail(error, { input: id ? $(id) : null });
      }
    });
  });

  codeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(codeForm);
    setStatus(statusId, null, "");
    const code = codeInput.value.replace(/\s+/g, "");
    if (!/^\d{6}$/.test(code)) {
      const text = code ? t("error.code_format") : t("error.required");
      setFieldError(codeInput, text);
      setStatus(statusId, "error", text);
      codeInput.focus();
      return;
    }
    await withBusy($(`${prefix}-code-submit`), async () => {
      try {
        const account = await calls.confirm({ code });
        codeInput.value = "";
        setPendingChange(kind, null);
        setAccount(account);
        render();
        setStatus(statusId, "ok", confirmedText(account));
        focusHeading($(`${prefix}-title`));
      } catch (error) {
        if (GONE.has(error.code)) backToRequest(error);
        else fail(error, { input: BAD_CODE.has(error.code) ? codeInput : null });
        if (BAD_CODE.has(error.code)) codeInput.select();
      }
    });
  });

  resend.addEventListener("click", async () => {
    setStatus(statusId, null, "");
    await withBusy(resend, async () => {
      try {
        const pending = await calls.resend();
        setPendingChange(kind, pending);
        setStatus(statusId, "ok", t("code.resent", { target: describe(pending.target) }));
      } catch (error) {
        if (error.code === "no_pending_change") backToRequest(error);
        else fail(error);
      }
    });
    render();
    codeInput.focus();
  });

  $(`${prefix}-cancel`).addEventListener("click", async () => {
    setStatus(statusId, null, "");
    await withBusy($(`${prefix}-cancel`), async () => {
      try {
        await calls.cancel();
      } catch (error) {
        if (error.code !== "no_pending_change") {
          fail(error);
          return;
        }
      }
      setPendingChange(kind, null);
      render();
      setStatus(statusId, "ok", t(`${kind}.cancelled`));
      requestForm.querySelector("input")?.focus();
    });
  });

  return {
    render,
    /** Forgets what was typed and stops the countdown (sign-out). */
    reset() {
      reset();
      codeInput.value = "";
      clearFieldErrors(requestForm);
      clearFieldErrors(codeForm);
      setStatus(statusId, null, "");
      clearInterval(ticker);
      ticker = null;
    },
  };
}
