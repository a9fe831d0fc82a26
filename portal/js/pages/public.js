// Pages open without a session: accept an invitation, reset a password,
// sign in through single sign-on, unsubscribe from status board mail.
import { api } from "../api.js";
import { t } from "../i18n.js";
import { h, field, status } from "../dom.js";
import { errorText, takeToken } from "./common.js";

export function invitationPage(ctx) {
  const token = takeToken(ctx.params);
  const tok = field("inv-token", t("invite.token"), { type: "text", autocomplete: "off", required: "" });
  tok.input.value = token;
  const name = field("inv-name", t("invite.name"), { type: "text", autocomplete: "name" });
  const pw = field("inv-password", t("invite.password"), { type: "password", autocomplete: "new-password", required: "" });
  const st = status("inv-status");
  const form = h("form", { id: "invitation", novalidate: "" },
    token ? null : tok.label, name.label, pw.label,
    h("p", { class: "muted" }, t("invite.password_hint")),
    h("button", { type: "submit" }, t("invite.submit")), st.node);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    st.clear();
    const body = { token: tok.input.value.trim(), password: pw.input.value };
    if (name.input.value.trim()) body.name = name.input.value.trim();
    try {
      const r = await api("POST", "/v1/invitations/accept", body);
      ctx.goSignIn(t("invite.done", { email: r.email }), r.email);
    } catch (e) {
      st.fail(errorText(e));
    }
  });
  return [h("h1", {}, t("invite.title")), h("p", {}, t("invite.intro")), form];
}

export function resetPage(ctx) {
  const token = takeToken(ctx.params);
  if (!token) {
    const email = field("reset-email", t("signin.email"), { type: "email", autocomplete: "username", required: "" });
    const st = status("reset-status");
    const form = h("form", { id: "reset-request", novalidate: "" }, email.label,
      h("button", { type: "submit" }, t("reset.request")), st.node);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        await api("POST", "/v1/password-resets", { email: email.input.value.trim() });
        st.ok(t("reset.sent"));
      } catch (e) { st.fail(errorText(e)); }
    });
    return [h("h1", {}, t("reset.title")), h("p", {}, t("reset.intro")), form];
  }
  const pw = field("reset-password", t("reset.password"), { type: "password", autocomplete: "new-password", required: "" });
  const st = status("reset-status");
  const form = h("form", { id: "reset-complete", novalidate: "" }, pw.label,
    h("button", { type: "submit" }, t("reset.submit")), st.node);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("POST", "/v1/password-resets/complete", { token, password: pw.input.value });
      ctx.goSignIn(t("reset.done"));
    } catch (e) { st.fail(errorText(e)); }
  });
  return [h("h1", {}, t("reset.title")), form];
}

// Status board mail: the link of every mail (#/unsubscribe/TOKEN) ends the
// subscription; the token is posted, never put in a URL the server sees.
export function unsubscribePage(ctx) {
  const token = takeToken(ctx.params);
  const tok = field("unsub-token", t("unsub.token"), { type: "text", autocomplete: "off", required: "" });
  tok.input.value = token;
  const st = status("unsub-status");
  const form = h("form", { id: "unsubscribe", novalidate: "" }, token ? null : tok.label,
    h("button", { type: "submit" }, t("unsub.submit")), st.node);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    st.clear();
    try {
      const r = await api("POST", "/v1/status-subscriptions/unsubscribe", { token: tok.input.value.trim() });
      form.replaceChildren(h("p", { id: "unsub-done" }, t("unsub.done", { email: r.email })));
    } catch (e) {
      st.fail(errorText(e));
    }
  });
  return [h("h1", {}, t("unsub.title")), h("p", {}, t("unsub.intro")), form];
}

// Single sign-on: the account's identity provider, from the link its
// administrators hand out (#/sso/ACCOUNT_ID/IDP_ID) or typed in. The browser
// then goes to the service's start address, which sends it to the provider.
export function ssoPage(ctx) {
  const acc = field("sso-account", t("sso.account"), { type: "text", autocomplete: "organization", required: "", placeholder: "acc_…" });
  const idp = field("sso-idp", t("sso.idp"), { type: "text", autocomplete: "off", required: "", placeholder: "idp_…" });
  acc.input.value = ctx.params[0] || "";
  idp.input.value = ctx.params[1] || "";
  const st = status("sso-status");
  const form = h("form", { id: "sso-start", novalidate: "" }, acc.label, idp.label,
    h("button", { type: "submit" }, t("sso.submit")), st.node);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const a = acc.input.value.trim(), p = idp.input.value.trim();
    if (!/^[A-Za-z0-9_-]+$/.test(a) || !/^[A-Za-z0-9_-]+$/.test(p)) { st.fail(t("sso.incomplete")); return; }
    location.assign(`/v1/sso/${encodeURIComponent(a)}/${encodeURIComponent(p)}/start`);
  });
  return [h("h1", {}, t("sso.title")), h("p", {}, t("sso.intro")), form,
    h("p", {}, h("a", { href: "#/", id: "sso-back" }, t("sso.back")))];
}
