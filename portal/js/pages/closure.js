// The account's own lifecycle and contact points: its closure (the owner
// starts it, sees the grace period and cancels it; everyone who reads the
// account sees its state), the addresses subscribed to the status board's
// mail (settings.manage or security.manage) and the security contacts that
// breach notices also reach (security.manage).
import { api } from "../api.js";
import { t, tv, fmtDate, fmtNumber, currentLang } from "../i18n.js";
import { h, field, select, tableOr, status } from "../dom.js";
import { action, can, simpleForm } from "./common.js";

// The two languages a contact or a subscriber may get mail in.
function langSelect(id) {
  const cur = currentLang();
  return { label: h("label", { for: id }, t("contacts2.lang"), select(id, [["en", "English"], ["fr", "Français"]], cur)), id };
}

export async function closurePage(ctx) {
  const acc = ctx.me.account_id;
  const c = await api("GET", `/v1/accounts/${acc}/closure`);
  const owner = can(ctx.me, "ownership.transfer");
  const st = status("closure-status");
  const items = [h("h1", {}, t("closure.title")),
    h("p", { id: "closure-state", class: c.state === "closing" ? "notice" : "" }, t("closure.state", { state: tv("closure", c.state) }))];
  const facts = [];
  if (c.requested_at) facts.push([t("closure.requested"), fmtDate(c.requested_at)]);
  if (c.reason) facts.push([t("access.reason"), c.reason]);
  if (c.state === "closing" && c.destroy_at) facts.push([t("closure.destroy_at"), h("span", { id: "closure-destroy-at" }, fmtDate(c.destroy_at))]);
  if (c.cancelled_at) facts.push([t("closure.cancelled_at"), fmtDate(c.cancelled_at)]);
  if (c.destroyed_at) facts.push([t("closure.destroyed_at"), fmtDate(c.destroyed_at)]);
  if (facts.length) items.push(h("dl", { class: "facts", id: "closure-facts" }, ...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])));
  if (c.held) items.push(h("p", { class: "notice", id: "closure-held" }, t("closure.held")));
  if (c.certificate) {
    const n = c.certificate.counts || {};
    items.push(h("h2", {}, t("closure.certificate")), h("p", { id: "closure-certificate" },
      t("closure.certificate_text", { method: c.certificate.method || "", faxes: fmtNumber(n.faxes || 0), documents: fmtNumber(n.documents || 0) })));
  }
  if (!owner) {
    items.push(h("p", { class: "muted", id: "closure-owner-only" }, t("closure.owner_only")));
    return items;
  }
  if (c.state === "closing") {
    items.push(h("p", {}, t("closure.grace_text")), h("div", { class: "actions" },
      action("closure-cancel", t("closure.cancel"), st, async () => {
        await api("DELETE", `/v1/accounts/${acc}/closure`);
        await ctx.reload();
      }, "")), st.node);
  } else if (c.state !== "destroyed") {
    const reason = field("closure-reason", t("access.reason"), { type: "text", maxlength: "200" });
    const children = [h("p", {}, t("closure.warning")), reason.label];
    let code = null;
    if (ctx.me.mfa && ctx.me.mfa.totp) {
      code = field("closure-code", t("closure.code"), { type: "text", inputmode: "numeric", autocomplete: "one-time-code", pattern: "[0-9]{6}" });
      children.push(code.label);
    }
    const confirmBox = h("input", { type: "checkbox", id: "closure-confirm", name: "closure-confirm" });
    children.push(h("label", { class: "check", for: "closure-confirm" }, confirmBox, " ", t("closure.confirm")));
    items.push(simpleForm("closure-start", t("closure.start"), children, t("closure.start_submit"), async (fst) => {
      if (!confirmBox.checked) { fst.fail(t("closure.confirm_needed")); return; }
      const body = {};
      if (reason.input.value.trim()) body.reason = reason.input.value.trim();
      if (code && code.input.value.trim()) body.mfa_code = code.input.value.trim();
      await api("POST", `/v1/accounts/${acc}/closure`, body);
      await ctx.reload();
    }));
  }
  return items;
}

export async function statusSubsPage(ctx) {
  const acc = ctx.me.account_id;
  const [list, board] = await Promise.all([api("GET", `/v1/accounts/${acc}/status-subscriptions`),
    api("GET", "/status.json").catch(() => ({ components: [] }))]);
  const names = {};
  for (const c of board.components || []) names[c.id] = c.name;
  const st = status("statussubs-status");
  const rows = list.items.map((s) => [s.email, s.name || "", s.lang === "fr" ? "Français" : "English",
    s.components.map((x) => names[x] || x).join(", "), fmtDate(s.created_at),
    action("statussub-delete-" + s.id, t("statussubs.remove"), st, async () => {
      await api("DELETE", `/v1/accounts/${acc}/status-subscriptions/${s.id}`);
      await ctx.rerender();
    })]);
  const email = field("statussub-email", t("users.email"), { type: "email", required: "", autocomplete: "off" });
  const name = field("statussub-name", t("users.name"), { type: "text" });
  const lang = langSelect("statussub-lang");
  const boxes = (board.components || []).map((c) => {
    const cb = h("input", { type: "checkbox", name: "component", value: c.id, id: "statussub-c-" + c.id.replace(/[^A-Za-z0-9_-]/g, "-") });
    cb.checked = true;
    return h("label", { class: "check", for: cb.id }, cb, " ", c.name);
  });
  return [h("h1", {}, t("statussubs.title")), h("p", {}, t("statussubs.intro")),
    tableOr("statussubs", t("statussubs.title"), [t("users.email"), t("users.name"), t("contacts2.lang"), t("statussubs.components"),
      t("list.added"), ""], rows, t("statussubs.none")), st.node,
    simpleForm("statussub-create", t("statussubs.add"), [email.label, name.label, lang.label,
      h("fieldset", {}, h("legend", {}, t("statussubs.components")), ...boxes)], t("statussubs.add_submit"), async () => {
      const body = { email: email.input.value.trim(), lang: document.getElementById(lang.id).value,
        components: [...document.querySelectorAll("#statussub-create input[name=component]:checked")].map((x) => x.value) };
      if (name.input.value.trim()) body.name = name.input.value.trim();
      await api("POST", `/v1/accounts/${acc}/status-subscriptions`, body);
      await ctx.rerender();
    })];
}

// The signed-in member's own status board mail (any member): the
// components followed, subscribed or removed; a section of the home page.
export async function myStatusMail(ctx) {
  const acc = ctx.me.account_id;
  const path = `/v1/accounts/${acc}/status-subscriptions/me`;
  const [mine, board] = await Promise.all([api("GET", path).catch((e) => { if (e.status === 404) return null; throw e; }),
    api("GET", "/status.json").catch(() => ({ components: [] }))]);
  const st = status("mystatus-status");
  const items = [h("h2", {}, t("mystatus.title"))];
  if (mine) {
    const names = {};
    for (const c of board.components || []) names[c.id] = c.name;
    items.push(h("p", { id: "mystatus-on" }, t("mystatus.on", { email: mine.email, components: mine.components.map((x) => names[x] || x).join(", ") })),
      h("div", { class: "actions" }, action("mystatus-off", t("mystatus.off"), st, async () => {
        await api("DELETE", path);
        await ctx.rerender();
      })), st.node);
    return items;
  }
  const boxes = (board.components || []).map((c) => {
    const cb = h("input", { type: "checkbox", name: "mycomponent", value: c.id, id: "mystatus-c-" + c.id.replace(/[^A-Za-z0-9_-]/g, "-") });
    cb.checked = true;
    return h("label", { class: "check", for: cb.id }, cb, " ", c.name);
  });
  items.push(h("p", { class: "muted", id: "mystatus-off-text" }, t("mystatus.intro")),
    simpleForm("mystatus-create", null, [h("fieldset", {}, h("legend", {}, t("statussubs.components")), ...boxes)], t("mystatus.subscribe"), async () => {
      await api("POST", path, { lang: currentLang(),
        components: [...document.querySelectorAll("#mystatus-create input[name=mycomponent]:checked")].map((x) => x.value) });
      await ctx.rerender();
    }));
  return items;
}

export async function securityContactsPage(ctx) {
  const acc = ctx.me.account_id;
  const list = await api("GET", `/v1/accounts/${acc}/security-contacts`);
  const st = status("seccontacts-status");
  const rows = list.items.map((c) => [c.name, c.email, c.phone || "", c.lang === "fr" ? "Français" : "English", fmtDate(c.created_at),
    action("seccontact-delete-" + c.id, t("statussubs.remove"), st, async () => {
      await api("DELETE", `/v1/accounts/${acc}/security-contacts/${c.id}`);
      await ctx.rerender();
    })]);
  const name = field("seccontact-name", t("users.name"), { type: "text", required: "" });
  const email = field("seccontact-email", t("users.email"), { type: "email", required: "", autocomplete: "off" });
  const phone = field("seccontact-phone", t("seccontacts.phone"), { type: "tel", placeholder: "+33123456789" });
  const lang = langSelect("seccontact-lang");
  return [h("h1", {}, t("seccontacts.title")), h("p", {}, t("seccontacts.intro")),
    tableOr("seccontacts", t("seccontacts.title"), [t("users.name"), t("users.email"), t("seccontacts.phone"), t("contacts2.lang"),
      t("list.added"), ""], rows, t("seccontacts.none")), st.node,
    simpleForm("seccontact-create", t("seccontacts.add"), [name.label, email.label, phone.label, lang.label], t("statussubs.add_submit"), async () => {
      const body = { name: name.input.value.trim(), email: email.input.value.trim(), lang: document.getElementById(lang.id).value };
      if (phone.input.value.trim()) body.phone = phone.input.value.trim();
      await api("POST", `/v1/accounts/${acc}/security-contacts`, body);
      await ctx.rerender();
    })];
}
