// Header (organization, balance, sync state, pending edits, sign out) and the banners
// below it: offline, and conflicts/rejections of queued edits.

import { $ } from "./dom.js";
import { dateTime, list, money, moment } from "./format.js";
import { has, t, tn } from "./i18n.js";
import { pendingEdits, state, view } from "./store.js";

function initials(name) {
  const words = String(name ?? "").trim().split(/\s+/).filter(Boolean);
  return words.slice(0, 2).map((w) => w[0].toUpperCase()).join("");
}

export function connectivity() {
  return state.sync?.connectivity ?? "online";
}

export function isOffline() {
  return connectivity() === "offline";
}

function lastSynced() {
  return state.sync?.lastSyncedAt ?? state.account?.syncedAt ?? null;
}

export function renderHeader() {
  const v = view();
  if (!v) return;
  $("org-name").textContent = v.organization?.name ?? "";
  $("org-avatar").textContent = initials(v.organization?.name);

  const balance = state.balance ?? v.balance;
  $("balance").textContent = balance ? money(balance.amountMinor, balance.currency) : "—";
  const alert = v.notifications?.lowBalance;
  const low = Boolean(alert?.enabled && balance && balance.amountMinor < alert.thresholdMinor);
  $("balance").classList.toggle("low", low);
  $("balance-low").hidden = !low;

  const mode = connectivity();
  const last = lastSynced();
  const status = $("sync-status");
  status.dataset.connectivity = mode;
  status.dataset.live = String(Boolean(state.sync?.live));
  $("sync-text").textContent =
    mode === "syncing"
      ? t("sync.syncing")
      : mode === "offline"
        ? t("sync.offline")
        : last
          ? t("sync.syncedAt", { time: moment(last) })
          : t("sync.online");
  status.title = mode === "online" ? (state.sync?.live ? t("sync.live") : t("sync.polling")) : "";

  const count = pendingEdits();
  const pending = $("pending-count");
  pending.dataset.count = String(count);
  pending.hidden = count === 0;
  pending.textContent = tn("sync.pending", count);
  pending.title = t("common.pendingHint");

  const banner = $("offline-banner");
  banner.hidden = mode !== "offline";
  $("offline-banner-text").textContent = last
    ? t("offline.banner", { time: dateTime(last) })
    : t("offline.bannerNoTime");
  for (const note of document.querySelectorAll(".needs-network")) note.hidden = mode !== "offline";
}

function fieldNames(fields) {
  return list((fields ?? []).map((f) => (has(`field.${f}`) ? t(`field.${f}`) : f)));
}

export function conflictText(fields) {
  return t("sync.conflict", { fields: fieldNames(fields) });
}

export function rejectedText(fields, reason) {
  return t("sync.rejected", { fields: fieldNames(fields), reason });
}

/** Shows a message about queued edits in the banner under the header. */
export function showSyncAlert(text) {
  $("sync-alert-text").textContent = text;
  $("sync-alert").hidden = false;
}

export function hideSyncAlert() {
  $("sync-alert").hidden = true;
  $("sync-alert-text").textContent = "";
}

export function initHeader({ onSignOut }) {
  $("signout").addEventListener("click", onSignOut);
  $("sync-alert-dismiss").addEventListener("click", () => {
    hideSyncAlert();
    $("main").focus();
  });
}
