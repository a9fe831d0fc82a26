// Who else may act on an account: the owner's consents to a partner
// (R03, C18) and the provider's support access grants (P06, P11), which the
// owner or an administrator approves or revokes; and, for partner staff,
// the consents each of their accounts gave them.
import { api } from "../api.js";
import { t, tv, fmtDate } from "../i18n.js";
import { h, field, table, tableOr, status } from "../dom.js";
import { can, action, simpleForm } from "./common.js";

const SCOPES = ["numbers.manage", "users.manage", "admins.manage", "security.manage", "data.read", "billing.read", "settings.manage"];

function consentRows(items, st, ctx, acc, revoke) {
  return items.map((c) => [c.partner_id, Array.isArray(c.scope) ? c.scope.join(", ") : tv("consent.scope", c.scope),
    fmtDate(c.starts_at), fmtDate(c.expires_at), h("span", { class: "consent-status" }, tv("consent", c.status)),
    revoke && (c.status === "live" || c.status === "pending") ? action("consent-revoke-" + c.id, t("access.revoke"), st, async () => {
      if (!confirm(t("access.revoke_confirm"))) return;
      await api("DELETE", `/v1/accounts/${acc}/consents/${c.id}`);
      await ctx.rerender();
    }) : ""]);
}

const consentHeaders = () => [t("access.partner"), t("access.scope"), t("access.starts"), t("access.expires"), t("users.status"), ""];

// The date input's day, as the end of that day in RFC 3339 (UTC).
function dayEnd(v) { return v ? v + "T23:59:59.000Z" : ""; }

// A consent given by a signed letter (a PDF the owner scanned and
// uploads): it waits for the provider's review and lends nothing until an
// operator approves it.
function letterForm(ctx, acc) {
  const partner = field("letter-partner", t("access.partner_id"), { type: "text", required: "", placeholder: "prt_…" });
  const full = h("input", { type: "checkbox", id: "letter-full" });
  full.checked = true;
  const boxes = SCOPES.map((p) => {
    const cb = h("input", { type: "checkbox", name: "letter-scope", value: p, id: "letter-scope-" + p.replace(/\./g, "-") });
    return h("label", { class: "check", for: cb.id }, cb, " ", p);
  });
  const until = field("letter-expires", t("access.expires"), { type: "date", required: "" });
  const file = field("letter-file", t("access.letter_file"), { type: "file", accept: "application/pdf,.pdf", required: "" });
  return simpleForm("consent-letter", t("access.letter_title"), [h("p", { class: "muted" }, t("access.letter_intro")), partner.label,
    h("label", { class: "check", for: "letter-full" }, full, " ", t("access.full")),
    h("fieldset", {}, h("legend", {}, t("access.some")), ...boxes), until.label, file.label], t("access.letter_submit"), async (st) => {
    if (!file.input.files.length) { st.fail(t("access.letter_needed")); return; }
    const scope = full.checked ? "full" : JSON.stringify([...document.querySelectorAll("#consent-letter input[name=letter-scope]:checked")].map((x) => x.value));
    const fd = new FormData();
    fd.append("partner_id", partner.input.value.trim());
    fd.append("scope", scope);
    fd.append("expires_at", dayEnd(until.input.value));
    fd.append("letter", file.input.files[0], file.input.files[0].name);
    await api("POST", `/v1/accounts/${acc}/consents/letter`, fd);
    await ctx.rerender();
  });
}

export async function accessPage(ctx) {
  const acc = ctx.me.account_id;
  const owner = can(ctx.me, "ownership.transfer");
  const st = status("access-status");
  const items = [h("h1", {}, t("access.title"))];
  if (can(ctx.me, "ownership.transfer", "admins.manage", "security.manage")) {
    const list = await api("GET", `/v1/accounts/${acc}/consents`);
    items.push(h("h2", {}, t("access.consents")), h("p", {}, t("access.consents_intro")),
      list.items.length ? table("consents-table", t("access.consents"), consentHeaders(), consentRows(list.items, st, ctx, acc, owner))
        : h("p", { id: "consents-none" }, t("access.no_consent")));
    if (owner) {
      const partner = field("consent-partner", t("access.partner_id"), { type: "text", required: "", placeholder: "prt_…" });
      const full = h("input", { type: "checkbox", id: "consent-full" });
      full.checked = true;
      const boxes = SCOPES.map((p) => {
        const cb = h("input", { type: "checkbox", name: "scope", value: p, id: "scope-" + p.replace(/\./g, "-") });
        return h("label", { class: "check", for: cb.id }, cb, " ", p);
      });
      const until = field("consent-expires", t("access.expires"), { type: "date", required: "" });
      const code = field("consent-code", t("access.mfa_code"), { type: "text", inputmode: "numeric", autocomplete: "one-time-code" });
      items.push(simpleForm("consent-create", t("access.give"), [partner.label,
        h("label", { class: "check", for: "consent-full" }, full, " ", t("access.full")),
        h("fieldset", {}, h("legend", {}, t("access.some")), ...boxes), until.label, ctx.me.mfa && ctx.me.mfa.totp ? code.label : null],
        t("access.give_submit"), async () => {
          const scope = full.checked ? "full" : [...document.querySelectorAll("#consent-create input[name=scope]:checked")].map((x) => x.value);
          const body = { partner_id: partner.input.value.trim(), scope, expires_at: dayEnd(until.input.value) };
          if (code.input.value.trim()) body.mfa_code = code.input.value.trim();
          await api("POST", `/v1/accounts/${acc}/consents`, body);
          await ctx.rerender();
        }));
      items.push(letterForm(ctx, acc));
    }
  }
  if (can(ctx.me, "security.manage", "data.read")) {
    const grants = await api("GET", `/v1/accounts/${acc}/access-grants`);
    const decide = can(ctx.me, "security.manage");
    const rows = grants.items.map((g) => [fmtDate(g.requested_at), tv("grant.scope", g.scope), g.reason,
      String(g.duration_minutes), g.break_glass ? t("secinc.yes") : t("secinc.no"), h("span", { class: "grant-status" }, tv("grant", g.status)),
      decide ? h("div", { class: "actions" },
        g.status === "requested" ? action("grant-approve-" + g.id, t("access.approve"), st, async () => {
          await api("POST", `/v1/accounts/${acc}/access-grants/${g.id}/approve`);
          await ctx.rerender();
        }, "") : null,
        ["requested", "approved"].includes(g.status) ? action("grant-revoke-" + g.id, t("access.revoke"), st, async () => {
          await api("POST", `/v1/accounts/${acc}/access-grants/${g.id}/revoke`);
          await ctx.rerender();
        }) : null) : ""]);
    items.push(h("h2", {}, t("access.grants")), h("p", {}, t("access.grants_intro")),
      tableOr("grants", t("access.grants"), [t("access.requested"), t("access.scope"), t("access.reason"),
        t("access.minutes"), t("access.break_glass"), t("users.status"), ""], rows, t("access.no_grant")));
  }
  items.push(st.node);
  return items;
}

// Partner staff: the consents one of their accounts gave the partner.
export async function partnerConsentsPage(ctx) {
  const acc = ctx.params[0];
  const [a, list] = await Promise.all([api("GET", `/v1/accounts/${encodeURIComponent(acc)}`),
    api("GET", `/v1/accounts/${encodeURIComponent(acc)}/consents`)]);
  const st = status("consents-status");
  return [h("h1", {}, t("access.consents_of", { name: a.name })),
    list.items.length ? table("consents-table", t("access.consents"), consentHeaders(), consentRows(list.items, st, ctx, acc, false))
      : h("p", { id: "consents-none" }, t("access.no_consent")),
    h("p", {}, h("a", { href: "#/accounts" }, t("access.back")))];
}
