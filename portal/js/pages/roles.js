// Named custom roles of an account ("Front desk", "Auditor"): defined once
// with permissions chosen from the service's permission table (described in
// the page's language) and given to members on the users page. A change of
// a role's permissions reaches every holder on their next request.
import { api } from "../api.js";
import { t } from "../i18n.js";
import { h, field, table, tableOr, status } from "../dom.js";
import { errorText, can } from "./common.js";

// The permissions a role may hold: the account's, never ownership.transfer.
function rolePerms(table) {
  return table.items.filter((p) => p.scope === "account" && p.name !== "ownership.transfer");
}

export async function rolesPage(ctx) {
  const acc = ctx.me.account_id;
  const manage = can(ctx.me, "users.manage", "admins.manage");
  const [list, perms] = await Promise.all([api("GET", `/v1/accounts/${acc}/roles?limit=200`),
    api("GET", "/v1/permissions")]);
  const choices = rolePerms(perms);
  const st = status("roles-status");
  const items = [h("h1", {}, t("roles.title")), h("p", {}, t("roles.intro"))];

  // The form: a new role, or the role being edited (editing = its id).
  let editing = null;
  const name = field("role-name", t("roles.name"), { type: "text", required: "", maxlength: "64" });
  const desc = field("role-description", t("roles.description"), { type: "text", maxlength: "500" });
  const boxes = choices.map((p) => {
    const id = "perm-" + p.name.replace(/\./g, "-");
    const box = h("input", { type: "checkbox", id, name: "permissions", value: p.name });
    return { name: p.name, box, node: h("label", { class: "check", for: id }, box, " ",
      h("code", {}, p.name), " ", p.description) };
  });
  const legend = h("legend", {}, t("roles.permissions"));
  const title = h("h2", { id: "role-form-title" }, t("roles.create"));
  const submit = h("button", { type: "submit", id: "role-submit" }, t("roles.create_submit"));
  const cancel = h("button", { type: "button", class: "secondary", id: "role-cancel", hidden: "" }, t("roles.cancel"));
  const fst = status("role-form-status");
  const form = h("form", { id: "role-form", novalidate: "" }, title, name.label, desc.label,
    h("fieldset", { id: "role-perms" }, legend, ...boxes.map((b) => b.node)), submit, cancel, fst.node);
  const reset = () => {
    editing = null;
    form.reset();
    title.textContent = t("roles.create");
    submit.textContent = t("roles.create_submit");
    cancel.hidden = true;
  };
  cancel.addEventListener("click", reset);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    fst.clear();
    const body = { name: name.input.value.trim(), description: desc.input.value.trim(),
      permissions: boxes.filter((b) => b.box.checked).map((b) => b.name) };
    if (!body.name) { fst.fail(t("roles.name_needed")); name.input.focus(); return; }
    if (!body.permissions.length) { fst.fail(t("roles.perms_needed")); boxes[0].box.focus(); return; }
    try {
      if (editing) await api("PATCH", `/v1/accounts/${acc}/roles/${editing}`, body);
      else await api("POST", `/v1/accounts/${acc}/roles`, body);
      const done = editing ? t("roles.updated", { name: body.name }) : t("roles.created", { name: body.name });
      await ctx.rerender();
      const s = document.getElementById("roles-status");
      if (s) { s.className = "status ok"; s.textContent = done; }
    } catch (e) { fst.fail(errorText(e)); }
  });

  const rows = list.items.map((r) => {
    const acts = [];
    if (manage) {
      const edit = h("button", { type: "button", class: "secondary", id: "edit-" + r.id,
        "aria-label": t("roles.edit_of", { name: r.name }) }, t("roles.edit"));
      edit.addEventListener("click", () => {
        editing = r.id;
        name.input.value = r.name;
        desc.input.value = r.description || "";
        for (const b of boxes) b.box.checked = r.permissions.includes(b.name);
        title.textContent = t("roles.edit_title", { name: r.name });
        submit.textContent = t("roles.save");
        cancel.hidden = false;
        name.input.focus();
      });
      const del = h("button", { type: "button", class: "secondary", id: "delete-" + r.id,
        "aria-label": t("roles.delete_of", { name: r.name }) }, t("roles.delete"));
      del.addEventListener("click", async () => {
        st.clear();
        const ask = r.holders > 0 ? t("roles.delete_held", { name: r.name, n: r.holders }) : t("roles.delete_confirm", { name: r.name });
        if (!confirm(ask)) return;
        try {
          await api("DELETE", `/v1/accounts/${acc}/roles/${r.id}` + (r.holders > 0 ? "?reassign=user" : ""));
          await ctx.rerender();
          const s = document.getElementById("roles-status");
          if (s) { s.className = "status ok"; s.textContent = t("roles.deleted", { name: r.name }); }
        } catch (e) { st.fail(errorText(e)); }
      });
      acts.push(edit, " ", del);
    }
    return [r.name, r.description || "", r.permissions.join(", "), String(r.holders), h("span", {}, ...acts)];
  });
  items.push(tableOr("roles", t("roles.title"), [t("roles.name"), t("roles.description"),
    t("roles.permissions"), t("roles.holders"), ""], rows, t("roles.none")), st.node);
  if (manage) items.push(form);
  return items;
}
