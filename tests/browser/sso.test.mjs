// Browser tests of single sign-on in the portal: the account's identity
// pages (an OpenID Connect provider and a SAML 2.0 one added, a sign-in
// domain claimed with its TXT record shown, its verification refused
// without the record), the sign-in page finding the providers by e-mail
// address or account identifier (GET /v1/sso/discover) and sending the
// browser through the scripted OpenID Connect provider of tests/oidc, and
// refusals: an address nobody routes, a sign-in the service refuses (back
// in the portal with the reason, in English and French), a member without
// security.manage; the provider and the domain removed.
// Environment: BASE (the daemon's URL, also its
// sso.public_url), OP_EMAIL, OP_PASSWORD. Prints "N passed, N failed".
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { BASE, EXE, T, check, failed, report, shot, accessible, rest, signIn, signOutOf, statusOf, openSub, shows, scriptedIdp, accountWithUser, forbiddenShown } from "./lib.mjs";

// The metadata of a SAML IdP with a signing certificate made by openssl.
function samlMetadata() {
  const pem = execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "/dev/null",
    "-subj", "/CN=idp.portal.example", "-days", "2"], { stdio: ["ignore", "pipe", "ignore"] }).toString();
  const body = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.portal.example/metadata">
 <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
  <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
  <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
  <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.portal.example/sso"/>
 </md:IDPSSODescriptor>
</md:EntityDescriptor>
`;
}

// Chooses the page's language and waits until the sign-in page (or its
// single sign-on page) is drawn again in it, so that no field is filled in
// a form about to be replaced.
async function language(page, lang) {
  await page.selectOption("#lang-choice", lang);
  const want = lang === "fr" ? ["Se connecter", "Trouver mon fournisseur d’identité"] : ["Sign in", "Find my identity provider"];
  await page.waitForFunction((w) => { const b = document.querySelector("#signin button[type=submit], #sso-discover button[type=submit]");
    return b && w.includes(b.textContent); }, want, { timeout: T });
}

// The sign-in page's single sign-on: the address or account typed, the
// providers offered (or the status line's refusal).
async function discover(page, who) {
  await page.click("#signin-sso");
  await page.waitForSelector("#sso-discover", { timeout: T });
  await page.fill("#sso-who", who);
  await page.click("#sso-discover button[type=submit]");
}

const browser = await chromium.launch({ executablePath: EXE, args: ["--no-sandbox"] });
let idp = null;
try {
  const clientSecret = "portal-sso-secret-" + Date.now().toString(36) + "-Qz4";
  idp = await scriptedIdp(clientSecret);
  const sfx = Date.now().toString(36);
  const dom = `sso${sfx}.example`;
  const pw = "girouette cerf-volant 2031 ardoise";
  const { op, acc, owner } = await accountWithUser(`Cabinet ${sfx}`, dom, pw);

  const ctx = await browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("dialog", (d) => d.accept());
  await page.goto(BASE + "/");
  await signIn(page, `owner@${dom}`, pw);

  // Identity providers: an OpenID Connect one, then SAML (bad metadata
  // refused, then the SP's entity id and ACS to register shown).
  await openSub(page, "settings", "idps");
  await page.waitForSelector("#idp-create", { timeout: T });
  await page.fill("#idp-name", "Cabinet Keycloak");
  await page.fill("#idp-issuer", idp.issuer);
  await page.fill("#idp-client-id", "faxvault");
  await page.fill("#idp-client-secret", clientSecret);
  await page.click("#idp-create button[type=submit]");
  await page.waitForSelector("#idps-table", { timeout: T });
  const oidc = (await rest("GET", `/v1/accounts/${acc.id}/identity-providers`, owner)).items[0];
  check(oidc && oidc.type === "oidc" && oidc.client_secret_set, "the OpenID Connect provider is added with its secret");
  await page.fill("#saml-name", "Cabinet ADFS");
  await page.fill("#saml-metadata-xml", "<not-metadata/>");
  await page.click("#saml-create button[type=submit]");
  let st = await statusOf(page, "saml-status");
  check(!st.ok && st.text.startsWith("Something went wrong"), `metadata that is not an IdP's is refused (${st.text})`);
  await page.fill("#saml-metadata-xml", samlMetadata());
  await page.click("#saml-create button[type=submit]");
  await page.waitForSelector("#saml-sp", { timeout: T });
  const saml = (await rest("GET", `/v1/accounts/${acc.id}/identity-providers`, owner)).items.find((x) => x.type === "saml");
  check(saml && saml.name === "Cabinet ADFS" && saml.idp_entity_id === "https://idp.portal.example/metadata", "the SAML provider is added");
  check((await page.textContent("#saml-sp-acs")).trim() === saml.sp.acs_url && (await page.textContent("#saml-sp-entity")).trim() === saml.sp.entity_id,
    "the SP's entity id and ACS URL to register are shown");
  check((await page.textContent("#idps-table")).includes("SAML 2.0"), "the list names each provider's type");
  // The SAML provider changed: a new name and who may sign in.
  await page.click(`#edit-${saml.id}`);
  await page.waitForSelector("#saml-edit", { timeout: T });
  check(await page.inputValue("#saml-edit-name") === "Cabinet ADFS", "the SAML form is filled in from the provider");
  await page.fill("#saml-edit-name", "Cabinet ADFS 2");
  await page.selectOption("#saml-edit-provisioning", "jit");
  await page.click("#saml-edit button[type=submit]");
  await shows(page, "#idps-table", "Cabinet ADFS 2");
  const saml2 = (await rest("GET", `/v1/accounts/${acc.id}/identity-providers/${saml.id}`, owner));
  check(saml2.name === "Cabinet ADFS 2" && saml2.provisioning === "jit" && saml2.sp.entity_id === saml.sp.entity_id,
    "the SAML provider is changed, its SP kept");
  await shot(page, "idps-saml-en");
  await accessible(page, "the identity providers page with SAML");

  // Sign-in domains: a claim shows its TXT record; verifying without the
  // record is refused; a malformed domain is refused.
  await page.click("#sub-ssodomains");
  await page.waitForSelector("#ssodom-create", { timeout: T });
  await page.fill("#ssodom-domain", "not a domain");
  await page.click("#ssodom-create button[type=submit]");
  st = await statusOf(page, "ssodom-create-status");
  check(!st.ok, `a malformed domain is refused (${st.text})`);
  await page.fill("#ssodom-domain", dom.toUpperCase());
  await page.click("#ssodom-create button[type=submit]");
  await page.waitForSelector("#ssodom-txt", { timeout: T });
  const d = (await rest("GET", `/v1/accounts/${acc.id}/sso-domains`, owner)).items[0];
  check((await page.textContent("#ssodom-txt-name")).trim() === `_faxvault-challenge.${dom}` &&
    (await page.textContent("#ssodom-txt-value")).trim() === d.dns.value && d.dns.value.startsWith("faxvault-domain-verification="),
    "the TXT record to publish is shown");
  check((await page.textContent("#ssodom-table")).includes(dom), "the claimed domain is listed (lower case)");
  await page.click(`#ssodom-verify-${d.id}`);
  st = await statusOf(page, "ssodom-status");
  check(!st.ok && /txt_not_found|dns_unavailable/.test(st.text), `verifying without the record is refused (${st.text})`);
  await shot(page, "ssodomains-en");
  await accessible(page, "the sign-in domains page");
  // The operator verifies it without DNS (the customer proved it otherwise).
  await rest("POST", `/v1/provider/sso-domains/${d.id}/verify`, op);
  await page.click("#sub-idps");
  await page.waitForSelector("#idp-create", { timeout: T });
  await page.click("#sub-ssodomains");
  await shows(page, "#ssodom-table", "verified");
  check(await page.$(`#ssodom-verify-${d.id}`) === null, "the verified domain is shown so, with nothing left to verify");
  // In French.
  await page.selectOption("#lang-choice", "fr");
  await page.waitForFunction(() => document.querySelector("h1").textContent === "Domaines de connexion", null, { timeout: T });
  check((await page.textContent("#ssodom-table")).includes("vérifié"), "the domain's state in French");
  await accessible(page, "the sign-in domains page in French");
  await page.selectOption("#lang-choice", "en");
  await page.waitForFunction(() => document.querySelector("h1").textContent === "Sign-in domains", null, { timeout: T });
  await signOutOf(page);

  // The sign-in page: an address nobody routes, in English and French.
  await discover(page, `someone@nowhere-${sfx}.example`);
  st = await statusOf(page, "sso-status");
  check(!st.ok && st.text.startsWith("No single sign-on is set up"), `an address without single sign-on is told so (${st.text})`);
  await accessible(page, "the single sign-on page");
  await language(page, "fr");
  await page.fill("#sso-who", `someone@nowhere-${sfx}.example`);
  await page.click("#sso-discover button[type=submit]");
  st = await statusOf(page, "sso-status");
  check(st.text.startsWith("Aucune authentification unique"), `… in French (${st.text})`);
  await language(page, "en");
  await page.click("#sso-back");

  // By e-mail address: the account's two providers offered; the OpenID
  // Connect one signs the member in.
  await idp.control({ next: { login: `ursula@${dom}` } });
  await discover(page, `ursula@${dom}`);
  await page.waitForSelector("#sso-providers", { timeout: T });
  const offered = await page.$$eval("#sso-providers a", (as) => as.map((a) => [a.id, a.getAttribute("href"), a.textContent]));
  check(offered.length === 2 && offered.some(([id, href, text]) => id === `sso-provider-${oidc.id}` &&
    href === `/v1/sso/${acc.id}/${oidc.id}/start` && text === "Sign in with Cabinet Keycloak") &&
    offered.some(([id]) => id === `sso-provider-${saml.id}`), `both providers are offered (${JSON.stringify(offered)})`);
  await shot(page, "sso-discover-en");
  await accessible(page, "the providers offered");
  await page.click(`#sso-provider-${oidc.id}`);
  await page.waitForSelector("#signout", { timeout: T });
  check(!page.url().includes("sso=1"), "the return address is cleaned up");
  let me = await page.evaluate(async () => (await fetch("/v1/me")).json());
  check(me.email === `ursula@${dom}` && me.account_id === acc.id, "signed in through single sign-on as the member");
  // A member without security.manage has no identity pages.
  check(await page.$("#nav-settings") === null, "a user has no settings in the menu");
  await page.goto(BASE + "/#/ssodomains");
  check(await forbiddenShown(page), "a user opening the sign-in domains is told it is not allowed");
  await signOutOf(page);

  // By account identifier, a sign-in the service refuses (a token for
  // another client): back on the sign-in page with the reason, no session.
  await idp.control({ next: { login: `ursula@${dom}`, aud: "another-client" } });
  await discover(page, acc.id);
  await page.click(`#sso-provider-${oidc.id}`);
  await page.waitForSelector("#signin-notice", { timeout: T });
  let text = (await page.textContent("#signin-notice")).trim();
  check(text.startsWith("Single sign-on refused (reason: wrong_audience)"), `a refused sign-in says why (${text})`);
  check(!page.url().includes("sso_error"), `the reason is taken out of the address (${page.url()})`);
  check(await page.$("#signout") === null, "and nobody is signed in");
  await accessible(page, "the sign-in page after a refused single sign-on");
  // A person the provider knows who is not a member, in French.
  await language(page, "fr");
  await idp.control({ next: { login: `stranger@${dom}` } });
  await discover(page, `ursula@${dom}`);
  await page.waitForSelector("#sso-providers", { timeout: T });
  await page.click(`#sso-provider-${oidc.id}`);
  await page.waitForSelector("#signin-notice", { timeout: T });
  text = (await page.textContent("#signin-notice")).trim();
  check(text.startsWith("Authentification unique refusée") && text.includes("pas membre de ce compte"), `a non-member is told so in French (${text})`);
  await shot(page, "sso-refused-fr");
  const ev = (await rest("GET", `/v1/accounts/${acc.id}/audit-events?limit=100`, owner)).items
    .filter((x) => x.action === "sso.signin" && x.outcome === "failure").map((x) => x.detail && x.detail.reason);
  check(ev.includes("wrong_audience") && ev.includes("not_a_member"), `both refusals are audited with their reason (${ev.join(",")})`);
  await language(page, "en");

  // The link an administrator hands out goes straight to its provider.
  await idp.control({ next: { login: `ursula@${dom}` } });
  await page.goto(`${BASE}/#/sso/${acc.id}/${oidc.id}`);
  await page.waitForSelector(`#sso-provider-${oidc.id}`, { timeout: T });
  await page.click(`#sso-provider-${oidc.id}`);
  await page.waitForSelector("#signout", { timeout: T });
  me = await page.evaluate(async () => (await fetch("/v1/me")).json());
  check(me.email === `ursula@${dom}`, "signed in from the sign-in link");
  await signOutOf(page);

  // The owner removes the SAML provider and gives the domain up: the
  // address then routes nobody.
  await signIn(page, `owner@${dom}`, pw);
  await openSub(page, "settings", "idps");
  await page.waitForSelector(`#delete-${saml.id}`, { timeout: T });
  await page.click(`#delete-${saml.id}`);
  await page.waitForFunction(() => !document.querySelector("#idps-table").textContent.includes("Cabinet ADFS"), null, { timeout: T });
  check((await rest("GET", `/v1/accounts/${acc.id}/identity-providers`, owner)).items.every((x) => x.id !== saml.id), "the SAML provider is removed");
  await page.click("#sub-ssodomains");
  await page.waitForSelector(`#ssodom-delete-${d.id}`, { timeout: T });
  await page.click(`#ssodom-delete-${d.id}`);
  await page.waitForSelector("#ssodom-none", { timeout: T });
  check((await rest("GET", `/v1/accounts/${acc.id}/sso-domains`, owner)).items.length === 0, "the domain is given up");
  await signOutOf(page);
  await discover(page, `ursula@${dom}`);
  st = await statusOf(page, "sso-status");
  check(!st.ok && st.text.startsWith("No single sign-on is set up"), `the address routes nobody any more (${st.text})`);
  check(errors.length === 0, `no script error (${errors.join("; ")})`);
  await ctx.close();
} catch (e) {
  failed(e);
} finally {
  await browser.close();
  if (idp) idp.proc.kill();
}
report();
