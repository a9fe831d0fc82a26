// The provider console: trunks (with their state on the status board),
// rates, staff, terms of service, the status board's incidents and
// maintenance windows, security incidents, and partners. Each page is shown
// to whoever holds the provider permission its calls take.
import { api } from "../api.js";
import { t, tv, fmtDate, fmtMoney, currentLang } from "../i18n.js";
import { h, field, select, table, tableOr, status } from "../dom.js";
import { errorText, action, askButton, codeBox, simpleForm, tokenLink, flash } from "./common.js";

const sel = (id, text, options, value) => ({ label: h("label", { for: id }, text, select(id, options, value)), get input() { return document.getElementById(id); } });
const words = (v) => v.split(/[\s,]+/).map((x) => x.trim()).filter((x) => x);

// ---- trunks ----

// The fields of a trunk's form (ids p-name, p-peer…), filled from tr when
// editing one; the password is never answered: left empty it is unchanged.
function trunkFields(p, tr) {
  const v = tr || {};
  const f = {
    name: field(p + "-name", t("trunks.name"), { type: "text", required: "", value: v.name || "" }),
    peer: field(p + "-peer", t("trunks.peer"), { type: "text", required: "", placeholder: "192.0.2.10:5060", value: v.peer || "" }),
    user: field(p + "-username", t("trunks.username"), { type: "text", autocomplete: "off", value: v.username || "" }),
    pass: field(p + "-password", tr ? t("trunks.password_keep") : t("trunks.password"), { type: "password", autocomplete: "new-password" }),
    transport: sel(p + "-transport", t("trunks.transport"), ["t38_first", "g711_only", "t38_only"].map((x) => [x, tv("transport", x)]), v.transport || "t38_first"),
    calls: field(p + "-max-calls", t("trunks.max_calls"), { type: "number", min: "1", value: String(v.max_calls || 10) }),
    prefixes: field(p + "-prefixes", t("trunks.prefixes"), { type: "text", placeholder: "+33, +49", value: (v.prefixes || []).join(", ") }),
  };
  f.labels = [f.name.label, f.peer.label, f.user.label, f.pass.label, f.transport.label, f.calls.label, f.prefixes.label];
  f.body = () => {
    const body = { name: f.name.input.value.trim(), peer: f.peer.input.value.trim(), transport: f.transport.input.value,
      max_calls: +f.calls.input.value, prefixes: words(f.prefixes.input.value) };
    if (f.user.input.value.trim() || tr) body.username = f.user.input.value.trim();
    if (f.pass.input.value) body.password = f.pass.input.value;
    return body;
  };
  return f;
}

export async function trunksPage(ctx) {
  const [list, board] = await Promise.all([api("GET", "/v1/provider/trunks?limit=200"),
    api("GET", "/status.json").catch(() => ({ components: [] }))]);
  const state = {};
  for (const c of board.components || []) state[c.id] = c.state;
  const st = status("trunks-status");
  const rows = list.items.map((tr) => [tr.id, tr.name, h("span", { class: "code" }, tr.peer), tv("transport", tr.transport),
    (tr.prefixes || []).join(", "), String(tr.max_calls), tv("webhook", tr.enabled ? "active" : "disabled"),
    h("span", { class: "trunk-link" }, tv("trunklink", tr.status)),
    h("span", { class: "trunk-state" }, tv("component", state["trunk:" + tr.id] || "operational")),
    tr.builtin ? "" : h("div", { class: "actions" }, action("trunk-toggle-" + tr.id, t(tr.enabled ? "webhooks.disable" : "webhooks.enable"), st, async () => {
      await api("PATCH", `/v1/provider/trunks/${tr.id}`, { status: tr.enabled ? "disabled" : "active" });
      await ctx.rerender();
    }), action("trunk-edit-" + tr.id, t("trunks.edit"), st, async () => {
      // The trunk's form under the list, filled in from its answer.
      const one = await api("GET", `/v1/provider/trunks/${tr.id}`);
      const ef = trunkFields("trunk-edit", one);
      box.replaceChildren(simpleForm("trunk-edit", t("trunks.edit_of", { name: one.name }), ef.labels, t("settings.save"), async () => {
        await api("PATCH", `/v1/provider/trunks/${tr.id}`, ef.body());
        await ctx.rerender();
        flash("trunks-status", t("settings.saved"));
      }));
      document.getElementById("trunk-edit-name").focus();
    }))]);
  const box = h("div", { id: "trunk-edit-box" });
  const cf = trunkFields("trunk");
  const form = simpleForm("trunk-create", t("trunks.create"), cf.labels, t("trunks.create_submit"), async () => {
    await api("POST", "/v1/provider/trunks", cf.body());
    await ctx.rerender();
  });
  return [h("h1", {}, t("trunks.title")),
    table("trunks-table", t("trunks.title"), [t("trunks.id"), t("trunks.name"), t("trunks.peer"), t("trunks.transport"),
      t("trunks.prefixes"), t("trunks.max_calls"), t("users.status"), t("trunks.link"), t("trunks.state"), ""], rows), st.node, box, form];
}

// ---- rates ----

export async function ratesPage(ctx) {
  const cur = (ctx.params[0] || "").toUpperCase();
  const r = await api("GET", "/v1/provider/rates" + (cur ? "?currency=" + encodeURIComponent(cur) : ""));
  const currency = r.currency || cur || "USD";
  const rows = (r.rates || []).map((x) => [x.prefix, fmtMoney(x.price_per_page, currency)]);
  const pick = field("rates-currency", t("rates.currency"), { type: "text", value: currency, maxlength: "3", required: "" });
  const choose = simpleForm("rates-pick", null, [pick.label], t("rates.show"), async () => {
    location.hash = "#/rates/" + encodeURIComponent(pick.input.value.trim().toUpperCase());
  });
  const text = field("rates-table-text", t("rates.edit_hint"), { tag: "textarea", rows: "6" });
  text.input.value = (r.rates || []).map((x) => `${x.prefix} ${x.price_per_page}`).join("\n");
  const form = simpleForm("rates-edit", t("rates.edit", { currency }), [text.label], t("rates.save"), async (st) => {
    const rates = text.input.value.split("\n").map((l) => l.trim()).filter((l) => l).map((l) => {
      const [prefix, price] = l.split(/\s+/);
      return { prefix, price_per_page: Number(price) };
    });
    await api("PUT", "/v1/provider/rates", { currency, rates });
    await ctx.rerender();
    document.getElementById("rates-status").textContent = t("settings.saved");
  });
  return [h("h1", {}, t("rates.title")), choose,
    tableOr("rates", t("rates.title_of", { currency }), [t("rates.prefix"), t("rates.price")], rows, t("rates.none", { currency })),
    h("p", { id: "rates-status", role: "status", class: "status ok" }), form];
}

// ---- staff ----

const STAFF_ROLES = ["operator", "support", "security"];

export async function staffPage(ctx) {
  const list = await api("GET", "/v1/provider/staff?limit=200");
  const st = status("staff-status");
  const rows = list.items.map((p) => {
    let role = tv("role", p.role), act = "";
    if (p.id !== ctx.me.id && p.status !== "deprovisioned") {
      role = select("staff-role-" + p.id, STAFF_ROLES.map((r) => [r, tv("role", r)]), p.role);
      role.setAttribute("aria-label", t("users.role_of", { email: p.email }));
      role.addEventListener("change", async () => {
        try { await api("PATCH", `/v1/provider/staff/${p.id}`, { role: role.value }); st.ok(t("users.changed", { email: p.email })); }
        catch (e) { st.fail(errorText(e)); }
      });
      act = action("staff-remove-" + p.id, t("users.disable"), st, async () => {
        if (!confirm(t("users.disable_confirm", { email: p.email }))) return;
        await api("DELETE", `/v1/provider/staff/${p.id}`);
        await ctx.rerender();
      });
    }
    return [p.email, p.name || "", role, tv("status", p.status), act];
  });
  const email = field("staff-email", t("users.email"), { type: "email", required: "" });
  const name = field("staff-name", t("users.name"), { type: "text", required: "" });
  const role = sel("staff-role", t("users.role"), STAFF_ROLES.map((r) => [r, tv("role", r)]), "support");
  const out = h("div", { id: "staff-result" });
  const form = simpleForm("staff-invite", t("staff.invite"), [email.label, name.label, role.label], t("users.invite_submit"), async () => {
    const r = await api("POST", "/v1/provider/staff", { email: email.input.value.trim(), name: name.input.value.trim(), role: role.input.value });
    await ctx.rerender();
    if (r.invitation && r.invitation.token)
      document.getElementById("staff-result").replaceChildren(codeBox("staff-invite-link", t("users.invited", { email: r.email }), tokenLink("invitation", r.invitation.token)));
  });
  return [h("h1", {}, t("staff.title")),
    table("staff-table", t("staff.title"), [t("users.email"), t("users.name"), t("users.role"), t("users.status"), ""], rows),
    st.node, out, form];
}

// ---- terms of service ----

export async function termsAdminPage(ctx) {
  const cur = await api("GET", "/v1/terms/current").catch((e) => { if (e.status === 404) return null; throw e; });
  const version = field("terms-version", t("termsadm.version"), { type: "text", required: "", placeholder: "2027-01" });
  const en = field("terms-text-en", t("termsadm.text_en"), { tag: "textarea", rows: "6", required: "" });
  const fr = field("terms-text-fr", t("termsadm.text_fr"), { tag: "textarea", rows: "6", required: "", lang: "fr" });
  const form = simpleForm("terms-publish", t("termsadm.publish"), [h("p", { class: "muted" }, t("termsadm.publish_hint")),
    version.label, en.label, fr.label], t("termsadm.publish_submit"), async () => {
    if (!confirm(t("termsadm.publish_confirm"))) return;
    await api("POST", "/v1/provider/terms", { version: version.input.value.trim(), text_en: en.input.value, text_fr: fr.input.value });
    await ctx.reload(null);
  });
  const items = [h("h1", {}, t("termsadm.title"))];
  if (cur && cur.version) {
    items.push(h("p", { id: "terms-current" }, t("termsadm.current", { version: cur.version, date: fmtDate(cur.published_at) })),
      h("div", { class: "terms", tabindex: "0", id: "terms-current-text" }, (currentLang() === "fr" ? cur.text_fr : cur.text_en) || cur.text || ""));
  } else items.push(h("p", { id: "terms-current" }, t("termsadm.none")));
  items.push(form);
  return items;
}

// ---- status board: incidents and maintenance windows ----

const COMPONENT_STATES = ["operational", "maintenance", "degraded", "partial_outage", "major_outage"];
const INCIDENT_STEPS = ["investigating", "identified", "monitoring", "resolved"];
const MAINTENANCE_STEPS = ["scheduled", "in_progress", "completed"];

// A datetime-local value as RFC 3339 (the browser's time zone), or "".
function isoOf(v) { return v ? new Date(v).toISOString() : ""; }

export async function statusAdminPage(ctx) {
  const [list, board] = await Promise.all([api("GET", "/v1/provider/incidents?limit=100"), api("GET", "/status.json")]);
  const st = status("status-admin-status");
  const fr = currentLang() === "fr";
  // The components, each with its state, which operators set.
  const crow = board.components.map((c) => {
    const s = select("component-" + c.id.replace(/[^A-Za-z0-9_-]/g, "-"), COMPONENT_STATES.map((v) => [v, tv("component", v)]), c.state);
    s.setAttribute("aria-label", t("statusadm.state_of", { name: c.name }));
    s.addEventListener("change", async () => {
      try { await api("PUT", `/v1/provider/status/components/${encodeURIComponent(c.id)}`, { state: s.value }); st.ok(t("settings.saved")); }
      catch (e) { st.fail(errorText(e)); }
    });
    return [c.name, h("span", { class: "code" }, c.id), s];
  });
  const rows = list.items.map((i) => {
    const steps = i.kind === "maintenance" ? MAINTENANCE_STEPS : INCIDENT_STEPS;
    const open = !i.closed_at;
    const next = open ? select("step-" + i.id, steps.map((v) => [v, tv("incstatus", v)]), i.status) : null;
    if (next) next.setAttribute("aria-label", t("statusadm.next_of", { title: fr ? i.title_fr : i.title_en }));
    return [tv("inckind", i.kind), fr ? i.title_fr : i.title_en, tv("component", i.impact), (i.components || []).join(", "),
      h("span", { class: "incident-status" }, tv("incstatus", i.status)),
      i.kind === "maintenance" ? `${fmtDate(i.starts_at)} – ${fmtDate(i.ends_at)}` : fmtDate(i.created_at),
      open ? h("div", { class: "actions" }, next, askButton("post-" + i.id, t("statusadm.post"), st,
        { label: t("statusadm.message_prompt"), submit: t("statusadm.post") }, async (msg) => {
          await api("POST", `/v1/provider/incidents/${i.id}/updates`, { status: next.value, message_en: msg, message_fr: msg });
          await ctx.rerender();
        })) : ""];
  });
  const kind = sel("inc-kind", t("statusadm.kind"), ["incident", "maintenance"].map((v) => [v, tv("inckind", v)]), "incident");
  const ten = field("inc-title-en", t("statusadm.title_en"), { type: "text", required: "", maxlength: "200" });
  const tfr = field("inc-title-fr", t("statusadm.title_fr"), { type: "text", required: "", maxlength: "200", lang: "fr" });
  const impact = sel("inc-impact", t("statusadm.impact"), COMPONENT_STATES.slice(1).map((v) => [v, tv("component", v)]), "degraded");
  const boxes = board.components.map((c) => {
    const cb = h("input", { type: "checkbox", name: "component", value: c.id, id: "inc-c-" + c.id.replace(/[^A-Za-z0-9_-]/g, "-") });
    return h("label", { class: "check", for: cb.id }, cb, " ", c.name);
  });
  const men = field("inc-message-en", t("statusadm.message_en"), { tag: "textarea", rows: "3", required: "" });
  const mfr = field("inc-message-fr", t("statusadm.message_fr"), { tag: "textarea", rows: "3", required: "", lang: "fr" });
  const starts = field("inc-starts", t("statusadm.starts"), { type: "datetime-local" });
  const ends = field("inc-ends", t("statusadm.ends"), { type: "datetime-local" });
  const form = simpleForm("incident-create", t("statusadm.create"), [kind.label, ten.label, tfr.label, impact.label,
    h("fieldset", {}, h("legend", {}, t("statusadm.components")), ...boxes), men.label, mfr.label,
    h("p", { class: "muted" }, t("statusadm.window_hint")), starts.label, ends.label], t("statusadm.create_submit"), async () => {
    const k = kind.input.value;
    const body = { kind: k, title_en: ten.input.value.trim(), title_fr: tfr.input.value.trim(),
      components: [...document.querySelectorAll("#incident-create input[name=component]:checked")].map((x) => x.value),
      message_en: men.input.value.trim(), message_fr: mfr.input.value.trim() };
    if (k === "incident") body.impact = impact.input.value;
    else { body.starts_at = isoOf(starts.input.value); body.ends_at = isoOf(ends.input.value); }
    await api("POST", "/v1/provider/incidents", body);
    await ctx.rerender();
  });
  return [h("h1", {}, t("statusadm.title")), h("p", {}, t("statusadm.intro"), " ", h("a", { href: "/status" }, t("statusadm.public"))),
    h("h2", {}, t("statusadm.components")),
    table("components-table", t("statusadm.components"), [t("idps.name"), t("trunks.id"), t("trunks.state")], crow),
    h("h2", {}, t("statusadm.incidents")),
    tableOr("incidents", t("statusadm.incidents"), [t("statusadm.kind"), t("statusadm.title_col"),
      t("statusadm.impact"), t("statusadm.components"), t("users.status"), t("fax.date"), ""], rows, t("statusadm.none")),
    st.node, form];
}

// ---- security incidents (P03, P14) ----

export async function securityIncidentsPage(ctx) {
  const list = await api("GET", "/v1/provider/security-incidents?limit=100");
  const st = status("secinc-status");
  const clock = (i) => (i.clocks || []).map((c) => `${c.name}: ${tv("clock", c.state)} (${fmtDate(c.due_at)})`).join("; ");
  const rows = list.items.map((i) => [fmtDate(i.detected_at), i.title, tv("severity", i.severity),
    h("span", { class: "secinc-status" }, tv("secstatus", i.status)), i.personal_data ? t("secinc.yes") : t("secinc.no"),
    String(i.accounts_affected || 0), clock(i),
    i.status === "closed" ? "" : h("div", { class: "actions" },
      askButton("secinc-note-" + i.id, t("secinc.note"), st, { label: t("statusadm.message_prompt"), submit: t("secinc.note") }, async (msg) => {
        await api("POST", `/v1/provider/security-incidents/${i.id}/updates`, { message: msg });
        await ctx.rerender();
      }),
      action("secinc-contain-" + i.id, t("secinc.contained"), st, async () => {
        await api("POST", `/v1/provider/security-incidents/${i.id}/updates`, { message: t("secinc.contained"), status: "contained" });
        await ctx.rerender();
      }),
      action("secinc-close-" + i.id, t("secinc.close"), st, async () => {
        await api("POST", `/v1/provider/security-incidents/${i.id}/updates`, { message: t("secinc.close"), status: "closed" });
        await ctx.rerender();
      }))]);
  const title = field("secinc-title", t("secinc.title_field"), { type: "text", required: "" });
  const desc = field("secinc-description", t("secinc.description"), { tag: "textarea", rows: "4", required: "" });
  const sev = sel("secinc-severity", t("secinc.severity"), ["low", "medium", "high", "critical"].map((v) => [v, tv("severity", v)]), "medium");
  const pd = h("input", { type: "checkbox", id: "secinc-personal" });
  const all = h("input", { type: "checkbox", id: "secinc-all" });
  const form = simpleForm("secinc-create", t("secinc.create"), [title.label, desc.label, sev.label,
    h("label", { class: "check", for: "secinc-personal" }, pd, " ", t("secinc.personal_data")),
    h("label", { class: "check", for: "secinc-all" }, all, " ", t("secinc.all_accounts"))], t("secinc.create_submit"), async () => {
    const body = { title: title.input.value.trim(), description: desc.input.value.trim(), severity: sev.input.value, personal_data: pd.checked };
    if (all.checked) body.affected = { all: true };
    await api("POST", "/v1/provider/security-incidents", body);
    await ctx.rerender();
  });
  return [h("h1", {}, t("secinc.title")), h("p", {}, t("secinc.intro")),
    tableOr("secinc", t("secinc.title"), [t("secinc.detected"), t("secinc.title_field"), t("secinc.severity"),
      t("users.status"), t("secinc.personal_data"), t("secinc.accounts"), t("secinc.clocks"), ""], rows, t("secinc.none")),
    st.node, form];
}

// ---- partners (R01) ----

export async function partnersPage(ctx) {
  const list = await api("GET", "/v1/partners?limit=200");
  const st = status("partners-status");
  const out = h("div", { id: "partner-result" });
  const rows = list.items.map((p) => {
    const max = h("input", { type: "number", min: "0", id: "partner-max-" + p.id, value: p.max_accounts === null ? "" : String(p.max_accounts),
      "aria-label": t("partners.max_of", { name: p.name }), class: "narrow" });
    return [p.name, h("span", { class: "code" }, p.id), tv("status", p.status), max,
      h("div", { class: "actions" },
        action("partner-save-" + p.id, t("settings.save"), st, async () => {
          await api("PATCH", `/v1/partners/${p.id}`, { max_accounts: max.value === "" ? null : +max.value });
          st.ok(t("settings.saved"));
        }),
        askButton("partner-staff-" + p.id, t("partners.add_staff"), st, { label: t("partners.staff_email"), submit: t("partners.add_staff"),
          attrs: { type: "email", autocomplete: "off" } }, async (email) => {
          const r = await api("POST", `/v1/partners/${p.id}/staff`, { email, name: email.split("@")[0] });
          if (r.invitation && r.invitation.token)
            out.replaceChildren(codeBox("partner-invite-link", t("users.invited", { email: r.email }), tokenLink("invitation", r.invitation.token)));
        }))];
  });
  const name = field("partner-name", t("partners.name"), { type: "text", required: "" });
  const form = simpleForm("partner-create", t("partners.create"), [name.label], t("partners.create_submit"), async () => {
    await api("POST", "/v1/partners", { name: name.input.value.trim() });
    await ctx.rerender();
  });
  return [h("h1", {}, t("partners.title")),
    tableOr("partners", t("partners.title"), [t("partners.name"), t("accounts.id"), t("users.status"),
      t("partners.max_accounts"), ""], rows, t("partners.none")),
    st.node, out, form];
}

// ---- port-in requests of every account ----

export async function portsPage(ctx) {
  const list = await api("GET", "/v1/provider/port-requests?limit=200");
  const st = status("ports-admin-status");
  const move = (p, body) => async () => {
    await api("POST", `/v1/provider/port-requests/${p.id}/status`, body);
    await ctx.rerender();
  };
  const rows = list.items.map((p) => {
    const acts = h("div", { class: "actions" });
    if (p.status === "submitted") acts.append(action("port-start-" + p.id, t("ports.start"), st, move(p, { status: "in_progress" })));
    if (p.status === "in_progress") acts.append(action("port-complete-" + p.id, t("ports.complete"), st, move(p, { status: "completed" })));
    if (p.status === "submitted" || p.status === "in_progress")
      acts.append(askButton("port-reject-" + p.id, t("ports.reject"), st, { label: t("ports.reject_prompt"), submit: t("ports.reject") },
        (reason) => move(p, { status: "rejected", reason })()));
    return [h("span", { class: "code" }, p.account_id), p.numbers.join(", "), p.losing_carrier, p.account_number_at_carrier || "",
      h("span", { class: "port-status" }, tv("port", p.status)), fmtDate(p.created_at), acts];
  });
  return [h("h1", {}, t("ports.admin_title")), h("p", {}, t("ports.admin_intro")),
    tableOr("ports-admin", t("ports.admin_title"), [t("inventory.account"), t("ports.numbers"), t("ports.carrier"), t("ports.account_number"),
      t("users.status"), t("fax.date"), ""], rows, t("ports.none")), st.node];
}
