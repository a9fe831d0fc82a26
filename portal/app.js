// faxvault portal: a client of the public /v1 API, in plain ES modules.
// Text is set with textContent only (never parsed as HTML), and every
// user-facing string comes from the message catalogue of the page's language.
import { api, setCsrf, setActivityHandler, setSignedOutHandler } from "./js/api.js";
import { loadMessages, t, currentLang, chooseLang } from "./js/i18n.js";
import { h, mount } from "./js/dom.js";
import { idleStart, idleActivity, idleStop } from "./js/idle.js";

let me = null;
let notice = null; // a message for the sign-in page (signed out for inactivity…)

function nav() {
  const n = document.getElementById("nav");
  n.replaceChildren();
  if (!me) return;
  const home = h("a", { href: "#/" }, t("nav.home"));
  const out = h("button", { type: "button", class: "secondary", id: "signout" }, t("nav.signout"));
  out.addEventListener("click", signOut);
  n.append(home, out);
}

function signedOut(message) {
  idleStop();
  setCsrf(null);
  me = null;
  notice = message || null;
  hideIdleWarning();
  render();
}

async function signOut() {
  try { await api("DELETE", "/v1/sessions/current"); } catch (e) { /* gone already */ }
  signedOut(null);
}

// ---- idle timeout ----

function hideIdleWarning() {
  const w = document.getElementById("idle-warning");
  if (w) w.remove();
}

function showIdleWarning() {
  if (document.getElementById("idle-warning")) return;
  const stay = h("button", { type: "button", id: "idle-stay" }, t("idle.stay"));
  const box = h("div", { id: "idle-warning", class: "banner", role: "alert" },
    h("p", {}, t("idle.warning")), stay);
  stay.addEventListener("click", async () => {
    hideIdleWarning();
    try { await api("GET", "/v1/me"); } catch (e) { /* the 401 handler signs out */ }
  });
  document.body.prepend(box);
  stay.focus();
}

function startIdle() {
  if (me && me.session && me.session.idle_timeout_seconds)
    idleStart(me.session.idle_timeout_seconds, {
      warn: showIdleWarning,
      end: () => signedOut(t("idle.ended")),
    });
}

// ---- pages ----

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
    const body = { email: email.value, password: pw.value, cookie: true };
    if (totp.value) body.totp = totp.value;
    try {
      const r = await api("POST", "/v1/sessions", body);
      setCsrf(r.csrf_token);
      notice = null;
      await loadMe();
      startIdle();
      location.hash = "#/";
      render();
    } catch (e) {
      if (e.type && e.type.endsWith(":mfa-required")) err.textContent = t("signin.mfa");
      else if (e.status === 401) err.textContent = t("signin.failed");
      else err.textContent = e.status ? t("error.generic", { detail: e.detail || e.title || "" }) : t("error.network");
    }
  });
  const items = [h("h1", {}, t("signin.title"))];
  if (notice) items.push(h("p", { id: "signin-notice", class: "notice", role: "status" }, notice));
  items.push(form);
  return items;
}

function homePage() {
  const items = [h("h1", {}, t("home.title", { name: me.name || me.email }))];
  if (me.account_id) items.push(h("p", { id: "home-account" }, t("home.account", { account: me.account_id })));
  if (me.role) items.push(h("p", { id: "home-role" }, t("home.role", { role: me.role })));
  if (me.kind === "provider") items.push(h("p", {}, t("home.provider")));
  return items;
}

// The person signed in by the cookie, with the session's CSRF token; null
// when there is no session (401).
async function loadMe() {
  try {
    me = await api("GET", "/v1/me");
    if (me.csrf_token) setCsrf(me.csrf_token);
  } catch (e) {
    me = null;
  }
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
  setActivityHandler(idleActivity);
  setSignedOutHandler(() => signedOut(t("session.expired")));
  // Back from single sign-on: the callback left a one-time cookie that
  // POST /v1/sso/session?cookie=true exchanges for the session cookie.
  if (new URLSearchParams(location.search).get("sso") === "1") {
    history.replaceState(null, "", location.pathname + location.hash);
    try { setCsrf((await api("POST", "/v1/sso/session?cookie=true")).csrf_token); } catch (e) { setCsrf(null); }
  }
  // A reload keeps the session: the cookie goes with GET /v1/me.
  await loadMe();
  startIdle();
  window.addEventListener("hashchange", render);
  render();
}

start();
