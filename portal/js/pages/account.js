// More of an account's administration: billing (plan, balance, ledger;
// billing.read), SCIM provisioning tokens (security.manage: a token is a
// credential of the account, shown once) and the breach notices the
// provider sent (security.manage, acknowledged once).
import { api, apiBlob } from "../api.js";
import { t, tv, fmtDate, fmtNumber, fmtMoney, currentLang } from "../i18n.js";
import { h, field, tableOr, status } from "../dom.js";
import { action, codeBox, simpleForm, download } from "./common.js";

export async function billingPage(ctx) {
  const acc = ctx.me.account_id;
  const [plan, bal, ledger] = await Promise.all([api("GET", `/v1/accounts/${acc}/plan`), api("GET", `/v1/accounts/${acc}/balance`),
    api("GET", `/v1/accounts/${acc}/ledger?limit=100`)]);
  const money = (m) => fmtMoney(m || 0, bal.currency || plan.currency || "USD");
  const quota = (n) => (n ? fmtNumber(n) : t("billing.no_limit"));
  const facts = [[t("billing.plan"), tv("plan", plan.kind)], [t("billing.balance"), h("span", { id: "billing-balance" }, money(bal.balance_minor))],
    [t("billing.included"), fmtNumber(plan.included_pages || 0)], [t("billing.low"), money(plan.low_balance_minor)],
    [t("billing.quota_day"), quota(plan.quota_account_day)], [t("billing.quota_month"), quota(plan.quota_account_month)]];
  const rows = ledger.items.map((x) => [fmtDate(x.created_at), tv("ledger", x.kind), x.reason || "", money(x.delta_minor)]);
  // Postpaid invoices, each as a PDF in its language.
  const inv = await api("GET", `/v1/accounts/${acc}/invoices?limit=100`);
  const st = status("invoices-status");
  const invMoney = (m, c) => fmtMoney(m || 0, c || bal.currency || "USD");
  const irows = inv.items.map((x) => [String(x.number), x.period, invMoney(x.total_minor, x.currency), invMoney(x.due_minor, x.currency),
    h("span", { class: "invoice-status" }, tv("invoice", x.status)), fmtDate(x.due_at),
    action("invoice-pdf-" + x.id, t("invoices.pdf"), st, async () => {
      download(await apiBlob(`/v1/accounts/${acc}/invoices/${x.id}`, "application/pdf"), `invoice-${x.number}.pdf`);
    })]);
  return [h("h1", {}, t("billing.title")),
    bal.low ? h("p", { class: "notice", id: "billing-low", role: "status" }, t("billing.is_low")) : null,
    h("dl", { class: "facts", id: "billing-facts" }, ...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    h("h2", {}, t("billing.ledger")),
    tableOr("ledger", t("billing.ledger"), [t("fax.date"), t("billing.kind"), t("access.reason"), t("billing.amount")], rows, t("billing.no_entry")),
    h("h2", {}, t("invoices.title")),
    tableOr("invoices", t("invoices.title"), [t("invoices.number"), t("invoices.period"), t("invoices.total"), t("invoices.due"),
      t("users.status"), t("invoices.due_at"), ""], irows, t("invoices.none")), st.node];
}

export async function scimPage(ctx) {
  const acc = ctx.me.account_id;
  const list = await api("GET", `/v1/accounts/${acc}/scim-tokens?limit=200`);
  const st = status("scim-status");
  const rows = list.items.map((k) => [k.name, h("span", { class: "code" }, k.prefix || k.id), fmtDate(k.created_at), fmtDate(k.last_used_at),
    action("scim-revoke-" + k.id, t("keys.revoke"), st, async () => {
      if (!confirm(t("scim.revoke_confirm", { name: k.name }))) return;
      await api("DELETE", `/v1/accounts/${acc}/scim-tokens/${k.id}`);
      await ctx.rerender();
    })]);
  const name = field("scim-name", t("keys.name"), { type: "text", required: "", placeholder: "Entra ID" });
  const out = h("div", { id: "scim-result" });
  return [h("h1", {}, t("scim.title")), h("p", {}, t("scim.intro", { url: location.origin + "/scim/v2" })),
    tableOr("scim", t("scim.title"), [t("keys.name"), t("keys.prefix"), t("sessions.created"), t("keys.last_used"), ""], rows, t("scim.none")),
    st.node, out,
    simpleForm("scim-create", t("scim.create"), [name.label], t("keys.create_submit"), async () => {
      const r = await api("POST", `/v1/accounts/${acc}/scim-tokens`, { name: name.input.value.trim() });
      await ctx.rerender();
      document.getElementById("scim-result").replaceChildren(codeBox("scim-token", t("keys.secret_once"), r.token));
    })];
}

export async function breachPage(ctx) {
  const acc = ctx.me.account_id;
  const list = await api("GET", `/v1/accounts/${acc}/breach-notices?limit=100`);
  const st = status("breach-status");
  const fr = currentLang() === "fr";
  const items = [h("h1", {}, t("breach.title")), h("p", {}, t("breach.intro"))];
  if (!list.items.length) items.push(h("p", { id: "breach-none" }, t("breach.none")));
  for (const n of list.items)
    items.push(h("article", { class: "notice breach", id: "breach-" + n.id },
      h("h2", {}, n.title), h("p", { class: "muted" }, t("breach.meta", { severity: tv("severity", n.severity), detected: fmtDate(n.detected_at), sent: fmtDate(n.sent_at) })),
      h("p", { class: "body" }, (fr ? n.text_fr : n.text_en) || ""),
      n.acknowledged_at ? h("p", { class: "breach-ack" }, t("breach.acknowledged", { date: fmtDate(n.acknowledged_at) }))
        : action("breach-ack-" + n.id, t("breach.acknowledge"), st, async () => {
          await api("POST", `/v1/accounts/${acc}/breach-notices/${n.id}/acknowledge`);
          await ctx.rerender();
        }, "")));
  items.push(st.node);
  return items;
}
