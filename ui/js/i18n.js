// Catalog lookup, plurals and the `data-i18n*` attributes of the static page.
//
// English is imported up front (the fallback of every lookup); the other five catalogs
// are modules loaded on demand: the account's language before the first render
// (`loadCatalog`), the rest once the first frame is on screen (`loadAllCatalogs`), so a
// change of language still re-renders the whole window at once, without a reload.
// Parsing all six before the first frame cost the web process ~3 ms of it (WebKitGTK).

import en from "../i18n/en.js";

export const SUPPORTED = ["en", "es", "fr", "de", "it", "pt"];

const CATALOGS = { en };

const LOADERS = {
  es: () => import("../i18n/es.js"),
  fr: () => import("../i18n/fr.js"),
  de: () => import("../i18n/de.js"),
  it: () => import("../i18n/it.js"),
  pt: () => import("../i18n/pt.js"),
};

/** The locale used for Intl formatting of each product language. */
const LOCALES = { en: "en", es: "es-ES", fr: "fr-FR", de: "de-DE", it: "it-IT", pt: "pt-PT" };

let current = "en";

/** The best supported language for a code such as "es", "pt-BR" or "de_AT". */
export function pickLanguage(code) {
  const primary = String(code ?? "").toLowerCase().split(/[-_.@]/)[0];
  return SUPPORTED.includes(primary) ? primary : "en";
}

/** Loads the catalog of `code`'s language unless it is there; resolves to the language. */
export async function loadCatalog(code) {
  const lang = pickLanguage(code);
  if (!CATALOGS[lang]) CATALOGS[lang] = (await LOADERS[lang]()).default;
  return lang;
}

/** Loads every catalog not loaded yet; resolves to whether the current language's was
 * among them (what was shown in it until then is English, and is to be translated). */
export async function loadAllCatalogs() {
  const missing = SUPPORTED.filter((lang) => !CATALOGS[lang]);
  await Promise.all(missing.map(loadCatalog));
  return missing.includes(current);
}

/** The current language's catalog; English until it is loaded. */
function catalog() {
  return CATALOGS[current] ?? en;
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
  return Object.hasOwn(catalog(), key) || Object.hasOwn(en, key);
}

/** The catalog text for `key` with `{name}` placeholders filled from `params`. */
export function t(key, params) {
  let text = catalog()[key] ?? en[key];
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
