// Message catalogues (i18n/<lang>.json): the person's choice, else the
// language the server picked from Accept-Language (<html lang>).
const LANGS = ["en", "fr"];
let messages = {};

export function currentLang() {
  let chosen = null;
  try { chosen = localStorage.getItem("faxvault.lang"); } catch (e) { chosen = null; }
  if (LANGS.includes(chosen)) return chosen;
  const l = document.documentElement.lang;
  return LANGS.includes(l) ? l : "en";
}

export function chooseLang(l) {
  if (!LANGS.includes(l)) return;
  try { localStorage.setItem("faxvault.lang", l); } catch (e) { /* private mode */ }
}

export async function loadMessages(l) {
  const r = await fetch("/i18n/" + l + ".json");
  messages = await r.json();
  document.documentElement.lang = l;
}

// The message of key with {name} placeholders filled from vars; the key
// itself when missing (the catalogue check in make check prevents that).
export function t(key, vars) {
  let s = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

// Dates and numbers in the page's language (Intl).
export function fmtDate(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(document.documentElement.lang || "en", { dateStyle: "medium", timeStyle: "short" }).format(d);
}

export function fmtNumber(n) {
  return new Intl.NumberFormat(document.documentElement.lang || "en").format(n);
}

// An amount in minor units of a currency (ISO 4217), e.g. 125 USD → $1.25.
export function fmtMoney(minor, currency) {
  const f = new Intl.NumberFormat(document.documentElement.lang || "en", { style: "currency", currency });
  const digits = f.resolvedOptions().maximumFractionDigits;
  return f.format(minor / Math.pow(10, digits));
}

// The text of a value of a known set (a status, a role): the message
// "group.value", else the value itself.
export function tv(group, value) {
  const k = group + "." + value;
  return Object.prototype.hasOwnProperty.call(messages, k) ? messages[k] : String(value);
}
