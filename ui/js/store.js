// The window's state and a tiny publish/subscribe: sections change state through these
// functions and app.js re-renders what changed.

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
