// Helpers shared by the pages.
import { t } from "../i18n.js";
import { h, status } from "../dom.js";
import { api, problemKind } from "../api.js";

// The text to show for a failed call: the service's problem detail (in the
// page's language: the service follows Accept-Language), else a generic one.
export function errorText(e) {
  if (e && e.timeout) return t("error.timeout");
  if (!e || !e.status) return t("error.network");
  if (e.status === 404) return t("error.notfound");
  if (problemKind(e) === "forbidden") return t("error.forbidden");
  return t("error.generic", { detail: e.detail || e.title || "" });
}

export function can(me, ...perms) {
  return !!me && Array.isArray(me.permissions) && perms.some((p) => me.permissions.includes(p));
}

// The portal's address for an invitation or reset token: the token in the
// fragment, which the browser never sends to the server.
export function tokenLink(kind, token) {
  return location.origin + "/#/" + kind + "/" + token;
}

// The token of "#/kind/TOKEN" (then removed from the address bar and the
// history entry, so that it is not left on screen or in the history).
export function takeToken(params) {
  const tok = params[0] || "";
  if (tok) history.replaceState(null, "", location.pathname + "#/" + location.hash.slice(2).split("/")[0]);
  return tok;
}

// A Blob as a data: URL (the policy allows images from data:, not blob:).
export function dataUrl(blob) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = reject;
    r.readAsDataURL(blob);
  });
}

// Saves a Blob as a file named name (the browser's download).
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

// A button that runs fn, reporting a failure in st (a status of dom.js).
export function action(id, text, st, fn, cls) {
  const b = h("button", { type: "button", class: cls || "secondary", id }, text);
  b.addEventListener("click", async () => { st.clear(); try { await fn(); } catch (e) { st.fail(errorText(e)); } });
  return b;
}

// A button that asks for one value in a small form shown after it (instead
// of prompt()): ask.label names the field, ask.submit the form's button,
// ask.attrs the input's attributes. The form is "ID-form", its field
// "ID-text"; a second click hides it. fn(value) runs on submit, its failure
// reported in st.
export function askButton(id, text, st, ask, fn, cls) {
  const b = h("button", { type: "button", class: cls || "secondary", id, "aria-expanded": "false" }, text);
  b.addEventListener("click", () => {
    const open = document.getElementById(id + "-form");
    if (open) { open.remove(); b.setAttribute("aria-expanded", "false"); return; }
    const input = h("input", Object.assign({ type: "text", id: id + "-text", name: id + "-text", required: "" }, ask.attrs || {}));
    const form = h("form", { id: id + "-form", class: "inline-ask", novalidate: "" },
      h("label", { for: id + "-text" }, ask.label, input), h("button", { type: "submit" }, ask.submit));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      st.clear();
      const v = input.value.trim();
      if (!v) { st.fail(t("ask.empty")); input.focus(); return; }
      try { await fn(v); } catch (e) { st.fail(errorText(e)); }
    });
    b.after(form);
    b.setAttribute("aria-expanded", "true");
    input.focus();
  });
  return b;
}

// Sets the status line id (found again after a re-render) to an outcome.
export function flash(id, text) {
  const p = document.getElementById(id);
  if (p) { p.className = "status ok"; p.textContent = text; }
}

// A notice with a text and a code to copy (a link, a secret shown once).
export function codeBox(id, text, code) {
  return h("div", { class: "notice", id }, h("p", {}, text), h("p", { class: "code" }, code));
}

// A form: a title (h2), fields, a submit button and a status line; submit
// runs fn(st) and reports its failure in the status line.
export function simpleForm(id, title, children, submitText, fn) {
  const st = status(id + "-status");
  const form = h("form", { id, novalidate: "" }, title ? h("h2", {}, title) : null, ...children,
    h("button", { type: "submit" }, submitText), st.node);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    st.clear();
    try { await fn(st); } catch (e) { st.fail(errorText(e)); }
  });
  return form;
}

// The object at path, or null with the page saying it is not found (nodes
// of the page: a title and the message of id "kind-notfound").
export async function oneOrNotFound(path, kind, title, text) {
  try {
    return { obj: await api("GET", path) };
  } catch (e) {
    if (e.status === 404) return { obj: null, nodes: [h("h1", {}, title), h("p", { id: kind + "-notfound", class: "error", role: "alert" }, text)] };
    throw e;
  }
}
