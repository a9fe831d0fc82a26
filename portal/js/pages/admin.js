// Account administration (users, numbers) and the provider console
// (accounts, number inventory). Each page is shown to whoever holds one of
// the permissions its API calls take; the service decides in the end.
import { api } from "../api.js";
import { t, tv, fmtDate } from "../i18n.js";
import { h, field, select, table, status } from "../dom.js";
import { errorText, can, tokenLink, codeBox } from "./common.js";

const ROLES = ["admin", "user", "billing"];

export async function usersPage(ctx) {
  const acc = ctx.me.account_id;
  const list = await api("GET", `/v1/accounts/${acc}/users?limit=200`);
  const manage = can(ctx.me, "users.manage", "admins.manage");
  const st = status("users-status");
  const rows = list.items.map((u) => {
    let role = tv("role", u.role);
    let actions = "";
    if (manage && u.role !== "owner" && u.status !== "deprovisioned" && u.id !== ctx.me.id) {
      role = select("role-" + u.id, ROLES.map((r) => [r, tv("role", r)]), u.role);
      role.setAttribute("aria-label", t("users.role_of", { email: u.email }));
      role.addEventListener("change", async () => {
        try { await api("PATCH", `/v1/accounts/${acc}/users/${u.id}`, { role: role.value }); st.ok(t("users.changed", { email: u.email })); }
        catch (e) { st.fail(errorText(e)); }
      });
      actions = h("button", { type: "button", class: "secondary", id: "disable-" + u.id }, t("users.disable"));
      actions.addEventListener("click", async () => {
        if (!confirm(t("users.disable_confirm", { email: u.email }))) return;
        try { await api("DELETE", `/v1/accounts/${acc}/users/${u.id}`); await ctx.rerender(); }
        catch (e) { st.fail(errorText(e)); }
      });
    }
    return [u.email, u.name, role, tv("status", u.status), actions];
  });
  const items = [h("h1", {}, t("users.title")),
    table("users-table", t("users.title"), [t("users.email"), t("users.name"), t("users.role"), t("users.status"), ""], rows),
    st.node];
  if (manage) {
    const email = field("new-email", t("users.email"), { type: "email", required: "" });
    const name = field("new-name", t("users.name"), { type: "text", required: "" });
    const role = select("new-role", ROLES.map((r) => [r, tv("role", r)]), "user");
    const out = h("div", { id: "invite-result" });
    const form = h("form", { id: "user-invite", novalidate: "" }, h("h2", {}, t("users.invite")),
      email.label, name.label, h("label", { for: "new-role" }, t("users.role"), role),
      h("button", { type: "submit" }, t("users.invite_submit")), out);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const r = await api("POST", `/v1/accounts/${acc}/users`, { email: email.input.value.trim(), name: name.input.value.trim(), role: role.value });
        const tok = r.invitation && r.invitation.token;
        await ctx.rerender();
        if (tok) document.getElementById("invite-result").replaceChildren(codeBox("invite-link", t("users.invited", { email: r.email }), tokenLink("invitation", tok)));
      } catch (e) { out.replaceChildren(h("p", { class: "error", role: "alert" }, errorText(e))); }
    });
    items.push(form);
  }
  return items;
}

export async function numbersPage(ctx) {
  const acc = ctx.me.account_id;
  const list = await api("GET", `/v1/accounts/${acc}/numbers?limit=200`);
  const rows = list.items.map((n) => [n.number, n.country, n.route_to || t("numbers.shared"), fmtDate(n.assigned_at)]);
  const items = [h("h1", {}, t("numbers.title")),
    list.items.length ? table("numbers-table", t("numbers.title"), [t("numbers.number"), t("numbers.country"), t("numbers.route"), t("numbers.since")], rows)
      : h("p", { id: "numbers-none" }, t("numbers.none"))];
  if (can(ctx.me, "numbers.manage")) {
    const country = field("num-country", t("numbers.country"), { type: "text", value: "US", required: "", maxlength: "2" });
    const area = field("num-area", t("numbers.area"), { type: "text", inputmode: "numeric" });
    const st = status("numbers-status");
    const form = h("form", { id: "number-request", novalidate: "" }, h("h2", {}, t("numbers.request")), country.label, area.label,
      h("button", { type: "submit" }, t("numbers.request_submit")), st.node);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body = { country: country.input.value.trim().toUpperCase() };
      if (area.input.value.trim()) body.area_code = area.input.value.trim();
      try { const r = await api("POST", `/v1/accounts/${acc}/numbers`, body); await ctx.rerender(); document.getElementById("numbers-status").textContent = t("numbers.got", { number: r.number }); }
      catch (e) { st.fail(errorText(e)); }
    });
    items.push(form);
  }
  return items;
}

export async function accountsPage(ctx) {
  const list = await api("GET", "/v1/accounts?limit=200");
  // Partner staff see what each account consented to.
  const partner = !ctx.me.account_id && can(ctx.me, "partner.accounts.read");
  const rows = list.items.map((a) => [a.name, a.id, tv("status", a.status), fmtDate(a.created_at),
    ...(partner ? [h("a", { href: "#/consents/" + a.id, id: "consents-" + a.id }, t("access.consents"))] : [])]);
  const items = [h("h1", {}, t("accounts.title")),
    table("accounts-table", t("accounts.title"), [t("accounts.name"), t("accounts.id"), t("accounts.status"), t("accounts.created"),
      ...(partner ? [""] : [])], rows)];
  if (can(ctx.me, "provider.accounts.manage", "partner.accounts.manage")) {
    const name = field("acc-name", t("accounts.name"), { type: "text", required: "" });
    const oemail = field("acc-owner-email", t("accounts.owner_email"), { type: "email", required: "" });
    const oname = field("acc-owner-name", t("accounts.owner_name"), { type: "text", required: "" });
    const out = h("div", { id: "account-result" });
    const form = h("form", { id: "account-create", novalidate: "" }, h("h2", {}, t("accounts.create")),
      name.label, oemail.label, oname.label, h("button", { type: "submit" }, t("accounts.create_submit")), out);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const r = await api("POST", "/v1/accounts", { name: name.input.value.trim(), owner: { email: oemail.input.value.trim(), name: oname.input.value.trim() } });
        const tok = r.owner_invitation && r.owner_invitation.token;
        await ctx.rerender();
        if (tok) document.getElementById("account-result").replaceChildren(codeBox("owner-invite-link", t("accounts.created_link", { name: r.name }), tokenLink("invitation", tok)));
      } catch (e) { out.replaceChildren(h("p", { class: "error", role: "alert" }, errorText(e))); }
    });
    items.push(form);
  }
  return items;
}

export async function inventoryPage(ctx) {
  const list = await api("GET", "/v1/provider/numbers?limit=200");
  const rows = list.items.map((n) => [n.number, n.trunk, tv("inventory", n.status), n.account_id || ""]);
  const trunk = field("inv-trunk", t("inventory.trunk"), { type: "text", value: "loopback", required: "" });
  const nums = field("inv-numbers", t("inventory.numbers"), { tag: "textarea", rows: "3", required: "" });
  const st = status("inventory-status");
  const form = h("form", { id: "inventory-import", novalidate: "" }, h("h2", {}, t("inventory.import")), trunk.label, nums.label,
    h("button", { type: "submit" }, t("inventory.import_submit")), st.node);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const numbers = nums.input.value.split(/[\s,]+/).filter((x) => x);
    try { await api("POST", "/v1/provider/numbers", { trunk: trunk.input.value.trim(), numbers }); await ctx.rerender(); }
    catch (e) { st.fail(errorText(e)); }
  });
  return [h("h1", {}, t("inventory.title")),
    table("inventory-table", t("inventory.title"), [t("numbers.number"), t("inventory.trunk"), t("users.status"), t("inventory.account")], rows), form];
}
