// Updates, in "This computer": the version running, a newer one when the update
// endpoint offers it (with its notes), and "Install and restart". Nothing is downloaded
// before that click; the download shows its progress, and the app restarts as the new
// version when the OS installer is done. A refused bundle (bad signature) says so and
// changes nothing. See src-tauri/src/updates.rs.

import { call, listen } from "./api.js";
import { $, setStatus } from "./dom.js";
import { errorText } from "./errors.js";
import { t } from "./i18n.js";

let update = null;
let busy = null; // "checking" | "installing" | null

function render() {
  $("update-current").textContent = update ? t("update.current", { version: update.current }) : "";
  const available = update?.available ?? null;
  $("update-available").hidden = available === null;
  if (available) {
    $("update-headline").textContent = t("update.available", { version: available.version });
    $("update-notes").textContent = available.notes;
    $("update-notes").hidden = !available.notes;
  }
  $("update-install").disabled = busy !== null;
  $("update-check").disabled = busy !== null || update?.disabled === true;
  $("update-section").setAttribute("aria-busy", busy === null ? "false" : "true");
}

function showProgress({ downloaded, total }) {
  const bar = $("update-progress");
  bar.hidden = false;
  if (total) {
    const percent = Math.min(100, Math.floor((downloaded / total) * 100));
    bar.value = percent;
    setStatus("update-status", "info", t("update.downloading", { percent }));
  } else {
    bar.removeAttribute("value");
    setStatus("update-status", "info", t("update.downloadingUnknown"));
  }
}

async function check() {
  busy = "checking";
  render();
  setStatus("update-status", "info", t("update.checking"));
  try {
    update = await call("check_for_update");
    setStatus("update-status", "ok", update.available ? "" : t("update.upToDate"));
  } catch (error) {
    setStatus("update-status", "error", errorText(error));
  } finally {
    busy = null;
    render();
  }
}

async function install() {
  busy = "installing";
  render();
  setStatus("update-status", "info", t("update.downloadingUnknown"));
  try {
    // Answers only on failure: on success the app restarts as the new version.
    await call("install_update");
  } catch (error) {
    $("update-progress").hidden = true;
    setStatus("update-status", "error", errorText(error));
    busy = null;
    render();
    $("update-install").focus();
  }
}

/** Reads what is known (the app checks by itself at start and every day). */
export async function loadUpdate() {
  try {
    update = await call("update_status");
    if (update.disabled) setStatus("update-status", "info", t("update.disabled"));
  } catch (error) {
    setStatus("update-status", "error", errorText(error));
  }
  render();
}

export function renderUpdate() {
  render();
}

export function initUpdate() {
  $("update-check").addEventListener("click", check);
  $("update-install").addEventListener("click", install);
  listen("update-available", (payload) => {
    update = payload;
    render();
  }).catch(() => null);
  listen("update-progress", (payload) => {
    if (busy === "installing") showProgress(payload);
    if (payload.total && payload.downloaded >= payload.total) {
      setStatus("update-status", "info", t("update.installing"));
    }
  }).catch(() => null);
}
