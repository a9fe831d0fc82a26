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
