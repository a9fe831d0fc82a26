// faxvault portal: a client of the public /v1 API, in plain ES modules.
// Text is set with textContent only (never parsed as HTML), and every
// user-facing string comes from the message catalogue of the page's language.
// Pages are chosen by the address's fragment (#/users, #/fax/ID…): a token
// in a link (#/invitation/TOKEN) never reaches the server.
import { api, setCsrf, setActivityHandler, setSignedOutHandler } from "./js/api.js";
import { loadMessages, t, tv, currentLang, chooseLang } from "./js/i18n.js";
import { h, mount } from "./js/dom.js";
import { idleStart, idleActivity, idleStop } from "./js/idle.js";
import { can, errorText } from "./js/pages/common.js";
import { invitationPage, resetPage, ssoPage, unsubscribePage } from "./js/pages/public.js";
import { termsPage, mfaPage, passwordPage } from "./js/pages/me.js";
import { usersPage, numbersPage, accountsPage, inventoryPage } from "./js/pages/admin.js";
import { rolesPage } from "./js/pages/roles.js";
import { sendPage, outboxPage, inboxPage, faxPage } from "./js/pages/faxes.js";
import { auditPage, cdrsPage, keysPage } from "./js/pages/records.js";
import { securityPage, posturePage, faxMailPage, retentionPage } from "./js/pages/settings.js";
import { webhooksPage, idpsPage, ssoDomainsPage } from "./js/pages/integrations.js";
import { trunksPage, ratesPage, staffPage, termsAdminPage, statusAdminPage, securityIncidentsPage, partnersPage, portsPage } from "./js/pages/provider.js";
import { accessPage, partnerConsentsPage } from "./js/pages/access.js";
import { safeboxesPage, safeboxPage } from "./js/pages/safebox.js";
import { billingPage, scimPage, breachPage } from "./js/pages/account.js";
import { closurePage, statusSubsPage, securityContactsPage, myStatusMail } from "./js/pages/closure.js";
import { fraudPage, announcePage, requestsPage, lettersPage, invoicingPage } from "./js/pages/requests.js";
import { partnerUsagePage, whiteLabelPage } from "./js/pages/partner.js";

let me = null;
let notice = null;      // a message for the sign-in page (signed out for inactivity…)
let signinEmail = "";   // the address to put in the sign-in form
let timers = [];        // timers of the page shown (cleared when it changes)
let generation = 0;     // renders started: a slow page does not replace a newer one

// The pages: path, who sees it in the menu (null: not in the menu), the page.
// A page the person may not use says so; the service refuses anyway. Pages
// of a group (the account's settings, the provider console) share one entry
// of the menu, which opens the first of them the person may use; each shows
// the group's own menu (title: its "nav" text).
const GROUPS = [
  { group: "settings", nav: "nav.settings" },
  { group: "provider", nav: "nav.provider" },
];
const PAGES = [
  { path: "", nav: "nav.home", page: homePage },
  { path: "send", nav: "nav.send", show: (m) => can(m, "fax.send"), page: sendPage },
  { path: "outbox", nav: "nav.outbox", show: (m) => can(m, "fax.read.own", "data.read"), page: outboxPage },
  { path: "inbox", nav: "nav.inbox", show: (m) => can(m, "fax.read.own", "data.read"), page: inboxPage },
  { path: "fax", show: (m) => can(m, "fax.read.own", "data.read"), page: faxPage },
  { path: "safeboxes", nav: "nav.safeboxes", show: (m) => m.account_id && can(m, "safebox.use", "data.read"), page: safeboxesPage },
  { path: "safebox", show: (m) => m.account_id && can(m, "safebox.use", "data.read"), page: safeboxPage },
  { path: "users", nav: "nav.users", show: (m) => m.account_id && can(m, "users.manage", "admins.manage", "data.read"), page: usersPage },
  { path: "roles", nav: "nav.roles", show: (m) => m.account_id && can(m, "users.manage", "admins.manage", "data.read"), page: rolesPage },
  { path: "numbers", nav: "nav.numbers", show: (m) => m.account_id && can(m, "numbers.manage", "data.read", "account.read"), page: numbersPage },
  { path: "audit", nav: "nav.audit", show: (m) => m.account_id && can(m, "data.read", "security.manage"), page: auditPage },
  { path: "cdrs", nav: "nav.cdrs", show: (m) => m.account_id && can(m, "billing.read"), page: cdrsPage },
  { path: "billing", nav: "nav.billing", show: (m) => m.account_id && can(m, "billing.read"), page: billingPage },
  { path: "keys", nav: "nav.keys", show: () => true, page: keysPage },
  { path: "accounts", nav: "nav.accounts", show: (m) => can(m, "provider.accounts.read", "partner.accounts.read") && !m.account_id, page: accountsPage },
  { path: "inventory", nav: "nav.inventory", show: (m) => can(m, "provider.telephony.manage"), page: inventoryPage },
  { path: "mfa", nav: "nav.mfa", show: () => true, page: mfaPage },
  { path: "password", show: () => true, page: passwordPage },
  { path: "terms", show: () => true, page: termsPage },
  { path: "security", group: "settings", nav: "nav.security_settings", show: (m) => m.account_id && can(m, "security.manage", "data.read"), page: securityPage },
  { path: "posture", group: "settings", nav: "nav.posture", show: (m) => m.account_id && can(m, "security.manage", "data.read"), page: posturePage },
  { path: "faxmail", group: "settings", nav: "nav.faxmail", show: (m) => m.account_id && can(m, "security.manage", "data.read"), page: faxMailPage },
  { path: "retention", group: "settings", nav: "nav.retention", show: (m) => m.account_id && can(m, "security.manage", "data.read"), page: retentionPage },
  { path: "webhooks", group: "settings", nav: "nav.webhooks", show: (m) => m.account_id && can(m, "settings.manage", "data.read"), page: webhooksPage },
  { path: "idps", group: "settings", nav: "nav.idps", show: (m) => m.account_id && can(m, "security.manage"), page: idpsPage },
  { path: "ssodomains", group: "settings", nav: "nav.ssodomains", show: (m) => m.account_id && can(m, "security.manage"), page: ssoDomainsPage },
  { path: "scim", group: "settings", nav: "nav.scim", show: (m) => m.account_id && can(m, "security.manage"), page: scimPage },
  { path: "breach", group: "settings", nav: "nav.breach", show: (m) => m.account_id && can(m, "security.manage"), page: breachPage },
  { path: "seccontacts", group: "settings", nav: "nav.seccontacts", show: (m) => m.account_id && can(m, "security.manage"), page: securityContactsPage },
  { path: "statussubs", group: "settings", nav: "nav.statussubs", show: (m) => m.account_id && can(m, "settings.manage", "security.manage"), page: statusSubsPage },
  { path: "access", group: "settings", nav: "nav.access", show: (m) => m.account_id && can(m, "ownership.transfer", "admins.manage", "security.manage", "data.read"), page: accessPage },
  { path: "closure", group: "settings", nav: "nav.closure", show: (m) => m.account_id && can(m, "ownership.transfer", "security.manage"), page: closurePage },
  { path: "fraud", group: "settings", nav: "nav.fraud", show: (m) => m.account_id && can(m, "security.manage"), page: fraudPage },
  { path: "announce", group: "settings", nav: "nav.announce", show: (m) => m.account_id && can(m, "security.manage", "numbers.manage", "settings.manage"), page: announcePage },
  { path: "usage", nav: "nav.usage", show: (m) => !m.account_id && m.partner_id && can(m, "partner.usage.read"), page: partnerUsagePage },
  { path: "white-label", nav: "nav.white_label", show: (m) => !m.account_id && m.partner_id && can(m, "partner.staff.manage"), page: whiteLabelPage },
  { path: "consents", show: (m) => !m.account_id && can(m, "partner.accounts.read"), page: partnerConsentsPage },
  { path: "trunks", group: "provider", nav: "nav.trunks", show: (m) => can(m, "provider.telephony.manage"), page: trunksPage },
  { path: "ports", group: "provider", nav: "nav.ports", show: (m) => can(m, "provider.telephony.manage"), page: portsPage },
  { path: "rates", group: "provider", nav: "nav.rates", show: (m) => can(m, "provider.telephony.manage"), page: ratesPage },
  { path: "staff", group: "provider", nav: "nav.staff", show: (m) => can(m, "provider.staff.manage"), page: staffPage },
  { path: "partners", group: "provider", nav: "nav.partners", show: (m) => can(m, "provider.partners.manage"), page: partnersPage },
  { path: "terms-admin", group: "provider", nav: "nav.terms_admin", show: (m) => can(m, "provider.terms.manage"), page: termsAdminPage },
  { path: "status-admin", group: "provider", nav: "nav.status_admin", show: (m) => can(m, "provider.status.manage"), page: statusAdminPage },
  { path: "security-incidents", group: "provider", nav: "nav.secinc", show: (m) => can(m, "provider.security.manage"), page: securityIncidentsPage },
  { path: "requests", group: "provider", nav: "nav.requests", show: (m) => can(m, "provider.requests.manage"), page: requestsPage },
  { path: "letters", group: "provider", nav: "nav.letters", show: (m) => can(m, "provider.accounts.manage"), page: lettersPage },
  { path: "invoicing", group: "provider", nav: "nav.invoicing", show: (m) => can(m, "provider.accounts.manage"), page: invoicingPage },
];
// Pages open without a session.
const PUBLIC = { invitation: invitationPage, reset: resetPage, sso: ssoPage, unsubscribe: unsubscribePage };
// A step the service says is due, and the page that takes it.
const PENDING = { accept_terms: "terms", enrol_mfa: "mfa", change_password: "password" };

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/");
  return { path: parts[0] || "", params: parts.slice(1).map(decodeURIComponent) };
}

function nav() {
  const n = document.getElementById("nav");
  n.replaceChildren();
  if (!me) return;
  const cur = route().path;
  const curPage = PAGES.find((x) => x.path === cur);
  for (const p of PAGES) {
    if (!p.nav || p.group || (p.show && !p.show(me))) continue;
    if (me.pending && me.pending.length && p.path !== PENDING[me.pending[0]]) continue;
    const a = h("a", { href: "#/" + p.path, id: "nav-" + (p.path || "home") }, t(p.nav));
    if (p.path === cur) a.setAttribute("aria-current", "page");
    n.append(a);
  }
  if (!me.pending || !me.pending.length)
    for (const g of GROUPS) {
      const first = groupPages(g.group)[0];
      if (!first) continue;
      const a = h("a", { href: "#/" + first.path, id: "nav-" + g.group }, t(g.nav));
      if (curPage && curPage.group === g.group) a.setAttribute("aria-current", "page");
      n.append(a);
    }
  const out = h("button", { type: "button", class: "secondary", id: "signout" }, t("nav.signout"));
  out.addEventListener("click", signOut);
  n.append(out);
}

// The pages of a group the person may use, in menu order.
function groupPages(group) {
  return PAGES.filter((p) => p.group === group && (!p.show || p.show(me)));
}

// The menu of a group, above its pages.
function groupNav(page) {
  const g = GROUPS.find((x) => x.group === page.group);
  const n = h("nav", { class: "subnav", id: "subnav", "aria-label": t(g.nav) });
  for (const p of groupPages(page.group)) {
    const a = h("a", { href: "#/" + p.path, id: "sub-" + p.path }, t(p.nav));
    if (p === page) a.setAttribute("aria-current", "page");
    n.append(a);
  }
  return n;
}

function signedOut(message) {
  idleStop();
  setCsrf(null);
  me = null;
  notice = message || null;
  hideIdleWarning();
  render();
}

// Signed out on this page whatever the service answers, within
// SIGNOUT_DEADLINE_MS; when it did not answer in time (or could not be
// reached), the session may still be open: the sign-in page says so.
const SIGNOUT_DEADLINE_MS = 10000;
async function signOut() {
  let message = null;
  try { await api("DELETE", "/v1/sessions/current", undefined, SIGNOUT_DEADLINE_MS); } catch (e) {
    if (!e.status) message = t("signout.unconfirmed");
    /* else: gone already */
  }
  signedOut(message);
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
  // The warning goes once the service has answered (the idle count then
  // starts again from that answer).
  stay.addEventListener("click", async () => {
    try { await api("GET", "/v1/me"); } catch (e) { /* the 401 handler signs out */ }
    hideIdleWarning();
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

// ---- sign-in and home ----

function signInPage() {
  const err = h("p", { class: "error", role: "alert", id: "signin-error" });
  const email = h("input", { type: "email", name: "email", id: "email", autocomplete: "username", required: "" });
  email.value = signinEmail;
  const pw = h("input", { type: "password", name: "password", id: "password", autocomplete: "current-password", required: "" });
  const totp = h("input", { type: "text", name: "totp", id: "totp", autocomplete: "one-time-code", spellcheck: "false" });
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
    // Six digits are the app's code; anything else is a recovery code.
    const code = totp.value.trim();
    if (/^[0-9]{6}$/.test(code)) body.totp = code;
    else if (code) body.recovery_code = code;
    try {
      const r = await api("POST", "/v1/sessions", body);
      setCsrf(r.csrf_token);
      notice = null;
      await loadMe();
      startIdle();
      if (location.hash === "#/") render(); else location.hash = "#/";
    } catch (e) {
      if (e.type && e.type.endsWith(":mfa-required")) err.textContent = t("signin.mfa");
      else if (e.type && e.type.endsWith(":sso-required")) err.textContent = t("signin.sso_required");
      else if (e.status === 401) err.textContent = t("signin.failed");
      else err.textContent = e.status ? t("error.generic", { detail: e.detail || e.title || "" })
        : t(e.timeout ? "error.timeout" : "error.network");
    }
  });
  const items = [h("h1", {}, t("signin.title"))];
  if (notice) items.push(h("p", { id: "signin-notice", class: "notice", role: "status" }, notice));
  items.push(form, h("p", {}, h("a", { href: "#/reset", id: "forgot" }, t("signin.forgot")), " · ",
    h("a", { href: "#/invitation", id: "have-invitation" }, t("signin.invitation"))),
    h("p", {}, h("a", { href: "#/sso", id: "signin-sso", class: "button secondary" }, t("signin.sso"))));
  return items;
}

// The sign-in page's words for a refused single sign-on (sso_error).
const SSO_REFUSALS = ["not_a_member", "member_not_active", "email_not_verified", "no_email", "ip_not_allowed",
  "unknown_or_used_state", "other_browser", "expired", "idp_unavailable", "unknown_provider", "provider_error", "provider_disabled"];
function ssoRefusalText(word) {
  const w = /^[a-z0-9_]{1,40}$/.test(word) ? word : "refused";
  return SSO_REFUSALS.includes(w) ? tv("sso.refused", w) : t("sso.refused_other", { reason: w });
}

async function homePage(ctx) {
  const items = [h("h1", {}, t("home.title", { name: me.name || me.email }))];
  if (me.account_id) items.push(h("p", { id: "home-account" }, t("home.account", { account: me.account_id })));
  if (me.role) items.push(h("p", { id: "home-role" }, t("home.role", { role: tv("role", me.role) })));
  if (me.kind === "provider") items.push(h("p", {}, t("home.provider")));
  // The member's own status board mail; left out when the service does not
  // answer it (the rest of the home page still shows).
  if (me.account_id && can(me, "account.read")) {
    try { items.push(...await myStatusMail(ctx)); } catch (e) { /* left out */ }
  }
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

const ctx = {
  goSignIn(message, email) { notice = message; signinEmail = email || ""; if (location.hash === "#/") render(); else location.hash = "#/"; },
  async reload(hash) { await loadMe(); if (hash && location.hash !== hash) location.hash = hash; else await render(); },
  rerender: () => render(),
  later(fn, ms) { timers.push(setTimeout(fn, ms)); },
};

// The partner's white label (GET /v1/me) for its customers and staff: its
// logo and name in the header and its support contact under it.
function brand() {
  const wl = me && me.white_label;
  document.getElementById("brand").textContent = (wl && wl.display_name) || "faxvault";
  // The partner's uploaded logo, served from this origin (the page's policy
  // takes images from here only); next to the name, so it says nothing more.
  const logo = document.getElementById("brand-logo");
  const src = wl && typeof wl.logo === "string" && wl.logo.startsWith("/v1/me/white-label/logo") ? wl.logo : "";
  if (src && logo.getAttribute("src") !== src) logo.setAttribute("src", src);
  if (!src) logo.removeAttribute("src");
  logo.hidden = !src;
  const sup = document.getElementById("support-line");
  const contact = wl ? [wl.support_email, wl.support_phone].filter((x) => x).join(" · ") : "";
  sup.textContent = contact ? t("wl.support_line", { contact }) : "";
  sup.hidden = !contact;
}

async function render() {
  const gen = ++generation;
  timers.forEach(clearTimeout);
  timers = [];
  document.title = t("app.title");
  document.getElementById("lang-label").textContent = t("lang.label");
  const root = document.getElementById("app");
  const r = route();
  nav();
  brand();
  let nodes;
  if (!me) {
    nodes = PUBLIC[r.path] ? PUBLIC[r.path](Object.assign({ params: r.params }, ctx)) : signInPage();
  } else {
    // A step that is due comes first (the service refuses the rest).
    const due = me.pending && me.pending.length ? PENDING[me.pending[0]] : null;
    const p = PAGES.find((x) => x.path === (due || r.path));
    if (!p) nodes = [h("h1", {}, t("error.title")), h("p", { id: "page-notfound", class: "error" }, t("error.nopage"))];
    else if (p.show && !p.show(me)) nodes = [h("h1", {}, t("error.title")), h("p", { id: "page-forbidden", class: "error", role: "alert" }, t("error.forbidden"))];
    else {
      try {
        nodes = await p.page(Object.assign({ me, params: r.params }, ctx));
        if (p.group) nodes = [groupNav(p), ...nodes];
      } catch (e) {
        if (!me) return; // signed out meanwhile
        nodes = [h("h1", {}, t("error.title")), h("p", { id: "page-error", class: "error", role: "alert" }, errorText(e))];
      }
    }
  }
  if (gen !== generation) return;
  mount(root, nodes);
  const h1 = root.querySelector("h1");
  if (h1 && document.activeElement === document.body) h1.setAttribute("tabindex", "-1");
}

async function start() {
  const sel = document.getElementById("lang-choice");
  sel.value = currentLang();
  sel.addEventListener("change", async () => {
    const who = me;
    chooseLang(sel.value);
    await loadMessages(sel.value);
    // The choice is remembered in this browser, and for the person too
    // (PATCH /v1/me: the service's texts and mails follow it).
    if (me && me.lang !== sel.value) {
      // The answer updates the person only if they are still signed in: a
      // sign-out while the PATCH was on its way must not bring them back.
      try {
        const changed = await api("PATCH", "/v1/me", { lang: sel.value });
        if (me === who) Object.assign(me, changed);
      } catch (e) { /* kept in the browser */ }
    }
    // Signed out (or in) meanwhile: that change has drawn the page already,
    // in the new language; drawing the old person's page again would undo it.
    if (me !== who) return;
    render();
  });
  await loadMessages(currentLang());
  setActivityHandler(idleActivity);
  setSignedOutHandler(() => signedOut(t("session.expired")));
  // Back from single sign-on: the callback left a one-time cookie that
  // POST /v1/sso/session?cookie=true exchanges for the session cookie.
  if (new URLSearchParams(location.search).get("sso") === "1") {
    history.replaceState(null, "", location.pathname + location.hash);
    try { setCsrf((await api("POST", "/v1/sso/session?cookie=true")).csrf_token); }
    catch (e) { setCsrf(null); notice = t("sso.failed", { detail: e.detail || e.title || "" }); }
  }
  // A refused single sign-on comes back as /?sso_error=WORD (a fixed word
  // of the service, never a token): said on the sign-in page, in words when
  // the portal knows the word.
  const ssoError = new URLSearchParams(location.search).get("sso_error");
  if (ssoError !== null) {
    history.replaceState(null, "", location.pathname + location.hash);
    notice = ssoRefusalText(ssoError);
  }
  // A reload keeps the session: the cookie goes with GET /v1/me.
  await loadMe();
  startIdle();
  window.addEventListener("hashchange", render);
  render();
}

start();
