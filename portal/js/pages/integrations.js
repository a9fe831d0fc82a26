// The account's integrations: webhooks (settings.manage; data.read reads
// them and their delivery log) and single sign-on's identity providers
// (security.manage). Secrets (a webhook's signing secret, a provider's
// client secret) are shown once or never: the service does not answer them.
import { api } from "../api.js";
import { t, tv, fmtDate, fmtNumber } from "../i18n.js";
import { h, field, select, tableOr, status } from "../dom.js";
import { errorText, can, action, codeBox } from "./common.js";

const EVENTS = ["fax.queued", "fax.delivered", "fax.partial", "fax.failed", "fax.received"];

async function deliveries(acc, w, box) {
  const list = await api("GET", `/v1/accounts/${acc}/webhooks/${w.id}/deliveries?limit=50`);
  const rows = list.items.map((d) => [fmtDate(d.created_at), d.type, h("span", { class: "delivery-status" }, tv("delivery", d.status)),
    fmtNumber(d.attempts), d.last_status_code === null ? "" : String(d.last_status_code), d.last_error || ""]);
  box.replaceChildren(h("h2", {}, t("webhooks.deliveries_of", { url: w.url })),
    tableOr("deliveries", t("webhooks.deliveries"), [t("webhooks.created"), t("webhooks.event"),
      t("users.status"), t("webhooks.attempts"), t("webhooks.http_status"), t("webhooks.error")], rows, t("webhooks.no_delivery")));
}

export async function webhooksPage(ctx) {
  const acc = ctx.me.account_id;
  const list = await api("GET", `/v1/accounts/${acc}/webhooks?limit=200`);
  const edit = can(ctx.me, "settings.manage");
  const st = status("webhooks-status");
  const box = h("div", { id: "deliveries" });
  const rows = list.items.map((w) => {
    const acts = h("div", { class: "actions" },
      action("deliveries-" + w.id, t("webhooks.show_deliveries"), st, () => deliveries(acc, w, box)));
    if (edit) {
      acts.append(
        action("test-" + w.id, t("webhooks.test"), st, async () => {
          await api("POST", `/v1/accounts/${acc}/webhooks/${w.id}/test`);
          st.ok(t("webhooks.test_sent"));
          await deliveries(acc, w, box);
        }),
        action("toggle-" + w.id, t(w.status === "active" ? "webhooks.disable" : "webhooks.enable"), st, async () => {
          await api("PATCH", `/v1/accounts/${acc}/webhooks/${w.id}`, { status: w.status === "active" ? "disabled" : "active" });
          await ctx.rerender();
        }),
        action("rotate-" + w.id, t("webhooks.rotate"), st, async () => {
          if (!confirm(t("webhooks.rotate_confirm"))) return;
          const r = await api("POST", `/v1/accounts/${acc}/webhooks/${w.id}/rotate-secret`);
          document.getElementById("webhook-result").replaceChildren(codeBox("webhook-secret", t("webhooks.secret_once"), r.secret));
        }),
        action("delete-" + w.id, t("webhooks.delete"), st, async () => {
          if (!confirm(t("webhooks.delete_confirm", { url: w.url }))) return;
          await api("DELETE", `/v1/accounts/${acc}/webhooks/${w.id}`);
          await ctx.rerender();
        }));
    }
    return [h("span", { class: "code" }, w.url), (w.events || []).join(", "), tv("webhook", w.status), w.description || "", acts];
  });
  const items = [h("h1", {}, t("webhooks.title")), h("p", {}, t("webhooks.intro")),
    tableOr("webhooks", t("webhooks.title"), [t("webhooks.url"), t("webhooks.events"), t("users.status"),
      t("webhooks.description"), ""], rows, t("webhooks.none")),
    st.node, h("div", { id: "webhook-result" })];
  if (edit) {
    const url = field("wh-url", t("webhooks.url"), { type: "url", required: "", placeholder: "https://example.com/faxvault" });
    const desc = field("wh-description", t("webhooks.description"), { type: "text", maxlength: "200" });
    const boxes = EVENTS.map((ev) => {
      const cb = h("input", { type: "checkbox", name: "event", value: ev, id: "ev-" + ev.replace(/\./g, "-") });
      cb.checked = true;
      return h("label", { class: "check", for: cb.id }, cb, " ", ev);
    });
    const out = status("webhook-create-status");
    const form = h("form", { id: "webhook-create", novalidate: "" }, h("h2", {}, t("webhooks.create")), url.label,
      h("fieldset", {}, h("legend", {}, t("webhooks.events")), ...boxes), desc.label,
      h("button", { type: "submit" }, t("webhooks.create_submit")), out.node);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      out.clear();
      const events = [...form.querySelectorAll("input[name=event]:checked")].map((x) => x.value);
      const body = { url: url.input.value.trim(), events };
      if (desc.input.value.trim()) body.description = desc.input.value.trim();
      try {
        const r = await api("POST", `/v1/accounts/${acc}/webhooks`, body);
        await ctx.rerender();
        document.getElementById("webhook-result").replaceChildren(codeBox("webhook-secret", t("webhooks.secret_once"), r.secret));
      } catch (e) { out.fail(errorText(e)); }
    });
    items.push(form);
  }
  items.push(box);
  return items;
}

// The portal's address that starts a sign-in through a provider (the
// administrators hand it out; it holds no secret).
export function ssoLink(acc, idp) {
  return location.origin + "/#/sso/" + encodeURIComponent(acc) + "/" + encodeURIComponent(idp);
}

const ROLES = ["user", "admin", "billing"];

// The role mapping of a provider: the claim (OpenID Connect) or attribute
// (SAML) whose values give a role, and the values, one "value = role" a
// line. { nodes, read() }: read() is the body's fields, or throws the
// message of a line that is not a mapping.
function roleMapping(pre, idp, key) {
  const claim = field(pre + "-role-claim", key === "role_claim" ? t("idps.role_claim") : t("idps.role_attribute"),
    { type: "text", maxlength: "200", spellcheck: "false", placeholder: "groups" });
  const map = field(pre + "-role-map", t("idps.role_map"), { tag: "textarea", rows: "3", spellcheck: "false",
    placeholder: "fax-admins = admin", "aria-describedby": pre + "-role-map-help" });
  if (idp) {
    claim.input.value = idp[key] || "";
    map.input.value = Object.entries(idp.role_map || {}).map(([v, r]) => `${v} = ${r}`).join("\n");
  }
  const help = h("p", { class: "muted", id: pre + "-role-map-help" }, t("idps.role_map_help"));
  return {
    nodes: [claim.label, map.label, help],
    read() {
      const m = {};
      for (const line of map.input.value.split("\n").map((x) => x.trim()).filter((x) => x)) {
        const at = line.lastIndexOf("=");
        const v = at > 0 ? line.slice(0, at).trim() : "", r = at > 0 ? line.slice(at + 1).trim() : "";
        if (!v || !ROLES.includes(r)) throw new Error(t("idps.role_map_bad", { line }));
        m[v] = r;
      }
      // A new provider is sent no empty claim (SAML refuses one).
      const out = { role_map: m };
      if (idp || claim.input.value.trim()) out[key] = claim.input.value.trim();
      return out;
    },
  };
}

// The form of a provider: empty to create one, filled to change idp.
function idpForm(ctx, acc, idp) {
  const pre = idp ? "idp-edit" : "idp";
  const f = (k, text, attrs) => field(pre + "-" + k, text, attrs);
  const name = f("name", t("idps.name"), { type: "text", maxlength: "100", required: "" });
  const issuer = f("issuer", t("idps.issuer"), { type: "url", required: "", placeholder: "https://login.example.com/realms/acme" });
  const client = f("client-id", t("idps.client_id"), { type: "text", required: "" });
  const secret = f("client-secret", idp ? t("idps.client_secret_new") : t("idps.client_secret"), { type: "password", autocomplete: "off" });
  const scopes = f("scopes", t("idps.scopes"), { type: "text" });
  const auth = select(pre + "-token-auth", ["client_secret_basic", "client_secret_post"].map((v) => [v, v]), idp ? idp.token_auth : "client_secret_basic");
  const prov = select(pre + "-provisioning", ["invited", "jit"].map((v) => [v, tv("idps.prov", v)]), idp ? idp.provisioning : "invited");
  const role = select(pre + "-default-role", ROLES.map((r) => [r, tv("role", r)]), idp ? idp.default_role : "user");
  const mapping = roleMapping(pre, idp, "role_claim");
  if (idp) {
    name.input.value = idp.name; issuer.input.value = idp.issuer; client.input.value = idp.client_id; scopes.input.value = idp.scopes;
  } else scopes.input.value = "openid email profile";
  const st = status(pre + "-status");
  const form = h("form", { id: idp ? "idp-edit" : "idp-create", novalidate: "" },
    h("h2", {}, idp ? t("idps.edit_of", { name: idp.name }) : t("idps.create")),
    name.label, issuer.label, client.label, secret.label, scopes.label,
    h("label", { for: pre + "-token-auth" }, t("idps.token_auth"), auth),
    h("label", { for: pre + "-provisioning" }, t("idps.provisioning"), prov),
    h("label", { for: pre + "-default-role" }, t("idps.default_role"), role), ...mapping.nodes,
    h("button", { type: "submit" }, idp ? t("settings.save") : t("idps.create_submit")), st.node);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    st.clear();
    const body = { name: name.input.value.trim(), issuer: issuer.input.value.trim(), client_id: client.input.value.trim(),
      scopes: scopes.input.value.trim(), token_auth: auth.value, provisioning: prov.value, default_role: role.value };
    try { Object.assign(body, mapping.read()); } catch (e) { st.fail(e.message); return; }
    if (secret.input.value) body.client_secret = secret.input.value;
    try {
      if (idp) await api("PATCH", `/v1/accounts/${acc}/identity-providers/${idp.id}`, body);
      else await api("POST", `/v1/accounts/${acc}/identity-providers`, Object.assign({ type: "oidc" }, body));
      await ctx.rerender();
      const s = document.getElementById("idps-status");
      if (s) s.textContent = idp ? t("settings.saved") : t("idps.created", { name: body.name });
    } catch (e) { st.fail(errorText(e)); }
  });
  return form;
}

// A SAML 2.0 provider: its metadata (pasted, or the address the service
// fetches), then what to register at the IdP (the SP's entity id and
// assertion consumer service), shown after the list. With idp, the form
// changes it: new metadata when the IdP rotates its keys (empty: kept).
function samlForm(ctx, acc, idp) {
  const pre = idp ? "saml-edit" : "saml";
  const f = (k, text, attrs) => field(pre + "-" + k, text, attrs);
  const name = f("name", t("idps.name"), { type: "text", maxlength: "100" });
  const xml = f("metadata-xml", idp ? t("idps.saml_metadata_new") : t("idps.saml_metadata_xml"), { tag: "textarea", rows: "6", spellcheck: "false" });
  const url = f("metadata-url", t("idps.saml_metadata_url"), { type: "url", placeholder: "https://idp.example.com/metadata" });
  const email = f("email-attribute", t("idps.saml_email_attribute"), { type: "text" });
  const prov = select(pre + "-provisioning", ["invited", "jit"].map((v) => [v, tv("idps.prov", v)]), idp ? idp.provisioning : "invited");
  const role = select(pre + "-default-role", ROLES.map((r) => [r, tv("role", r)]), idp ? idp.default_role : "user");
  if (idp) { name.input.value = idp.name; email.input.value = idp.email_attribute || ""; url.input.value = idp.metadata_url || ""; }
  const mapping = roleMapping(pre, idp, "role_attribute");
  // SHA-1 signatures are refused unless the provider can sign no other way.
  const sha1 = h("input", { type: "checkbox", id: pre + "-allow-sha1", name: pre + "-allow-sha1", "aria-describedby": pre + "-allow-sha1-help" });
  sha1.checked = !!(idp && idp.allow_sha1);
  const st = status(pre + "-status");
  const form = h("form", { id: idp ? "saml-edit" : "saml-create", novalidate: "" },
    h("h2", {}, idp ? t("idps.edit_of", { name: idp.name }) : t("idps.saml_create")),
    h("p", { class: "muted" }, t("idps.saml_intro")),
    name.label, xml.label, url.label, email.label,
    h("label", { for: pre + "-provisioning" }, t("idps.provisioning"), prov),
    h("label", { for: pre + "-default-role" }, t("idps.default_role"), role), ...mapping.nodes,
    h("label", { class: "check", for: sha1.id }, sha1, " ", t("idps.allow_sha1")),
    h("p", { class: "muted", id: pre + "-allow-sha1-help" }, t("idps.allow_sha1_help")),
    h("button", { type: "submit" }, idp ? t("settings.save") : t("idps.create_submit")), st.node);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    st.clear();
    const body = { provisioning: prov.value, default_role: role.value, allow_sha1: sha1.checked };
    try { Object.assign(body, mapping.read()); } catch (e) { st.fail(e.message); return; }
    if (name.input.value.trim()) body.name = name.input.value.trim();
    if (xml.input.value.trim()) body.metadata_xml = xml.input.value.trim();
    // A provider's address is sent again only when it changed.
    if (url.input.value.trim() && !(idp && url.input.value.trim() === idp.metadata_url)) body.metadata_url = url.input.value.trim();
    if (email.input.value.trim()) body.email_attribute = email.input.value.trim();
    if ((body.metadata_xml && body.metadata_url) || (!idp && !body.metadata_xml && !body.metadata_url)) { st.fail(t("idps.saml_one_metadata")); return; }
    try {
      if (idp) {
        await api("PATCH", `/v1/accounts/${acc}/identity-providers/${idp.id}`, body);
        await ctx.rerender();
        const s = document.getElementById("idps-status");
        if (s) s.textContent = t("settings.saved");
        return;
      }
      const r = await api("POST", `/v1/accounts/${acc}/identity-providers`, Object.assign({ type: "saml" }, body));
      await ctx.rerender();
      const box = document.getElementById("idp-result");
      if (box) box.replaceChildren(h("div", { class: "notice", id: "saml-sp" }, h("p", {}, t("idps.saml_register", { name: r.name })),
        h("dl", { class: "facts" }, h("dt", {}, t("idps.sp_entity_id")), h("dd", { class: "code", id: "saml-sp-entity" }, r.sp.entity_id),
          h("dt", {}, t("idps.sp_acs_url")), h("dd", { class: "code", id: "saml-sp-acs" }, r.sp.acs_url))));
    } catch (e) { st.fail(errorText(e)); }
  });
  return form;
}

// The last sign-in and the last refusal of each provider (its id), from
// the account's audit log (sso.signin events, newest first); {} when the
// person may not read the log.
async function lastSignins(acc) {
  const seen = {};
  try {
    const list = await api("GET", `/v1/accounts/${acc}/audit-events?action=sso.signin&limit=200`);
    for (const e of list.items) {
      const s = seen[e.target] || (seen[e.target] = {});
      if (e.outcome === "success" && !s.ok) s.ok = e.time;
      if (e.outcome === "failure" && !s.refused) s.refused = { time: e.time, reason: (e.detail && e.detail.reason) || "" };
    }
  } catch (e) { return {}; }
  return seen;
}

export async function idpsPage(ctx) {
  const acc = ctx.me.account_id;
  const list = await api("GET", `/v1/accounts/${acc}/identity-providers?limit=200`);
  const last = await lastSignins(acc);
  const st = status("idps-status");
  const editBox = h("div", { id: "idp-edit-box" });
  const rows = list.items.map((p) => [p.name, tv("idps.type", p.type), h("span", { class: "code" }, p.type === "saml" ? p.idp_entity_id : p.issuer),
    tv("idps.prov", p.provisioning), tv("webhook", p.status),
    h("span", { id: "idp-last-" + p.id }, last[p.id] && last[p.id].ok ? fmtDate(last[p.id].ok) : "—"),
    h("span", { id: "idp-refused-" + p.id }, last[p.id] && last[p.id].refused
      ? t("idps.refusal", { time: fmtDate(last[p.id].refused.time), reason: last[p.id].refused.reason }) : "—"),
    h("span", { class: "code sso-link" }, ssoLink(acc, p.id)),
    h("div", { class: "actions" },
      action("edit-" + p.id, t("idps.edit"), st, () => {
        editBox.replaceChildren(p.type === "saml" ? samlForm(ctx, acc, p) : idpForm(ctx, acc, p));
        editBox.querySelector("input").focus();
      }),
      action("toggle-" + p.id, t(p.status === "active" ? "webhooks.disable" : "webhooks.enable"), st, async () => {
        await api("PATCH", `/v1/accounts/${acc}/identity-providers/${p.id}`, { status: p.status === "active" ? "disabled" : "active" });
        await ctx.rerender();
      }),
      action("delete-" + p.id, t("webhooks.delete"), st, async () => {
        if (!confirm(t("idps.delete_confirm", { name: p.name }))) return;
        await api("DELETE", `/v1/accounts/${acc}/identity-providers/${p.id}`);
        await ctx.rerender();
      }))]);
  return [h("h1", {}, t("idps.title")), h("p", {}, t("idps.intro")),
    tableOr("idps", t("idps.title"), [t("idps.name"), t("idps.type_label"), t("idps.issuer"), t("idps.provisioning"), t("users.status"),
      t("idps.last_signin"), t("idps.last_refusal"), t("idps.link"), ""], rows, t("idps.none")),
    st.node, h("div", { id: "idp-result" }), editBox, idpForm(ctx, acc, null), samlForm(ctx, acc, null)];
}

// The domains that route people to the account's providers by their
// e-mail address: claimed, proved by a TXT record in the DNS (the record to
// publish is shown), verified, removed.
export async function ssoDomainsPage(ctx) {
  const acc = ctx.me.account_id;
  const list = await api("GET", `/v1/accounts/${acc}/sso-domains?limit=200`);
  const st = status("ssodom-status");
  const record = (d) => h("div", { class: "txt-record" }, h("span", { class: "code" }, d.dns.name), " TXT ", h("span", { class: "code" }, d.dns.value));
  const rows = list.items.map((d) => [h("span", { class: "code" }, d.domain),
    h("span", { class: "ssodom-status" }, tv("ssodom.status", d.status)),
    d.status === "verified" ? (d.verified_at ? fmtDate(d.verified_at) : "") : record(d),
    h("div", { class: "actions" },
      d.status === "verified" ? null : action("ssodom-verify-" + d.id, t("ssodom.verify"), st, async () => {
        await api("POST", `/v1/accounts/${acc}/sso-domains/${d.id}/verify`);
        await ctx.rerender();
        const s = document.getElementById("ssodom-status");
        if (s) { s.className = "status ok"; s.textContent = t("ssodom.verified", { domain: d.domain }); }
      }),
      action("ssodom-delete-" + d.id, t("ssodom.remove"), st, async () => {
        if (!confirm(t("ssodom.remove_confirm", { domain: d.domain }))) return;
        await api("DELETE", `/v1/accounts/${acc}/sso-domains/${d.id}`);
        await ctx.rerender();
      }))]);
  const dom = field("ssodom-domain", t("ssodom.domain"), { type: "text", required: "", placeholder: "clinic.example", spellcheck: "false" });
  const out = status("ssodom-create-status");
  const form = h("form", { id: "ssodom-create", novalidate: "" }, h("h2", {}, t("ssodom.create")), dom.label,
    h("button", { type: "submit" }, t("ssodom.create_submit")), out.node);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    out.clear();
    try {
      const r = await api("POST", `/v1/accounts/${acc}/sso-domains`, { domain: dom.input.value.trim() });
      await ctx.rerender();
      const box = document.getElementById("ssodom-result");
      if (box) box.replaceChildren(h("div", { class: "notice", id: "ssodom-txt" }, h("p", {}, t("ssodom.publish", { domain: r.domain })),
        h("p", {}, h("span", { class: "code", id: "ssodom-txt-name" }, r.dns.name), " TXT ", h("span", { class: "code", id: "ssodom-txt-value" }, r.dns.value))));
    } catch (e) { out.fail(errorText(e)); }
  });
  return [h("h1", {}, t("ssodom.title")), h("p", {}, t("ssodom.intro")),
    tableOr("ssodom", t("ssodom.title"), [t("ssodom.domain"), t("users.status"), t("ssodom.record"), ""], rows, t("ssodom.none")),
    st.node, h("div", { id: "ssodom-result" }), form];
}
