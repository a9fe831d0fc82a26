// Browser tests of the web portal: Debian's Chromium driven by playwright-core.
// Environment: BASE (the daemon's URL), OP_EMAIL, OP_PASSWORD. Prints
// "N passed, N failed" like the other tests.
import { chromium } from "playwright-core";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { BASE, EXE, HERE, T, check, failed, report, shot, accessible, totp, rest, signIn, signOutOf, forbiddenShown, CATALOGUE, within } from "./lib.mjs";

const PDF = join(HERE, "../data/render/text3.pdf");
const FAX_T = 240000; // a fax over the loopback trunk

// The README tour through the portal, in one language: the operator imports
// numbers and creates an account; its owner accepts the invitation from the
// link, enrols TOTP with a code computed here, gets a number and invites a
// user; the user accepts, sends a PDF and sees it delivered; the receiving
// account (set up through the API) sees it in its inbox with thumbnails.
// Then the refusals: the user has no users page, and a fax of another
// account is "not found".
async function tour(lang) {
  const sfx = lang + Date.now().toString(36);
  const dom = `${sfx}.example`;
  const nums = lang === "en" ? ["+15555550301", "+15555550302"] : ["+15555550401", "+15555550402"];
  const ctx = await browser.newContext({ locale: lang === "fr" ? "fr-FR" : "en-US", viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(BASE + "/");
  // Operator: inventory, then the account.
  await signIn(page, process.env.OP_EMAIL, process.env.OP_PASSWORD);
  await page.click("#nav-inventory");
  await page.waitForSelector("#inventory-import", { timeout: T });
  await page.fill("#inv-numbers", nums.join(", "));
  await page.click("#inventory-import button[type=submit]");
  await page.waitForFunction((n) => document.querySelector("#inventory-table") && document.querySelector("#inventory-table").textContent.includes(n), nums[1], { timeout: T });
  check(await page.evaluate((ns) => ns.every((n) => document.querySelector("#inventory-table").textContent.includes(n)), nums),
    `${lang}: the operator imported numbers (each one listed)`);
  await page.click("#nav-accounts");
  await page.waitForSelector("#account-create", { timeout: T });
  await page.fill("#acc-name", `Clinique ${sfx}`);
  await page.fill("#acc-owner-email", `owner@${dom}`);
  await page.fill("#acc-owner-name", "Olive Owner");
  await page.click("#account-create button[type=submit]");
  await page.waitForSelector("#owner-invite-link", { timeout: T });
  const link = (await page.textContent("#owner-invite-link .code")).trim();
  check(link.startsWith(BASE + "/#/invitation/fvi_"), `${lang}: the invitation link keeps the token in the fragment`);
  check((await page.textContent("#accounts-table")).includes(`Clinique ${sfx}`), `${lang}: the new account is listed`);
  await shot(page, `accounts-${lang}`);
  if (lang === "en") await accessible(page, "the accounts page");
  await signOutOf(page);
  // The owner opens the link: the token leaves the address bar.
  await page.goto(link);
  await page.waitForSelector("#invitation", { timeout: T });
  check(!page.url().includes("fvi_"), `${lang}: the token is taken out of the address bar`);
  await accessible(page, `the invitation page (${lang})`);
  await page.fill("#inv-name", "Olive Owner");
  await page.fill("#inv-password", "plume encre buvard 1789");
  await page.click("#invitation button[type=submit]");
  await page.waitForSelector("#signin-notice", { timeout: T });
  check(await page.inputValue("#email") === `owner@${dom}`, `${lang}: after the invitation, the sign-in form has the address`);
  await signIn(page, `owner@${dom}`, "plume encre buvard 1789");
  const me = await page.evaluate(async () => (await fetch("/v1/me")).json());
  // TOTP enrolment.
  await page.click("#nav-mfa");
  await page.click("#mfa-start");
  await page.waitForSelector("#mfa-qr", { timeout: T });
  check(await page.evaluate(() => document.querySelector("#mfa-qr").naturalWidth > 0), `${lang}: the QR code is shown`);
  const uri = await page.textContent("#mfa-uri");
  check(uri.startsWith("otpauth://totp/"), `${lang}: the otpauth URI is shown as text`);
  await shot(page, `mfa-${lang}`);
  if (lang === "en") await accessible(page, "the second-factor page");
  const secret = (await page.textContent("#mfa-secret")).trim();
  await page.fill("#mfa-code", totp(secret));
  await page.click("#mfa-confirm button[type=submit]");
  await page.waitForSelector("#mfa-recovery li", { timeout: T });
  const codes = await page.$$eval("#mfa-recovery li", (lis) => lis.map((li) => li.textContent.trim()));
  check(codes.length === 10, `${lang}: ten recovery codes`);
  await page.click("#mfa-continue");
  await page.waitForSelector("#home-account", { timeout: T });
  // A recovery code in the sign-in's code field signs in, once.
  await signOutOf(page);
  await signIn(page, `owner@${dom}`, "plume encre buvard 1789", codes[0]);
  const meRc = await page.evaluate(async () => (await fetch("/v1/me")).json());
  check(meRc.email === `owner@${dom}`, `${lang}: signed in with a recovery code`);
  await signOutOf(page);
  await page.fill("#email", `owner@${dom}`);
  await page.fill("#password", "plume encre buvard 1789");
  await page.fill("#totp", codes[0]);
  await page.click("#signin button[type=submit]");
  await page.waitForFunction(() => document.getElementById("signin-error").textContent.length > 0, null, { timeout: T });
  check(await page.$("#signout") === null, `${lang}: a recovery code used already is refused`);
  await signIn(page, `owner@${dom}`, "plume encre buvard 1789", codes[1]);
  // A number, and a user.
  await page.click("#nav-numbers");
  await page.waitForSelector("#number-request", { timeout: T });
  await page.fill("#num-area", "555");
  await page.click("#number-request button[type=submit]");
  await page.waitForSelector("#numbers-table", { timeout: T });
  check(/\+\d{8,15}/.test(await page.textContent("#numbers-table")), `${lang}: the owner got a number`);
  await page.click("#nav-users");
  await page.waitForSelector("#user-invite", { timeout: T });
  await page.fill("#new-email", `ursula@${dom}`);
  await page.fill("#new-name", "Ursula");
  await page.selectOption("#new-role", "user");
  await page.click("#user-invite button[type=submit]");
  await page.waitForSelector("#invite-link", { timeout: T });
  const ulink = (await page.textContent("#invite-link .code")).trim();
  check((await page.textContent("#users-table")).includes(`ursula@${dom}`), `${lang}: the user is listed`);
  await shot(page, `users-${lang}`);
  if (lang === "en") await accessible(page, "the users page");
  // An API key (its secret shown once), the sessions, and the audit log
  // filtered on an action.
  await page.click("#nav-keys");
  await page.waitForSelector("#key-create", { timeout: T });
  await page.fill("#key-name", "provisioning");
  await page.check("#perm-users-manage");
  await page.click("#key-create button[type=submit]");
  await page.waitForSelector("#key-secret", { timeout: T });
  check((await page.textContent("#key-secret .code")).startsWith("fvk_"), `${lang}: the API key's secret is shown`);
  check((await page.textContent("#keys-table")).includes("provisioning"), `${lang}: the key is listed`);
  check((await page.textContent("#sessions-table")).length > 0, `${lang}: the sessions are listed`);
  if (lang === "en") await accessible(page, "the keys and sessions page");
  await page.click("#nav-audit");
  await page.waitForSelector("#audit-filter", { timeout: T });
  await page.fill("#audit-action", "user.create");
  await page.click("#audit-filter button[type=submit]");
  // The filtered list replaces the whole one once its answer is in.
  await page.waitForFunction(() => {
    const tds = [...document.querySelectorAll("#audit-table tbody tr td:nth-child(2)")];
    return location.hash.startsWith("#/audit/") && tds.length > 0 && tds.every((x) => x.textContent === "user.create");
  }, null, { timeout: T }).catch(() => {});
  const actions = await page.$$eval("#audit-table tbody tr td:nth-child(2)", (tds) => tds.map((x) => x.textContent));
  check(actions.length >= 1 && actions.every((a) => a === "user.create"), `${lang}: the audit log filtered on user.create (${actions.join(",")})`);
  await shot(page, `audit-${lang}`);
  if (lang === "en") await accessible(page, "the audit log");
  await signOutOf(page);
  // The receiving account, through the API.
  const op = (await rest("POST", "/v1/sessions", null, { email: process.env.OP_EMAIL, password: process.env.OP_PASSWORD })).token;
  const b = await rest("POST", "/v1/accounts", op, { name: `Bravo ${sfx}`, owner: { email: `owner@b${dom}`, name: "Bob" } });
  await rest("POST", "/v1/invitations/accept", null, { token: b.owner_invitation.token, password: "sceau cire parchemin 1804" });
  const bt = (await rest("POST", "/v1/sessions", null, { email: `owner@b${dom}`, password: "sceau cire parchemin 1804" })).token;
  const bnum = (await rest("POST", `/v1/accounts/${b.id}/numbers`, bt, { country: "US", area_code: "555" })).number;
  // The user: accepts, sends the PDF, sees it delivered.
  await page.goto(ulink);
  await page.waitForSelector("#invitation", { timeout: T });
  await page.fill("#inv-password", "meadow violin otter 55");
  await page.click("#invitation button[type=submit]");
  await signIn(page, `ursula@${dom}`, "meadow violin otter 55");
  check(await page.$("#nav-users") === null, `${lang}: a user has no users page in the menu`);
  await page.goto(BASE + "/#/users");
  check(await forbiddenShown(page), `${lang}: a user opening the users page is told it is not allowed`);
  const direct = await page.evaluate(async (acc) => (await fetch(`/v1/accounts/${acc}/users`)).status, me.account_id);
  check(direct === 403, `${lang}: the service refuses the users list to a user (${direct})`);
  await page.click("#nav-send");
  await page.waitForSelector("#fax-send", { timeout: T });
  await page.setInputFiles("#fax-files", PDF);
  await page.fill("#fax-to", bnum);
  await page.fill("#fax-subject", lang === "fr" ? "Résultats" : "Lab results");
  await shot(page, `send-${lang}`);
  if (lang === "en") await accessible(page, "the send page");
  await page.click("#fax-send button[type=submit]");
  await page.waitForSelector("#fax-status", { timeout: T });
  const faxId = page.url().split("#/fax/")[1];
  const delivered = lang === "fr" ? "Remis" : "Delivered";
  await page.waitForFunction((d) => document.querySelector("#fax-status") && document.querySelector("#fax-status").textContent === d, delivered, { timeout: FAX_T });
  check((await page.evaluate(async (id) => (await fetch("/v1/faxes/" + id)).json(), faxId)).status === "delivered",
    `${lang}: the user sees the fax delivered`);
  await shot(page, `fax-${lang}`);
  if (lang === "en") await accessible(page, "a fax");
  await page.click("#nav-outbox");
  await page.waitForSelector("#outbound-table", { timeout: T });
  check((await page.textContent("#outbound-table")).includes(faxId), `${lang}: the fax is in the outbox`);
  await signOutOf(page);
  // The receiving account's owner: the fax in the inbox, its thumbnails and PDF.
  await signIn(page, `owner@b${dom}`, "sceau cire parchemin 1804");
  await page.click("#nav-inbox");
  let inId = null;
  for (let i = 0; i < 60 && !inId; i++) {
    await page.waitForSelector("#inbound-table, #inbound-none", { timeout: T });
    const a = await page.$("#inbound-table a");
    if (a) inId = (await a.textContent()).trim();
    else { await page.waitForTimeout(2000); await page.evaluate(() => window.dispatchEvent(new HashChangeEvent("hashchange"))); }
  }
  check(inId !== null, `${lang}: the receiving account sees the fax in its inbox`);
  await shot(page, `inbox-${lang}`);
  if (lang === "en") await accessible(page, "the inbox");
  if (inId) {
    // The call's record, and its CSV export.
    await page.click("#nav-cdrs");
    await page.waitForSelector("#cdrs-table", { timeout: T });
    check((await page.textContent("#cdrs-table")).includes(bnum), `${lang}: the call is in the receiving account's records`);
    const [csv] = await Promise.all([page.waitForEvent("download", { timeout: T }), page.click("#cdrs-csv")]);
    const csvText = readFileSync(await csv.path(), "utf8");
    check(csvText.includes(bnum) && csvText.split("\n").length >= 2, `${lang}: the CSV export holds the call`);
    if (lang === "en") await accessible(page, "the call records");
    await page.click("#nav-inbox");
    await page.waitForSelector("#inbound-table a", { timeout: T });
    await page.click("#inbound-table a");
    await page.waitForSelector("#fax-thumbs img", { timeout: T });
    check(await page.$eval("#fax-thumbs img", (i) => i.src.startsWith("data:image/png")), `${lang}: the received fax shows page thumbnails`);
    const [dl] = await Promise.all([page.waitForEvent("download", { timeout: T }), page.click("#fax-pdf")]);
    check(dl.suggestedFilename() === `${inId}.pdf`, `${lang}: the PDF downloads (${dl.suggestedFilename()})`);
    // Another account's fax is "not found" (the sender's fax, seen from B).
    await page.goto(BASE + "/#/fax/" + faxId);
    await page.waitForSelector("#fax-notfound", { timeout: T });
    check(CATALOGUE[lang]["fax.notfound"] === (await page.textContent("#fax-notfound")).trim() && await page.$("#fax-thumbs") === null,
      `${lang}: a fax of another account shows "not found"`);
  }
  await signOutOf(page);
  check(errors.length === 0, `${lang}: no script error in the tour (${errors.join("; ")})`);
  await ctx.close();
}

const browser = await chromium.launch({ executablePath: EXE, args: ["--no-sandbox"] });
try {
  for (const lang of ["en", "fr"]) await tour(lang);
  for (const [locale, title, welcome] of [["en-US", "Sign in", "Welcome"], ["fr-FR", "Connexion", "Bienvenue"]]) {
    const ctx = await browser.newContext({ locale, viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    // A clock the test moves (the idle timeout's warning), flowing meanwhile.
    await page.clock.install();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const resp = await page.goto(BASE + "/");
    check(resp.status() === 200, `${locale}: GET / is 200`);
    check((resp.headers()["content-security-policy"] || "").includes("script-src 'self'"), `${locale}: CSP header`);
    check(await page.getAttribute("html", "lang") === locale.slice(0, 2), `${locale}: <html lang>`);
    await page.waitForSelector("#signin", { timeout: 30000 });
    check((await page.textContent("h1")).trim() === title, `${locale}: sign-in title is ${title}`);
    await shot(page, `signin-${locale.slice(0, 2)}`);
    await accessible(page, `the sign-in page (${locale})`);
    // A wrong password: the message of the page's language, from the catalogue.
    await page.fill("#email", process.env.OP_EMAIL);
    await page.fill("#password", "not-the-password-1");
    await page.click("#signin button[type=submit]");
    await page.waitForFunction(() => document.querySelector("#signin-error").textContent.length > 0, null, { timeout: 30000 });
    check(!(await page.textContent("#signin-error")).includes("signin."), `${locale}: the error is a message, not a key`);
    await page.fill("#password", process.env.OP_PASSWORD);
    await page.click("#signin button[type=submit]");
    await page.waitForSelector("#signout", { timeout: 30000 });
    check((await page.textContent("h1")).startsWith(welcome), `${locale}: signed in (${welcome})`);
    await shot(page, `home-${locale.slice(0, 2)}`);
    await accessible(page, `the home page (${locale})`);
    // The session is an HttpOnly cookie: no script sees it, and a reload
    // keeps the person signed in.
    check(!(await page.evaluate(() => document.cookie)).includes("fv_session"), `${locale}: the session cookie is out of scripts' reach`);
    const cookies = await ctx.cookies();
    const sc = cookies.find((c) => c.name === "fv_session");
    check(sc && sc.httpOnly && sc.sameSite === "Strict" && sc.path === "/", `${locale}: fv_session is HttpOnly, SameSite=Strict, Path=/`);
    await page.reload();
    await page.waitForSelector("#signout", { timeout: 30000 });
    check((await page.textContent("h1")).startsWith(welcome), `${locale}: still signed in after a reload`);
    // CSRF from the browser: a change with the cookie but without the
    // session's token is refused; with the token (GET /v1/me) it is made.
    const csrf = await page.evaluate(async () => {
      const patch = (hdrs) => fetch("/v1/me", { method: "PATCH", credentials: "same-origin",
        headers: Object.assign({ "Content-Type": "application/json" }, hdrs), body: JSON.stringify({ lang: "en" }) });
      const bare = await patch({});
      const bareBody = await bare.json();
      const me = await (await fetch("/v1/me")).json();
      const good = await patch({ "X-CSRF-Token": me.csrf_token });
      return { bare: bare.status, type: bareBody.type, good: good.status };
    });
    check(csrf.bare === 403 && csrf.type === "urn:faxvault:problem:csrf", `${locale}: a change without the CSRF token is refused (${csrf.bare} ${csrf.type})`);
    check(csrf.good === 200, `${locale}: the same change with the CSRF token is made (${csrf.good})`);
    // Idle timeout (30 minutes by default): a warning a minute before the
    // end (the portal counts 15 s of slack), "stay signed in" keeps the
    // session, and at the end the sign-in page says why.
    await page.clock.fastForward("28:50");
    await page.waitForSelector("#idle-warning", { timeout: 30000 });
    const idleText = (await page.textContent("#idle-warning p")).trim();
    check(await page.isVisible("#idle-stay") && Object.values(CATALOGUE).some((c) => c["idle.warning"] === idleText),
      `${locale}: the idle warning shows`);
    await shot(page, `idle-warning-${locale.slice(0, 2)}`);
    await page.click("#idle-stay");
    await page.waitForSelector("#idle-warning", { state: "detached", timeout: 30000 });
    await page.clock.fastForward("20:00");
    check(await page.$("#signout") !== null, `${locale}: still signed in after "stay signed in"`);
    // The policy holds in the browser: an inline script does not run, and
    // the browser reports the violation.
    const blocked = await page.evaluate(() => new Promise((resolve) => {
      window.__ran = false;
      document.addEventListener("securitypolicyviolation", (e) => resolve(e.violatedDirective), { once: true });
      const s = document.createElement("script");
      s.textContent = "window.__ran = true";
      document.body.append(s);
      setTimeout(() => resolve(window.__ran ? "ran" : "no-report"), 5000);
    }));
    check(blocked.startsWith("script-src"), `${locale}: an inline script is refused by the CSP (${blocked})`);
    check(await page.evaluate(() => window.__ran) === false, `${locale}: the inline script did not run`);
    await page.click("#signout");
    await page.waitForSelector("#signin", { timeout: 30000 });
    check(!(await ctx.cookies()).some((c) => c.name === "fv_session"), `${locale}: signed out, the cookie is gone`);
    // Signed in again, then left idle: signed out with a notice.
    await page.fill("#email", process.env.OP_EMAIL);
    await page.fill("#password", process.env.OP_PASSWORD);
    await page.click("#signin button[type=submit]");
    await page.waitForSelector("#signout", { timeout: 30000 });
    await page.clock.fastForward("30:00");
    await page.waitForSelector("#signin-notice", { timeout: 30000 });
    check(!(await page.textContent("#signin-notice")).includes("idle."), `${locale}: signed out after the idle time, with a notice`);
    // A sign-out whose answer never comes (the request held here): past the
    // portal's deadline (10 s of the test clock) the page is signed out all
    // the same, and says in its language that the service did not confirm
    // it; the session, which the service never heard end, still works, and
    // the next sign-out ends it.
    const lang = locale.slice(0, 2);
    await page.fill("#email", process.env.OP_EMAIL);
    await page.fill("#password", process.env.OP_PASSWORD);
    await page.click("#signin button[type=submit]");
    await page.waitForSelector("#signout", { timeout: 30000 });
    let held;
    const reached = new Promise((resolve) => { held = resolve; });
    const hold = (route) => { if (route.request().method() === "DELETE") held(); else route.continue(); };
    await page.route("**/v1/sessions/current", hold);
    await page.click("#signout");
    await within(reached, T, "DELETE /v1/sessions/current sent by the sign-out");
    await page.clock.fastForward("00:11");
    await page.waitForSelector("#signin-notice", { timeout: 30000 });
    check((await page.textContent("#signin-notice")).trim() === CATALOGUE[lang]["signout.unconfirmed"],
      `${locale}: a sign-out left unanswered ends on the sign-in page, saying it is unconfirmed`);
    check(await page.$("#signout") === null && await page.isVisible("#signin"), `${locale}: the page is signed out all the same`);
    await page.unroute("**/v1/sessions/current", hold);
    await page.reload();
    await page.waitForSelector("#signout", { timeout: 30000 });
    await page.click("#signout");
    await page.waitForSelector("#signin", { timeout: 30000 });
    check(await page.$("#signin-notice") === null && !(await ctx.cookies()).some((c) => c.name === "fv_session"),
      `${locale}: signed out again, confirmed: no notice, the cookie is gone`);
    check(errors.length === 0, `${locale}: no script error (${errors.join("; ")})`);
    await ctx.close();
  }
  // A phone-width screen: the sign-in form fits without sideways scrolling.
  const phone = await browser.newContext({ locale: "fr-FR", viewport: { width: 360, height: 740 }, isMobile: true });
  const p = await phone.newPage();
  await p.goto(BASE + "/");
  await p.waitForSelector("#signin", { timeout: 30000 });
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `phone width: no horizontal overflow (${overflow}px)`);
  await shot(p, "signin-phone-fr");
  // The language menu switches the page to English and is remembered.
  await p.selectOption("#lang-choice", "en");
  await p.waitForFunction(() => document.querySelector("h1").textContent === "Sign in", null, { timeout: 30000 });
  await p.reload();
  await p.waitForFunction(() => document.querySelector("h1") && document.querySelector("h1").textContent === "Sign in", null, { timeout: 30000 });
  check(await p.evaluate(() => document.documentElement.lang) === "en", "the chosen language is remembered over Accept-Language");
  // Signed in on the phone: the menu wraps and the tables scroll inside
  // their box, the page itself does not.
  await signIn(p, process.env.OP_EMAIL, process.env.OP_PASSWORD);
  for (const hash of ["#/accounts", "#/inventory"]) {
    await p.goto(BASE + "/" + hash);
    await p.waitForSelector("table", { timeout: T });
    const over = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(over <= 0, `phone width: ${hash} has no horizontal overflow (${over}px)`);
  }
  await shot(p, "accounts-phone-en");
  await signOutOf(p);
  await phone.close();
} catch (e) {
  failed(e);
} finally {
  await browser.close();
}
report();
