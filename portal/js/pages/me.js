// The person's own steps: terms, second factor, password.
import { api, apiBlob } from "../api.js";
import { t, currentLang } from "../i18n.js";
import { h, field, status } from "../dom.js";
import { errorText, dataUrl } from "./common.js";

export async function termsPage(ctx) {
  const terms = await api("GET", "/v1/terms/current");
  const text = (currentLang() === "fr" ? terms.text_fr : terms.text_en) || terms.text || "";
  const st = status("terms-status");
  const btn = h("button", { type: "button", id: "terms-accept" }, t("terms.accept"));
  btn.addEventListener("click", async () => {
    try {
      await api("POST", "/v1/me/terms/accept", { version: terms.version });
      await ctx.reload("#/");
    } catch (e) { st.fail(errorText(e)); }
  });
  return [h("h1", {}, t("terms.title", { version: terms.version })),
    h("div", { class: "terms", id: "terms-text", tabindex: "0" }, text),
    terms.accepted ? h("p", {}, t("terms.already")) : btn, st.node];
}

export async function mfaPage(ctx) {
  const items = [h("h1", {}, t("mfa.title"))];
  if (ctx.me.mfa && ctx.me.mfa.totp) {
    items.push(h("p", { id: "mfa-enrolled" }, t("mfa.enrolled")));
    return items;
  }
  const st = status("mfa-status");
  const start = h("button", { type: "button", id: "mfa-start" }, t("mfa.start"));
  const area = h("div", { id: "mfa-area" });
  start.addEventListener("click", async () => {
    st.clear();
    try {
      const en = await api("POST", "/v1/me/mfa/totp");
      const png = await apiBlob(en.qr_png, "image/png");
      const img = h("img", { id: "mfa-qr", alt: t("mfa.qr_alt"), width: "200", height: "200" });
      img.src = await dataUrl(png);
      const code = field("mfa-code", t("mfa.code"), { type: "text", inputmode: "numeric", autocomplete: "one-time-code", pattern: "[0-9]{6}", required: "" });
      const form = h("form", { id: "mfa-confirm", novalidate: "" }, code.label, h("button", { type: "submit" }, t("mfa.confirm")));
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        try {
          const r = await api("POST", "/v1/me/mfa/totp/confirm", { code: code.input.value.trim() });
          const list = h("ol", { id: "mfa-recovery" }, ...(r.recovery_codes || []).map((c) => h("li", { class: "code" }, c)));
          area.replaceChildren(h("p", { role: "status" }, t("mfa.done")), h("p", {}, t("mfa.recovery")), list,
            h("button", { type: "button", id: "mfa-continue" }, t("mfa.continue")));
          area.querySelector("#mfa-continue").addEventListener("click", () => ctx.reload("#/"));
        } catch (e) { st.fail(errorText(e)); }
      });
      area.replaceChildren(h("p", {}, t("mfa.scan")), img,
        h("p", {}, t("mfa.uri")), h("p", { class: "code", id: "mfa-uri" }, en.otpauth_uri),
        h("p", {}, t("mfa.secret"), " ", h("span", { class: "code", id: "mfa-secret" }, en.secret)), form);
      start.remove();
    } catch (e) { st.fail(errorText(e)); }
  });
  items.push(h("p", {}, t("mfa.intro")), start, area, st.node);
  return items;
}

export function passwordPage(ctx) {
  const cur = field("pw-current", t("password.current"), { type: "password", autocomplete: "current-password", required: "" });
  const nw = field("pw-new", t("password.new"), { type: "password", autocomplete: "new-password", required: "" });
  const st = status("pw-status");
  const form = h("form", { id: "password-change", novalidate: "" }, cur.label, nw.label,
    h("button", { type: "submit" }, t("password.submit")), st.node);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("POST", "/v1/me/password", { current_password: cur.input.value, new_password: nw.input.value });
      st.ok(t("password.done"));
      await ctx.reload(null);
    } catch (e) { st.fail(errorText(e)); }
  });
  return [h("h1", {}, t("password.title")), form];
}
