// Browser tests of the roles page (named custom roles, issues 14 and 17):
// the owner creates a role with permissions chosen from checkboxes that the
// permission table describes in the page's language, sees a taken name
// refused, gives the role to a member on the users page (its picker offers
// the custom roles), edits the role (the member's permissions follow on
// their next request) and deletes it in French (its holder made a user);
// a plain user has no roles page. axe-core on the page in both languages.
// Environment: BASE, OP_EMAIL, OP_PASSWORD. Prints "N passed, N failed".
import { chromium } from "playwright-core";
import { BASE, EXE, T, check, failed, report, accessible, rest, signIn, statusOf, shows, topShot } from "./lib.mjs";

const sfx = Date.now().toString(36);
const dom = `roles${sfx}.example`;
const pw = "girouette clocher beffroi 1907";

async function perms(tok, lang) {
  const r = await fetch(BASE + "/v1/permissions", { headers: { "Accept-Language": lang, Authorization: "Bearer " + tok } });
  return (await r.json()).items;
}

const browser = await chromium.launch({ executablePath: EXE, args: ["--no-sandbox"] });
try {
  const op = (await rest("POST", "/v1/sessions", null, { email: process.env.OP_EMAIL, password: process.env.OP_PASSWORD })).token;
  const acc = await rest("POST", "/v1/accounts", op, { name: `Roles ${sfx}`, owner: { email: `owner@${dom}`, name: "Owner" } });
  await rest("POST", "/v1/invitations/accept", null, { token: acc.owner_invitation.token, password: pw });
  const tok = (await rest("POST", "/v1/sessions", null, { email: `owner@${dom}`, password: pw })).token;
  const u = await rest("POST", `/v1/accounts/${acc.id}/users`, tok, { email: `ursula@${dom}`, name: "Ursula", role: "user" });
  await rest("POST", "/v1/invitations/accept", null, { token: u.invitation.token, password: pw });
  const utok = (await rest("POST", "/v1/sessions", null, { email: `ursula@${dom}`, password: pw })).token;
  const en = await perms(tok, "en"), fr = await perms(tok, "fr");
  const desc = (items, name) => items.find((p) => p.name === name).description;

  const ctx = await browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("dialog", (d) => d.accept());
  await page.goto(BASE + "/");
  await signIn(page, `owner@${dom}`, pw);
  await page.click("#nav-roles");
  await page.waitForSelector("#role-form", { timeout: T });
  check((await page.textContent("h1")) === "Custom roles", "the roles page's title");
  check(!!(await page.$("#roles-none")), "no role yet, and the page says so");
  check((await page.textContent("#role-perms")).includes(desc(en, "fax.send")), "the permissions are described from the permission table (en)");
  check(!(await page.$("#perm-ownership-transfer")) && !(await page.$("#perm-provider-accounts-manage")),
    "ownership.transfer and provider permissions are not offered");
  await accessible(page, "the roles page (en)");

  // Create.
  await page.fill("#role-name", "Front desk");
  await page.fill("#role-description", "Sends and reads faxes");
  for (const p of ["fax-send", "fax-read-own", "account-read"]) await page.check("#perm-" + p);
  await page.click("#role-submit");
  await shows(page, "#roles-table", "Front desk");
  let st = await statusOf(page, "roles-status");
  check(st.ok && st.text === "Role Front desk created.", `the creation is said (${st.text})`);
  const roles = (await rest("GET", `/v1/accounts/${acc.id}/roles`, tok)).items;
  const role = roles.find((r) => r.name === "Front desk");
  check(role && role.description === "Sends and reads faxes" && role.permissions.slice().sort().join(",") === "account.read,fax.read.own,fax.send",
    `the service holds the role as chosen (${JSON.stringify(role)})`);
  // A name taken, in another case: the service's refusal shown.
  await page.fill("#role-name", "FRONT DESK");
  await page.check("#perm-fax-send");
  await page.click("#role-submit");
  st = await statusOf(page, "role-form-status");
  check(!st.ok && st.text.includes("FRONT DESK"), `a taken name is refused (${st.text})`);
  await page.fill("#role-name", "");
  await page.click("#role-submit");
  st = await statusOf(page, "role-form-status");
  check(!st.ok && st.text === "Give the role a name.", `a role needs a name (${st.text})`);

  // The users page offers the role, and gives it.
  await page.click("#nav-users");
  await page.waitForSelector("#role-" + u.id, { timeout: T });
  check(!!(await page.$(`#new-role option[value="${role.id}"]`)), "the invitation's role picker offers the custom role");
  await page.selectOption("#role-" + u.id, role.id);
  st = await statusOf(page, "users-status");
  check(st.ok, `the role is given (${st.text})`);
  let me = await rest("GET", "/v1/me", utok);
  check(me.role === "custom" && me.custom_role && me.custom_role.name === "Front desk", `the member holds the role (${JSON.stringify(me.custom_role)})`);
  await accessible(page, "the users page with custom roles (en)");

  // Edit: the holder's permissions follow.
  await page.click("#nav-roles");
  await page.waitForSelector("#edit-" + role.id, { timeout: T });
  check((await page.textContent("#roles-table")).includes("1"), "the table counts the holder");
  await page.click("#edit-" + role.id);
  check((await page.inputValue("#role-name")) === "Front desk" && await page.isChecked("#perm-fax-send") && !(await page.isChecked("#perm-safebox-use")),
    "the form holds the role to edit");
  await page.check("#perm-safebox-use");
  await page.click("#role-submit");
  await page.waitForFunction(() => { const e = document.getElementById("roles-status"); return e && e.textContent.includes("saved"); }, null, { timeout: T });
  me = await rest("GET", "/v1/me", utok);
  check(me.permissions.includes("safebox.use"), "the holder has the new permission on their next request");
  await topShot(page, "roles");

  // In French: the descriptions in French, then the deletion.
  await page.selectOption("#lang-choice", "fr");
  await page.waitForFunction(() => document.querySelector("h1").textContent === "Rôles personnalisés", null, { timeout: T });
  await page.waitForFunction((x) => document.getElementById("role-perms").textContent.includes(x), desc(fr, "fax.send"), { timeout: T });
  check(await page.evaluate(() => document.documentElement.lang) === "fr" && !(await page.textContent("#role-perms")).includes(desc(en, "fax.send")),
    "the permissions are described in French");
  await accessible(page, "the roles page (fr)");
  await page.click("#delete-" + role.id);
  await page.waitForSelector("#roles-none", { timeout: T });
  st = await statusOf(page, "roles-status");
  check(st.ok && st.text === "Rôle Front desk supprimé.", `fr: the deletion is said (${st.text})`);
  me = await rest("GET", "/v1/me", utok);
  check(me.role === "user" && !me.custom_role, "the holder became a user");
  check(errors.length === 0, `no script error (${errors.join("; ")})`);
  await ctx.close();

  // A plain user has no roles page.
  const uctx = await browser.newContext({ locale: "en-US" });
  const upage = await uctx.newPage();
  await upage.goto(BASE + "/");
  await signIn(upage, `ursula@${dom}`, pw);
  check(!(await upage.$("#nav-roles")), "a user has no roles page in the menu");
  await uctx.close();
} catch (e) {
  failed(e);
} finally {
  await browser.close();
}
report();
