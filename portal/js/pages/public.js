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

// Single sign-on. The person types an e-mail address (its domain, verified
// by an account, names the account) or an account identifier; the service
// answers the account's active providers (GET /v1/sso/discover), each a
// button to its start address, which sends the browser to the provider.
// The link an administrator hands out (#/sso/ACCOUNT_ID/IDP_ID) goes
// straight to the provider's button.
export function ssoPage(ctx) {
  const who = field("sso-who", t("sso.who"), { type: "text", autocomplete: "username", required: "", spellcheck: "false" });
  const st = status("sso-status");
  const choices = h("div", { id: "sso-choices" });
  const form = h("form", { id: "sso-discover", novalidate: "" }, who.label,
    h("p", { class: "muted" }, t("sso.who_hint")),
    h("button", { type: "submit" }, t("sso.find")), st.node);
  // The providers' buttons: plain links to the service's start address.
  const show = (providers) => {
    const list = h("ul", { id: "sso-providers", class: "plain" });
    for (const p of providers)
      list.append(h("li", {}, h("a", { href: p.start_url, id: "sso-provider-" + p.id, class: "button" },
        p.label || t("sso.with", { name: p.name || p.id }))));
    choices.replaceChildren(h("h2", {}, t("sso.choose")), list);
  };
  const startUrl = (a, p) => `/v1/sso/${encodeURIComponent(a)}/${encodeURIComponent(p)}/start`;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    st.clear();
    choices.replaceChildren();
    const v = who.input.value.trim();
    let q;
    if (/^[^@\s]+@[^@\s]+$/.test(v)) q = "email=" + encodeURIComponent(v);
    else if (/^[A-Za-z0-9_-]+$/.test(v)) q = "account=" + encodeURIComponent(v);
    else { st.fail(t("sso.who_invalid")); return; }
    try {
      const r = await api("GET", "/v1/sso/discover?" + q);
      if (!r.providers || !r.providers.length) { st.fail(t("sso.none")); return; }
      show(r.providers);
      choices.querySelector("a").focus();
    } catch (e) {
      st.fail(e.status === 404 ? t("sso.none") : errorText(e));
    }
  });
  const ids = /^[A-Za-z0-9_-]+$/;
  const a = ctx.params[0] || "", p = ctx.params[1] || "";
  if (ids.test(a) && ids.test(p)) {
    who.input.value = a;
    show([{ id: p, label: t("sso.submit"), start_url: startUrl(a, p) }]);
  }
  return [h("h1", {}, t("sso.title")), h("p", {}, t("sso.intro")), form, choices,
    h("p", {}, h("a", { href: "#/", id: "sso-back" }, t("sso.back")))];
}
