// Page navigation: the side nav scrolls to its section and moves focus to its heading;
// other in-page links do the same; Ctrl+W (⌘W) closes the window to the tray; the
// show/hide buttons of password fields.

import { call } from "./api.js";
import { $, focusHeading } from "./dom.js";
import { t } from "./i18n.js";

function wireRevealButtons() {
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.reveal");
    if (!button) return;
    const input = $(button.dataset.reveal);
    const show = input.type === "password";
    input.type = show ? "text" : "password";
    button.setAttribute("aria-pressed", String(show));
    button.dataset.i18n = show ? "common.hide" : "common.show";
    button.textContent = t(button.dataset.i18n);
  });
}

function wireSideNav() {
  const links = [...document.querySelectorAll(".sidenav a")];
  for (const link of links) {
    link.addEventListener("click", (event) => {
      const section = $(link.getAttribute("href").slice(1));
      if (!section) return;
      event.preventDefault();
      for (const other of links) other.removeAttribute("aria-current");
      link.setAttribute("aria-current", "true");
      const reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      section.scrollIntoView({ behavior: reduce ? "auto" : "smooth", block: "start" });
      focusHeading(section.querySelector("h2"));
    });
  }
  // In-page links elsewhere (role note, "add a phone number") focus their target too.
  document.addEventListener("click", (event) => {
    const link = event.target.closest('a[href^="#"]:not(.sidenav a):not(.skip-link)');
    if (!link) return;
    const section = $(link.getAttribute("href").slice(1));
    if (!section) return;
    event.preventDefault();
    section.scrollIntoView({ block: "start" });
    focusHeading(section.querySelector("h2"));
  });
}

function wireShortcuts() {
  window.addEventListener(
    "keydown",
    (event) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === "w") {
        event.preventDefault();
        call("close_window").catch(() => {});
      }
    },
    true,
  );
}

/** Wires the page's navigation once, at start. */
export function initNav() {
  wireShortcuts();
  wireRevealButtons();
  wireSideNav();
}
