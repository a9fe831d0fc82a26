// Calls to the /v1 API. The session is the HttpOnly cookie fv_session that
// sign-in sets: no script can read it. Changes carry the session's CSRF
// token (X-CSRF-Token), which this module keeps in memory only (never in a
// URL or in storage); GET /v1/me gives it again after a reload.
let csrf = null;
let onActivity = null;
let onSignedOut = null;

export function setCsrf(v) { csrf = v; }
// fn() after every answer of the service to a call of the signed-in person
// (the idle timer starts again).
export function setActivityHandler(fn) { onActivity = fn; }
// fn() when the service answers 401 to a call that needed the session.
export function setSignedOutHandler(fn) { onSignedOut = fn; }

const SAFE = ["GET", "HEAD", "OPTIONS"];

async function call(method, path, body, accept) {
  // Problem details come in the page's language (the person's choice may
  // differ from the browser's).
  const headers = { "Accept": accept, "Accept-Language": document.documentElement.lang || "en" };
  if (csrf && !SAFE.includes(method)) headers["X-CSRF-Token"] = csrf;
  const init = { method, headers, credentials: "same-origin" };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let r;
  try { r = await fetch(path, init); } catch (e) { throw { status: 0 }; }
  if (r.ok && csrf && onActivity) onActivity();
  if (r.ok) return r;
  let j = null;
  try { j = await r.json(); } catch (e) { j = null; }
  const err = Object.assign({ status: r.status }, j || {});
  if (r.status === 401 && csrf && onSignedOut && path !== "/v1/sessions") onSignedOut(err);
  throw err;
}

// Resolves with the parsed JSON answer (or null for 204); rejects with the
// problem object ({type, title, status, detail}) or {status: 0} when the
// service cannot be reached.
export async function api(method, path, body) {
  const r = await call(method, path, body, "application/json");
  if (r.status === 204) return null;
  try { return await r.json(); } catch (e) { return null; }
}

// A file (a fax's PDF, a CSV export): resolves with a Blob.
export async function apiBlob(path, accept) {
  const r = await call("GET", path, undefined, accept || "*/*");
  return r.blob();
}

// The kind of a problem ("csrf", "not-found"…), from its type URN.
export function problemKind(e) {
  const t = e && e.type ? String(e.type) : "";
  return t.startsWith("urn:faxvault:problem:") ? t.slice("urn:faxvault:problem:".length) : "";
}
