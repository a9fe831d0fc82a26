// The account's settings: security policy (passwords, second factor,
// sessions, single sign-on), posture checklist and contacts review, fax by
// e-mail, retention and legal hold. Reading takes data.read or
// security.manage; changing takes security.manage (the forms are shown
// read-only otherwise); confirming the contacts is the owner's.
import { api } from "../api.js";
import { t, tv, fmtDate } from "../i18n.js";
import { h, field, select, table, status } from "../dom.js";
import { errorText, can } from "./common.js";

// A number input of a settings form.
function num(id, text, value, min, max) {
  return field(id, text, { type: "number", min: String(min), max: String(max), value: String(value), required: "" });
}

// A labelled check box.
function check(id, text, on) {
  const cb = h("input", { type: "checkbox", id, name: id });
  cb.checked = !!on;
  return { label: h("label", { class: "check", for: id }, cb, " ", text), input: cb };
}

// A list typed one item a line (or separated by commas).
function lines(v) {
  return v.split(/[\s,]+/).map((x) => x.trim()).filter((x) => x);
}

// A form that saves with submit; read-only (a disabled fieldset) when the
// person may not change it.
function settingsForm(id, title, canChange, children, save) {
  const st = status(id + "-status");
  const fs = h("fieldset", {}, h("legend", {}, title), ...children);
  if (!canChange) fs.disabled = true;
  const form = h("form", { id, novalidate: "" }, fs);
  if (canChange) form.append(h("button", { type: "submit" }, t("settings.save")));
  else form.append(h("p", { class: "muted", id: id + "-readonly" }, t("settings.readonly")));
  form.append(st.node);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    st.clear();
    try { await save(); st.ok(t("settings.saved")); } catch (e) { st.fail(errorText(e)); }
  });
  return form;
}

export async function securityPage(ctx) {
  const acc = ctx.me.account_id;
  const s = await api("GET", `/v1/accounts/${acc}/security`);
  const pp = s.password_policy, comp = pp.composition || {};
  const edit = can(ctx.me, "security.manage");
  const minLen = num("sec-min-length", t("security.min_length"), pp.min_length, 8, 256);
  const history = num("sec-history", t("security.history"), pp.history, 0, 24);
  const maxAge = num("sec-max-age", t("security.max_age"), pp.max_age_days, 0, 3650);
  const lockN = num("sec-lockout", t("security.lockout_threshold"), pp.lockout_threshold, 1, 100);
  const lockMin = num("sec-lockout-minutes", t("security.lockout_minutes"), pp.lockout_minutes, 1, 1440);
  const comps = ["upper", "lower", "digit", "symbol"].map((k) => [k, check("sec-require-" + k, tv("security.require", k), comp["require_" + k])]);
  const mfa = select("sec-mfa", ["none", "admins", "all"].map((v) => [v, tv("security.mfa", v)]), s.mfa.required_for);
  const idle = num("sec-idle", t("security.idle"), s.session.idle_timeout_minutes, 1, 1440);
  const life = num("sec-lifetime", t("security.lifetime"), s.session.max_lifetime_hours, 1, 720);
  const sso = check("sec-sso-required", t("security.sso_required"), s.sso_required);
  const fhold = check("sec-fraud-hold", t("security.fraud_hold"), s.fraud_hold);
  const autoCfg = check("sec-grants-auto-config", t("security.grants_auto_config"), s.access_grants_auto_config);
  const shared = check("sec-shared-inbox-safebox", t("security.shared_inbox_safebox"), s.shared_inbox_safebox);
  const mail = select("sec-fax-mail", ["attachment", "link", "safebox", "none"].map((v) => [v, tv("security.fax_mail", v)]), s.received_fax_mail || "attachment");
  const review = num("sec-review", t("security.review_months"), s.contacts_review_months, 1, 60);
  const ips = field("sec-ips", t("security.ip_allowlist"), { tag: "textarea", rows: "3" });
  ips.input.value = (s.ip_allowlist || []).join("\n");
  const form = settingsForm("security-form", t("security.title"), edit, [
    h("h2", {}, t("security.passwords")), minLen.label, history.label, maxAge.label, lockN.label, lockMin.label,
    ...comps.map(([, c]) => c.label),
    h("h2", {}, t("security.signin")), h("label", { for: "sec-mfa" }, t("security.mfa"), mfa), idle.label, life.label, sso.label,
    h("p", { class: "muted" }, t("security.sso_hint")),
    h("h2", {}, t("security.other")), h("label", { for: "sec-fax-mail" }, t("security.fax_mail"), mail),
    shared.label, h("p", { class: "muted" }, t("security.shared_inbox_safebox_hint")), review.label, ips.label,
    h("p", { class: "muted" }, t("security.ip_hint")), fhold.label, h("p", { class: "muted" }, t("security.fraud_hold_hint")),
    autoCfg.label, h("p", { class: "muted" }, t("security.grants_auto_config_hint")),
  ], async () => {
    const composition = {};
    for (const [k, c] of comps) composition["require_" + k] = c.input.checked;
    await api("PATCH", `/v1/accounts/${acc}/security`, {
      password_policy: { min_length: +minLen.input.value, history: +history.input.value, max_age_days: +maxAge.input.value,
        lockout_threshold: +lockN.input.value, lockout_minutes: +lockMin.input.value, composition },
      mfa: { required_for: mfa.value },
      session: { idle_timeout_minutes: +idle.input.value, max_lifetime_hours: +life.input.value },
      sso_required: sso.input.checked,
      received_fax_mail: mail.value,
      shared_inbox_safebox: shared.input.checked,
      contacts_review_months: +review.input.value,
      ip_allowlist: lines(ips.input.value),
      fraud_hold: fhold.input.checked,
      access_grants_auto_config: autoCfg.input.checked,
    });
  });
  return [h("h1", {}, t("security.title")), form];
}

export async function posturePage(ctx) {
  const acc = ctx.me.account_id;
  const p = await api("GET", `/v1/accounts/${acc}/posture`);
  const rows = p.items.map((i) => [i.id, h("span", { class: "posture-" + i.status }, tv("posture", i.status)), i.title, i.detail]);
  const failing = p.items.filter((i) => i.status === "fail").length;
  const items = [h("h1", {}, t("posture.title")),
    h("p", { id: "posture-summary" }, failing ? t("posture.failing", { n: failing }) : t("posture.all_pass")),
    table("posture-table", t("posture.title"), [t("posture.id"), t("posture.status"), t("posture.check"), t("posture.detail")], rows)];
  // Contacts review (C01): the owner confirms the owner and billing contacts.
  if (can(ctx.me, "ownership.transfer")) {
    const [a, users] = await Promise.all([api("GET", `/v1/accounts/${acc}`),
      api("GET", `/v1/accounts/${acc}/users?limit=200`)]);
    const billing = users.items.filter((u) => u.role === "billing" && u.status !== "deprovisioned");
    const owner = a.owner || {};
    const crow = [[tv("role", "owner"), owner.email || "", owner.name || ""],
      ...billing.map((u) => [tv("role", "billing"), u.email, u.name || ""])];
    const st = status("contacts-status");
    const btn = h("button", { type: "button", id: "contacts-confirm" }, t("contacts.confirm"));
    btn.addEventListener("click", async () => {
      try {
        const r = await api("POST", `/v1/accounts/${acc}/contacts/confirm`);
        st.ok(t("contacts.confirmed", { date: fmtDate(r.next_review_due) }));
      } catch (e) { st.fail(errorText(e)); }
    });
    items.push(h("h2", {}, t("contacts.title")),
      h("p", { id: "contacts-due" }, a.contacts_review_due ? t("contacts.due") : t("contacts.current")),
      table("contacts-table", t("contacts.title"), [t("users.role"), t("users.email"), t("users.name")], crow),
      billing.length ? null : h("p", { class: "muted" }, t("contacts.no_billing")),
      h("div", { class: "actions" }, btn), st.node);
  }
  return items;
}

export async function faxMailPage(ctx) {
  const acc = ctx.me.account_id;
  const s = await api("GET", `/v1/accounts/${acc}/fax-by-email`);
  const on = check("fbe-enabled", t("faxmail.enabled"), s.enabled);
  const senders = field("fbe-senders", t("faxmail.senders"), { tag: "textarea", rows: "3" });
  senders.input.value = (s.allowed_senders || []).join("\n");
  const servers = field("fbe-servers", t("faxmail.servers"), { tag: "textarea", rows: "3" });
  servers.input.value = (s.allowed_servers || []).join("\n");
  const spf = select("fbe-spf", ["ignore", "require"].map((v) => [v, tv("faxmail.check", v)]), s.spf);
  const dkim = select("fbe-dkim", ["ignore", "require"].map((v) => [v, tv("faxmail.check", v)]), s.dkim);
  const form = settingsForm("faxmail-form", t("faxmail.title"), can(ctx.me, "security.manage"), [
    on.label, senders.label, h("p", { class: "muted" }, t("faxmail.senders_hint")), servers.label,
    h("p", { class: "muted" }, t("faxmail.servers_hint")),
    h("label", { for: "fbe-spf" }, "SPF", spf), h("label", { for: "fbe-dkim" }, "DKIM", dkim),
  ], async () => {
    await api("PUT", `/v1/accounts/${acc}/fax-by-email`, { enabled: on.input.checked,
      allowed_senders: lines(senders.input.value), allowed_servers: lines(servers.input.value), spf: spf.value, dkim: dkim.value });
  });
  return [h("h1", {}, t("faxmail.title")), h("p", {}, t("faxmail.intro")), form,
    h("p", { class: "muted", id: "faxmail-updated" }, s.updated_at ? t("settings.updated", { date: fmtDate(s.updated_at) }) : "")];
}

export async function retentionPage(ctx) {
  const acc = ctx.me.account_id;
  const r = await api("GET", `/v1/accounts/${acc}/retention`);
  const b = r.bounds || {};
  // Days, or empty to keep without limit.
  const days = (id, text, v) => field(id, text, { type: "number", min: String(b.min_days || 1), value: v === null || v === undefined ? "" : String(v) });
  const inb = days("ret-inbound", t("retention.inbound"), r.inbound_fax_days);
  const outb = days("ret-outbound", t("retention.outbound"), r.outbound_fax_days);
  const sbx = days("ret-safebox", t("retention.safebox"), r.safebox_days);
  const held = (r.legal_hold && r.legal_hold.held) || false;
  const hold = check("ret-hold", t("retention.hold"), held);
  const reason = field("ret-hold-reason", t("retention.hold_reason"), { type: "text", maxlength: "200" });
  reason.input.value = (r.legal_hold && r.legal_hold.reason) || "";
  const val = (el) => (el.value.trim() === "" ? null : +el.value);
  const holdText = (lh) => (lh && lh.held ? t("retention.held", { reason: lh.reason || "" }) : t("retention.not_held"));
  const holdP = h("p", { id: "retention-hold", class: held ? "notice" : "" }, holdText(r.legal_hold));
  const min = b.min_days ? t("retention.min", { n: b.min_days }) : "";
  const max = b.max_days ? t("retention.max", { n: b.max_days }) : "";
  const form = settingsForm("retention-form", t("retention.title"), can(ctx.me, "security.manage"), [
    inb.label, outb.label, sbx.label, h("p", { class: "muted" }, [t("retention.keep_hint"), min, max].filter((x) => x).join(" ")),
    h("h2", {}, t("retention.hold_title")), hold.label, reason.label,
  ], async () => {
    const body = { inbound_fax_days: val(inb.input), outbound_fax_days: val(outb.input), safebox_days: val(sbx.input), legal_hold: hold.input.checked };
    if (hold.input.checked) body.legal_hold_reason = reason.input.value.trim();
    const nr = await api("PATCH", `/v1/accounts/${acc}/retention`, body);
    holdP.textContent = holdText(nr.legal_hold);
    holdP.className = nr.legal_hold && nr.legal_hold.held ? "notice" : "";
  });
  return [h("h1", {}, t("retention.title")), holdP, form];
}
