// Browser tests of the portal's pages for an account's lifecycle and
// contact points: security contacts, status board mail, the account's
// closure (started, its state seen by the owner and the operator, then
// cancelled) and the postpaid invoices on the billing page (the PDF
// downloaded), in English and in French, with axe-core, and who may not.
// Environment: BASE, OP_EMAIL, OP_PASSWORD, CLOCK (the daemon's test clock
// file: milliseconds added to its time). Prints "N passed, N failed".
import { chromium } from "playwright-core";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BASE, EXE, HERE, T, check, failed, report, accessible, rest, signIn, signOutOf, topShot, statusOf, openSub, shows, forbiddenShown } from "./lib.mjs";

const PDF = join(HERE, "../data/render/text3.pdf");
const sfx = Date.now().toString(36);
const dom = `acct${sfx}.example`;
const pw = "girouette clocher beffroi 1907";

const opLogin = async () => (await rest("POST", "/v1/sessions", null, { email: process.env.OP_EMAIL, password: process.env.OP_PASSWORD })).token;

// An account with its owner signed in through the API: { acc, tok }.
async function account(op, name, email) {
  const acc = await rest("POST", "/v1/accounts", op, { name, owner: { email, name: "Owner " + name } });
  await rest("POST", "/v1/invitations/accept", null, { token: acc.owner_invitation.token, password: pw });
  return { acc, tok: (await rest("POST", "/v1/sessions", null, { email, password: pw })).token };
}

// Sends the test PDF from an account's owner to a number and waits until
// the fax has ended delivered (over the loopback trunk).
async function sendFax(tok, to) {
  const form = new FormData();
  form.append("to", to);
  form.append("file", new Blob([readFileSync(PDF)], { type: "application/pdf" }), "text3.pdf");
  const r = await fetch(BASE + "/v1/faxes", { method: "POST", headers: { Authorization: "Bearer " + tok }, body: form });
  const j = await r.json();
  check(r.status === 202, `the fax is submitted (${r.status})`);
  const id = j.items[0].id;
  for (let i = 0; i < 600; i++) {
    const f = await rest("GET", `/v1/faxes/${id}`, tok);
    if (["delivered", "partial", "failed", "cancelled"].includes(f.status)) return f;
    await new Promise((ok) => setTimeout(ok, 500)); // the fax service's progress over the loopback call
  }
  return null;
}

// The owner's security contacts and status board mail, in the page's
// language: added, read back through the API, a refusal shown, removed.
async function contactPages(page, acc, tok, lang) {
  const fr = lang === "fr";
  await openSub(page, "settings", "seccontacts");
  await page.waitForSelector("#seccontact-create", { timeout: T });
  check((await page.textContent("h1")) === (fr ? "Contacts de sécurité" : "Security contacts"), `${lang}: the security contacts page's title`);
  await page.fill("#seccontact-name", "Sam Secu " + lang);
  await page.fill("#seccontact-email", `secu-${lang}@${dom}`);
  await page.fill("#seccontact-phone", "+33123456789");
  await page.selectOption("#seccontact-lang", "fr");
  await page.click("#seccontact-create button[type=submit]");
  await shows(page, "#seccontacts-table", `secu-${lang}@${dom}`);
  const sc = (await rest("GET", `/v1/accounts/${acc.id}/security-contacts`, tok)).items.find((x) => x.email === `secu-${lang}@${dom}`);
  check(sc && sc.phone === "+33123456789" && sc.lang === "fr", `${lang}: the security contact is stored (${JSON.stringify(sc)})`);
  // The same address again: the service's refusal, in the page's language.
  await page.fill("#seccontact-name", "Sam again");
  await page.fill("#seccontact-email", `secu-${lang}@${dom}`);
  await page.click("#seccontact-create button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#seccontact-create-status.error"), null, { timeout: T });
  const st = await statusOf(page, "seccontact-create-status");
  check(st.text.startsWith(fr ? "Une erreur est survenue" : "Something went wrong:"), `${lang}: an address named twice is refused (${st.text})`);
  if (!fr) await topShot(page, "seccontacts-en");
  await accessible(page, `the security contacts page (${lang})`);

  await page.click("#sub-statussubs");
  await page.waitForSelector("#statussub-create", { timeout: T });
  check((await page.textContent("h1")) === (fr ? "Alertes du tableau d’état" : "Status board mail"), `${lang}: the status mail page's title`);
  await page.fill("#statussub-email", `noc-${lang}@${dom}`);
  await page.fill("#statussub-name", "NOC");
  await page.uncheck("#statussub-c-mail");
  await page.click("#statussub-create button[type=submit]");
  await shows(page, "#statussubs-table", `noc-${lang}@${dom}`);
  const ss = (await rest("GET", `/v1/accounts/${acc.id}/status-subscriptions`, tok)).items.find((x) => x.email === `noc-${lang}@${dom}`);
  check(ss && ss.lang === lang && !ss.components.includes("mail") && ss.components.includes("sending"),
    `${lang}: the subscription is stored in the page's language without the unticked component (${JSON.stringify(ss)})`);
  if (fr) await topShot(page, "statussubs-fr");
  await accessible(page, `the status mail page (${lang})`);
  await page.click(`#statussub-delete-${ss.id}`);
  await page.waitForSelector("#statussubs-none", { timeout: T });
  check((await rest("GET", `/v1/accounts/${acc.id}/status-subscriptions`, tok)).items.length === 0, `${lang}: the subscription is removed`);
}

const browser = await chromium.launch({ executablePath: EXE, args: ["--no-sandbox"] });
try {
  let op = await opLogin();
  const a = await account(op, `Alpha ${sfx}`, `owner@${dom}`);
  const b = await account(op, `Bravo ${sfx}`, `owner@b${dom}`);
  const acc = a.acc;
  const currency = (await rest("GET", `/v1/accounts/${acc.id}`, a.tok)).currency || "EUR";
  await rest("PUT", "/v1/provider/rates", op, { currency, rates: [{ prefix: "+1555", price_per_page: 7 }] });
  await rest("POST", "/v1/provider/numbers", op, { trunk: "loopback", numbers: ["+15555550701", "+15555550702"] });
  await rest("PUT", `/v1/provider/accounts/${acc.id}/plan`, op, { kind: "postpaid", invoice_lang: "fr" });
  await rest("POST", `/v1/accounts/${acc.id}/numbers`, a.tok, { country: "US", area_code: "555" });
  const bnum = (await rest("POST", `/v1/accounts/${b.acc.id}/numbers`, b.tok, { country: "US", area_code: "555" })).number;
  const u = await rest("POST", `/v1/accounts/${acc.id}/users`, a.tok, { email: `ursula@${dom}`, name: "Ursula", role: "user" });
  await rest("POST", "/v1/invitations/accept", null, { token: u.invitation.token, password: pw });
  // A fax of this month, billed on the invoice of the month.
  const sent = sendFax(a.tok, bnum);

  const ctx = await browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(BASE + "/");
  await signIn(page, `owner@${dom}`, pw);
  await contactPages(page, acc, a.tok, "en");
  await page.selectOption("#lang-choice", "fr");
  await page.waitForFunction(() => document.querySelector("h1").textContent === "Alertes du tableau d’état", null, { timeout: T });
  await contactPages(page, acc, a.tok, "fr");

  // Closure, in French: the box must be ticked, then the account is
  // closing (a word, not the raw state) until the owner cancels.
  await page.click("#sub-closure");
  await page.waitForSelector("#closure-start", { timeout: T });
  check((await page.textContent("#closure-state")).includes("ouvert (aucune fermeture)"), "fr: the account is open");
  await accessible(page, "the closure page (fr)");
  await page.fill("#closure-reason", "Fin d’activité");
  await page.click("#closure-start button[type=submit]");
  let st = await statusOf(page, "closure-start-status");
  check(st.text === "Cochez d’abord la case pour confirmer.", `fr: the closure waits for the confirmation (${st.text})`);
  check((await rest("GET", `/v1/accounts/${acc.id}/closure`, a.tok)).state === "none", "nothing closed without the confirmation");
  await page.check("#closure-confirm");
  await page.click("#closure-start button[type=submit]");
  await page.waitForSelector("#closure-cancel", { timeout: T });
  check((await page.textContent("#closure-state")).includes("en cours de fermeture"), "fr: the page says the account is closing, in words");
  check((await page.textContent("#closure-facts")).includes("Fin d’activité") && !!(await page.$("#closure-destroy-at")),
    "fr: the reason and the end of the grace period are shown");
  const cl = await rest("GET", `/v1/accounts/${acc.id}/closure`, a.tok);
  check(cl.state === "closing" && cl.reason === "Fin d’activité", `the service is closing the account (${cl.state})`);
  await topShot(page, "closure-fr");
  await accessible(page, "the closing account's page (fr)");
  // The operator's accounts list says so in words.
  const opCtx = await browser.newContext({ locale: "en-US" });
  const opPage = await opCtx.newPage();
  await opPage.goto(BASE + "/");
  await signIn(opPage, process.env.OP_EMAIL, process.env.OP_PASSWORD);
  await opPage.click("#nav-accounts");
  await opPage.waitForSelector("#accounts-table", { timeout: T });
  const row = await opPage.$$eval("#accounts-table tbody tr", (trs, id) => (trs.find((tr) => tr.textContent.includes(id)) || {}).textContent || "", acc.id);
  check(row.includes("Closing") && !row.includes("closing"), `the operator sees the account closing, in words (${row})`);
  await signOutOf(opPage);
  await page.click("#closure-cancel");
  await page.waitForSelector("#closure-start", { timeout: T });
  check((await page.textContent("#closure-state")).includes("une fermeture a été annulée"), "fr: the closure is cancelled");
  const ca = await rest("GET", `/v1/accounts/${acc.id}/closure`, a.tok);
  check(ca.state === "cancelled" && (await rest("GET", `/v1/accounts/${acc.id}`, a.tok)).status === "active",
    `the account is active again (${ca.state})`);
  await page.selectOption("#lang-choice", "en");
  await page.waitForFunction(() => document.querySelector("h1").textContent === "Account closure", null, { timeout: T });
  check((await page.textContent("#closure-state")).includes("open (a closure was cancelled)"), "en: the state in words");
  await accessible(page, "the closure page (en)");
  await signOutOf(page);

  // A user: their own status board mail from the home page, and none of
  // these pages (told so).
  await signIn(page, `ursula@${dom}`, pw);
  await page.waitForSelector("#mystatus-create", { timeout: T });
  await page.uncheck("#mystatus-c-mail");
  await page.click("#mystatus-create button[type=submit]");
  await page.waitForSelector("#mystatus-on", { timeout: T });
  const utok = (await rest("POST", "/v1/sessions", null, { email: `ursula@${dom}`, password: pw })).token;
  const mysub = await rest("GET", `/v1/accounts/${acc.id}/status-subscriptions/me`, utok);
  check(mysub.email === `ursula@${dom}` && !mysub.components.includes("mail") && mysub.components.includes("sending"),
    `a user subscribes themselves from the home page (${JSON.stringify(mysub.components)})`);
  await accessible(page, "the home page with one's status mail");
  await page.click("#mystatus-off");
  await page.waitForSelector("#mystatus-create", { timeout: T });
  const gone = await fetch(`${BASE}/v1/accounts/${acc.id}/status-subscriptions/me`, { headers: { Authorization: "Bearer " + utok } });
  check(gone.status === 404, `the user unsubscribes (${gone.status})`);
  for (const p of ["closure", "seccontacts", "statussubs", "billing"]) {
    await page.goto(BASE + "/#/" + p);
    check(await forbiddenShown(page), `a user opening #/${p} is told it is not allowed`);
  }
  const direct = await page.evaluate(async (id) => (await fetch(`/v1/accounts/${id}/security-contacts`)).status, acc.id);
  check(direct === 403, `the service refuses the security contacts to a user (${direct})`);
  await signOutOf(page);

  // Invoices: the month of the fax ends (the test clock moves to the next
  // month), the operator runs the invoicing, and the owner downloads the PDF.
  const f = await sent;
  check(f && f.status === "delivered", `the fax of the month is delivered (${f && f.status})`);
  // The month of the daemon's clock (which run.sh started on a month's first day).
  const now = new Date(Date.now() + Number(readFileSync(process.env.CLOCK, "utf8")));
  const period = now.toISOString().slice(0, 7);
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1, 2);
  writeFileSync(process.env.CLOCK, String(next - Date.now()));
  op = await opLogin();
  await rest("POST", "/v1/provider/invoice-runs", op, { period });
  const tok = (await rest("POST", "/v1/sessions", null, { email: `owner@${dom}`, password: pw })).token;
  const inv = (await rest("GET", `/v1/accounts/${acc.id}/invoices`, tok)).items;
  check(inv.length === 1 && inv[0].period === period && inv[0].total_minor > 0, `the month is invoiced (${JSON.stringify(inv)})`);
  await page.goto(BASE + "/");
  await signIn(page, `owner@${dom}`, pw);
  await page.click("#nav-billing");
  await page.waitForSelector("#invoices-table", { timeout: T });
  const irow = await page.textContent("#invoices-table tbody");
  check(irow.includes(period) && irow.includes("Issued"), `en: the invoice is listed with its state in words (${irow})`);
  check(!(await page.textContent("#app")).includes("null"), "no part left out of the page shows as \"null\"");
  const [dl] = await Promise.all([page.waitForEvent("download", { timeout: T }), page.click(`#invoice-pdf-${inv[0].id}`)]);
  const file = await dl.path();
  check(readFileSync(file).subarray(0, 5).toString() === "%PDF-", `the invoice downloads as a PDF (${dl.suggestedFilename()})`);
  await topShot(page, "billing-en");
  // The outbox's filters: the number (in another form) finds the fax, a
  // status it does not have finds none; the filters stay in the address.
  await page.click("#nav-outbox");
  await page.waitForSelector("#outbox-filter", { timeout: T });
  await page.fill("#outbox-q", bnum.replace(/^\+1/, "1 ").replace(/(\d{3})(\d{4})$/, "$1-$2"));
  await page.click("#outbox-filter button[type=submit]");
  await page.waitForSelector("#outbox-count", { timeout: T });
  const found = await page.$$eval("#outbound-table tbody tr", (trs) => trs.map((tr) => tr.textContent));
  check(found.length === 1 && found[0].includes(bnum) && found[0].includes(f.id), `en: the outbox searched by number finds the fax (${found.join(" | ")})`);
  check(decodeURIComponent(page.url()).includes("q=1"), "the search is kept in the address");
  await page.selectOption("#outbox-status", "failed");
  await page.click("#outbox-filter button[type=submit]");
  await page.waitForSelector("#outbound-none", { timeout: T });
  check((await page.textContent("#outbound-none")) === "No fax matches these filters.", "en: no failed fax to that number");
  await accessible(page, "the outbox with filters (en)");
  await page.click("#outbox-clear");
  await page.waitForSelector("#outbound-table", { timeout: T });
  check(await page.$("#outbox-count") === null, "Show all clears the filters");
  await page.click("#nav-billing");
  await page.waitForSelector("#invoices-table", { timeout: T });
  await accessible(page, "the billing page with invoices (en)");
  await page.selectOption("#lang-choice", "fr");
  await page.waitForFunction(() => document.querySelector("h1").textContent === "Facturation", null, { timeout: T });
  await shows(page, "#invoices-table", "Émise");
  check((await page.textContent("#invoices-table")).includes("Émise"), "fr: the invoice's state in French");
  await accessible(page, "the billing page with invoices (fr)");
  await page.selectOption("#lang-choice", "en");
  await signOutOf(page);
  check(errors.length === 0, `no script error (${errors.join("; ")})`);
  await ctx.close();
  await opCtx.close();
} catch (e) {
  failed(e);
} finally {
  await browser.close();
}
report();
