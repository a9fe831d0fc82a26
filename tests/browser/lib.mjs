// Helpers shared by the browser tests: the checks' count, screenshots,
// axe-core, TOTP codes, the API with a bearer token, signing in and out.
// Environment: BASE (the daemon's URL), SCREENSHOT_DIR (optional).
import { createHmac } from "node:crypto";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { readFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";

export const BASE = process.env.BASE;
export const EXE = process.env.CHROMIUM || "/usr/bin/chromium";
export const HERE = dirname(fileURLToPath(import.meta.url));
export const T = 90000; // generous deadline of one step on a loaded machine (30 s ran out twice in CI with 309 tests in parallel)
// SCREENSHOT_DIR: where to save pictures of the main pages (docs/portal/).
const SHOTS = process.env.SCREENSHOT_DIR || "";

const tally = { checks: 0, fails: 0 };
// The step the test is at (step(name)), named in each failure.
const started = Date.now();
let current = "start";
export function check(cond, what) { tally.checks++; if (!cond) { tally.fails++; console.log(`FAIL (${current}): ${what}`); } }
export function failed(e) { check(false, e && e.stack ? e.stack : String(e)); }
// Prints "N passed, N failed" like the other tests and exits with the outcome
// (Playwright stops the Chromium it started when the process exits).
export function report() {
  console.log(`${tally.checks - tally.fails} passed, ${tally.fails} failed`);
  process.exit(tally.fails ? 1 : 0);
}
// Says which step the test has reached, with the seconds since its start, as
// it happens (run.sh passes the output on at once): a test stopped from
// outside still shows where it was.
export function step(name) {
  current = name;
  console.log(`step at ${((Date.now() - started) / 1000).toFixed(1)} s: ${name}`);
}
// A deadline for the whole test, under CTest's (480 s): past it the test
// fails, naming its step, instead of being killed without a word
// (BROWSER_DEADLINE_S, 420 by default). Every wait of a test has its own
// bound; this one catches a wait that was left without.
const DEADLINE_S = Number(process.env.BROWSER_DEADLINE_S || 420);
setTimeout(() => {
  check(false, `the test did not finish within ${DEADLINE_S} s`);
  report();
}, DEADLINE_S * 1000).unref();
// Resolves with what p gives, or rejects naming what when ms pass first.
export function within(p, ms, what) {
  let timer;
  const late = new Promise((_, no) => { timer = setTimeout(() => no(new Error(`${what}: nothing within ${ms} ms`)), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

// The portal's catalogues, for checks on what a page says.
export const CATALOGUE = {
  en: JSON.parse(readFileSync(join(HERE, "../../portal/i18n/en.json"), "utf8")),
  fr: JSON.parse(readFileSync(join(HERE, "../../portal/i18n/fr.json"), "utf8")),
};

// Waits for the page a member may not open and says whether it holds the
// catalogue's "not allowed" text (in either language) and no form of the
// page refused.
export async function forbiddenShown(page) {
  await page.waitForSelector("#page-forbidden", { timeout: T });
  const text = (await page.textContent("#page-forbidden")).trim();
  const forms = await page.evaluate(() => document.querySelectorAll("#app form").length);
  return (text === CATALOGUE.en["error.forbidden"] || text === CATALOGUE.fr["error.forbidden"]) && forms === 0;
}

export async function shot(page, name) { if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png` }); }

// axe-core (npm, pinned), run in the page through the DevTools protocol
// (page.evaluate is not subject to the page's CSP, which would refuse it
// as an inline script).
const AXE = readFileSync(join(HERE, "node_modules/axe-core/axe.min.js"), "utf8");
export async function accessible(page, what) {
  await within(page.evaluate(AXE), T, `axe-core loaded for ${what}`);
  const v = await within(page.evaluate(async () => (await window.axe.run(document, { resultTypes: ["violations"] })).violations
    .filter((x) => x.impact === "serious" || x.impact === "critical").map((x) => `${x.id} (${x.nodes.length})`)), T, `axe-core on ${what}`);
  check(v.length === 0, `axe-core: no serious violation on ${what} (${v.join(", ")})`);
}

// RFC 6238 code of a base32 secret (SHA-1, 6 digits, 30 s), offset in steps.
export function totp(secret, offset = 0) {
  const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of secret.replace(/=+$/, "")) bits += alpha.indexOf(ch).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const ctr = Buffer.alloc(8);
  ctr.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + offset));
  const mac = createHmac("sha1", key).update(ctr).digest();
  const o = mac[19] & 15;
  return String((mac.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, "0");
}

// The API with a bearer token, for what a test does not do in the browser.
export async function rest(method, path, token, body) {
  const r = await fetch(BASE + path, { method, headers: Object.assign({ "Content-Type": "application/json" },
    token ? { Authorization: "Bearer " + token } : {}), body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(T) });
  const text = await r.text();
  let j = null;
  try { j = JSON.parse(text); } catch (e) { j = null; }
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return j;
}

export async function signIn(page, email, password, code) {
  console.log(`signing in as ${email}`);
  await page.waitForSelector("#signin", { timeout: T });
  await page.fill("#email", email);
  await page.fill("#password", password);
  if (code) await page.fill("#totp", code);
  await page.click("#signin button[type=submit]");
  await page.waitForSelector("#signout", { timeout: T });
}

// A click can be lost when the page is drawn again under it (a language
// change draws the page once its PATCH /v1/me is answered): when no
// DELETE /v1/sessions/current follows a click, the button is clicked again.
export async function signOutOf(page) {
  for (let i = 0; i < 5; i++) {
    const sent = page.waitForRequest((r) => r.url().endsWith("/v1/sessions/current") && r.method() === "DELETE",
      { timeout: 5000 }).then(() => true, () => false);
    await page.click("#signout");
    if (await sent) break;
  }
  await page.waitForSelector("#signin", { timeout: T });
}

// A picture of the page from its top (docs/portal/).
export async function topShot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, name);
}

// Waits until the status line of a form says something; its text.
export async function statusOf(page, id) {
  await page.waitForFunction((s) => { const e = document.getElementById(s); return e && e.textContent.length > 0; }, id, { timeout: T });
  return { text: (await page.textContent("#" + id)).trim(), ok: await page.$eval("#" + id, (e) => e.classList.contains("ok")) };
}

// Opens a page of a menu group (settings, provider) through the menus.
export async function openSub(page, group, sub) {
  await page.click("#nav-" + group);
  await page.waitForSelector("#subnav", { timeout: T });
  await page.click("#sub-" + sub);
}

// Waits until the text of selector includes text.
export async function shows(page, selector, text) {
  await page.waitForFunction(([s, x]) => { const e = document.querySelector(s); return e && e.textContent.includes(x); }, [selector, text], { timeout: T });
  return true;
}

// A fresh directory under the system's temporary one, removed when the
// test's process exits (whatever its outcome).
const temps = [];
process.on("exit", () => { for (const d of temps) rmSync(d, { recursive: true, force: true }); });
export function tempDir(prefix) {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

// The scripted OpenID Connect provider of the single sign-on tests
// (tests/oidc/scripted_idp.mjs, client "faxvault" with secret): its
// process, issuer, and control(body) telling it what to sign next.
export const OIDC = join(HERE, "../oidc");
export async function scriptedIdp(secret) {
  if (!existsSync(join(OIDC, "node_modules/jose"))) throw new Error("tests/oidc/node_modules missing: run scripts/install-npm");
  const dir = tempDir("fv-idp-");
  const portFile = join(dir, "port");
  const proc = spawn("node", [join(OIDC, "scripted_idp.mjs"), portFile, "faxvault", secret], { stdio: "ignore" });
  for (let i = 0; i < 600 && !(existsSync(portFile) && readFileSync(portFile, "utf8").trim()); i++)
    await new Promise((ok) => setTimeout(ok, 100)); // polling a file the provider writes when it listens
  const issuer = "http://127.0.0.1:" + readFileSync(portFile, "utf8").trim();
  const control = (b) => fetch(issuer + "/control", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(b) });
  return { proc, issuer, control };
}

// An account made through the API by the operator (OP_EMAIL, OP_PASSWORD)
// with its owner owner@DOM and an active user ursula@DOM, both with the
// password pw; more: other fields of the account (billing_contacts…).
// { op, acc, owner }: the operator's and the owner's tokens, the account.
export async function accountWithUser(name, dom, pw, more) {
  const op = (await rest("POST", "/v1/sessions", null, { email: process.env.OP_EMAIL, password: process.env.OP_PASSWORD })).token;
  const acc = await rest("POST", "/v1/accounts", op, Object.assign({ name, owner: { email: `owner@${dom}`, name: "Odile Owner" } }, more || {}));
  await rest("POST", "/v1/invitations/accept", null, { token: acc.owner_invitation.token, password: pw });
  const owner = (await rest("POST", "/v1/sessions", null, { email: `owner@${dom}`, password: pw })).token;
  const u = await rest("POST", `/v1/accounts/${acc.id}/users`, owner, { email: `ursula@${dom}`, name: "Ursula", role: "user" });
  await rest("POST", "/v1/invitations/accept", null, { token: u.invitation.token, password: pw });
  return { op, acc, owner };
}
