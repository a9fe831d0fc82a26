// Account administration (users, numbers) and the provider console
// (accounts, number inventory). Each page is shown to whoever holds one of
// the permissions its API calls take; the service decides in the end.
import { api } from "../api.js";
import { t, tv, fmtDate } from "../i18n.js";
import { h, field, select, table, tableOr, status } from "../dom.js";
import { errorText, can, tokenLink, codeBox, action, simpleForm } from "./common.js";

const ROLES = ["admin", "user", "billing"];

// The body giving the role a picker's value names: a built-in role, or a
// named custom role (its id, rol_…).
function roleBody(v) {
  return v.startsWith("rol_") ? { role: "custom", custom_role_id: v } : { role: v };
}

export async function usersPage(ctx) {
  const acc = ctx.me.account_id;
  const [list, roles] = await Promise.all([api("GET", `/v1/accounts/${acc}/users?limit=200`),
    api("GET", `/v1/accounts/${acc}/roles?limit=200`).catch(() => ({ items: [] }))]);
  const manage = can(ctx.me, "users.manage", "admins.manage");
  const st = status("users-status");
  // The pickers offer the built-in roles, then the account's custom roles.
  const choices = [...ROLES.map((r) => [r, tv("role", r)]), ...roles.items.map((r) => [r.id, r.name])];
  const rows = list.items.map((u) => {
    let role = u.custom_role ? u.custom_role.name : tv("role", u.role);
    let actions = "";
    if (manage && u.role !== "owner" && u.status !== "deprovisioned" && u.id !== ctx.me.id) {
      const cur = u.custom_role ? u.custom_role.id : u.role;
      role = select("role-" + u.id, choices.some(([v]) => v === cur) ? choices : [...choices, [cur, tv("role", cur)]], cur);
      role.setAttribute("aria-label", t("users.role_of", { email: u.email }));
      role.addEventListener("change", async () => {
        try { await api("PATCH", `/v1/accounts/${acc}/users/${u.id}`, roleBody(role.value)); st.ok(t("users.changed", { email: u.email })); }
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
    const role = select("new-role", choices, "user");
    const out = h("div", { id: "invite-result" });
    const form = h("form", { id: "user-invite", novalidate: "" }, h("h2", {}, t("users.invite")),
      email.label, name.label, h("label", { for: "new-role" }, t("users.role"), role),
      h("button", { type: "submit" }, t("users.invite_submit")), out);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const r = await api("POST", `/v1/accounts/${acc}/users`, Object.assign({ email: email.input.value.trim(), name: name.input.value.trim() }, roleBody(role.value)));
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
  const manage = can(ctx.me, "numbers.manage");
  const [list, users, ports] = await Promise.all([api("GET", `/v1/accounts/${acc}/numbers?limit=200`),
    manage && can(ctx.me, "users.manage", "admins.manage", "data.read") ? api("GET", `/v1/accounts/${acc}/users?limit=200`) : { items: [] },
    can(ctx.me, "numbers.manage", "data.read") ? api("GET", `/v1/accounts/${acc}/port-requests?limit=100`) : { items: [] }]);
  const st = status("numbers-status");
  // Where a number's calls go: the shared inbox or an active member.
  const targets = [["shared", t("numbers.shared")], ...users.items.filter((u) => u.status === "active").map((u) => [u.id, u.email])];
  const rows = list.items.map((n) => {
    const tgt = n.route_to || "shared";
    let route = (targets.find(([v]) => v === tgt) || [tgt, tgt])[1];
    let release = "";
    if (manage) {
      const id = n.number.replace(/\D/g, "");
      route = select("route-" + id, targets.some(([v]) => v === tgt) ? targets : [...targets, [tgt, tgt]], tgt);
      route.setAttribute("aria-label", t("numbers.route_of", { number: n.number }));
      route.addEventListener("change", async () => {
        try { await api("PATCH", `/v1/accounts/${acc}/numbers/${encodeURIComponent(n.number)}`, { route_to: route.value }); st.ok(t("numbers.routed", { number: n.number })); }
        catch (e) { st.fail(errorText(e)); }
      });
      release = action("release-" + id, t("numbers.release"), st, async () => {
        if (!confirm(t("numbers.release_confirm", { number: n.number }))) return;
        await api("DELETE", `/v1/accounts/${acc}/numbers/${encodeURIComponent(n.number)}`);
        await ctx.rerender();
      });
    }
    return [n.number, n.country, route, fmtDate(n.assigned_at), release];
  });
  const items = [h("h1", {}, t("numbers.title")),
    tableOr("numbers", t("numbers.title"), [t("numbers.number"), t("numbers.country"), t("numbers.route"), t("numbers.since"), ""], rows, t("numbers.none")),
    st.node];
  if (manage) {
    const country = field("num-country", t("numbers.country"), { type: "text", value: "US", required: "", maxlength: "2" });
    const area = field("num-area", t("numbers.area"), { type: "text", inputmode: "numeric" });
    items.push(simpleForm("number-request", t("numbers.request"), [country.label, area.label], t("numbers.request_submit"), async () => {
      const body = { country: country.input.value.trim().toUpperCase() };
      if (area.input.value.trim()) body.area_code = area.input.value.trim();
      const r = await api("POST", `/v1/accounts/${acc}/numbers`, body);
      await ctx.rerender();
      document.getElementById("numbers-status").textContent = t("numbers.got", { number: r.number });
    }));
  }
  // Port-in: the numbers of another carrier, with the signed letter of
  // authorization (a PDF); operators drive the request from there.
  if (ports.items.length || manage)
    items.push(h("h2", {}, t("ports.title")), tableOr("ports", t("ports.title"), [t("ports.numbers"), t("ports.carrier"), t("users.status"),
      t("ports.reason"), t("fax.date")], ports.items.map((p) => [p.numbers.join(", "), p.losing_carrier,
      h("span", { class: "port-status" }, tv("port", p.status)), p.reason || "", fmtDate(p.created_at)]), t("ports.none")));
  if (manage) {
    const nums = field("port-numbers", t("ports.numbers_field"), { tag: "textarea", rows: "2", required: "" });
    const carrier = field("port-carrier", t("ports.carrier"), { type: "text", required: "" });
    const accno = field("port-account", t("ports.account_number"), { type: "text" });
    const loa = field("port-loa", t("ports.loa"), { type: "file", accept: ".pdf,application/pdf", required: "" });
    items.push(simpleForm("port-request", t("ports.request"), [h("p", { class: "muted" }, t("ports.intro")), nums.label, carrier.label,
      accno.label, loa.label], t("ports.submit"), async (pst) => {
      if (!loa.input.files.length) { pst.fail(t("ports.no_loa")); return; }
      const fd = new FormData();
      fd.append("numbers", nums.input.value.trim());
      fd.append("losing_carrier", carrier.input.value.trim());
      if (accno.input.value.trim()) fd.append("account_number_at_carrier", accno.input.value.trim());
      fd.append("loa", loa.input.files[0], loa.input.files[0].name);
      await api("POST", `/v1/accounts/${acc}/port-requests`, fd);
      await ctx.rerender();
    }));
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
