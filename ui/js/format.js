// Money, times and names, formatted for the current language and the user's time zone.

import { language, locale, t } from "./i18n.js";

/** Currencies whose minor unit is not 1/100 (the server's list, account-model prefs.rs). */
const ZERO_DECIMAL = new Set(["JPY", "KRW", "CLP", "ISK", "VND", "XAF", "XOF", "PYG", "UGX"]);

export function decimalsOf(currency) {
  return ZERO_DECIMAL.has(String(currency).toUpperCase()) ? 0 : 2;
}

let timeZone;

/** The zone times are shown in: the account's, or the system's when it is unknown. */
export function setTimeZone(zone) {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    timeZone = zone;
  } catch {
    timeZone = undefined;
  }
}

export function money(amountMinor, currency) {
  if (!Number.isFinite(amountMinor) || !currency) return "—";
  const decimals = decimalsOf(currency);
  try {
    return new Intl.NumberFormat(locale(), {
      style: "currency",
      currency,
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
    }).format(amountMinor / 10 ** decimals);
  } catch {
    return `${(amountMinor / 10 ** decimals).toFixed(decimals)} ${currency}`;
  }
}

/** The currency's symbol in the current language ("€", "US$"…). */
export function currencySymbol(currency) {
  try {
    const parts = new Intl.NumberFormat(locale(), { style: "currency", currency }).formatToParts(0);
    return parts.find((p) => p.type === "currency")?.value ?? currency;
  } catch {
    return currency;
  }
}

/** Minor units as the plain number a user types: "50", "50.5" → "50,50" in Spanish. */
export function majorInput(amountMinor, currency) {
  const decimals = decimalsOf(currency);
  if (decimals === 0 || amountMinor % 10 ** decimals === 0) {
    return String(Math.trunc(amountMinor / 10 ** decimals));
  }
  const point = decimalPoint();
  const text = (amountMinor / 10 ** decimals).toFixed(decimals);
  return text.replace(".", point);
}

export function decimalPoint() {
  const parts = new Intl.NumberFormat(locale()).formatToParts(1.5);
  return parts.find((p) => p.type === "decimal")?.value ?? ".";
}

/**
 * Parses a typed amount in major units ("50", "50.5", "50,50") into minor units.
 * Returns null when it is not a plain non-negative number with at most the currency's
 * decimals. No grouping separators: "1,000" would be ambiguous between languages.
 */
export function parseMajor(text, currency) {
  const value = String(text).trim().replace(/[\s\u00a0\u202f]/g, "");
  const match = /^(\d{1,13})(?:[.,](\d+))?$/.exec(value);
  if (!match) return null;
  const decimals = decimalsOf(currency);
  const fraction = match[2] ?? "";
  if (fraction.length > decimals) return null;
  const minor = Number(match[1]) * 10 ** decimals + Number(fraction.padEnd(decimals, "0") || 0);
  return Number.isSafeInteger(minor) ? minor : null;
}

function dateFormat(options) {
  try {
    return new Intl.DateTimeFormat(locale(), { ...options, timeZone });
  } catch {
    return new Intl.DateTimeFormat(locale(), options);
  }
}

/** "28 nov 2026, 14:05" — a moment in the user's time zone. */
export function dateTime(iso) {
  const date = iso ? new Date(iso) : null;
  if (!date || Number.isNaN(date.getTime())) return "—";
  return dateFormat({ dateStyle: "medium", timeStyle: "short" }).format(date);
}

/** Only the time of day, for moments within the next hours. */
export function timeOfDay(iso) {
  const date = iso ? new Date(iso) : null;
  if (!date || Number.isNaN(date.getTime())) return "—";
  return dateFormat({ timeStyle: "short" }).format(date);
}

/** A moment that may be today: the time alone when it is, the date and time otherwise. */
export function moment(iso) {
  const date = iso ? new Date(iso) : null;
  if (!date || Number.isNaN(date.getTime())) return "—";
  const day = dateFormat({ dateStyle: "short" });
  return day.format(date) === day.format(new Date()) ? timeOfDay(iso) : dateTime(iso);
}

/** "in 5 minutes", "in 2 hours" — for retry-after waits. */
export function inSeconds(seconds) {
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: "always" });
  if (seconds < 60) return rtf.format(Math.max(1, Math.ceil(seconds)), "second");
  if (seconds < 3600) return rtf.format(Math.ceil(seconds / 60), "minute");
  if (seconds < 86400) return rtf.format(Math.ceil(seconds / 3600), "hour");
  return rtf.format(Math.ceil(seconds / 86400), "day");
}

/** "0:42" */
export function countdown(totalSeconds) {
  const s = Math.max(0, Math.ceil(totalSeconds));
  const minutes = Math.floor(s / 60);
  return `${minutes}:${String(s % 60).padStart(2, "0")}`;
}

function capitalize(text, loc) {
  return text ? text.charAt(0).toLocaleUpperCase(loc) + text.slice(1) : text;
}

/** A language's name in that language itself: "Español", "Deutsch". */
export function ownLanguageName(code) {
  const loc = locale(code);
  try {
    const name = new Intl.DisplayNames([loc], { type: "language" }).of(code);
    return capitalize(name, loc);
  } catch {
    return code;
  }
}

/** A language's name in the current language. */
export function languageName(code) {
  try {
    return capitalize(new Intl.DisplayNames([locale()], { type: "language" }).of(code), locale());
  } catch {
    return code;
  }
}

let regionNames = { lang: null, names: null };

/** A country's name in the current language. */
export function countryName(code) {
  if (!code) return "";
  if (regionNames.lang !== language()) {
    try {
      regionNames = { lang: language(), names: new Intl.DisplayNames([locale()], { type: "region" }) };
    } catch {
      regionNames = { lang: language(), names: null };
    }
  }
  try {
    return regionNames.names?.of(code) ?? code;
  } catch {
    return code;
  }
}

export function collator() {
  return new Intl.Collator(locale(), { sensitivity: "base" });
}

/** "Europe/Madrid" → "Europe / Madrid", "America/New_York" → "America / New York". */
export function zoneLabel(zone) {
  return zone.replaceAll("_", " ").replaceAll("/", " / ");
}

/** The zone's current UTC offset in the current language ("GMT+1", "UTC+01:00"). */
export function zoneOffset(zone, at = new Date()) {
  try {
    const parts = new Intl.DateTimeFormat(locale(), { timeZone: zone, timeZoneName: "shortOffset" }).formatToParts(at);
    return parts.find((p) => p.type === "timeZoneName")?.value ?? "";
  } catch {
    return "";
  }
}

/** The current time of day in a zone. */
export function nowIn(zone) {
  try {
    return new Intl.DateTimeFormat(locale(), { timeZone: zone, timeStyle: "short" }).format(new Date());
  } catch {
    return "";
  }
}

/** A list in words: "language, country and time zone". */
export function list(items) {
  try {
    return new Intl.ListFormat(locale(), { style: "long", type: "conjunction" }).format(items);
  } catch {
    return items.join(", ");
  }
}

export function roleName(role) {
  return t(`role.${role}`);
}
