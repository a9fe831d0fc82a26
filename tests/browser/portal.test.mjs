// Browser tests of the web portal: Debian's Chromium driven by playwright-core.
// Environment: BASE (the daemon's URL), OP_EMAIL, OP_PASSWORD. Prints
// "N passed, N failed" like the other tests.
import { chromium } from "playwright-core";

const BASE = process.env.BASE;
const EXE = process.env.CHROMIUM || "/usr/bin/chromium";
// SCREENSHOT_DIR: where to save pictures of the main pages (docs/portal/).
const SHOTS = process.env.SCREENSHOT_DIR || "";
let checks = 0, fails = 0;
async function shot(page, name) { if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png` }); }
function check(cond, what) { checks++; if (!cond) { fails++; console.log("FAIL: " + what); } }

const browser = await chromium.launch({ executablePath: EXE, args: ["--no-sandbox"] });
try {
  for (const [locale, title, welcome] of [["en-US", "Sign in", "Welcome"], ["fr-FR", "Connexion", "Bienvenue"]]) {
    const ctx = await browser.newContext({ locale, viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const resp = await page.goto(BASE + "/");
    check(resp.status() === 200, `${locale}: GET / is 200`);
    check((resp.headers()["content-security-policy"] || "").includes("script-src 'self'"), `${locale}: CSP header`);
    check(await page.getAttribute("html", "lang") === locale.slice(0, 2), `${locale}: <html lang>`);
    await page.waitForSelector("#signin", { timeout: 30000 });
    check((await page.textContent("h1")).trim() === title, `${locale}: sign-in title is ${title}`);
    await shot(page, `signin-${locale.slice(0, 2)}`);
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
    check(true, `${locale}: signed out`);
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
  check(true, "the chosen language is remembered over Accept-Language");
  await phone.close();
} catch (e) {
  fails++; checks++;
  console.log("FAIL: " + (e && e.stack ? e.stack : e));
} finally {
  await browser.close();
}
console.log(`${checks - fails} passed, ${fails} failed`);
process.exit(fails ? 1 : 0);
