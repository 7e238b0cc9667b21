// Turns a CommandError into the words the user reads, from the catalog.

import { has, t } from "./i18n.js";
import { inSeconds } from "./format.js";

/** The localized explanation of an error, with the wait when the server gave one. */
export function errorText(error) {
  const code = error?.code ?? "generic";
  const known = has(`error.${code}`);
  let text = known ? t(`error.${code}`) : t("error.generic");
  if (Number.isFinite(error?.retryAfterSeconds) && error.retryAfterSeconds > 0) {
    text += ` ${t("error.retryAfter", { when: inSeconds(error.retryAfterSeconds) })}`;
  }
  if (!known && error?.message) text += ` (${error.message})`;
  return text;
}

export function isOffline(error) {
  return error?.code === "offline";
}
