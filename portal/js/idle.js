// The idle timeout of the session: the service ends a session unused for
// idle_timeout_seconds (GET /v1/me); the portal warns a minute before and
// shows the sign-in page when the time is up. The service touches a
// session's last use at most every 15 seconds, so the portal counts from
// 15 seconds before the last answer it got.
const TOUCH_SLACK_MS = 15000;
const WARN_BEFORE_MS = 60000;
let idleMs = 0;
let warnTimer = null;
let endTimer = null;
let handlers = null;

function clear() {
  if (warnTimer) clearTimeout(warnTimer);
  if (endTimer) clearTimeout(endTimer);
  warnTimer = endTimer = null;
}

// Starts (or restarts) the count: h.warn() a minute before, h.end() at the end.
export function idleStart(seconds, h) {
  idleMs = seconds * 1000;
  handlers = h;
  idleActivity();
}

export function idleActivity() {
  if (!handlers || !idleMs) return;
  clear();
  const left = idleMs - TOUCH_SLACK_MS;
  warnTimer = setTimeout(() => handlers.warn(), Math.max(0, left - WARN_BEFORE_MS));
  endTimer = setTimeout(() => { const h = handlers; idleStop(); h.end(); }, Math.max(0, left));
}

export function idleStop() {
  clear();
  handlers = null;
  idleMs = 0;
}
