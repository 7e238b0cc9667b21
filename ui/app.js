// Entry module: renders the cached state at once, then syncs in the background and
// follows the app's events. See README.md for the contract with the Rust side.

import { call, isSignedOutError, listen } from "./js/api.js";
import { $, clearFieldErrors, focusHeading, forgetEdits, setStatus, withBusy } from "./js/dom.js";
import { errorText } from "./js/errors.js";
import { setTimeZone } from "./js/format.js";
import { applyI18n, loadAllCatalogs, loadCatalog, pickLanguage, setLanguage, t } from "./js/i18n.js";
import { conflictText, hideSyncAlert, initHeader, rejectedText, renderHeader, showSyncAlert } from "./js/header.js";
import { initSignIn, prepareSignIn, focusSignIn } from "./js/signin.js";
import { initNav } from "./js/nav.js";
import { renderUser } from "./js/user.js";
import { initPassword, renderPassword, resetPassword } from "./js/password.js";
import { controlsFor, statusIdFor } from "./js/prefs.js";
import { initOrganization, renderOrganization, renderOrganizationLink, resetOrganization } from "./js/organization.js";
import { registerSection, renderSection, renderSections, resetSections } from "./js/sections.js";
import {
  canViewMembers,
  forgetAccount,
  notify,
  setAccount,
  setAppState,
  setBalance,
  setMembers,
  setMembersError,
  setReference,
  setSessions,
  setSessionsError,
  setSignedIn,
  setSignedOut,
  setSync,
  state,
  subscribe,
  view,
} from "./js/store.js";

// Where fonts come from fontconfig (WebKitGTK on Linux and the BSDs), the fallback after
// the bundled face names only a generic family: see the note on --font in styles.css.
if (/\b(X11|Linux|FreeBSD|OpenBSD|NetBSD)\b/.test(navigator.userAgent) && !/Android|CrOS/.test(navigator.userAgent)) {
  document.documentElement.dataset.fonts = "fontconfig";
}

// ---------------------------------------------------------------- rendering

// The first frame holds what a fresh window shows (header, user info, change password).
// The sections below it are modules loaded once that frame is on screen, then rendered
// and revealed (`#settings[data-first-frame]` hides them until then). Rendering them up
// front delayed the first paint by a third for content nobody could see yet, and
// loading their modules (with the other languages' catalogs) before it cost the web
// process ~9 ms of CPU (WebKitGTK). Until they register (`js/sections.js`), rendering
// them does nothing: they render from the state once loaded.
let firstFrame = true;
registerSection("user", { render: renderUser });
registerSection("password", { render: renderPassword, reset: resetPassword });
registerSection("organization", { render: renderOrganization, reset: resetOrganization });

/** Loads, wires and renders the sections below the first screen, then reveals them. */
async function loadLowerSections() {
  const [email, phone, region, notifications, sessions, device, update, retranslate] = await Promise.all([
    import("./js/email.js"),
    import("./js/phone.js"),
    import("./js/region.js"),
    import("./js/notifications.js"),
    import("./js/sessions.js"),
    import("./js/device.js"),
    import("./js/update.js"),
    loadAllCatalogs(),
  ]);
  email.initEmail();
  phone.initPhone();
  region.initRegion();
  notifications.initNotifications();
  sessions.initSessions({ reload: loadSessions });
  registerSection("email", { render: email.renderEmail, reset: email.resetEmail });
  registerSection("phone", { render: phone.renderPhone, reset: phone.resetPhone });
  registerSection("region", { render: region.renderRegion, reset: region.resetRegion });
  registerSection("notifications", { render: notifications.renderNotifications, reset: notifications.resetNotifications });
  registerSection("sessions", { render: sessions.renderSessions, reset: sessions.resetSessions });
  device.initDevice();
  registerSection("device", { render: device.renderDevice, reset: device.resetDevice });
  device.loadDevice();
  update.initUpdate();
  registerSection("update", { render: update.renderUpdate, reset: () => {} });
  update.loadUpdate();
  if (retranslate) applyI18n();
  firstFrame = false;
  delete $("settings").dataset.firstFrame;
  if (state.signedIn) renderSettings();
}

function renderSettings() {
  renderHeader();
  // The side nav's Organization link is in the first frame; the section (which also
  // sets the link) comes with the rest.
  if (firstFrame) {
    renderSections(["user", "password"]);
    renderOrganizationLink();
    return;
  }
  renderSections();
}

/** The language to show: the account's, else the one detected from the OS. */
function accountLanguage() {
  return pickLanguage(view()?.language ?? state.detected?.language ?? navigator.language);
}

/** Applies the account's language and time zone; re-translates everything on change. */
function applyAccountLocale() {
  const changed = setLanguage(accountLanguage());
  setTimeZone(view()?.timeZone);
  if (changed) {
    applyI18n();
    // Messages already shown were written in the old language.
    for (const status of document.querySelectorAll("#settings .status")) setStatus(status, null, "");
    clearFieldErrors($("settings"));
    hideSyncAlert();
  }
  return changed;
}

function showSettings() {
  applyAccountLocale();
  applyI18n();
  $("signin").hidden = true;
  $("settings").hidden = false;
  renderSettings();
}

function showSignIn(options = {}) {
  $("settings").hidden = true;
  $("signin").hidden = false;
  applyI18n();
  prepareSignIn({ server: state.server, ...options });
}

// ---------------------------------------------------------------- data loading

let membersLoading = false;

async function loadSessions() {
  try {
    setSessions(await call("list_sessions"));
  } catch (error) {
    if (isSignedOutError(error)) return toSignIn();
    setSessionsError(error);
  }
  notify("sessions");
}

async function loadMembers() {
  if (!canViewMembers() || membersLoading) return;
  membersLoading = true;
  try {
    setMembers(await call("list_members"));
  } catch (error) {
    if (isSignedOutError(error)) return toSignIn();
    setMembersError(error);
  } finally {
    membersLoading = false;
  }
  notify("members");
}

/** Refresh from the server, then the lists. Offline is fine: the banner says so. */
async function backgroundSync() {
  try {
    setAccount(await call("refresh"));
  } catch (error) {
    if (isSignedOutError(error)) return toSignIn({ notice: t("signin.sessionEnded") });
    if (error.code !== "offline") console.warn("refresh failed", error);
  }
  if (!state.signedIn) return;
  await Promise.all([loadSessions(), loadMembers()]);
}

// ---------------------------------------------------------------- sign-in / sign-out

function onSignedIn(account) {
  setSignedIn(account);
  showSettings();
  focusHeading($("page-title"));
  loadSessions();
  loadMembers();
  // The first sign-in on this computer turns on starting at login: show it.
  import("./js/device.js").then((device) => device.loadDevice());
}

function clearSettingsForms() {
  resetSections();
  hideSyncAlert();
}

/** Back to the sign-in screen (sign-out, or the session ended); nothing typed survives. */
function toSignIn({ notice } = {}) {
  const email = view()?.email;
  const wasSignedIn = state.signedIn;
  setSignedOut();
  clearSettingsForms();
  // The sign-in screen stays in the language the user was just reading.
  showSignIn({ email, notice });
  if (wasSignedIn || notice) focusSignIn();
}

async function signOut() {
  await withBusy($("signout"), async () => {
    try {
      await call("sign_out");
    } catch (error) {
      if (!isSignedOutError(error)) {
        showSyncAlert(errorText(error));
        return;
      }
    }
    toSignIn();
  });
}

// ---------------------------------------------------------------- events

function onConflictOrRejection(fields, text) {
  forgetEdits(controlsFor(fields));
  setStatus(statusIdFor(fields), "error", text, { kind: "conflict" });
  showSyncAlert(text);
  renderSections(["region", "notifications"]);
}

subscribe((what, detail) => {
  if (what === "signed-out") return toSignIn();
  if (!state.signedIn) return;
  switch (what) {
    case "account":
      applyAccountLocale();
      renderSettings();
      if (canViewMembers() && state.members === null && !state.membersError) loadMembers();
      break;
    case "sync":
      renderHeader();
      if (state.sync?.connectivity === "online") {
        // Lists that failed while offline are fetched again once the server is back.
        if (state.sessionsError) loadSessions();
        if (state.membersError) loadMembers();
      }
      break;
    case "balance":
      renderHeader();
      break;
    case "sessions":
      renderSection("sessions");
      break;
    case "members":
      renderSection("organization");
      break;
    case "device":
      renderSection("device");
      break;
    case "pending":
      renderSection("user");
      renderSection(detail === "email" ? "email" : "phone");
      break;
    default:
      break;
  }
});

function registerEvents() {
  const handlers = {
    account(account) {
      if (state.signedIn) setAccount(account);
    },
    sync: setSync,
    balance: setBalance,
    conflict(payload) {
      if (state.signedIn) onConflictOrRejection(payload?.fields, conflictText(payload?.fields));
    },
    rejected(payload) {
      if (state.signedIn) onConflictOrRejection(payload?.fields, rejectedText(payload?.fields, errorText(payload)));
    },
    sessions(payload) {
      setSessions(payload);
      notify("sessions");
    },
    members(payload) {
      setMembers(payload);
      notify("members");
    },
    "signed-out"() {
      if (state.signedIn) toSignIn();
    },
    "session-ended"() {
      if (state.signedIn) toSignIn({ notice: t("signin.sessionEnded") });
    },
  };
  return Promise.all(Object.entries(handlers).map(([name, fn]) => listen(name, fn).catch(() => null)));
}

/** Resolves once the first render is on screen (two animation frames later), after
 * telling the app so (it builds the tray then; the benchmark times it) and loading and
 * rendering the rest of the page. */
function firstFrameShown() {
  return new Promise((resolve) =>
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        // The rest is fetched once the app has heard of the first frame (one IPC round
        // trip), so its files always come after that in the app's log.
        call("ui_painted")
          .catch(() => {})
          .then(loadLowerSections)
          .catch((error) => console.error("loading the sections below the first screen failed", error))
          .finally(resolve);
      }),
    ),
  );
}

// ---------------------------------------------------------------- boot

/** The starting data the app served inside the page (`src-tauri/src/boot.rs`): the
 * answers of `app_state` and `reference_data` without their two IPC round trips. Read
 * once and removed; null when absent or unreadable, and then the page asks over IPC. */
function takeEmbeddedState() {
  const element = document.getElementById("boot-state");
  if (!element) return null;
  element.remove();
  try {
    const data = JSON.parse(element.textContent);
    return data?.appState && data.reference ? data : null;
  } catch {
    return null;
  }
}

async function boot() {
  initNav();
  initHeader({ onSignOut: signOut });
  initSignIn({ onSignedIn });
  initPassword({ onPasswordChanged: loadSessions });
  initOrganization();

  const embedded = takeEmbeddedState();
  const [app, reference] = await Promise.allSettled(
    embedded ? [embedded.appState, embedded.reference] : [call("app_state"), call("reference_data")],
  );
  if (reference.status === "fulfilled") setReference(reference.value);
  let bootError = null;
  if (app.status === "fulfilled") {
    setAppState(app.value);
  } else {
    bootError = app.reason;
  }

  // The first render is in the account's language: its catalog first (English is
  // always there).
  await loadCatalog(accountLanguage()).catch((error) => console.error("loading the catalog failed", error));
  if (state.signedIn) {
    showSettings();
  } else {
    const email = state.account?.view?.email;
    applyAccountLocale();
    forgetAccount();
    showSignIn({ email, error: bootError });
    focusSignIn();
  }
  await firstFrameShown();

  // Listening starts after the first frame: each listener is one IPC call, and ten of
  // them queued ahead of app_state held the first paint back. What changed meanwhile is
  // read back once they are registered, so no event is missed.
  await registerEvents();
  await catchUp();
  if (state.signedIn) backgroundSync();
}

/** The app's state again, for whatever happened before the listeners were registered. */
async function catchUp() {
  let s;
  try {
    s = await call("app_state");
  } catch {
    return;
  }
  if (s?.sync) setSync(s.sync);
  if (!state.signedIn) return;
  if (!s?.signedIn || !s.account) return toSignIn({ notice: t("signin.sessionEnded") });
  setAccount(s.account);
}

boot();
