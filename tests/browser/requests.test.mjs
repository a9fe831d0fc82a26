// Browser tests of the portal's pages for requests between accounts, the
// provider and partners: the outbound hold of the fraud detection set in
// the security policy, an automatic report confirmed safe and a report
// filed by the owner; the operator's requests queue (answers, capacity),
// the review of a consent's signed letter and the invoicing page; the
// partner console's usage and white label, which the partner's customer
// then sees. English and French, axe-core, refusals.
// Environment: BASE, OP_EMAIL, OP_PASSWORD, CLOCK (the daemon's test clock
// file), the daemon's fraud.risky_prefixes watching +1555555099 and its
// periodic pass every minute. Prints "N passed, N failed".
import { chromium } from "playwright-core";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BASE, EXE, HERE, T, check, failed, report, accessible, rest, signIn, signOutOf, topShot, statusOf, openSub, shows, forbiddenShown } from "./lib.mjs";

const PDF = join(HERE, "../data/render/text3.pdf");
const sfx = Date.now().toString(36);
const dom = `req${sfx}.example`;
const pw = "cormoran estuaire vareuse 1923";
const login = async (email, password) => (await rest("POST", "/v1/sessions", null, { email, password: password || pw })).token;
const opLogin = () => login(process.env.OP_EMAIL, process.env.OP_PASSWORD);
const clockMs = () => Number(readFileSync(process.env.CLOCK, "utf8"));
const inDays = (d) => new Date(Date.now() + clockMs() + d * 86400000).toISOString().replace(/\.\d+Z$/, "Z");

// A multipart request with a bearer token: its status and JSON answer.
async function multipart(path, tok, fields, file) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) form.append(file.name, new Blob([readFileSync(PDF)], { type: "application/pdf" }), "letter.pdf");
  const r = await fetch(BASE + path, { method: "POST", headers: { Authorization: "Bearer " + tok }, body: form });
  let j = null;
  try { j = await r.json(); } catch (e) { j = null; }
  return { status: r.status, body: j };
}
const sendFax = (tok, to) => multipart("/v1/faxes", tok, { to }, { name: "file" });

// An invitation accepted: its token's person can sign in with pw.
const accept = (token) => rest("POST", "/v1/invitations/accept", null, { token, password: pw });

// The account's owner and fraud reports: the hold set in the security
// policy, an automatic report confirmed safe (in French), a report filed.
async function fraud(page, acc, owner) {
  await signIn(page, `owner@${dom}`, pw);
  await page.click("#nav-settings");
  await page.waitForSelector("#security-form", { timeout: T });
  await page.check("#sec-fraud-hold");
  await page.click("#security-form button[type=submit]");
  const st = await statusOf(page, "security-form-status");
  check(st.ok && (await rest("GET", `/v1/accounts/${acc.id}/security`, owner)).fraud_hold === true, `the outbound hold is set from the security policy (${st.text})`);
  // A fax to the watched prefix; the service's next pass (test clock) holds the account.
  await rest("POST", "/v1/provider/numbers", await opLogin(), { trunk: "loopback", numbers: ["+15555550990"] });
  const num = (await rest("POST", `/v1/accounts/${acc.id}/numbers`, owner, { country: "US", area_code: "555" })).number;
  check((await sendFax(owner, num)).status === 202, "a fax to a watched prefix is submitted");
  writeFileSync(process.env.CLOCK, String(clockMs() + 2 * 60000));
  let auto = null;
  for (let i = 0; i < 240 && !auto; i++) {
    await fetch(BASE + "/v1/me"); // the daemon reads the test clock when a request arrives
    auto = (await rest("GET", `/v1/accounts/${acc.id}/fraud-reports`, owner)).items.find((r) => r.created_by === "system:fraud");
    if (!auto) await new Promise((ok) => setTimeout(ok, 500)); // the service's periodic pass
  }
  check(!!auto, "the detection raised a report");
  const held = await sendFax(owner, num);
  check(held.status === 403 && held.body && held.body.type.endsWith(":outbound-held"), `outbound faxing is held (${held.status})`);
  await page.click("#sub-fraud");
  await page.waitForSelector(`#fraud-${auto.id}`, { timeout: T });
  const art = await page.textContent(`#fraud-${auto.id}`);
  check(art.includes("by the automatic detection") && art.includes("a watched destination prefix"), `en: the automatic report in words (${art.slice(0, 160)})`);
  await topShot(page, "fraud-en");
  await accessible(page, "the fraud reports page (en)");
  await page.selectOption("#lang-choice", "fr");
  await page.waitForFunction(() => document.querySelector("h1").textContent === "Signalements de fraude", null, { timeout: T });
  check((await page.textContent(`#fraud-${auto.id}`)).includes(auto.description_fr), "fr: the report's description in French");
  await page.click(`#fraud-safe-${auto.id}`);
  await shows(page, "#fraud-status", "n’est plus suspendu");
  check((await page.textContent(`#fraud-timeline-${auto.id}`)).length > 0, "fr: the confirmation is in the report's timeline");
  const again = await sendFax(owner, num);
  check(again.status === 202, `outbound faxing is released (${again.status})`);
  // A report filed by the owner: without a summary the service refuses it.
  await page.fill("#fraud-description", "Des fax partis la nuit vers des numéros inconnus.");
  await page.click("#fraud-create button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#fraud-create-status.error"), null, { timeout: T });
  check((await statusOf(page, "fraud-create-status")).text.startsWith("Une erreur est survenue"), "fr: a report without a summary is refused");
  await page.fill("#fraud-summary", "Fax de nuit");
  await page.fill("#fraud-numbers", "+33123456789");
  await page.click("#fraud-create button[type=submit]");
  await shows(page, "#fraud-status", "équipe de sécurité");
  const mine = (await rest("GET", `/v1/accounts/${acc.id}/fraud-reports`, owner)).items.find((r) => r.summary === "Fax de nuit");
  check(mine && mine.numbers.includes("+33123456789"), "the owner's report is filed with its numbers");
  await accessible(page, "the fraud reports page (fr)");
  await page.selectOption("#lang-choice", "en");
  await signOutOf(page);
  return mine;
}

// The owner announces a penetration test and a traffic forecast.
async function announce(page, acc, owner) {
  const local = (d) => { const x = new Date(Date.now() + clockMs() + d * 86400000); x.setMinutes(x.getMinutes() - x.getTimezoneOffset()); return x.toISOString().slice(0, 16); };
  await signIn(page, `owner@${dom}`, pw);
  await openSub(page, "settings", "announce");
  await page.waitForSelector("#pentest-create", { timeout: T });
  await page.fill("#pt-hosts", "fax.example.net");
  await page.fill("#pt-sources", "198.51.100.0/24");
  await page.fill("#pt-starts", local(3));
  await page.fill("#pt-ends", local(2));
  await page.fill("#pt-contact-name", "Pat Tester");
  await page.fill("#pt-contact-email", `pat@${dom}`);
  await page.click("#pentest-create button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#pentest-create-status.error"), null, { timeout: T });
  const pentestcre = await statusOf(page, "pentest-create-status");
  check(!pentestcre.ok && pentestcre.text !== "", `a test window ending before it starts is refused (${pentestcre.text})`);
  await page.fill("#pt-ends", local(4));
  await page.click("#pentest-create button[type=submit]");
  await shows(page, "#announce-status", "the provider answers");
  const pts = (await rest("GET", `/v1/accounts/${acc.id}/pentest-requests`, owner)).items;
  check(pts.length === 1 && pts[0].hosts.includes("fax.example.net") && pts[0].status === "requested", "the penetration test is announced");
  await page.fill("#tf-starts", local(5));
  await page.fill("#tf-ends", local(6));
  await page.fill("#tf-pages", "2000");
  await page.fill("#tf-calls", "20");
  await page.click("#forecast-create button[type=submit]");
  await shows(page, "#announce-status", "the provider answers");
  const fcs = (await rest("GET", `/v1/accounts/${acc.id}/traffic-forecasts`, owner)).items;
  check(fcs.some((f) => f.peak_calls === 20 && f.pages_per_day === 2000), "the traffic forecast is filed");
  check((await page.textContent(`#request-${pts[0].id}`)).includes("Requested"), "the test is listed with its state in words");
  await accessible(page, "the tests and forecasts page");
  await signOutOf(page);
}

// The operator: the requests queue and capacity, the letters, invoicing.
async function operator(page, acc, mine, consent, port) {
  await signIn(page, process.env.OP_EMAIL, process.env.OP_PASSWORD);
  await openSub(page, "provider", "requests");
  await page.waitForSelector("#requests-filter", { timeout: T });
  await page.selectOption("#req-kind", "fraud");
  await page.click("#requests-filter button[type=submit]");
  // The filtered list replaces the whole one once its answer is in.
  await page.waitForFunction(() => {
    const tds = [...document.querySelectorAll("#requests-table tbody tr td:nth-child(3)")];
    return location.hash.startsWith("#/requests/") && tds.length > 0 && tds.every((x) => x.textContent === "Fraud report");
  }, null, { timeout: T }).catch(() => {});
  const kinds = await page.$$eval("#requests-table tbody tr td:nth-child(3)", (tds) => tds.map((x) => x.textContent));
  check(kinds.length >= 2 && kinds.every((k) => k === "Fraud report"), `the queue filtered on fraud reports (${kinds.join(",")})`);
  check((await page.textContent("#capacity-total")).startsWith("Concurrent calls of the active trunks"), "the capacity is shown");
  check((await page.textContent("#capacity-forecasts-table")).includes("50"), "the forecast to come is listed with its calls");
  await page.click(`#answer-${mine.id}`);
  await page.waitForSelector("#request-answer", { timeout: T });
  await page.selectOption("#answer-status", "dismissed");
  await page.click("#request-answer button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#request-answer-status.error"), null, { timeout: T });
  const requestans = await statusOf(page, "request-answer-status");
  check(!requestans.ok && requestans.text !== "", `dismissing without a message is refused (${requestans.text})`);
  await page.selectOption("#answer-status", "investigating");
  await page.fill("#answer-message", "We are looking into it.");
  await page.click("#request-answer button[type=submit]");
  await shows(page, "#requests-status", "Investigating");
  const r = await rest("GET", `/v1/provider/requests/${mine.id}`, await opLogin());
  check(r.status === "investigating" && r.timeline.some((e) => e.message === "We are looking into it."), "the answer is recorded with its message");
  await topShot(page, "requests-en");
  await accessible(page, "the requests queue (en)");

  // A port-in request rejected with a reason asked in place (no prompt).
  await page.click("#sub-ports");
  await page.waitForSelector(`#port-reject-${port.id}`, { timeout: T });
  await page.click(`#port-reject-${port.id}`);
  await page.click(`#port-reject-${port.id}-form button[type=submit]`);
  await shows(page, "#ports-admin-status", "Fill in the field first.");
  await page.fill(`#port-reject-${port.id}-text`, "The letter is not signed.");
  await page.click(`#port-reject-${port.id}-form button[type=submit]`);
  await shows(page, "#ports-admin-table .port-status", "Rejected");
  const pr = await rest("GET", `/v1/accounts/${acc.id}/port-requests/${port.id}`, await login(`owner@${dom}`));
  check(pr.status === "rejected" && pr.reason === "The letter is not signed.", "the port-in request is rejected with the reason typed in place");
  await accessible(page, "the port-in requests with the reason asked in place");

  // The signed letters, in French.
  await page.selectOption("#lang-choice", "fr");
  await page.click("#sub-letters");
  await page.waitForSelector(`#letter-review-${consent.id}`, { timeout: T });
  const [dl] = await Promise.all([page.waitForEvent("download", { timeout: T }), page.click(`#letter-pdf-${consent.id}`)]);
  check(readFileSync(await dl.path()).subarray(0, 5).toString() === "%PDF-", "fr: the signed letter downloads as a PDF");
  await page.click(`#letter-review-${consent.id}`);
  await page.waitForSelector("#letter-review", { timeout: T });
  await page.click("#letter-review button[type=submit]");
  check((await statusOf(page, "letter-review-status")).text === "Indiquez le motif de la décision.", "fr: a decision needs its reason");
  await page.fill("#letter-reason", "Signature vérifiée par téléphone");
  await page.click("#letter-review button[type=submit]");
  await shows(page, "#letters-status", "est approuvée");
  const c = (await rest("GET", `/v1/provider/consents?review=approved`, await opLogin())).items.find((x) => x.id === consent.id);
  check(c && c.review.status === "approved" && c.review.reason === "Signature vérifiée par téléphone", "the letter is approved with its reason");
  await page.click("#letters-approved");
  await shows(page, "#letters-table", "Signature vérifiée par téléphone");
  await topShot(page, "letters-fr");
  await accessible(page, "the signed letters page (fr)");
  // Invoicing: a month not ended is refused, an ended one runs.
  await page.click("#sub-invoicing");
  await page.waitForSelector("#invoice-run", { timeout: T });
  const now = new Date(Date.now() + clockMs()).toISOString().slice(0, 7);
  await page.fill("#run-period", now);
  await page.click("#invoice-run button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#invoice-run-status.error"), null, { timeout: T });
  const invoicerun = await statusOf(page, "invoice-run-status");
  check(!invoicerun.ok && invoicerun.text !== "", `fr: the invoicing of a month not ended is refused (${invoicerun.text})`);
  await page.fill("#run-period", "2020-01");
  await page.click("#invoice-run button[type=submit]");
  await shows(page, "#invoice-run-status", "factures émises");
  check((await statusOf(page, "invoice-run-status")).ok, "fr: an ended month is invoiced");
  await page.selectOption("#pay-account", acc.id);
  await page.fill("#pay-invoice", "inv_unknown");
  await page.fill("#pay-amount", "100");
  await page.fill("#pay-reference", "VIR-2020-01");
  await page.click("#invoice-payment button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#invoice-payment-status.error"), null, { timeout: T });
  check((await statusOf(page, "invoice-payment-status")).text === "Introuvable.", "fr: a payment of an unknown invoice is refused");
  await accessible(page, "the invoicing page (fr)");
  await page.selectOption("#lang-choice", "en");
  await signOutOf(page);
}

// The partner's admin: usage and white label; then the customer sees it.
async function partner(page, cust) {
  await signIn(page, `rep@${dom}`, pw);
  await page.click("#nav-usage");
  await page.waitForSelector("#usage-table", { timeout: T });
  check((await page.textContent("#usage-table")).includes(cust.name), "the partner's accounts with their usage");
  await accessible(page, "the partner's usage page");
  await page.click("#nav-white-label");
  await page.waitForSelector("#white-label", { timeout: T });
  await page.fill("#wl-phone", "x");
  await page.fill("#wl-name", "Acme Fax");
  await page.click("#white-label button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#white-label-status.error"), null, { timeout: T });
  const whitelabel = await statusOf(page, "white-label-status");
  check(!whitelabel.ok && whitelabel.text !== "", `a support telephone that is not one is refused (${whitelabel.text})`);
  await page.fill("#wl-phone", "+33 1 23 45 67 89");
  await page.fill("#wl-email", `support@${dom}`);
  await page.click("#white-label button[type=submit]");
  await shows(page, "#white-label-status", "saved");
  await shows(page, "#brand", "Acme Fax");
  check((await page.textContent("#support-line")).includes(`support@${dom}`), "the partner's staff see the white label");
  await topShot(page, "white-label-en");
  await accessible(page, "the white label page");
  await signOutOf(page);
  check((await page.textContent("#brand")) === "faxvault", "signed out, the portal is the provider's again");
  await signIn(page, `owner@c${dom}`, pw);
  await shows(page, "#brand", "Acme Fax");
  check((await page.textContent("#support-line")).includes("+33 1 23 45 67 89"), "the partner's customer sees the name and the support contact");
  await page.goto(BASE + "/#/white-label");
  check(await forbiddenShown(page), "a customer opening the white label page is told it is not allowed");
  await accessible(page, "a page with the white label");
  await signOutOf(page);
}

const browser = await chromium.launch({ executablePath: EXE, args: ["--no-sandbox"] });
try {
  const op = await opLogin();
  const acc = await rest("POST", "/v1/accounts", op, { name: `Cabinet ${sfx}`, owner: { email: `owner@${dom}`, name: "Olive Owner" } });
  await accept(acc.owner_invitation.token);
  const owner = await login(`owner@${dom}`);
  const u = await rest("POST", `/v1/accounts/${acc.id}/users`, owner, { email: `ursula@${dom}`, name: "Ursula", role: "user" });
  await accept(u.invitation.token);
  await rest("POST", `/v1/accounts/${acc.id}/traffic-forecasts`, owner, { starts_at: inDays(1), ends_at: inDays(2), pages_per_day: 1000, peak_calls: 50, note: "Campagne" });
  const pq = await multipart(`/v1/accounts/${acc.id}/port-requests`, owner, { numbers: "+15555550998", losing_carrier: "Old Telco" }, { name: "loa" });
  check(pq.status === 201, `a port-in request is filed (${pq.status})`);
  const port = pq.body;
  // A partner, its admin, a customer account whose owner sends a signed letter.
  const prt = await rest("POST", "/v1/partners", op, { name: `Reseller ${sfx}` });
  await rest("PATCH", `/v1/partners/${prt.id}`, op, { max_accounts: 2 });
  await accept((await rest("POST", `/v1/partners/${prt.id}/staff`, op, { email: `rep@${dom}`, name: "Rep", role: "partner_admin" })).invitation.token);
  const rep = await login(`rep@${dom}`);
  const cust = await rest("POST", "/v1/accounts", rep, { name: `Client ${sfx}`, owner: { email: `owner@c${dom}`, name: "Colette" } });
  await accept(cust.owner_invitation.token);
  const letter = await multipart(`/v1/accounts/${cust.id}/consents/letter`, await login(`owner@c${dom}`),
    { partner_id: prt.id, scope: JSON.stringify(["users.manage"]), expires_at: inDays(30) }, { name: "letter" });
  check(letter.status === 201, `the customer's owner sends a signed letter (${letter.status})`);

  const ctx = await browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(BASE + "/");
  const mine = await fraud(page, acc, owner);
  await announce(page, acc, owner);
  // A user has no fraud reports page.
  await signIn(page, `ursula@${dom}`, pw);
  await page.goto(BASE + "/#/fraud");
  check(await forbiddenShown(page), "a user opening the fraud reports page is told it is not allowed");
  await signOutOf(page);
  await operator(page, acc, mine, letter.body, port);
  await partner(page, cust);
  check(errors.length === 0, `no script error (${errors.join("; ")})`);
  await ctx.close();
} catch (e) {
  failed(e);
} finally {
  await browser.close();
}
report();
