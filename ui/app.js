// Entry module: renders the cached state at once, then syncs in the background and
// follows the app's events. See README.md for the contract with the Rust side.

import { call, isSignedOutError, listen } from "./js/api.js";
import { $, clearFieldErrors, focusHeading, forgetEdits, setStatus, withBusy } from "./js/dom.js";
import { errorText } from "./js/errors.js";
import { setTimeZone } from "./js/format.js";
import { applyI18n, loadAllCatalogs, loadCatalog, pickLanguage, setLanguage, t } from "./js/i18n.js";
import { conflictText, hideSyncAlert, initHeader, rejectedText, renderHeader, showSyncAlert } from "./js/header.js";
import { initSignIn, prepareSignIn, focusSignIn } from "./js/signin.js";
import { renderUser } from "./js/user.js";
import { initPassword, renderPassword, resetPassword } from "./js/password.js";
import { controlsFor, statusIdFor } from "./js/prefs.js";
import { initOrganization, renderOrganization, renderOrganizationLink, resetOrganization } from "./js/organization.js";
import { canViewMembers, notify, resetSession, setAccount, state, subscribe, view } from "./js/store.js";

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
// process ~9 ms of CPU (WebKitGTK). Until they are there, `lower` is null and the
// calls into them below do nothing: they render from the state once loaded.
let firstFrame = true;
let lower = null;

/** Loads, wires and renders the sections below the first screen, then reveals them. */
async function loadLowerSections() {
  const [email, phone, region, notifications, sessions, retranslate] = await Promise.all([
    import("./js/email.js"),
    import("./js/phone.js"),
    import("./js/region.js"),
    import("./js/notifications.js"),
    import("./js/sessions.js"),
    loadAllCatalogs(),
  ]);
  email.initEmail();
  phone.initPhone();
  region.initRegion();
  notifications.initNotifications();
  sessions.initSessions({ reload: loadSessions });
  lower = { email, phone, region, notifications, sessions };
  if (retranslate) applyI18n();
  firstFrame = false;
  delete $("settings").dataset.firstFrame;
  if (state.signedIn) renderSettings();
}

function renderSettings() {
  renderHeader();
  renderUser();
  renderPassword();
  // The side nav's Organization link is in the first frame; the section (which also
  // sets the link) comes with the rest.
  if (firstFrame) {
    renderOrganizationLink();
    return;
  }
  lower?.email.renderEmail();
  lower?.phone.renderPhone();
  lower?.region.renderRegion();
  lower?.notifications.renderNotifications();
  renderOrganization();
  lower?.sessions.renderSessions();
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

/** `{ sessions, syncedAt }`: what `list_sessions` answers and the `sessions` event carries. */
function setSessions(payload) {
  state.sessions = payload?.sessions ?? [];
  state.sessionsError = null;
}

/** `{ members, syncedAt }`: what `list_members` answers and the `members` event carries. */
function setMembers(payload) {
  state.members = payload?.members ?? [];
  state.membersError = null;
}

async function loadSessions() {
  try {
    setSessions(await call("list_sessions"));
  } catch (error) {
    if (isSignedOutError(error)) return toSignIn();
    state.sessionsError = error;
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
    state.membersError = error;
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
  resetSession();
  state.signedIn = true;
  state.account = account;
  if (account?.view?.balance) state.balance = { ...account.view.balance, syncedAt: account.syncedAt ?? null };
  showSettings();
  focusHeading($("page-title"));
  loadSessions();
  loadMembers();
}

function clearSettingsForms() {
  resetPassword();
  lower?.email.resetEmail();
  lower?.phone.resetPhone();
  lower?.region.resetRegion();
  lower?.notifications.resetNotifications();
  resetOrganization();
  lower?.sessions.resetSessions();
  hideSyncAlert();
}

/** Back to the sign-in screen (sign-out, or the session ended); nothing typed survives. */
function toSignIn({ notice } = {}) {
  const email = view()?.email;
  const wasSignedIn = state.signedIn;
  resetSession();
  state.account = null;
  state.balance = null;
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
  lower?.region.renderRegion();
  lower?.notifications.renderNotifications();
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
      lower?.sessions.renderSessions();
      break;
    case "members":
      renderOrganization();
      break;
    case "pending":
      renderUser();
      if (detail === "email") lower?.email.renderEmail();
      else lower?.phone.renderPhone();
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
    sync(sync) {
      state.sync = sync;
      notify("sync");
    },
    balance(balance) {
      state.balance = balance;
      notify("balance");
    },
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

// ---------------------------------------------------------------- page wiring

function wireRevealButtons() {
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.reveal");
    if (!button) return;
    const input = $(button.dataset.reveal);
    const show = input.type === "password";
    input.type = show ? "text" : "password";
    button.setAttribute("aria-pressed", String(show));
    button.dataset.i18n = show ? "common.hide" : "common.show";
    button.textContent = t(button.dataset.i18n);
  });
}

function wireNav() {
  const links = [...document.querySelectorAll(".sidenav a")];
  for (const link of links) {
    link.addEventListener("click", (event) => {
      const section = $(link.getAttribute("href").slice(1));
      if (!section) return;
      event.preventDefault();
      for (const other of links) other.removeAttribute("aria-current");
      link.setAttribute("aria-current", "true");
      const reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      section.scrollIntoView({ behavior: reduce ? "auto" : "smooth", block: "start" });
      focusHeading(section.querySelector("h2"));
    });
  }
  // In-page links elsewhere (role note, "add a phone number") focus their target too.
  document.addEventListener("click", (event) => {
    const link = event.target.closest('a[href^="#"]:not(.sidenav a):not(.skip-link)');
    if (!link) return;
    const section = $(link.getAttribute("href").slice(1));
    if (!section) return;
    event.preventDefault();
    section.scrollIntoView({ block: "start" });
    focusHeading(section.querySelector("h2"));
  });
}

function wireShortcuts() {
  window.addEventListener(
    "keydown",
    (event) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === "w") {
        event.preventDefault();
        call("close_window").catch(() => {});
      }
    },
    true,
  );
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
  wireShortcuts();
  wireRevealButtons();
  wireNav();
  initHeader({ onSignOut: signOut });
  initSignIn({ onSignedIn });
  initPassword({ onPasswordChanged: loadSessions });
  initOrganization();

  const embedded = takeEmbeddedState();
  const [app, reference] = await Promise.allSettled(
    embedded ? [embedded.appState, embedded.reference] : [call("app_state"), call("reference_data")],
  );
  if (reference.status === "fulfilled") state.reference = reference.value;
  let bootError = null;
  if (app.status === "fulfilled") {
    const s = app.value ?? {};
    state.server = s.server ?? "";
    state.sync = s.sync ?? null;
    state.detected = s.detected ?? null;
    state.account = s.account ?? null;
    if (s.account?.view?.balance) state.balance = { ...s.account.view.balance, syncedAt: s.account.syncedAt ?? null };
    state.signedIn = Boolean(s.signedIn && s.account);
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
    state.account = null;
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
  if (s?.sync) {
    state.sync = s.sync;
    notify("sync");
  }
  if (!state.signedIn) return;
  if (!s?.signedIn || !s.account) return toSignIn({ notice: t("signin.sessionEnded") });
  setAccount(s.account);
}

boot();
