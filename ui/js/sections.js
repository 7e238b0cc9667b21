// The settings sections, by name: each registers how it renders and resets, and the page
// renders or resets them all in page order. The sections below the first screen are
// loaded after the first frame; until one registers, rendering it does nothing, and it
// renders from the state once it is there.

/** Page order: what `renderSections` and `resetSections` follow. */
const ORDER = ["user", "password", "email", "phone", "region", "notifications", "organization", "sessions", "device", "update"];

const registered = new Map();

/** `name` renders with `render()` and forgets what was typed with `reset()`. */
export function registerSection(name, { render, reset }) {
  if (!ORDER.includes(name)) throw new Error(`unknown section ${name}`);
  registered.set(name, { render, reset });
}

/** Renders one section, when it is loaded. */
export function renderSection(name) {
  registered.get(name)?.render?.();
}

/** Renders every loaded section, in page order (or only `names`). */
export function renderSections(names = ORDER) {
  for (const name of ORDER) if (names.includes(name)) renderSection(name);
}

/** Resets every loaded section's forms. */
export function resetSections() {
  for (const name of ORDER) registered.get(name)?.reset?.();
}
