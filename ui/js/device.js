// This computer: settings of this device only, kept by the app, never on the server.
// Starting at login (into the tray) is turned on by the first sign-in on a device; the
// checkbox shows what the OS will do and changes it at once (no Save: one choice, and
// the OS answers in milliseconds). See src-tauri/src/login_start.rs.

import { call, isSignedOutError } from "./api.js";
import { $, setStatus } from "./dom.js";
import { errorText } from "./errors.js";
import { t } from "./i18n.js";
import { notify, setDevice, state } from "./store.js";

export function renderDevice() {
  const box = $("device-start-at-login");
  box.disabled = state.device === null || box.dataset.busy === "true";
  box.checked = state.device?.startAtLogin ?? false;
}

export function resetDevice() {
  setStatus("device-status", null, "");
}

/** Reads this computer's settings (after sign-in and at start). */
export async function loadDevice() {
  try {
    setDevice(await call("device_settings"));
  } catch (error) {
    setStatus("device-status", "error", errorText(error));
  }
}

async function choose(box) {
  const enabled = box.checked;
  box.dataset.busy = "true";
  box.disabled = true;
  setStatus("device-status", null, "");
  try {
    setDevice(await call("set_start_at_login", { enabled }));
    setStatus("device-status", "ok", t(state.device.startAtLogin ? "device.startAtLoginOn" : "device.startAtLoginOff"));
  } catch (error) {
    if (isSignedOutError(error)) return notify("signed-out");
    setStatus("device-status", "error", errorText(error));
  } finally {
    delete box.dataset.busy;
    renderDevice();
    box.focus();
  }
}

export function initDevice() {
  $("device-start-at-login").addEventListener("change", (event) => choose(event.target));
}
