// User info: name, email, phone, role badge and who may change roles.

import { $, el } from "./dom.js";
import { t } from "./i18n.js";
import { roleName } from "./format.js";
import { canManageRoles, canViewMembers, pendingChange, state, view } from "./store.js";

/** "+34612345678" → "+34 612345678", using the calling codes of reference_data. */
export function displayPhone(e164) {
  if (!e164) return "";
  const digits = e164.replace(/^\+/, "");
  const codes = (state.reference?.countries ?? []).map((c) => String(c.callingCode).replace(/\D/g, ""));
  const code = codes.filter((c) => c && digits.startsWith(c)).sort((a, b) => b.length - a.length)[0];
  return code ? `+${code} ${digits.slice(code.length)}` : e164;
}

export function renderUser() {
  const v = view();
  if (!v) return;
  $("user-name").textContent = v.name;
  const emailPending = pendingChange("email");
  $("user-email").replaceChildren(
    ...[
      el("span", { text: v.email }),
      emailPending ? el("span", { class: "sub", text: t("user.emailPending", { target: emailPending.target }) }) : null,
    ].filter(Boolean),
  );
  const phonePending = pendingChange("phone");
  $("user-phone").replaceChildren(
    ...[
      v.phone ? el("span", { text: displayPhone(v.phone) }) : el("span", { class: "muted", text: t("user.noPhone") }),
      phonePending
        ? el("span", { class: "sub", text: t("user.phonePending", { target: displayPhone(phonePending.target) }) })
        : null,
    ].filter(Boolean),
  );
  const role = $("user-role");
  role.textContent = roleName(v.role);
  role.dataset.role = v.role;
  const note = $("user-role-note");
  if (canManageRoles()) {
    note.replaceChildren(
      el("span", { text: t("user.roleNoteOwner") }),
      " ",
      el("a", { href: "#org-section", text: t("user.goToOrganization") }),
    );
  } else if (canViewMembers()) {
    note.replaceChildren(
      el("span", { text: t("user.roleNote") }),
      " ",
      el("a", { href: "#org-section", text: t("user.goToOrganization") }),
    );
  } else {
    note.textContent = t("user.roleNote");
  }
}
