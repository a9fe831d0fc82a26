// Calls to the /v1 API. The session token stays in this module's memory:
// never in a URL, never in storage a script of another page could read.
let token = null;

export function setToken(v) { token = v; }
export function hasToken() { return token !== null; }

// Resolves with the parsed JSON answer (or null for 204); rejects with the
// problem object ({type, title, status, detail}) or {status: 0} when the
// service cannot be reached.
export async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  if (token) headers["Authorization"] = "Bearer " + token;
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let r;
  try { r = await fetch(path, init); } catch (e) { throw { status: 0 }; }
  if (r.status === 204) return null;
  let j = null;
  try { j = await r.json(); } catch (e) { j = null; }
  if (!r.ok) throw Object.assign({ status: r.status }, j || {});
  return j;
}
