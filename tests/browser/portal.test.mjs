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
    check(true, `${locale}: the idle warning shows`);
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
