// The only door to the Rust side: commands through `invoke`, events through `listen`.
//
// Every rejection is normalized to `{ code, message, retryAfterSeconds? }` so the
// sections can branch on `code` alone (see ../README.md, "Talking to Rust").

function tauri() {
  return window.__TAURI__;
}

/** A refusal from a command, in the shared error vocabulary. */
export class CommandError extends Error {
  constructor(code, message, retryAfterSeconds = null, details = null) {
    super(message || code);
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
    this.details = details;
  }
}

function normalize(raw) {
  if (raw instanceof CommandError) return raw;
  let value = raw;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return new CommandError("internal", raw);
    }
  }
  if (value && typeof value === "object" && typeof value.code === "string") {
    const retry = value.retryAfterSeconds ?? value.retry_after_seconds ?? null;
    return new CommandError(
      value.code,
      typeof value.message === "string" ? value.message : "",
      Number.isFinite(retry) ? retry : null,
      value.details ?? null,
    );
  }
  return new CommandError("internal", String(raw?.message ?? raw));
}

/** Calls a Tauri command; rejects with a CommandError. */
export async function call(command, args) {
  const core = tauri()?.core;
  if (!core) throw new CommandError("internal", "the Tauri API is not available");
  try {
    return await core.invoke(command, args);
  } catch (error) {
    throw normalize(error);
  }
}

/** Listens to an app event; resolves once the listener is registered. */
export async function listen(event, handler) {
  const api = tauri()?.event;
  if (!api) return () => {};
  return api.listen(event, (message) => handler(message.payload));
}

/** Codes that mean "this window no longer has a session". */
export function isSignedOutError(error) {
  return error?.code === "signed_out" || error?.code === "unauthenticated";
}
