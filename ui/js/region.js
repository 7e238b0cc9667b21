// Language and region: language (each in its own name), country (localized, sorted),
// time zone (a search box filtering a select), and the detected defaults on first use.

import { $, el, showPending, showValue, trackEdits, setStatus, setFieldError, clearErrorsOnInput, clearFieldErrors } from "./dom.js";
import { collator, countryName, languageName, nowIn, ownLanguageName, zoneLabel, zoneOffset } from "./format.js";
import { SUPPORTED, language, t, tn } from "./i18n.js";
import { savePreferences } from "./prefs.js";
import { dismissDetected, state, view } from "./store.js";

let languageKey = "";
let countryKey = "";
let zoneKey = "";

function allZones() {
  let zones = state.reference?.timeZones;
  if (!zones?.length) {
    try {
      zones = Intl.supportedValuesOf("timeZone");
    } catch {
      zones = [];
    }
  }
  const current = view()?.timeZone;
  return current && !zones.includes(current) ? [current, ...zones] : zones;
}

function normalize(text) {
  return text.toLocaleLowerCase().normalize("NFD").replace(/\p{M}/gu, "").replace(/[_/]+/g, " ").replace(/\s+/g, " ").trim();
}

function renderLanguages(v) {
  const select = $("pref-language");
  const codes = (state.reference?.languages?.length ? state.reference.languages : SUPPORTED).slice();
  if (!codes.includes(v.language)) codes.push(v.language);
  const key = codes.join();
  if (key !== languageKey) {
    select.replaceChildren(...codes.map((code) => el("option", { value: code, lang: code, text: ownLanguageName(code) })));
    languageKey = key;
  }
  showValue(select, v.language);
}

function renderCountries(v) {
  const select = $("pref-country");
  const codes = (state.reference?.countries ?? []).map((c) => String(c.code).toUpperCase());
  if (v.country && !codes.includes(v.country)) codes.push(v.country);
  const key = `${language()}|${codes.length}|${v.country ? "set" : "unset"}`;
  if (key !== countryKey) {
    const chosen = select.value;
    const sorter = collator();
    const named = codes.map((code) => ({ code, name: countryName(code) })).sort((a, b) => sorter.compare(a.name, b.name));
    const options = named.map((c) => el("option", { value: c.code, text: c.name }));
    if (!v.country) options.unshift(el("option", { value: "", text: t("region.countryNone") }));
    select.replaceChildren(...options);
    if (chosen) select.value = chosen;
    countryKey = key;
  }
  showValue(select, v.country ?? "");
}

/** Rebuilds the time-zone options for the search text; keeps or picks a selection. */
function renderZones(v, { fromSearch = false } = {}) {
  const select = $("pref-timezone");
  const query = normalize($("pref-timezone-search").value);
  const zones = allZones();
  const key = `${language()}|${zones.length}|${query}`;
  const wanted = select.dataset.dirty === "true" ? select.value : v.timeZone;
  if (key !== zoneKey) {
    const matches = query ? zones.filter((z) => normalize(z).includes(query)) : zones;
    const shown = matches.length ? matches : [wanted];
    select.replaceChildren(...shown.map((z) => el("option", { value: z, text: zoneLabel(z) })));
    zoneKey = key;
    $("pref-timezone-matches").textContent = query
      ? matches.length
        ? tn("region.timeZoneMatches", matches.length)
        : t("region.timeZoneNoMatch")
      : "";
    if (fromSearch && matches.length && !matches.includes(wanted)) {
      // The search is how the user picks a zone: choose the first match for them.
      select.value = matches[0];
      select.dataset.dirty = String(matches[0] !== v.timeZone);
      renderZoneNow();
      return;
    }
  }
  if (select.dataset.dirty === "true" && [...select.options].some((o) => o.value === wanted)) {
    select.value = wanted;
    select.dataset.base = v.timeZone;
  } else {
    showValue(select, v.timeZone);
  }
  renderZoneNow();
}

function renderZoneNow() {
  const zone = $("pref-timezone").value;
  const offset = zone ? zoneOffset(zone) : "";
  $("pref-timezone-now").textContent = zone ? t("region.localTime", { time: nowIn(zone), offset }) : "";
}

function renderDetected(v) {
  const box = $("region-detected");
  const d = state.detected;
  const show = Boolean(d && !v.regionConfigured && !state.detectedDismissed);
  box.hidden = !show;
  if (!show) return;
  const params = {
    language: languageName(d.language),
    country: d.country ? countryName(d.country) : "",
    timeZone: zoneLabel(d.timeZone ?? v.timeZone),
  };
  $("region-detected-text").textContent = d.country ? t("region.detected", params) : t("region.detectedNoCountry", params);
}

export function renderRegion() {
  const v = view();
  if (!v) return;
  renderLanguages(v);
  renderCountries(v);
  renderZones(v);
  renderDetected(v);
  showPending($("region-form"), state.account.pendingFields);
}

function controls() {
  return [$("pref-language"), $("pref-country"), $("pref-timezone")];
}

export function initRegion() {
  const form = $("region-form");
  trackEdits(form);
  clearErrorsOnInput(form);
  $("pref-timezone-search").addEventListener("input", () => {
    const v = view();
    if (v) renderZones(v, { fromSearch: true });
  });
  $("pref-timezone-search").addEventListener("keydown", (event) => {
    // Enter in the search box moves to the filtered list instead of saving.
    if (event.key === "Enter") {
      event.preventDefault();
      $("pref-timezone").focus();
    }
  });
  $("pref-timezone").addEventListener("change", renderZoneNow);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = view();
    if (!v) return;
    clearFieldErrors(form);
    const edit = {};
    const lang = $("pref-language").value;
    const country = $("pref-country").value;
    const zone = $("pref-timezone").value;
    if (lang && lang !== v.language) edit.language = lang;
    if (country && country !== (v.country ?? "")) edit.country = country;
    if (zone && zone !== v.timeZone) edit.timeZone = zone;
    if (!Object.keys(edit).length) {
      setStatus("region-status", "ok", t("common.nothingToSave"), { kind: "info" });
      return;
    }
    await savePreferences(edit, {
      button: $("region-save"),
      statusId: "region-status",
      controls: controls(),
      onError(error) {
        const id = { invalid_language: "pref-language", invalid_country: "pref-country", invalid_time_zone: "pref-timezone" }[error.code];
        if (id) {
          setFieldError($(id), $("region-status").textContent);
          $(id).focus();
        }
      },
    });
    $("pref-timezone-search").value = "";
    renderRegion();
  });

  $("region-use-detected").addEventListener("click", async () => {
    const d = state.detected;
    if (!d) return;
    const edit = {};
    if (d.language) edit.language = d.language;
    if (d.country) edit.country = d.country;
    if (d.timeZone) edit.timeZone = d.timeZone;
    const saved = await savePreferences(edit, {
      button: $("region-use-detected"),
      statusId: "region-status",
      controls: controls(),
    });
    if (!saved) return;
    dismissDetected();
    renderRegion();
    $("pref-language").focus();
  });
  $("region-dismiss-detected").addEventListener("click", () => {
    dismissDetected();
    renderRegion();
    $("pref-language").focus();
  });
}

/** Forgets cached option lists (the reference data or language changed). */
export function resetRegion() {
  languageKey = countryKey = zoneKey = "";
  $("pref-timezone-search").value = "";
  for (const c of controls()) c.dataset.dirty = "false";
  setStatus("region-status", null, "");
}
