// Saving language/region and notification preferences through `update_preferences`,
// and explaining what happened: synced, saved on this device only, conflicts, refusals.

import { call, isSignedOutError } from "./api.js";
import { forgetEdits, setStatus, withBusy } from "./dom.js";
import { errorText } from "./errors.js";
import { conflictText, rejectedText } from "./header.js";
import { t } from "./i18n.js";
import { notify, setAccount } from "./store.js";

/** Which form's status reports on a field. */
export const REGION_FIELDS = new Set(["language", "country", "timeZone"]);

export function statusIdFor(fields) {
  return (fields ?? []).every((f) => REGION_FIELDS.has(f)) ? "region-status" : "notif-status";
}

/** The controls that show a field, so a conflict can drop the user's edits of them. */
export function controlsFor(fields) {
  return (fields ?? []).flatMap((f) => [...document.querySelectorAll(`[data-pending-field="${f}"]`)]);
}

/**
 * Sends `edit`; on success forgets the edits of `controls` (the server's values are
 * shown from now on) and reports in `statusId`. `onError(error)` may mark fields.
 * Resolves to true when the edit was accepted (synced or queued).
 */
export async function savePreferences(edit, { button, statusId, controls, onError }) {
  setStatus(statusId, null, "");
  const saved = await withBusy(button, async () => {
    try {
      const result = await call("update_preferences", { edit });
      forgetEdits(controls);
      setAccount(result.account);
      const messages = [];
      for (const conflict of result.conflicts ?? []) messages.push(conflictText(conflict.fields));
      for (const refusal of result.rejected ?? []) {
        messages.push(rejectedText(refusal.fields, errorText(refusal)));
      }
      if (messages.length) setStatus(statusId, "error", messages.join(" "), { kind: "conflict" });
      else setStatus(statusId, "ok", result.synced ? t("common.saved") : t("common.savedOffline"));
      return true;
    } catch (error) {
      if (isSignedOutError(error)) {
        notify("signed-out");
        return false;
      }
      setStatus(statusId, "error", errorText(error));
      onError?.(error);
      return false;
    }
  });
  return saved === true;
}
