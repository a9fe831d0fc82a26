// Browser tests of single sign-on through real identity providers, both
// driven through their own pages in Chromium from the portal's sign-in
// page: SimpleSAMLphp (SAML 2.0, started by run.sh: tests/integ/api/lib_ssp.sh)
// and panva's oidc-provider (OpenID Connect, tests/oidc/real_idp.mjs,
// started here). The owner adds both providers in the portal; a member
// signs in through SimpleSAMLphp's login form and is back in the portal
// signed in; a person the IdP knows but the account does not is refused
// (invited only) with the reason on the sign-in page; the owner edits the
// SAML provider's role mapping and SHA-1 setting in the portal (a bad line
// refused, then read back); a new person is provisioned just in time with
// the role of their group; the member signs in through oidc-provider's
// login and consent pages; the providers' page shows each one's last
// sign-in and last refusal; "SSO required" set in the portal refuses the
// password form to a member and to the owner without a second factor (in
// English and French) while the member still signs in through the IdP and
// the owner with a second factor (break-glass) signs in with the password.
// Environment: BASE (the daemon's URL, also its sso.public_url), OP_EMAIL,
// OP_PASSWORD, SSP (SimpleSAMLphp's URL), FV_SSP_DIR (where it reads the
// SPs' metadata). Prints "N passed, N failed".
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BASE, EXE, T, OIDC, check, failed, report, shot, accessible, rest, signIn, signOutOf, statusOf, openSub, shows, totp, accountWithUser, tempDir } from "./lib.mjs";

const SSP = process.env.SSP, SSP_DIR = process.env.FV_SSP_DIR;

// panva's oidc-provider with one client whose redirect URI is ours.
async function realIdp(secret) {
  if (!existsSync(join(OIDC, "node_modules/oidc-provider"))) throw new Error("tests/oidc/node_modules missing: run scripts/install-npm");
  const dir = tempDir("fv-op-");
  const portFile = join(dir, "port");
  const proc = spawn("node", [join(OIDC, "real_idp.mjs"), portFile, "faxvault", secret, BASE + "/v1/sso/callback"], { stdio: "ignore" });
  for (let i = 0; i < 600 && !(existsSync(portFile) && readFileSync(portFile, "utf8").trim()); i++)
    await new Promise((ok) => setTimeout(ok, 100)); // polling a file the provider writes when it listens
  return { proc, issuer: "http://127.0.0.1:" + readFileSync(portFile, "utf8").trim() };
}

// The sign-in page's single sign-on: the address or account typed, then
// the provider chosen.
async function startWith(page, who, idpId) {
  await page.goto(BASE + "/");
  await page.waitForSelector("#signin-sso", { timeout: T });
  await page.click("#signin-sso");
  await page.waitForSelector("#sso-discover", { timeout: T });
  await page.fill("#sso-who", who);
  await page.click("#sso-discover button[type=submit]");
  await page.waitForSelector(`#sso-provider-${idpId}`, { timeout: T });
  await page.click(`#sso-provider-${idpId}`);
}

// SimpleSAMLphp's login form; its answer is posted back by its own page.
async function sspLogin(page, user, pass) {
  await page.waitForSelector("#username", { timeout: T });
  check(page.url().startsWith(SSP + "/"), `${user}: the browser is at SimpleSAMLphp's login form (${page.url()})`);
  await page.fill("#username", user);
  await page.fill("#password", pass);
  await page.click("#submit_button");
}

// oidc-provider's development login page (any password) and its consent.
async function opLogin(page, issuer, login) {
  await page.waitForSelector("input[name=login]", { timeout: T });
  check(page.url().startsWith(issuer + "/"), `the browser is at oidc-provider's login page (${page.url()})`);
  await page.fill("input[name=login]", login);
  await page.fill("input[name=password]", "any password");
  await page.click("button[type=submit]");
  await page.waitForSelector("input[name=prompt][value=consent], #signout", { state: "attached", timeout: T });
  if (await page.$("input[name=prompt][value=consent]")) await page.click("button[type=submit]");
}

const me = (page) => page.evaluate(async () => (await fetch("/v1/me")).json());

const browser = await chromium.launch({ executablePath: EXE, args: ["--no-sandbox"] });
let op = null;
const errors = [];
// A new browser (no cookie of an earlier person, at the IdPs either).
async function fresh(locale) {
  const ctx = await browser.newContext({ locale: locale || "en-US", viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("dialog", (d) => d.accept());
  return { ctx, page };
}
try {
  if (!SSP || !SSP_DIR) throw new Error("SSP and FV_SSP_DIR are not set: run through run.sh sso_real");
  const clientSecret = "real-op-secret-" + Date.now().toString(36) + "-Wq8";
  op = await realIdp(clientSecret);
  // SimpleSAMLphp's example users are of clinic.example (tests/saml/ssp).
  const dom = "clinic.example";
  const pw = "girouette cerf-volant 2031 ardoise";
  const { op: opTok, acc, owner } = await accountWithUser("Clinique des Tilleuls", dom, pw);
  const u = await rest("POST", `/v1/accounts/${acc.id}/users`, owner, { email: `u@${dom}`, name: "Member Person", role: "user" });
  await rest("POST", "/v1/invitations/accept", null, { token: u.invitation.token, password: pw });
  const claim = await rest("POST", `/v1/accounts/${acc.id}/sso-domains`, owner, { domain: dom });
  await rest("POST", `/v1/provider/sso-domains/${claim.id}/verify`, opTok);

  // --- the owner adds SimpleSAMLphp and oidc-provider in the portal
  const o = await fresh();
  await o.page.goto(BASE + "/");
  await signIn(o.page, `owner@${dom}`, pw);
  await openSub(o.page, "settings", "idps");
  await o.page.waitForSelector("#saml-create", { timeout: T });
  const idpXml = await (await fetch(SSP + "/saml2/idp/metadata.php")).text();
  await o.page.fill("#saml-name", "SimpleSAMLphp");
  await o.page.fill("#saml-metadata-xml", idpXml);
  await o.page.click("#saml-create button[type=submit]");
  await o.page.waitForSelector("#saml-sp", { timeout: T });
  const saml = (await rest("GET", `/v1/accounts/${acc.id}/identity-providers`, owner)).items.find((x) => x.type === "saml");
  check(saml && saml.idp_entity_id === SSP + "/saml2/idp/metadata.php" && !saml.allow_sha1 && saml.role_attribute === "",
    "SimpleSAMLphp added from its metadata, SHA-1 refused, no role attribute");
  // SimpleSAMLphp learns our SP from the metadata we serve.
  writeFileSync(join(SSP_DIR, "sp-1.xml"), await (await fetch(`${BASE}/v1/sso/${acc.id}/${saml.id}/saml/metadata`)).text());
  await o.page.fill("#idp-name", "oidc-provider");
  await o.page.fill("#idp-issuer", op.issuer);
  await o.page.fill("#idp-client-id", "faxvault");
  await o.page.fill("#idp-client-secret", clientSecret);
  await o.page.click("#idp-create button[type=submit]");
  await shows(o.page, "#idps-table", "oidc-provider");
  const oidc = (await rest("GET", `/v1/accounts/${acc.id}/identity-providers`, owner)).items.find((x) => x.type === "oidc");
  check(oidc && oidc.issuer === op.issuer && oidc.client_secret_set, "oidc-provider added with its secret");
  await signOutOf(o.page);

  // --- the member through SimpleSAMLphp's login form, back signed in
  let m = await fresh();
  await startWith(m.page, `u@${dom}`, saml.id);
  await sspLogin(m.page, "member", "member-pass-1");
  await m.page.waitForSelector("#signout", { timeout: T });
  check(m.page.url().startsWith(BASE + "/") && !m.page.url().includes("sso=1"), `back in the portal, the address cleaned up (${m.page.url()})`);
  let who = await me(m.page);
  check(who.email === `u@${dom}` && who.account_id === acc.id && who.role === "user", `signed in through SimpleSAMLphp as the member (${who.email})`);
  await shot(m.page, "sso-saml-signed-in-en");
  await m.ctx.close();

  // --- a person SimpleSAMLphp knows but the account does not (invited only)
  m = await fresh();
  await startWith(m.page, acc.id, saml.id);
  await sspLogin(m.page, "stranger", "stranger-pass-1");
  await m.page.waitForSelector("#signin-notice", { timeout: T });
  let text = (await m.page.textContent("#signin-notice")).trim();
  check(text.startsWith("Single sign-on refused") && await m.page.$("#signout") === null, `a stranger is refused, told why, not signed in (${text})`);
  await m.ctx.close();

  // --- the owner maps a group to a role and opens the provider to new people
  await signIn(o.page, `owner@${dom}`, pw);
  await openSub(o.page, "settings", "idps");
  await o.page.waitForSelector(`#edit-${saml.id}`, { timeout: T });
  await o.page.click(`#edit-${saml.id}`);
  await o.page.waitForSelector("#saml-edit", { timeout: T });
  await o.page.fill("#saml-edit-role-claim", "eduPersonAffiliation");
  await o.page.fill("#saml-edit-role-map", "fax-admins = owner");
  await o.page.selectOption("#saml-edit-provisioning", "jit");
  await o.page.click("#saml-edit button[type=submit]");
  let st = await statusOf(o.page, "saml-edit-status");
  check(!st.ok && st.text.includes("fax-admins = owner"), `a mapping to a role no sign-in may give is refused in the page (${st.text})`);
  await o.page.fill("#saml-edit-role-map", "fax-admins = admin\nfax-billing = billing");
  await o.page.check("#saml-edit-allow-sha1");
  await o.page.click("#saml-edit button[type=submit]");
  await o.page.waitForSelector("#saml-edit", { state: "detached", timeout: T });
  let s2 = await rest("GET", `/v1/accounts/${acc.id}/identity-providers/${saml.id}`, owner);
  check(s2.role_attribute === "eduPersonAffiliation" && s2.role_map["fax-admins"] === "admin" && s2.role_map["fax-billing"] === "billing" &&
    s2.provisioning === "jit" && s2.allow_sha1 === true, `the role mapping, just in time and SHA-1 saved (${JSON.stringify(s2.role_map)})`);
  await o.page.click(`#edit-${saml.id}`);
  await o.page.waitForSelector("#saml-edit", { timeout: T });
  check(await o.page.inputValue("#saml-edit-role-claim") === "eduPersonAffiliation" &&
    (await o.page.inputValue("#saml-edit-role-map")).split("\n").includes("fax-admins = admin") &&
    await o.page.isChecked("#saml-edit-allow-sha1"), "the form shows the mapping and SHA-1 as saved");
  await accessible(o.page, "the SAML provider's form with its role mapping");
  await shot(o.page, "idps-saml-roles-en");
  await o.page.uncheck("#saml-edit-allow-sha1");
  await o.page.click("#saml-edit button[type=submit]");
  await o.page.waitForSelector("#saml-edit", { state: "detached", timeout: T });
  s2 = await rest("GET", `/v1/accounts/${acc.id}/identity-providers/${saml.id}`, owner);
  check(s2.allow_sha1 === false && s2.role_map["fax-admins"] === "admin", "SHA-1 refused again, the mapping kept");
  await signOutOf(o.page);

  // --- a new person, created at the first sign-in with their group's role
  m = await fresh();
  await startWith(m.page, `new@${dom}`, saml.id);
  await sspLogin(m.page, "newcomer", "newcomer-pass-1");
  await m.page.waitForSelector("#signout", { timeout: T });
  who = await me(m.page);
  check(who.email === `new@${dom}` && who.role === "admin", `the newcomer is made a member with the role of fax-admins (${who.email}, ${who.role})`);
  check(await m.page.$("#nav-settings") !== null, "… and sees the administrator's settings");
  await m.ctx.close();

  // --- the member through oidc-provider's login and consent pages
  m = await fresh();
  await startWith(m.page, `u@${dom}`, oidc.id);
  await opLogin(m.page, op.issuer, `u@${dom}`);
  await m.page.waitForSelector("#signout", { timeout: T });
  who = await me(m.page);
  check(who.email === `u@${dom}` && who.account_id === acc.id, `signed in through oidc-provider as the member (${who.email})`);
  await m.ctx.close();

  // --- the providers' page: each one's last sign-in and last refusal
  await signIn(o.page, `owner@${dom}`, pw);
  await openSub(o.page, "settings", "idps");
  await o.page.waitForSelector(`#idp-last-${saml.id}`, { timeout: T });
  const lastSaml = (await o.page.textContent(`#idp-last-${saml.id}`)).trim();
  const refusedSaml = (await o.page.textContent(`#idp-refused-${saml.id}`)).trim();
  const refusedOidc = (await o.page.textContent(`#idp-refused-${oidc.id}`)).trim();
  check(lastSaml !== "—" && /\d/.test(lastSaml), `SimpleSAMLphp's last sign-in is shown (${lastSaml})`);
  check(refusedSaml.includes("not_a_member"), `… and its last refusal with the reason (${refusedSaml})`);
  check((await o.page.textContent(`#idp-last-${oidc.id}`)).trim() !== "—" && refusedOidc === "—", `oidc-provider: a sign-in, no refusal (${refusedOidc})`);
  await accessible(o.page, "the identity providers with their last sign-ins");

  // --- SSO required, set in the portal
  await openSub(o.page, "settings", "security");
  await o.page.waitForSelector("#security-form", { timeout: T });
  await o.page.check("#sec-sso-required");
  await o.page.click("#security-form button[type=submit]");
  st = await statusOf(o.page, "security-form-status");
  check(st.ok && (await rest("GET", `/v1/accounts/${acc.id}/security`, owner)).sso_required === true, `SSO required saved (${st.text})`);
  await signOutOf(o.page);
  // A member's right password: refused, told to use single sign-on.
  m = await fresh();
  await m.page.goto(BASE + "/");
  await m.page.waitForSelector("#signin", { timeout: T });
  const passwordRefused = async (page, email) => {
    await page.fill("#email", email);
    await page.fill("#password", pw);
    await page.click("#signin button[type=submit]");
    await page.waitForFunction(() => document.getElementById("signin-error").textContent.length > 0, null, { timeout: T });
    return (await page.textContent("#signin-error")).trim();
  };
  text = await passwordRefused(m.page, `u@${dom}`);
  check(text.startsWith("This account signs its members in through its identity provider") && await m.page.$("#signout") === null,
    `the member's password is refused with the reason (${text})`);
  await accessible(m.page, "the sign-in page refusing a password for single sign-on");
  await m.page.selectOption("#lang-choice", "fr");
  await m.page.waitForFunction(() => document.querySelector("#signin button[type=submit]").textContent === "Se connecter", null, { timeout: T });
  text = await passwordRefused(m.page, `u@${dom}`);
  check(text.startsWith("Ce compte connecte ses membres par son fournisseur d’identité"), `… in French (${text})`);
  await shot(m.page, "signin-sso-required-fr");
  text = await passwordRefused(m.page, `owner@${dom}`);
  check(text.startsWith("Ce compte connecte ses membres"), `the owner without a second factor is refused too (${text})`);
  await m.ctx.close();
  // The member still signs in through the IdP.
  m = await fresh();
  await startWith(m.page, `u@${dom}`, saml.id);
  await sspLogin(m.page, "member", "member-pass-1");
  await m.page.waitForSelector("#signout", { timeout: T });
  check((await me(m.page)).email === `u@${dom}`, "the member signs in through SimpleSAMLphp while SSO is required");
  await m.ctx.close();
  // The owner with a second factor (set up with a session opened before):
  // the break-glass way in, with the password.
  const enrol = await rest("POST", "/v1/me/mfa/totp", owner);
  const conf = await rest("POST", "/v1/me/mfa/totp/confirm", owner, { code: totp(enrol.secret) });
  m = await fresh();
  await m.page.goto(BASE + "/");
  await signIn(m.page, `owner@${dom}`, pw, conf.recovery_codes[0]);
  who = await me(m.page);
  check(who.email === `owner@${dom}` && who.role === "owner", "the owner with a second factor signs in with the password (break-glass)");
  await m.ctx.close();
  const ev = (await rest("GET", `/v1/accounts/${acc.id}/audit-events?action=session.create&limit=100`, owner)).items
    .filter((x) => x.outcome === "failure" && x.detail && x.detail.reason === "sso_required");
  check(ev.length === 3, `each password refused for SSO is audited (${ev.length})`);
  check(errors.length === 0, `no script error (${errors.join("; ")})`);
  await o.ctx.close();
} catch (e) {
  failed(e);
} finally {
  await browser.close();
  if (op) op.proc.kill();
}
report();
