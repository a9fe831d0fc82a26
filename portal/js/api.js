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

// How long a call waits for the service's answer before it gives up: the
// service answers 504 itself past http.service_timeout_seconds (5 minutes
// by default), but an answer lost on the way would otherwise leave the page
// waiting for ever. Uploads and downloads (a fax's documents, an export)
// may take much longer than a plain call.
export const DEADLINE_MS = 120000;
export const LONG_DEADLINE_MS = 900000;

async function call(method, path, body, accept, deadlineMs) {
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
  // Past the deadline the call is aborted: {status: 0, timeout: true}.
  const ctl = new AbortController();
  init.signal = ctl.signal;
  let late = false;
  const timer = setTimeout(() => { late = true; ctl.abort(); }, deadlineMs);
  let r;
  try { r = await fetch(path, init); } catch (e) { clearTimeout(timer); throw late ? { status: 0, timeout: true } : { status: 0 }; }
  clearTimeout(timer);
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
// service cannot be reached ({status: 0, timeout: true} when it did not
// answer within deadlineMs: DEADLINE_MS, or LONG_DEADLINE_MS for an upload).
export async function api(method, path, body, deadlineMs) {
  const ms = deadlineMs || (body instanceof FormData ? LONG_DEADLINE_MS : DEADLINE_MS);
  const r = await call(method, path, body, "application/json", ms);
  if (r.status === 204) return null;
  try { return await r.json(); } catch (e) { return null; }
}

// A file (a fax's PDF, a CSV export): resolves with a Blob.
export async function apiBlob(path, accept) {
  const r = await call("GET", path, undefined, accept || "*/*", LONG_DEADLINE_MS);
  return r.blob();
}

// The kind of a problem ("csrf", "not-found"…), from its type URN.
export function problemKind(e) {
  const t = e && e.type ? String(e.type) : "";
  return t.startsWith("urn:faxvault:problem:") ? t.slice("urn:faxvault:problem:".length) : "";
}
