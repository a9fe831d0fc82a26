// faxvault portal: a client of the public /v1 API, in plain ES modules.
// Text is set with textContent only (never parsed as HTML), and every
// user-facing string comes from the message catalogue of the page's language.
import { api, setToken, hasToken } from "./js/api.js";
import { loadMessages, t, currentLang, chooseLang } from "./js/i18n.js";
import { h, mount } from "./js/dom.js";

let me = null;

function nav() {
  const n = document.getElementById("nav");
  n.replaceChildren();
  if (!me) return;
  const home = h("a", { href: "#/" }, t("nav.home"));
  const out = h("button", { type: "button", class: "secondary", id: "signout" }, t("nav.signout"));
  out.addEventListener("click", signOut);
  n.append(home, out);
}

async function signOut() {
  try { await api("DELETE", "/v1/sessions/current"); } catch (e) { /* gone already */ }
  setToken(null);
  me = null;
  render();
}

function signInPage() {
  const err = h("p", { class: "error", role: "alert", id: "signin-error" });
  const email = h("input", { type: "email", name: "email", id: "email", autocomplete: "username", required: "" });
  const pw = h("input", { type: "password", name: "password", id: "password", autocomplete: "current-password", required: "" });
  const totp = h("input", { type: "text", name: "totp", id: "totp", inputmode: "numeric", autocomplete: "one-time-code", pattern: "[0-9]{6}" });
  const form = h("form", { id: "signin", novalidate: "" },
    h("label", { for: "email" }, t("signin.email"), email),
    h("label", { for: "password" }, t("signin.password"), pw),
    h("label", { for: "totp" }, t("signin.totp"), totp),
    h("button", { type: "submit" }, t("signin.submit")),
    err);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    const body = { email: email.value, password: pw.value };
    if (totp.value) body.totp = totp.value;
    try {
      const r = await api("POST", "/v1/sessions", body);
      setToken(r.token);
      await loadMe();
      location.hash = "#/";
      render();
    } catch (e) {
      if (e.type && e.type.endsWith(":mfa-required")) err.textContent = t("signin.mfa");
      else if (e.status === 401) err.textContent = t("signin.failed");
      else err.textContent = e.status ? t("error.generic", { detail: e.detail || e.title || "" }) : t("error.network");
    }
  });
  return [h("h1", {}, t("signin.title")), form];
}

function homePage() {
  const items = [h("h1", {}, t("home.title", { name: me.name || me.email }))];
  if (me.account_id) items.push(h("p", { id: "home-account" }, t("home.account", { account: me.account_id })));
  if (me.role) items.push(h("p", { id: "home-role" }, t("home.role", { role: me.role })));
  if (me.kind === "provider") items.push(h("p", {}, t("home.provider")));
  return items;
}

async function loadMe() {
  try { me = await api("GET", "/v1/me"); } catch (e) { me = null; }
}

function render() {
  document.title = t("app.title");
  document.getElementById("lang-label").textContent = t("lang.label");
  nav();
  mount(document.getElementById("app"), me ? homePage() : signInPage());
}

async function start() {
  const sel = document.getElementById("lang-choice");
  sel.value = currentLang();
  sel.addEventListener("change", async () => {
    chooseLang(sel.value);
    await loadMessages(sel.value);
    render();
  });
  await loadMessages(currentLang());
  // Back from single sign-on: the callback left a one-time cookie that
  // POST /v1/sso/session exchanges for the session token.
  if (new URLSearchParams(location.search).get("sso") === "1") {
    history.replaceState(null, "", location.pathname + location.hash);
    try { setToken((await api("POST", "/v1/sso/session")).token); } catch (e) { setToken(null); }
  }
  if (hasToken()) await loadMe();
  window.addEventListener("hashchange", render);
  render();
}

start();
