// Organization settings: the members and their roles. Owners and admins see it; only
// owners change roles, and the organization must always keep one owner.

import { call, isSignedOutError } from "./api.js";
import { $, el, setStatus, withBusy } from "./dom.js";
import { errorText } from "./errors.js";
import { collator, roleName } from "./format.js";
import { t } from "./i18n.js";
import { canManageRoles, canViewMembers, notify, replaceMember, setAccount, state, view } from "./store.js";

const ROLES = ["owner", "admin", "billing", "member"];

function roleCell(member, manage) {
  if (!manage) {
    return el("td", {}, el("span", { class: "badge badge-role", dataset: { role: member.role }, text: roleName(member.role) }));
  }
  const id = `role-${member.userId}`;
  const select = el(
    "select",
    { id, class: "role-select", "aria-label": t("org.roleFor", { name: member.name }), dataset: { base: member.role } },
    ROLES.map((r) => el("option", { value: r, text: roleName(r), selected: r === member.role })),
  );
  select.value = member.role;
  return el("td", {}, select);
}

/** Owners and admins have the section and its link in the side nav. The link is part of
 * the first frame (the section itself is rendered right after it). */
export function renderOrganizationLink() {
  const visible = Boolean(view()) && canViewMembers();
  $("org-section").hidden = !visible;
  $("nav-org").hidden = !visible;
  return visible;
}

export function renderOrganization() {
  if (!renderOrganizationLink()) return;
  const manage = canManageRoles();
  $("org-intro").textContent = manage ? t("org.introOwner") : t("org.introAdmin");
  $("org-col-action").hidden = !manage;

  const body = $("org-members-body");
  const focused = document.activeElement;
  const focusRow = body.contains(focused) ? focused.closest("tr")?.dataset.userId : null;
  const focusClass = focusRow ? (focused.classList.contains("role-save") ? "role-save" : "role-select") : null;
  const drafts = new Map(
    [...body.querySelectorAll("select.role-select")]
      .filter((s) => s.value !== s.dataset.base)
      .map((s) => [s.closest("tr").dataset.userId, s.value]),
  );

  const members = state.members;
  const empty = $("org-empty");
  if (!members) {
    body.replaceChildren();
    empty.hidden = false;
    empty.textContent = state.membersError ? errorText(state.membersError) : t("common.loading");
    return;
  }
  empty.hidden = members.length > 0;
  empty.textContent = members.length ? "" : t("org.noMembers");
  const me = view().id;
  const sorter = collator();
  const rows = [...members]
    .sort((a, b) => ROLES.indexOf(a.role) - ROLES.indexOf(b.role) || sorter.compare(a.name, b.name))
    .map((m) => {
      const nameCell = el("td", { class: "member-name" }, el("span", { text: m.name }));
      if (m.userId === me) nameCell.append(" ", el("span", { class: "badge badge-self", text: t("org.you") }));
      const cells = [nameCell, el("td", { class: "member-email", text: m.email }), roleCell(m, manage)];
      if (manage) {
        cells.push(
          el(
            "td",
            {},
            el("button", {
              type: "button",
              class: "role-save secondary small",
              "aria-label": t("org.saveRoleFor", { name: m.name }),
              text: t("common.save"),
            }),
          ),
        );
      }
      return el("tr", { dataset: { userId: String(m.userId) } }, cells);
    });
  body.replaceChildren(...rows);
  for (const [userId, role] of drafts) {
    const select = body.querySelector(`tr[data-user-id="${userId}"] select.role-select`);
    if (select) select.value = role;
  }
  if (focusRow) body.querySelector(`tr[data-user-id="${focusRow}"] .${focusClass}`)?.focus();
}

async function saveRole(row) {
  const userId = Number(row.dataset.userId);
  const member = state.members?.find((m) => m.userId === userId);
  const select = row.querySelector("select.role-select");
  const button = row.querySelector("button.role-save");
  if (!member || !select) return;
  const role = select.value;
  if (role === member.role) {
    setStatus("org-status", "ok", t("org.noChange", { name: member.name }), { kind: "info" });
    return;
  }
  setStatus("org-status", null, "");
  await withBusy(button, async () => {
    try {
      const updated = await call("change_role", { userId, role });
      replaceMember(updated);
      notify("members");
      setStatus("org-status", "ok", t("org.roleChanged", { name: updated.name, role: roleName(updated.role) }));
      if (updated.userId === view()?.id) {
        // My own role changed: permissions follow from the account.
        call("refresh").then(setAccount, () => {});
      }
    } catch (error) {
      if (isSignedOutError(error)) return notify("signed-out");
      setStatus("org-status", "error", errorText(error));
      select.value = member.role;
    }
  });
  // The row was rebuilt while its button was busy: give focus back to the new button.
  if (document.activeElement === document.body || !document.activeElement) {
    $("org-members-body").querySelector(`tr[data-user-id="${userId}"] button.role-save`)?.focus();
  }
}

export function initOrganization() {
  $("org-members-body").addEventListener("click", (event) => {
    const button = event.target.closest("button.role-save");
    if (button) saveRole(button.closest("tr"));
  });
  $("org-members-body").addEventListener("keydown", (event) => {
    // Enter on a role select saves that row, like Enter in a form.
    if (event.key === "Enter" && event.target.matches("select.role-select")) {
      event.preventDefault();
      saveRole(event.target.closest("tr"));
    }
  });
}

export function resetOrganization() {
  $("org-members-body").replaceChildren();
  setStatus("org-status", null, "");
}
