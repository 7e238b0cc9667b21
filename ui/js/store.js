// The window's state and a tiny publish/subscribe. State is written only through the
// functions of this module (the other modules read `state`); app.js re-renders what
// changed.

export const state = {
  /** Server address from app_state (prefills the sign-in form). */
  server: "",
  signedIn: false,
  /** Account = { view, pendingFields, pendingEdits, syncedAt } or null. */
  account: null,
  /** Sync = { connectivity, lastSyncedAt, pendingEdits, live }. */
  sync: null,
  /** The organization's balance { amountMinor, currency, syncedAt }. */
  balance: null,
  /** What the OS suggests: { language, country, timeZone }. */
  detected: null,
  /** reference_data(): { languages, countries, timeZones }. */
  reference: null,
  /** Sessions and members lists; null until loaded. */
  sessions: null,
  sessionsError: null,
  members: null,
  membersError: null,
  /** Pending email/phone changes this window knows better than the cached view. */
  pendingOverride: { email: undefined, phone: undefined },
  /** The user dismissed the detected-region offer in this run. */
  detectedDismissed: false,
  /** This computer's own settings, device_settings(): { startAtLogin }; null until loaded. */
  device: null,
};

const subscribers = new Set();

export function subscribe(fn) {
  subscribers.add(fn);
  return () => subscribers.delete(fn);
}

/** Tells the subscribers what changed: "account", "sync", "balance", "sessions", … */
export function notify(what, detail) {
  for (const fn of subscribers) fn(what, detail);
}

export function view() {
  return state.account?.view ?? null;
}

export function hasPermission(permission) {
  const v = view();
  return Boolean(v?.permissions?.includes(permission));
}

export function canViewMembers() {
  const v = view();
  return hasPermission("view_members") || v?.role === "owner" || v?.role === "admin";
}

export function canManageRoles() {
  return hasPermission("manage_roles") || view()?.role === "owner";
}

function samePending(a, b) {
  return Boolean(a && b && a.target === b.target && a.expiresAt === b.expiresAt);
}

/** Accepts a new Account (from a command or the `account` event). */
export function setAccount(account) {
  if (!account?.view) return;
  state.account = account;
  for (const kind of ["email", "phone"]) {
    const fromView = account.view[kind === "email" ? "pendingEmailChange" : "pendingPhoneChange"] ?? null;
    const local = state.pendingOverride[kind];
    if (local === undefined) continue;
    if ((local === null && fromView === null) || samePending(local, fromView)) {
      state.pendingOverride[kind] = undefined;
    }
  }
  if (account.view.balance) {
    state.balance = { ...account.view.balance, syncedAt: account.syncedAt ?? state.balance?.syncedAt ?? null };
  }
  notify("account");
}

/** The pending email or phone change to show, if any. */
export function pendingChange(kind) {
  const local = state.pendingOverride[kind];
  if (local !== undefined) return local;
  const v = view();
  return (kind === "email" ? v?.pendingEmailChange : v?.pendingPhoneChange) ?? null;
}

export function setPendingChange(kind, pending) {
  state.pendingOverride[kind] = pending ?? null;
  notify("pending", kind);
}

/** Number of edits not yet synced, from whichever report is newest. */
export function pendingEdits() {
  return state.sync?.pendingEdits ?? state.account?.pendingEdits ?? 0;
}

/** Forgets everything about the signed-in user (sign-out, session ended). */
export function resetSession() {
  state.signedIn = false;
  state.sessions = null;
  state.sessionsError = null;
  state.members = null;
  state.membersError = null;
  state.pendingOverride = { email: undefined, phone: undefined };
  state.detectedDismissed = false;
}

/** The balance an Account carries, with when it was synced. */
function balanceOf(account) {
  return account?.view?.balance ? { ...account.view.balance, syncedAt: account.syncedAt ?? null } : null;
}

/** What `app_state` answered at start: the server, sync state, OS defaults, cached account. */
export function setAppState(s) {
  state.server = s?.server ?? "";
  state.sync = s?.sync ?? null;
  state.detected = s?.detected ?? null;
  state.account = s?.account ?? null;
  state.balance = balanceOf(s?.account) ?? state.balance;
  state.signedIn = Boolean(s?.signedIn && s?.account);
}

export function setReference(reference) {
  state.reference = reference;
}

export function setServer(server) {
  state.server = server;
}

/** A sign-in succeeded: a fresh session for `account`. */
export function setSignedIn(account) {
  resetSession();
  state.signedIn = true;
  state.account = account;
  state.balance = balanceOf(account) ?? state.balance;
}

/** Signed out (or the session ended): nothing of the account stays. */
export function setSignedOut() {
  resetSession();
  state.account = null;
  state.balance = null;
}

/** The cached account of a signed-out start (read for its language, then dropped). */
export function forgetAccount() {
  state.account = null;
}

export function setSync(sync) {
  state.sync = sync;
  notify("sync");
}

export function setBalance(balance) {
  state.balance = balance;
  notify("balance");
}

/** `{ sessions, syncedAt }`: what `list_sessions` answers and the `sessions` event carries. */
export function setSessions(payload) {
  state.sessions = payload?.sessions ?? [];
  state.sessionsError = null;
}

export function setSessionsError(error) {
  state.sessionsError = error;
}

/** Drops sessions from the list (after revoking them) and re-renders it. */
export function dropSessions(keep) {
  if (state.sessions) state.sessions = state.sessions.filter(keep);
  notify("sessions");
}

/** `{ members, syncedAt }`: what `list_members` answers and the `members` event carries. */
export function setMembers(payload) {
  state.members = payload?.members ?? [];
  state.membersError = null;
}

export function setMembersError(error) {
  state.membersError = error;
}

/** One member as the server now has it (after a role change). */
export function replaceMember(updated) {
  if (state.members) state.members = state.members.map((m) => (m.userId === updated.userId ? updated : m));
}

/** The user dismissed the detected-region offer for this run. */
export function dismissDetected() {
  state.detectedDismissed = true;
}

/** What `device_settings` and `set_start_at_login` answer. */
export function setDevice(device) {
  state.device = device;
  notify("device");
}
