// The partner console beyond the accounts list: each account's usage of
// the month, plan and posture summary (partner.usage.read), and the
// partner's white label (partner.staff.manage: the partner's admins), which
// the portal shows to the partner's customers and staff (GET /v1/me).
import { api } from "../api.js";
import { t, tv, fmtNumber, fmtMoney, fmtDate } from "../i18n.js";
import { h, field, tableOr, status } from "../dom.js";
import { simpleForm, flash, action } from "./common.js";

export async function partnerUsagePage(ctx) {
  const list = await api("GET", `/v1/partners/${ctx.me.partner_id}/accounts?limit=200`);
  const rows = list.items.map((a) => {
    const u = a.usage || {}, p = a.posture || {};
    return [a.name, h("span", { class: "code" }, a.id), tv("status", a.status), a.plan ? tv("plan", a.plan.kind) : t("usage.no_plan"),
      fmtNumber(u.calls || 0), fmtNumber(u.pages || 0), u.currency ? fmtMoney(u.cost || 0, u.currency) : fmtNumber(u.cost || 0),
      t("usage.posture", { pass: fmtNumber(p.pass || 0), fail: fmtNumber(p.fail || 0) })];
  });
  return [h("h1", {}, t("usage.title")), h("p", { id: "usage-window" }, t("usage.window", { since: fmtDate(list.since), until: fmtDate(list.until) })),
    tableOr("usage", t("usage.title"), [t("accounts.name"), t("accounts.id"), t("accounts.status"), t("billing.plan"), t("usage.calls"),
      t("fax.pages"), t("cdrs.cost"), t("usage.posture_head")], rows, t("usage.none"))];
}

export async function whiteLabelPage(ctx) {
  const pid = ctx.me.partner_id;
  const p = await api("GET", `/v1/partners/${pid}`);
  const wl = p.white_label || {};
  const f = (id, key, text, attrs) => {
    const x = field(id, text, attrs);
    x.input.value = wl[key] || "";
    return x;
  };
  const name = f("wl-name", "display_name", t("wl.display_name"), { type: "text", maxlength: "200" });
  const email = f("wl-email", "support_email", t("wl.support_email"), { type: "email" });
  const phone = f("wl-phone", "support_phone", t("wl.support_phone"), { type: "tel", maxlength: "32" });
  const logo = f("wl-logo", "logo_url", t("wl.logo_url"), { type: "url", maxlength: "512", placeholder: "https://" });
  const val = (x) => (x.input.value.trim() === "" ? null : x.input.value.trim());
  // The logo shown in the portal's header: a PNG or JPEG the service keeps
  // and serves from its own origin.
  const file = field("wl-logo-file", t("wl.logo_file"), { type: "file", accept: "image/png,image/jpeg,.png,.jpg,.jpeg" });
  const lst = status("wl-logo-remove-status");
  const logoForm = simpleForm("wl-logo-form", t("wl.logo_title"), [h("p", { class: "muted" }, t("wl.logo_hint")),
    wl.logo ? h("p", {}, h("img", { class: "logo-preview", id: "wl-logo-preview", src: wl.logo, alt: t("wl.logo_alt") })) : null,
    file.label], t("wl.logo_upload"), async (st) => {
    if (!file.input.files.length) { st.fail(t("wl.logo_needed")); return; }
    const fd = new FormData();
    fd.append("logo", file.input.files[0], file.input.files[0].name);
    await api("PUT", `/v1/partners/${pid}/white-label/logo`, fd);
    await ctx.reload();
    flash("wl-logo-form-status", t("wl.logo_saved"));
  });
  const remove = wl.logo ? [action("wl-logo-remove", t("wl.logo_remove"), lst, async () => {
    await api("DELETE", `/v1/partners/${pid}/white-label/logo`);
    await ctx.reload();
  }), lst.node] : [];
  return [h("h1", {}, t("wl.title")), h("p", {}, t("wl.intro")),
    simpleForm("white-label", null, [name.label, h("p", { class: "muted" }, t("wl.name_hint")), email.label, phone.label, logo.label],
      t("settings.save"), async () => {
        await api("PATCH", `/v1/partners/${pid}/white-label`, { display_name: val(name), support_email: val(email),
          support_phone: val(phone), logo_url: val(logo) });
        await ctx.reload();
        flash("white-label-status", t("settings.saved"));
      }), logoForm, ...remove];
}
