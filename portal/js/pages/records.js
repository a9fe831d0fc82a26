// Records of an account: audit log with filters, call detail records with
// CSV export, API keys and the person's sessions.
import { api, apiBlob } from "../api.js";
import { t, fmtDate, fmtNumber, fmtMoney, currentLang } from "../i18n.js";
import { h, field, table, status } from "../dom.js";
import { errorText, can, download } from "./common.js";

// "YYYY-MM-DD" of a date input as the start (or the end) of that day, UTC.
function dayBound(v, end) {
  return v ? v + (end ? "T23:59:59.999Z" : "T00:00:00.000Z") : "";
}

export async function auditPage(ctx) {
  const acc = ctx.me.account_id;
  const q = new URLSearchParams(ctx.params[0] || "");
  const action = field("audit-action", t("audit.action"), { type: "text", value: q.get("action") || "", placeholder: "session.create" });
  const actor = field("audit-actor", t("audit.actor"), { type: "text", value: q.get("actor") || "" });
  const since = field("audit-since", t("audit.since"), { type: "date", value: q.get("since") || "" });
  const until = field("audit-until", t("audit.until"), { type: "date", value: q.get("until") || "" });
  const form = h("form", { id: "audit-filter", class: "filters", novalidate: "" }, action.label, actor.label, since.label, until.label,
    h("button", { type: "submit" }, t("audit.filter")));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = new URLSearchParams();
    for (const [k, el] of [["action", action.input], ["actor", actor.input], ["since", since.input], ["until", until.input]])
      if (el.value.trim()) f.set(k, el.value.trim());
    location.hash = "#/audit/" + encodeURIComponent(f.toString());
  });
  const api_q = new URLSearchParams({ limit: "100" });
  if (q.get("action")) api_q.set("action", q.get("action"));
  if (q.get("actor")) api_q.set("actor", q.get("actor"));
  if (q.get("since")) api_q.set("since", dayBound(q.get("since"), false));
  if (q.get("until")) api_q.set("until", dayBound(q.get("until"), true));
  const list = await api("GET", `/v1/accounts/${acc}/audit-events?${api_q}`);
  // An act done under a consent or an access grant says so, as the service
  // words it in each language ("done by <staff> (<partner>) under consent <id>").
  const who = (e) => {
    const d = e.delegation && e.delegation.text;
    const text = d && (d[currentLang()] || d.en);
    return text ? h("span", {}, (e.actor && e.actor.id) || "", h("br", {}), h("span", { class: "delegation" }, text))
      : (e.actor && e.actor.id) || "";
  };
  const rows = list.items.map((e) => [fmtDate(e.time), e.action, who(e), e.target || "", e.outcome]);
  return [h("h1", {}, t("audit.title")), form,
    list.items.length ? table("audit-table", t("audit.title"), [t("audit.time"), t("audit.action"), t("audit.actor"), t("audit.target"), t("audit.outcome")], rows)
      : h("p", { id: "audit-none" }, t("audit.none"))];
}

export async function cdrsPage(ctx) {
  const acc = ctx.me.account_id;
  const [list, account] = await Promise.all([api("GET", `/v1/accounts/${acc}/cdrs?limit=100`), api("GET", `/v1/accounts/${acc}`)]);
  const st = status("cdrs-status");
  const csv = h("button", { type: "button", id: "cdrs-csv" }, t("cdrs.csv"));
  csv.addEventListener("click", async () => {
    try {
      const blob = await apiBlob(`/v1/accounts/${acc}/cdrs?limit=200`, "text/csv");
      download(blob, `cdrs-${acc}.csv`);
    } catch (e) { st.fail(errorText(e)); }
  });
  const money = (c) => (c === null || c === undefined ? "" : fmtMoney(c, account.currency || "USD"));
  const rows = list.items.map((c) => [fmtDate(c.started_at), c.direction, c.from, c.to, fmtNumber(c.pages_confirmed || 0),
    fmtNumber(Math.round((c.duration_ms || 0) / 1000)), c.result || "", money(c.cost)]);
  return [h("h1", {}, t("cdrs.title")), h("div", { class: "actions" }, csv), st.node,
    list.items.length ? table("cdrs-table", t("cdrs.title"), [t("cdrs.started"), t("cdrs.direction"), t("fax.from"), t("fax.to"),
      t("fax.pages"), t("cdrs.seconds"), t("cdrs.result"), t("cdrs.cost")], rows) : h("p", { id: "cdrs-none" }, t("cdrs.none"))];
}

export async function keysPage(ctx) {
  const acc = ctx.me.account_id;
  const items = [h("h1", {}, t("keys.title"))];
  const st = status("keys-status");
  if (acc && can(ctx.me, "api_keys.own", "security.manage")) {
    const keys = await api("GET", `/v1/accounts/${acc}/api-keys?limit=200`);
    const rows = keys.items.map((k) => {
      const del = h("button", { type: "button", class: "secondary", id: "revoke-" + k.id }, t("keys.revoke"));
      del.addEventListener("click", async () => {
        try { await api("DELETE", `/v1/accounts/${acc}/api-keys/${k.id}`); await ctx.rerender(); } catch (e) { st.fail(errorText(e)); }
      });
      return [k.name, k.prefix || k.id, (k.permissions || []).join(", "), fmtDate(k.last_used_at), del];
    });
    items.push(h("h2", {}, t("keys.api")), keys.items.length ? table("keys-table", t("keys.api"),
      [t("keys.name"), t("keys.prefix"), t("keys.permissions"), t("keys.last_used"), ""], rows) : h("p", { id: "keys-none" }, t("keys.none")));
    if (can(ctx.me, "api_keys.own")) {
      const name = field("key-name", t("keys.name"), { type: "text", required: "" });
      const boxes = (ctx.me.permissions || []).filter((p) => !p.startsWith("provider.") && !p.startsWith("partner.")).map((p) => {
        const cb = h("input", { type: "checkbox", name: "perm", value: p, id: "perm-" + p.replace(/\./g, "-") });
        return h("label", { class: "check", for: cb.id }, cb, " ", p);
      });
      const out = h("div", { id: "key-result" });
      const form = h("form", { id: "key-create", novalidate: "" }, h("h2", {}, t("keys.create")), name.label,
        h("fieldset", {}, h("legend", {}, t("keys.permissions")), ...boxes),
        h("button", { type: "submit" }, t("keys.create_submit")), out);
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const permissions = [...form.querySelectorAll("input[name=perm]:checked")].map((x) => x.value);
        try {
          const r = await api("POST", `/v1/accounts/${acc}/api-keys`, { name: name.input.value.trim(), permissions });
          await ctx.rerender();
          document.getElementById("key-result").replaceChildren(h("div", { class: "notice", id: "key-secret" },
            h("p", {}, t("keys.secret_once")), h("p", { class: "code" }, r.secret)));
        } catch (e) { out.replaceChildren(h("p", { class: "error", role: "alert" }, errorText(e))); }
      });
      items.push(form);
    }
  }
  const sessions = await api("GET", "/v1/me/sessions");
  const srows = sessions.items.map((s) => {
    let act = t("sessions.current");
    if (!s.current) {
      act = h("button", { type: "button", class: "secondary", id: "end-" + s.id }, t("sessions.end"));
      act.addEventListener("click", async () => {
        try { await api("DELETE", `/v1/me/sessions/${s.id}`); await ctx.rerender(); } catch (e) { st.fail(errorText(e)); }
      });
    }
    return [s.source, fmtDate(s.created_at), fmtDate(s.last_seen_at), act];
  });
  items.push(h("h2", {}, t("sessions.title")), table("sessions-table", t("sessions.title"),
    [t("sessions.source"), t("sessions.created"), t("sessions.last_seen"), ""], srows), st.node);
  return items;
}
