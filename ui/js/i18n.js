// Catalog lookup, plurals and the `data-i18n*` attributes of the static page.
//
// All six catalogs are imported up front (they are small) so that a change of the
// account's language re-renders the whole window synchronously, without a reload.

import en from "../i18n/en.js";
import es from "../i18n/es.js";
import fr from "../i18n/fr.js";
import de from "../i18n/de.js";
import it from "../i18n/it.js";
import pt from "../i18n/pt.js";

const CATALOGS = { en, es, fr, de, it, pt };

/** The locale used for Intl formatting of each product language. */
const LOCALES = { en: "en", es: "es-ES", fr: "fr-FR", de: "de-DE", it: "it-IT", pt: "pt-PT" };

export const SUPPORTED = Object.keys(CATALOGS);

let current = "en";

/** The best supported language for a code such as "es", "pt-BR" or "de_AT". */
export function pickLanguage(code) {
  const primary = String(code ?? "").toLowerCase().split(/[-_.@]/)[0];
  return CATALOGS[primary] ? primary : "en";
}

/** Switches the catalog; returns true when the language actually changed. */
export function setLanguage(code) {
  const next = pickLanguage(code);
  const changed = next !== current;
  current = next;
  document.documentElement.lang = next;
  return changed;
}

export function language() {
  return current;
}

export function locale(lang = current) {
  return LOCALES[lang] ?? "en";
}

export function has(key) {
  return Object.hasOwn(CATALOGS[current], key) || Object.hasOwn(en, key);
}

/** The catalog text for `key` with `{name}` placeholders filled from `params`. */
export function t(key, params) {
  let text = CATALOGS[current][key] ?? en[key];
  if (text === undefined) {
    console.warn(`missing catalog key: ${key}`);
    return key;
  }
  if (params) {
    text = text.replace(/\{(\w+)\}/g, (whole, name) =>
      Object.hasOwn(params, name) ? String(params[name]) : whole,
    );
  }
  return text;
}

/** Plural-aware lookup: `key.one` / `key.other` (CLDR categories, "other" as fallback). */
export function tn(key, count, params = {}) {
  const category = new Intl.PluralRules(locale()).select(count);
  const specific = `${key}.${category}`;
  const chosen = has(specific) ? specific : `${key}.other`;
  return t(chosen, { count: new Intl.NumberFormat(locale()).format(count), ...params });
}

/** Fills `data-i18n`, `data-i18n-placeholder`, `data-i18n-aria-label`, `data-i18n-title`. */
export function applyI18n(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) {
    node.textContent = t(node.dataset.i18n);
  }
  for (const node of root.querySelectorAll("[data-i18n-placeholder]")) {
    node.setAttribute("placeholder", t(node.dataset.i18nPlaceholder));
  }
  for (const node of root.querySelectorAll("[data-i18n-aria-label]")) {
    node.setAttribute("aria-label", t(node.dataset.i18nAriaLabel));
  }
  for (const node of root.querySelectorAll("[data-i18n-title]")) {
    node.setAttribute("title", t(node.dataset.i18nTitle));
  }
  if (root === document) document.title = t("app.windowTitle");
}
