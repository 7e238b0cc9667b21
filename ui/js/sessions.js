// Sessions: this device marked; others can be signed out one by one or all at once.

import { call, isSignedOutError } from "./api.js";
import { $, el, setStatus, withBusy } from "./dom.js";
import { errorText } from "./errors.js";
import { dateTime, moment } from "./format.js";
import { t, tn } from "./i18n.js";
import { dropSessions, notify, state } from "./store.js";

function sorted(sessions) {
  return [...sessions].sort(
    (a, b) => Number(b.current) - Number(a.current) || Date.parse(b.lastSeenAt) - Date.parse(a.lastSeenAt),
  );
}

export function renderSessions() {
  const list = $("sessions-list");
  const empty = $("sessions-empty");
  const focused = document.activeElement;
  const focusId = list.contains(focused) ? focused.closest("[data-session-id]")?.dataset.sessionId : null;
  const sessions = state.sessions;
  if (!sessions) {
    list.replaceChildren();
    empty.hidden = false;
    empty.textContent = state.sessionsError ? errorText(state.sessionsError) : t("common.loading");
    return;
  }
  empty.hidden = sessions.length > 0;
  empty.textContent = sessions.length ? "" : t("sessions.none");
  list.replaceChildren(
    ...sorted(sessions).map((s) => {
      const name = s.deviceName || t("sessions.unknownDevice");
      const title = el("p", { class: "session-name" }, el("strong", { text: name }));
      if (s.current) title.append(" ", el("span", { class: "badge badge-current", text: t("sessions.thisDevice") }));
      const meta = el("p", {
        class: "session-meta",
        text: t("sessions.meta", { created: dateTime(s.createdAt), seen: moment(s.lastSeenAt) }),
      });
      const item = el(
        "li",
        { class: s.current ? "session current" : "session", dataset: { sessionId: s.id } },
        el("span", { class: "session-icon", "aria-hidden": "true" }),
        el("div", { class: "session-main" }, title, meta),
      );
      if (!s.current) {
        item.append(
          el("button", {
            type: "button",
            class: "session-revoke secondary small danger",
            "aria-label": t("sessions.revokeNamed", { device: name }),
            text: t("sessions.revoke"),
          }),
        );
      }
      return item;
    }),
  );
  const others = sessions.filter((s) => !s.current).length;
  $("sessions-revoke-others").dataset.others = String(others);
  if (focusId) list.querySelector(`[data-session-id="${CSS.escape(focusId)}"] button`)?.focus();
}

async function revoke(item) {
  const id = item.dataset.sessionId;
  const session = state.sessions?.find((s) => s.id === id);
  const button = item.querySelector("button.session-revoke");
  setStatus("sessions-status", null, "");
  await withBusy(button, async () => {
    try {
      await call("revoke_session", { id });
      const next = item.nextElementSibling ?? item.previousElementSibling;
      dropSessions((s) => s.id !== id);
      setStatus("sessions-status", "ok", t("sessions.revoked", { device: session?.deviceName || t("sessions.unknownDevice") }));
      const target = next && $("sessions-list").querySelector(`[data-session-id="${CSS.escape(next.dataset.sessionId)}"] button`);
      (target ?? $("sessions-revoke-others")).focus();
    } catch (error) {
      if (isSignedOutError(error)) return notify("signed-out");
      setStatus("sessions-status", "error", errorText(error));
    }
  });
}

export function initSessions({ reload }) {
  $("sessions-list").addEventListener("click", (event) => {
    const button = event.target.closest("button.session-revoke");
    if (button) revoke(button.closest("[data-session-id]"));
  });
  $("sessions-revoke-others").addEventListener("click", async () => {
    setStatus("sessions-status", null, "");
    await withBusy($("sessions-revoke-others"), async () => {
      try {
        const { revoked } = await call("revoke_other_sessions");
        dropSessions((s) => s.current);
        setStatus(
          "sessions-status",
          "ok",
          revoked > 0 ? tn("sessions.revokedOthers", revoked) : t("sessions.noOthers"),
        );
        reload?.();
      } catch (error) {
        if (isSignedOutError(error)) return notify("signed-out");
        setStatus("sessions-status", "error", errorText(error));
      }
    });
  });
}

export function resetSessions() {
  $("sessions-list").replaceChildren();
  setStatus("sessions-status", null, "");
}
