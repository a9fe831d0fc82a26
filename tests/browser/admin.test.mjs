// Browser tests of the portal's administration pages: an account's
// settings (security policy, posture and contacts review, fax by e-mail,
// retention and legal hold), webhooks with a receiver on loopback,
// identity providers and the sign-in through single sign-on (the scripted
// OpenID Connect provider of tests/oidc), and who sees what.
// Environment: BASE (the daemon's URL, also its sso.public_url), OP_EMAIL,
// OP_PASSWORD. Prints "N passed, N failed" like the other tests.
import { chromium } from "playwright-core";
import { createServer } from "node:http";
import { join } from "node:path";
import { BASE, EXE, HERE, T, check, failed, report, shot, accessible, rest, signIn, signOutOf, topShot, statusOf, openSub, shows, scriptedIdp, accountWithUser, forbiddenShown, CATALOGUE } from "./lib.mjs";

// A webhook receiver on loopback: answers 204 and keeps what it got.
function receiver() {
  const got = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => { got.push({ headers: req.headers, body }); res.writeHead(204); res.end(); });
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok({ server, got, url: `http://127.0.0.1:${server.address().port}/hook` })));
}

// Fills in and sends the small form a button ID opened in place.
async function answer(page, id, text) {
  await page.fill(`#${id}-text`, text);
  await page.click(`#${id}-form button[type=submit]`);
}

// The provider console as the operator, the partner console as a partner's
// staff member, and the owner's side of partner and support access.
async function consoles(page, acc, owner, dom, pw) {
  const sfx = Date.now().toString(36);
  await signIn(page, process.env.OP_EMAIL, process.env.OP_PASSWORD);
  await page.click("#nav-provider");
  await page.waitForSelector("#trunk-create", { timeout: T });
  const subs = await page.$$eval("#subnav a", (as) => as.map((a) => a.id));
  check(["sub-trunks", "sub-rates", "sub-staff", "sub-partners", "sub-terms-admin", "sub-status-admin", "sub-security-incidents"]
    .every((x) => subs.includes(x)), `the operator's console menu has every page (${subs.join(",")})`);
  // Trunks: added, with its state on the status board, then disabled.
  await page.fill("#trunk-name", "Carrier A");
  await page.fill("#trunk-peer", "192.0.2.10:5060");
  await page.fill("#trunk-prefixes", "+33, +49");
  await page.click("#trunk-create button[type=submit]");
  await shows(page, "#trunks-table", "192.0.2.10:5060");
  const trunk = (await rest("GET", "/v1/provider/trunks", await opToken())).items.find((x) => x.name === "Carrier A");
  check(trunk && trunk.prefixes.includes("+33") && trunk.transport === "t38_first", "the trunk is stored with its prefixes");
  const row = await page.$$eval("#trunks-table tbody tr", (trs) => trs.map((tr) => tr.textContent));
  check(row.some((r) => r.includes("Carrier A") && r.includes("Operational")), "the trunk's state on the status board is shown");
  await page.click(`#trunk-toggle-${trunk.id}`);
  await page.waitForFunction((id) => { const b = document.getElementById("trunk-toggle-" + id); return b && b.textContent === "Enable"; }, trunk.id, { timeout: T });
  const off = await rest("GET", `/v1/provider/trunks/${trunk.id}`, await opToken());
  check(off.status === "disabled", `the trunk is disabled (${off.status})`);
  // Edited: its form filled in from the service, a bad peer refused, then
  // a new name, peer, ceiling and transport saved (the password kept).
  await page.click(`#trunk-edit-${trunk.id}`);
  await page.waitForSelector("#trunk-edit", { timeout: T });
  check(await page.inputValue("#trunk-edit-peer") === "192.0.2.10:5060" && await page.inputValue("#trunk-edit-prefixes") === "+33, +49",
    "the trunk's form is filled in");
  await page.fill("#trunk-edit-peer", "not a peer");
  await page.click("#trunk-edit button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#trunk-edit-status.error"), null, { timeout: T });
  const kept = await rest("GET", `/v1/provider/trunks/${trunk.id}`, await opToken());
  check(kept.peer === "192.0.2.10:5060", `a malformed peer is refused and the stored one kept (${kept.peer})`);
  await page.fill("#trunk-edit-name", "Carrier A2");
  await page.fill("#trunk-edit-peer", "192.0.2.11:5070");
  await page.fill("#trunk-edit-max-calls", "30");
  await page.selectOption("#trunk-edit-transport", "g711_only");
  await page.click("#trunk-edit button[type=submit]");
  await shows(page, "#trunks-status", "saved");
  const edited = await rest("GET", `/v1/provider/trunks/${trunk.id}`, await opToken());
  check(edited.name === "Carrier A2" && edited.peer === "192.0.2.11:5070" && edited.max_calls === 30 && edited.transport === "g711_only" &&
    edited.prefixes.includes("+49"), `the trunk is changed (${JSON.stringify(edited)})`);
  await topShot(page, "trunks-en");
  await accessible(page, "the trunks page");
  // Rates: the table of a currency replaced.
  await page.click("#sub-rates");
  await page.waitForSelector("#rates-edit", { timeout: T });
  await page.fill("#rates-table-text", "+1 7\n+33 12");
  await page.click("#rates-edit button[type=submit]");
  await shows(page, "#rates-table", "+33");
  const rates = await rest("GET", "/v1/provider/rates", await opToken());
  check(rates.rates.some((r) => r.prefix === "+33" && r.price_per_page === 12), `the rate table is stored (${JSON.stringify(rates)})`);
  check(/0[.,]12/.test(await page.textContent("#rates-table")), "prices are shown in the currency");
  await accessible(page, "the rates page");
  // Staff: a support member invited, with the link.
  await page.click("#sub-staff");
  await page.waitForSelector("#staff-invite", { timeout: T });
  await page.fill("#staff-email", `support-${sfx}@provider.example`);
  await page.fill("#staff-name", "Sam Support");
  await page.selectOption("#staff-role", "support");
  await page.click("#staff-invite button[type=submit]");
  await page.waitForSelector("#staff-invite-link", { timeout: T });
  check((await page.textContent("#staff-table")).includes(`support-${sfx}@provider.example`), "the staff member is listed");
  await accessible(page, "the staff page");
  // Partners: created, its account limit set, a staff member invited.
  await page.click("#sub-partners");
  await page.waitForSelector("#partner-create", { timeout: T });
  await page.fill("#partner-name", `Reseller ${sfx}`);
  await page.click("#partner-create button[type=submit]");
  await shows(page, "#partners-table", `Reseller ${sfx}`);
  const partner = (await rest("GET", "/v1/partners?limit=200", await opToken())).items.find((x) => x.name === `Reseller ${sfx}`);
  await page.fill(`#partner-max-${partner.id}`, "5");
  await page.click(`#partner-save-${partner.id}`);
  await shows(page, "#partners-status", "saved");
  check((await rest("GET", `/v1/partners/${partner.id}`, await opToken())).max_accounts === 5, "the partner's account limit is stored");
  await page.click(`#partner-staff-${partner.id}`);
  await answer(page, `partner-staff-${partner.id}`, `pat-${sfx}@reseller.example`);
  await page.waitForSelector("#partner-invite-link", { timeout: T });
  const plink = (await page.textContent("#partner-invite-link .code")).trim();
  check(plink.includes("#/invitation/fvi_"), "the partner's staff member is invited, with the link");
  await accessible(page, "the partners page");
  // The status board: a component's state, an incident opened and resolved.
  await page.click("#sub-status-admin");
  await page.waitForSelector("#incident-create", { timeout: T });
  await page.selectOption("#component-sending", "degraded");
  await shows(page, "#status-admin-status", "saved");
  const board = await (await fetch(BASE + "/status.json")).json();
  check(board.components.find((c) => c.id === "sending").state === "degraded", "the component's state is on the public board");
  await page.fill("#inc-title-en", "Slow sending");
  await page.fill("#inc-title-fr", "Envois lents");
  await page.check("#inc-c-sending");
  await page.fill("#inc-message-en", "We are looking into it.");
  await page.fill("#inc-message-fr", "Nous analysons le problème.");
  await page.click("#incident-create button[type=submit]");
  await shows(page, "#incidents-table", "Slow sending");
  const inc = (await rest("GET", "/v1/provider/incidents", await opToken())).items.find((x) => x.title_en === "Slow sending");
  await page.selectOption(`#step-${inc.id}`, "resolved");
  await page.click(`#post-${inc.id}`);
  await answer(page, `post-${inc.id}`, "Back to normal.");
  await shows(page, "#incidents-table .incident-status", "Resolved");
  const incd = (await rest("GET", "/v1/provider/incidents", await opToken())).items.find((x) => x.id === inc.id);
  check(incd.status === "resolved", `the incident is resolved with a message (${incd.status})`);
  await page.selectOption("#component-sending", "operational");
  await shows(page, "#status-admin-status", "saved");
  await topShot(page, "status-admin-en");
  await accessible(page, "the status board page");
  // Security incidents: recorded with its clocks, then closed.
  await page.click("#sub-security-incidents");
  await page.waitForSelector("#secinc-create", { timeout: T });
  await page.fill("#secinc-title", "Lost laptop");
  await page.fill("#secinc-description", "A support laptop was lost; its disk is encrypted.");
  await page.selectOption("#secinc-severity", "high");
  await page.check("#secinc-personal");
  await page.click("#secinc-create button[type=submit]");
  await shows(page, "#secinc-table", "Lost laptop");
  check((await page.textContent("#secinc-table")).includes("gdpr_72h"), "the incident shows its notification clocks");
  await accessible(page, "the security incidents page");
  const si = (await rest("GET", "/v1/provider/security-incidents", await opToken())).items.find((x) => x.title === "Lost laptop");
  await page.click(`#secinc-close-${si.id}`);
  await shows(page, "#secinc-table .secinc-status", "Closed");
  const sic = (await rest("GET", "/v1/provider/security-incidents", await opToken())).items.find((x) => x.id === si.id);
  check(sic.status === "closed", `the security incident is closed (${sic.status})`);
  await signOutOf(page);

  // The partner's staff member: accepts, creates an account for a customer,
  // whose owner consents; the partner sees the consent.
  await page.goto(plink);
  await page.waitForSelector("#invitation", { timeout: T });
  await page.fill("#inv-password", pw);
  await page.click("#invitation button[type=submit]");
  await signIn(page, `pat-${sfx}@reseller.example`, pw);
  await page.click("#nav-accounts");
  await page.waitForSelector("#account-create", { timeout: T });
  await page.fill("#acc-name", `Customer ${sfx}`);
  await page.fill("#acc-owner-email", `owner@cust${sfx}.example`);
  await page.fill("#acc-owner-name", "Carla Customer");
  await page.click("#account-create button[type=submit]");
  await page.waitForSelector("#owner-invite-link", { timeout: T });
  const olink = (await page.textContent("#owner-invite-link .code")).trim();
  await rest("POST", "/v1/invitations/accept", null, { token: olink.split("#/invitation/")[1], password: pw });
  const cust = (await rest("POST", "/v1/sessions", null, { email: `owner@cust${sfx}.example`, password: pw })).token;
  const custAcc = (await rest("GET", "/v1/me", cust)).account_id;
  const until = new Date(Date.now() + 30 * 86400000).toISOString();
  await rest("POST", `/v1/accounts/${custAcc}/consents`, cust, { partner_id: partner.id, scope: "full", expires_at: until });
  await page.click("#nav-accounts");
  await page.waitForSelector(`#consents-${custAcc}`, { timeout: T });
  await page.click(`#consents-${custAcc}`);
  await page.waitForSelector("#consents-table", { timeout: T });
  check((await page.textContent("#consents-table .consent-status")) === "In force", "the partner sees the customer's consent in force");
  await accessible(page, "the partner's consents page");
  await signOutOf(page);

  // The owner of the first account: gives the partner access, revokes it,
  // and approves the support access the provider asks for.
  await rest("POST", `/v1/accounts/${acc.id}/access-grants`, await opToken(), { scope: "config.read", reason: "Ticket 4711", duration_minutes: 60 });
  await signIn(page, `owner@${dom}`, pw);
  await page.goto(BASE + "/#/access");
  await page.waitForSelector("#consent-create", { timeout: T });
  await page.fill("#consent-partner", partner.id);
  await page.fill("#consent-expires", until.slice(0, 10));
  await page.click("#consent-create button[type=submit]");
  await shows(page, "#consents-table .consent-status", "In force");
  check((await page.textContent("#consents-table")).includes(partner.id), "the owner's consent to the partner is listed");
  const cns = (await rest("GET", `/v1/accounts/${acc.id}/consents`, owner)).items[0];
  await page.click(`#consent-revoke-${cns.id}`);
  await shows(page, "#consents-table .consent-status", "Revoked");
  const cnr = (await rest("GET", `/v1/accounts/${acc.id}/consents`, owner)).items.find((x) => x.id === cns.id);
  check(cnr.status === "revoked", `the owner revokes the consent (${cnr.status})`);
  const grant = (await rest("GET", `/v1/accounts/${acc.id}/access-grants`, owner)).items[0];
  await page.click(`#grant-approve-${grant.id}`);
  await shows(page, "#grants-table .grant-status", "Approved");
  const gra = (await rest("GET", `/v1/accounts/${acc.id}/access-grants`, owner)).items.find((x) => x.id === grant.id);
  check(gra.status === "approved", `the owner approves the support access (${gra.status})`);
  await topShot(page, "access-en");
  await accessible(page, "the partner and support access page");
  await signOutOf(page);
}

// The owner's numbers (route, port-in driven by the operator), a SafeBox,
// and a fax scheduled for later: its pages and estimated cost, cancelled.
async function accountPages(page, acc, owner, dom, pw) {
  const PDF = join(HERE, "../data/render/text3.pdf");
  await rest("POST", "/v1/provider/numbers", await opToken(), { trunk: "loopback", numbers: ["+15555550501", "+15555550502"] });
  const ursula = (await rest("GET", `/v1/accounts/${acc.id}/users?limit=200`, owner)).items.find((x) => x.email === `ursula@${dom}`);
  await signIn(page, `owner@${dom}`, pw);
  await page.click("#nav-numbers");
  await page.waitForSelector("#number-request", { timeout: T });
  await page.fill("#num-area", "555");
  await page.click("#number-request button[type=submit]");
  await page.waitForSelector("#numbers-table", { timeout: T });
  const num = (await rest("GET", `/v1/accounts/${acc.id}/numbers`, owner)).items[0].number;
  const nid = num.replace(/\D/g, "");
  await page.selectOption(`#route-${nid}`, ursula.id);
  // The status said "a new number: <num>" already: wait for the routing's own words.
  await shows(page, "#numbers-status", CATALOGUE.en["numbers.routed"].replace("{number}", num));
  check((await rest("GET", `/v1/accounts/${acc.id}/numbers/${encodeURIComponent(num)}`, owner)).route_to === ursula.id, "the number is routed to the member");
  // Port-in with the letter of authorization.
  await page.fill("#port-numbers", "+1 (555) 555-0999");
  await page.fill("#port-carrier", "Old Telco");
  await page.fill("#port-account", "OT-4471");
  await page.setInputFiles("#port-loa", PDF);
  await page.click("#port-request button[type=submit]");
  await shows(page, "#ports-table .port-status", "Submitted");
  check((await page.textContent("#ports-table")).includes("+15555550999"), "the port-in request is listed with its number");
  await topShot(page, "numbers-en");
  await accessible(page, "the numbers page");
  await signOutOf(page);
  await signIn(page, process.env.OP_EMAIL, process.env.OP_PASSWORD);
  await openSub(page, "provider", "ports");
  await page.waitForSelector("#ports-admin-table", { timeout: T });
  const port = (await rest("GET", "/v1/provider/port-requests", await opToken())).items.find((x) => x.account_id === acc.id);
  await page.click(`#port-start-${port.id}`);
  await page.waitForSelector(`#port-complete-${port.id}`, { timeout: T });
  await page.click(`#port-complete-${port.id}`);
  await shows(page, "#ports-admin-table .port-status", "Completed");
  await accessible(page, "the operator's port-in page");
  await signOutOf(page);
  await signIn(page, `owner@${dom}`, pw);
  await page.click("#nav-numbers");
  await shows(page, "#numbers-table", "+15555550999");
  const owned = (await rest("GET", `/v1/accounts/${acc.id}/numbers`, owner)).items.map((x) => x.number);
  check(owned.includes("+15555550999"), `the ported number is the account's once completed (${owned.join(" ")})`);

  // A SafeBox with a member and a guest: a reply, a file, a revocation.
  await page.click("#nav-safeboxes");
  await page.waitForSelector("#safebox-create", { timeout: T });
  await page.fill("#sbx-subject", "Contract draft");
  await page.fill("#sbx-participants", `ursula@${dom}, guest@outside.example`);
  await page.fill("#sbx-message", "Here is the draft.");
  await page.click("#safebox-create button[type=submit]");
  await page.waitForSelector("#participants-table", { timeout: T });
  const ptext = await page.textContent("#participants-table");
  check(ptext.includes("Member") && ptext.includes("Guest"), "the box has a member and a guest");
  check((await page.textContent("#safebox-messages")).includes("Here is the draft."), "the first message is shown");
  await page.fill("#sbx-reply", "Second thoughts.");
  await page.click("#safebox-post button[type=submit]");
  await shows(page, "#safebox-messages", "Second thoughts.");
  await page.setInputFiles("#sbx-file", PDF);
  await page.click("#safebox-upload button[type=submit]");
  await shows(page, "#safebox-files-table", "text3.pdf");
  const box = (await rest("GET", "/v1/safeboxes", owner)).items[0];
  const full = await rest("GET", `/v1/safeboxes/${box.id}`, owner);
  check(full.files.some((f) => f.filename === "text3.pdf"), "a file is added to the box");
  const guest = full.participants.find((x) => x.kind === "guest");
  await page.click(`#revoke-${guest.id}`);
  await shows(page, "#participants-table", "Revoked");
  check((await page.textContent("#safebox-events-table")).includes("participant"), "the events list the revocation");
  await topShot(page, "safebox-en");
  await accessible(page, "a SafeBox");
  await page.click("#safebox-close");
  await shows(page, "#safebox-state", "Closed");
  check(await page.$("#safebox-post") === null, "a closed box takes no message");
  await page.click("#nav-safeboxes");
  await page.waitForSelector("#safeboxes-table", { timeout: T });
  await accessible(page, "the SafeBoxes list");

  // A fax for tomorrow: its pages and estimated cost first, then cancelled.
  await page.click("#nav-send");
  await page.waitForSelector("#fax-send", { timeout: T });
  await page.setInputFiles("#fax-files", PDF);
  await page.fill("#fax-to", "+15555550502");
  const tomorrow = new Date(Date.now() + 86400000);
  const local = new Date(tomorrow.getTime() - tomorrow.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  await page.fill("#fax-send-at", local);
  await page.click("#fax-send button[type=submit]");
  await page.waitForSelector("#fax-send-at", { timeout: T });
  // Answered while its pages are counted ("Preparing"), then queued for tomorrow.
  check(["Preparing", "Queued"].includes(await page.textContent("#fax-status")), "the fax is shown as soon as it is accepted");
  await shows(page, "#fax-status", "Queued");
  check((await page.textContent("#fax-status")) === "Queued", "the scheduled fax waits");
  await page.waitForSelector("#fax-thumbs img", { timeout: T });
  check(await page.$eval("#fax-thumbs img", (i) => i.src.startsWith("data:image/png")), "the rendered pages of the scheduled fax are shown");
  const fid = page.url().split("#/fax/")[1];
  const fax = await rest("GET", `/v1/faxes/${fid}`, owner);
  check(fax.estimated_cost === fax.page_count * 7 && /0[.,]\d\d/.test(await page.textContent("#fax-cost")),
    `the estimated cost is shown (${await page.textContent("#fax-cost")}, ${fax.page_count} pages)`);
  await accessible(page, "a scheduled fax");
  await page.click("#fax-cancel");
  await shows(page, "#fax-status", "Cancelled");
  check((await rest("GET", `/v1/faxes/${fid}`, owner)).status === "cancelled", "the scheduled fax is cancelled");
  await page.click("#fax-hold-toggle");
  // Asked in place: an empty reason is refused by the page.
  await page.click("#fax-hold-toggle-form button[type=submit]");
  await shows(page, "#fax-action-status", "Fill in the field first.");
  await answer(page, "fax-hold-toggle", "Audit 2027");
  await shows(page, "#fax-hold", "Audit 2027");
  check((await rest("GET", `/v1/faxes/${fid}`, owner)).legal_hold.held === true, "the fax is under a legal hold");
  await page.click("#fax-hold-toggle");
  await page.waitForSelector("#fax-hold", { state: "detached", timeout: T });
  check((await rest("GET", `/v1/faxes/${fid}`, owner)).legal_hold.held === false, "the fax's legal hold is lifted");

  // Billing: a top-up by the operator in the ledger and the balance.
  await rest("POST", `/v1/provider/accounts/${acc.id}/credits`, await opToken(), { amount_minor: 500, reason: "Welcome credit" });
  await page.click("#nav-billing");
  await page.waitForSelector("#ledger-table", { timeout: T });
  check((await page.textContent("#ledger-table")).includes("Welcome credit") && /5[.,]00/.test(await page.textContent("#billing-balance")),
    `the ledger and the balance show the top-up (${await page.textContent("#billing-balance")})`);
  await accessible(page, "the billing page");
  // SCIM: a token shown once, listed, revoked.
  await openSub(page, "settings", "scim");
  await page.waitForSelector("#scim-create", { timeout: T });
  await page.fill("#scim-name", "Entra ID");
  await page.click("#scim-create button[type=submit]");
  await page.waitForSelector("#scim-token", { timeout: T });
  check((await page.textContent("#scim-token .code")).trim().startsWith("fvc_"), "the SCIM token is shown once");
  const tok = (await rest("GET", `/v1/accounts/${acc.id}/scim-tokens`, owner)).items[0];
  await accessible(page, "the SCIM page");
  await page.click(`#scim-revoke-${tok.id}`);
  await page.waitForSelector("#scim-none", { timeout: T });
  check((await rest("GET", `/v1/accounts/${acc.id}/scim-tokens`, owner)).items.every((x) => x.id !== tok.id),
    "the SCIM token is revoked");
  // A breach notice from the provider, acknowledged.
  const inc = await rest("POST", "/v1/provider/security-incidents", await opToken(), { title: "Mail relay breach", description: "A relay leaked headers.",
    severity: "medium", personal_data: true, affected: { account_ids: [acc.id] } });
  await rest("POST", `/v1/provider/security-incidents/${inc.id}/notices`, await opToken(), { text_en: "Some headers leaked.", text_fr: "Des en-têtes ont fuité." });
  await page.click("#sub-breach");
  await page.waitForSelector(".breach", { timeout: T });
  check((await page.textContent(".breach")).includes("Some headers leaked."), "the breach notice is shown");
  await accessible(page, "the breach notices page");
  await page.click(".breach button");
  await page.waitForSelector(".breach-ack", { timeout: T });
  const notices = (await rest("GET", `/v1/accounts/${acc.id}/breach-notices`, owner)).items;
  check(notices.length > 0 && notices.every((x) => x.acknowledged_at), "the breach notice is acknowledged");
  await signOutOf(page);
}

let opTok = null;
async function opToken() {
  if (!opTok) opTok = (await rest("POST", "/v1/sessions", null, { email: process.env.OP_EMAIL, password: process.env.OP_PASSWORD })).token;
  return opTok;
}

// Terms published by the operator: the next sign-in of a member asks for
// their acceptance before anything else.
async function terms(page, email, pw) {
  await signIn(page, process.env.OP_EMAIL, process.env.OP_PASSWORD);
  await openSub(page, "provider", "terms-admin");
  await page.waitForSelector("#terms-publish", { timeout: T });
  await accessible(page, "the terms page");
  await page.fill("#terms-version", "2027-01");
  await page.fill("#terms-text-en", "Be fair with faxes.");
  await page.fill("#terms-text-fr", "Soyez loyal avec les fax.");
  await page.click("#terms-publish button[type=submit]");
  await shows(page, "#terms-current", "2027-01");
  check((await rest("GET", "/v1/terms/current", await opToken())).version === "2027-01", "the terms in force are the new version");
  await signOutOf(page);
  await signIn(page, email, pw);
  await page.waitForSelector("#terms-accept", { timeout: T });
  check((await page.textContent("#terms-text")).includes("Be fair with faxes."), "a member is asked to accept the new terms");
  await page.click("#terms-accept");
  await page.waitForSelector("#nav-settings", { timeout: T });
  const acceptedBy = await page.evaluate(async () => (await fetch("/v1/me")).json());
  check(acceptedBy.email === email && await page.$("#terms-accept") === null, "once accepted, the member's pages are back");
  await signOutOf(page);
}

const browser = await chromium.launch({ executablePath: EXE, args: ["--no-sandbox"] });
const recv = await receiver();
let idp = null;
try {
  const clientSecret = "portal-oidc-secret-" + Date.now().toString(36) + "-Kx7";
  idp = await scriptedIdp(clientSecret);
  // The account, its owner, a billing contact and a user, through the API.
  const sfx = Date.now().toString(36);
  const dom = `adm${sfx}.example`;
  const pw = "lanterne boussole cartable 1848";
  const { acc, owner } = await accountWithUser(`Atelier ${sfx}`, dom, pw, { billing_contacts: [{ email: `billing@${dom}`, name: "Bill Payer" }] });

  const ctx = await browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  // Confirmations are accepted (values are asked in forms, not prompts).
  page.on("dialog", (d) => d.accept());
  await page.goto(BASE + "/");
  await signIn(page, `owner@${dom}`, pw);

  // Settings: the menu's entry opens the security policy, with the group's menu.
  await page.click("#nav-settings");
  await page.waitForSelector("#security-form", { timeout: T });
  const subs = await page.$$eval("#subnav a", (as) => as.map((a) => a.id));
  check(["sub-security", "sub-posture", "sub-faxmail", "sub-retention", "sub-webhooks", "sub-idps"].every((x) => subs.includes(x)),
    `the owner's settings menu has every page (${subs.join(",")})`);
  await page.fill("#sec-min-length", "14");
  await page.fill("#sec-idle", "20");
  await page.fill("#sec-lockout", "5");
  await page.check("#sec-require-digit");
  await page.click("#security-form button[type=submit]");
  let st = await statusOf(page, "security-form-status");
  check(st.ok && st.text === "The settings are saved.", `the security policy is saved (${st.text})`);
  const sec = await rest("GET", `/v1/accounts/${acc.id}/security`, owner);
  check(sec.password_policy.min_length === 14 && sec.session.idle_timeout_minutes === 20 && sec.password_policy.lockout_threshold === 5 && sec.password_policy.composition.require_digit === true,
    "the service holds the new policy");
  // A value out of range: the service's problem detail, in the page's language.
  await page.fill("#sec-idle", "5000");
  await page.click("#security-form button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#security-form-status.error"), null, { timeout: T });
  st = await statusOf(page, "security-form-status");
  check(st.text.startsWith("Something went wrong:") && st.text.length > "Something went wrong: ".length, `a refused value shows the problem's detail (${st.text})`);
  await topShot(page, "security-en");
  await accessible(page, "the security policy");

  // Posture and the contacts review (the owner confirms).
  await page.click("#sub-posture");
  await page.waitForSelector("#posture-table", { timeout: T });
  check((await page.$$("#posture-table tbody tr")).length === 18, "the posture checklist has its 18 items");
  const contacts = await page.textContent("#contacts-table");
  check(contacts.includes(`owner@${dom}`) && contacts.includes(`billing@${dom}`), "the contacts review lists the owner and the billing contact");
  await page.click("#contacts-confirm");
  st = await statusOf(page, "contacts-status");
  check(st.ok && st.text.startsWith("Confirmed."), `the owner confirms the contacts (${st.text})`);
  await accessible(page, "the posture and contacts page");

  // Fax by e-mail: saved; a bad network is refused with its field's detail.
  await page.click("#sub-faxmail");
  await page.waitForSelector("#faxmail-form", { timeout: T });
  await page.check("#fbe-enabled");
  await page.fill("#fbe-senders", `@${dom}\nalice@partner.example`);
  await page.fill("#fbe-servers", "192.0.2.0/24");
  await page.selectOption("#fbe-spf", "require");
  await page.click("#faxmail-form button[type=submit]");
  st = await statusOf(page, "faxmail-form-status");
  check(st.ok, `the fax-by-email settings are saved (${st.text})`);
  const fbe = await rest("GET", `/v1/accounts/${acc.id}/fax-by-email`, owner);
  check(fbe.enabled && fbe.allowed_senders.includes(`@${dom}`) && fbe.allowed_servers[0] === "192.0.2.0/24" && fbe.spf === "require",
    "the service holds the fax-by-email settings");
  await page.fill("#fbe-servers", "192.0.2.1/24");
  await page.click("#faxmail-form button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#faxmail-form-status.error"), null, { timeout: T });
  check((await page.textContent("#faxmail-form-status")).trim() !== "" &&
    (await rest("GET", `/v1/accounts/${acc.id}/fax-by-email`, owner)).allowed_servers[0] === "192.0.2.0/24",
    "host bits beyond the prefix are refused with a message, the setting unchanged");
  await accessible(page, "the fax-by-email page");

  // Retention and the account's legal hold.
  await page.click("#sub-retention");
  await page.waitForSelector("#retention-form", { timeout: T });
  await page.fill("#ret-inbound", "90");
  await page.check("#ret-hold");
  await page.click("#retention-form button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#retention-form-status.error"), null, { timeout: T });
  check((await page.textContent("#retention-form-status")).trim() !== "" &&
    (await rest("GET", `/v1/accounts/${acc.id}/retention`, owner)).inbound_fax_days !== 90,
    "a legal hold without a reason is refused, nothing saved");
  await page.fill("#ret-hold-reason", "Litigation 2026-17");
  await page.click("#retention-form button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#retention-form-status.ok"), null, { timeout: T });
  check((await page.textContent("#retention-hold")).includes("Litigation 2026-17"), "the page says the account is held, with the reason");
  const ret = await rest("GET", `/v1/accounts/${acc.id}/retention`, owner);
  check(ret.inbound_fax_days === 90 && ret.legal_hold.held === true, "the service holds the retention and the hold");
  await accessible(page, "the retention page");

  // Webhooks: created with the secret shown once, a test event delivered
  // to the receiver, the delivery log, disabled, deleted.
  await page.click("#sub-webhooks");
  await page.waitForSelector("#webhook-create", { timeout: T });
  await page.fill("#wh-url", recv.url);
  await page.fill("#wh-description", "Records system");
  await page.click("#webhook-create button[type=submit]");
  await page.waitForSelector("#webhook-secret", { timeout: T });
  const whsec = (await page.textContent("#webhook-secret .code")).trim();
  check(whsec.startsWith("whsec_"), "the signing secret is shown once");
  check((await page.textContent("#webhooks-table")).includes(recv.url), "the webhook is listed");
  const wh = (await rest("GET", `/v1/accounts/${acc.id}/webhooks`, owner)).items[0];
  check(!JSON.stringify(wh).includes(whsec), "the service does not answer the secret again");
  await page.click(`#test-${wh.id}`);
  // The delivery log, read again until the test event is delivered.
  let delivered = false;
  for (let i = 0; i < 60 && !delivered; i++) {
    await page.click(`#deliveries-${wh.id}`);
    await page.waitForSelector("#deliveries-table, #deliveries-none", { timeout: T });
    delivered = await page.$$eval("#deliveries-table .delivery-status", (xs) => xs.some((x) => x.textContent === "Delivered"));
    if (!delivered) await page.waitForTimeout(1000); // the sender's next pass
  }
  check(delivered, "the test event shows delivered in the log");
  check(recv.got.some((r) => r.body.includes("webhook.test") && r.headers["webhook-signature"]), "the receiver got the signed test event");
  await page.click(`#toggle-${wh.id}`);
  await page.waitForFunction(() => document.querySelector("#webhooks-table") && document.querySelector("#webhooks-table").textContent.includes("Disabled"), null, { timeout: T });
  check((await rest("GET", `/v1/accounts/${acc.id}/webhooks/${wh.id}`, owner)).status === "disabled", "the webhook is disabled");
  await page.click(`#deliveries-${wh.id}`);
  await page.waitForSelector("#deliveries-table", { timeout: T });
  await topShot(page, "webhooks-en");
  await accessible(page, "the webhooks page");
  await page.click(`#delete-${wh.id}`);
  await page.waitForSelector("#webhooks-none", { timeout: T });
  check((await rest("GET", `/v1/accounts/${acc.id}/webhooks`, owner)).items.every((x) => x.id !== wh.id), "the webhook is deleted");

  // Identity providers: added, edited, and its sign-in link.
  await page.click("#sub-idps");
  await page.waitForSelector("#idp-create", { timeout: T });
  await page.fill("#idp-name", "Acme Keycloak");
  await page.fill("#idp-issuer", idp.issuer);
  await page.fill("#idp-client-id", "faxvault");
  await page.fill("#idp-client-secret", clientSecret);
  await page.click("#idp-create button[type=submit]");
  await page.waitForSelector("#idps-table", { timeout: T });
  const p = (await rest("GET", `/v1/accounts/${acc.id}/identity-providers`, owner)).items[0];
  check(p && p.client_secret_set && p.issuer === idp.issuer, "the provider is stored with its secret set");
  await page.click(`#edit-${p.id}`);
  await page.waitForSelector("#idp-edit", { timeout: T });
  await page.fill("#idp-edit-name", "Acme SSO");
  await page.click("#idp-edit button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#idps-table").textContent.includes("Acme SSO"), null, { timeout: T });
  check((await rest("GET", `/v1/accounts/${acc.id}/identity-providers/${p.id}`, owner)).name === "Acme SSO", "the provider is renamed");
  const link = (await page.textContent("#idps-table .sso-link")).trim();
  check(link === `${BASE}/#/sso/${acc.id}/${p.id}`, `the sign-in link names the account and the provider (${link})`);
  await topShot(page, "idps-en");
  await accessible(page, "the identity providers page");
  // The page in French: the titles and the menu follow.
  await page.selectOption("#lang-choice", "fr");
  await page.waitForFunction(() => document.querySelector("h1").textContent === "Authentification unique", null, { timeout: T });
  check((await page.textContent("#nav-settings")) === "Réglages", "the settings menu in French");
  await page.click("#sub-security");
  await page.waitForFunction(() => document.querySelector("h1").textContent === "Sécurité du compte", null, { timeout: T });
  await page.fill("#sec-idle", "5000");
  await page.click("#security-form button[type=submit]");
  st = await statusOf(page, "security-form-status");
  check(st.text.startsWith("Une erreur est survenue"), `a refusal in French (${st.text})`);
  await topShot(page, "security-fr");
  await accessible(page, "the security policy in French");
  await page.selectOption("#lang-choice", "en");
  await page.waitForFunction(() => document.querySelector("h1").textContent === "Account security", null, { timeout: T });
  await signOutOf(page);

  // A user sees no settings, and is told so when opening one.
  await signIn(page, `ursula@${dom}`, pw);
  check(await page.$("#nav-settings") === null, "a user has no settings in the menu");
  await page.goto(BASE + "/#/security");
  check(await forbiddenShown(page), "a user opening the security policy is told it is not allowed");
  await signOutOf(page);
  await consoles(page, acc, owner, dom, pw);
  await accountPages(page, acc, owner, dom, pw);

  // Single sign-on from the sign-in page: the member, by the account's
  // provider, comes back into the portal signed in.
  await idp.control({ next: { login: `ursula@${dom}` } });
  await page.click("#signin-sso");
  await page.waitForSelector("#sso-discover", { timeout: T });
  await accessible(page, "the single sign-on page");
  await page.fill("#sso-who", acc.id);
  await page.click("#sso-discover button[type=submit]");
  await page.waitForSelector(`#sso-provider-${p.id}`, { timeout: T });
  await page.click(`#sso-provider-${p.id}`);
  await page.waitForSelector("#signout", { timeout: T });
  check(!page.url().includes("sso=1"), "the return address is cleaned up");
  const me = await page.evaluate(async () => (await fetch("/v1/me")).json());
  check(me.email === `ursula@${dom}` && me.account_id === acc.id, "signed in through single sign-on as the member");
  await signOutOf(page);
  // The link the administrators hand out fills the form.
  await idp.control({ next: { login: `ursula@${dom}` } });
  await page.goto(link);
  await page.waitForSelector(`#sso-provider-${p.id}`, { timeout: T });
  const startHref = await page.getAttribute(`#sso-provider-${p.id}`, "href");
  check(startHref.includes(`/v1/sso/${acc.id}/${p.id}/start`), `the sign-in link offers its provider (${startHref})`);
  await page.click(`#sso-provider-${p.id}`);
  await page.waitForSelector("#signout", { timeout: T });
  const again = await page.evaluate(async () => (await fetch("/v1/me")).json());
  check(again.email === `ursula@${dom}`, "signed in again from the sign-in link");
  await signOutOf(page);
  await terms(page, `owner@${dom}`, pw);
  check(errors.length === 0, `no script error (${errors.join("; ")})`);
  await ctx.close();
} catch (e) {
  failed(e);
} finally {
  await browser.close();
  recv.server.close();
  if (idp) idp.proc.kill();
}
report();
