// Requests between an account and the provider: the account's fraud reports
// (filed by a member or by the automatic detection, whose hold of outbound
// faxing an administrator releases by confirming the activity safe), and
// on the provider's side the queue of every account's requests with their
// answers and the capacity against traffic forecasts, the review of
// consents given by a signed letter, and the invoicing of postpaid months.
import { api, apiBlob } from "../api.js";
import { t, tv, fmtDate, fmtNumber, fmtMoney, currentLang } from "../i18n.js";
import { h, field, select, table, tableOr, status } from "../dom.js";
import { action, can, simpleForm, download, flash } from "./common.js";

// The text of a request's timeline, oldest first.
function timeline(id, r) {
  return h("ol", { class: "timeline", id }, ...(r.timeline || []).map((e) =>
    h("li", {}, `${fmtDate(e.at)} · ${tv("reqstatus", e.status)}${e.message ? " · " + e.message : ""}`)));
}

// What a request is about, in one line (the fields of its kind).
function about(r) {
  if (r.kind === "fraud") return r.summary || "";
  const when = `${fmtDate(r.starts_at)} – ${fmtDate(r.ends_at)}`;
  if (r.kind === "pentest") return `${(r.hosts || []).join(", ")} (${when})`;
  return t("requests.forecast_about", { calls: fmtNumber(r.peak_calls || 0), pages: fmtNumber(r.pages_per_day || 0), when });
}

// A report's description in the page's language (the automatic detection
// writes both).
function description(r) {
  return (currentLang() === "fr" && r.description_fr) || r.description || "";
}

// A comma- or line-separated list.
function list(v) {
  return v.split(/[\s,]+/).map((x) => x.trim()).filter((x) => x);
}

export async function fraudPage(ctx) {
  const acc = ctx.me.account_id;
  const reps = await api("GET", `/v1/accounts/${acc}/fraud-reports?limit=100`);
  const st = status("fraud-status");
  const items = [h("h1", {}, t("fraud.title")), h("p", {}, t("fraud.intro")), st.node];
  if (!reps.items.length) items.push(h("p", { id: "fraud-none" }, t("fraud.none")));
  for (const r of reps.items) {
    const auto = r.created_by === "system:fraud";
    const meta = t("fraud.meta", { date: fmtDate(r.created_at), by: auto ? t("fraud.automatic") : r.created_by,
      status: tv("reqstatus", r.status) });
    const art = h("article", { class: "report", id: "fraud-" + r.id },
      h("h2", {}, auto ? t("fraud.auto_title", { rule: tv("fraudrule", r.rule) }) : r.summary),
      h("p", { class: "muted" }, meta),
      auto ? h("p", { class: "fraud-rule" }, t("fraud.rule", { rule: tv("fraudrule", r.rule) })) : null,
      h("p", { class: "body" }, description(r)),
      r.numbers && r.numbers.length ? h("p", {}, t("fraud.numbers", { numbers: r.numbers.join(", ") })) : null,
      timeline("fraud-timeline-" + r.id, r));
    if (auto && can(ctx.me, "security.manage"))
      art.append(h("p", { class: "muted" }, t("fraud.safe_hint")), action("fraud-safe-" + r.id, t("fraud.safe"), st, async () => {
        await api("POST", `/v1/accounts/${acc}/fraud-reports/${r.id}/confirm-safe`);
        await ctx.rerender();
        flash("fraud-status", t("fraud.released"));
      }, ""));
    items.push(art);
  }
  const summary = field("fraud-summary", t("fraud.summary"), { type: "text", required: "", maxlength: "200" });
  const desc = field("fraud-description", t("fraud.description"), { tag: "textarea", rows: "4", required: "", maxlength: "4000" });
  const when = field("fraud-when", t("fraud.when"), { type: "datetime-local" });
  const nums = field("fraud-numbers", t("fraud.numbers_field"), { type: "text", placeholder: "+33123456789" });
  items.push(simpleForm("fraud-create", t("fraud.create"), [summary.label, desc.label, when.label, nums.label], t("fraud.create_submit"), async () => {
    const body = { summary: summary.input.value.trim(), description: desc.input.value.trim() };
    if (when.input.value) body.occurred_at = new Date(when.input.value).toISOString();
    if (nums.input.value.trim()) body.numbers = list(nums.input.value);
    await api("POST", `/v1/accounts/${acc}/fraud-reports`, body);
    await ctx.rerender();
    flash("fraud-status", t("fraud.filed"));
  }));
  return items;
}

// ---- the account's announced penetration tests and traffic forecasts ----

// A request of the account as an article: what, state, timeline.
function requestArticle(r) {
  return h("article", { class: "report", id: "request-" + r.id }, h("h3", {}, about(r)),
    h("p", { class: "muted" }, t("fraud.meta", { date: fmtDate(r.created_at), by: r.created_by, status: tv("reqstatus", r.status) })),
    r.description || r.note ? h("p", { class: "body" }, r.description || r.note) : null,
    r.capacity && r.capacity.exceeded ? h("p", { class: "notice" }, t("announce.exceeded")) : null,
    timeline("request-timeline-" + r.id, r));
}

// "YYYY-MM-DDTHH:MM" of a datetime-local input as RFC 3339 (UTC).
const iso = (v) => (v ? new Date(v).toISOString() : "");

export async function announcePage(ctx) {
  const acc = ctx.me.account_id;
  const pent = can(ctx.me, "security.manage"), fore = can(ctx.me, "numbers.manage", "settings.manage");
  const [pl, fl] = await Promise.all([pent ? api("GET", `/v1/accounts/${acc}/pentest-requests?limit=100`) : null,
    fore ? api("GET", `/v1/accounts/${acc}/traffic-forecasts?limit=100`) : null]);
  const items = [h("h1", {}, t("announce.title")), h("p", {}, t("announce.intro"))];
  const st = status("announce-status");
  items.push(st.node);
  if (pl) {
    const hosts = field("pt-hosts", t("announce.hosts"), { type: "text", required: "", placeholder: "fax.example.net" });
    const sources = field("pt-sources", t("announce.sources"), { type: "text", required: "", placeholder: "198.51.100.0/24" });
    const starts = field("pt-starts", t("statusadm.starts"), { type: "datetime-local", required: "" });
    const ends = field("pt-ends", t("statusadm.ends"), { type: "datetime-local", required: "" });
    const cname = field("pt-contact-name", t("announce.contact_name"), { type: "text", required: "" });
    const cmail = field("pt-contact-email", t("announce.contact_email"), { type: "email", required: "" });
    const desc = field("pt-description", t("fraud.description"), { tag: "textarea", rows: "3", maxlength: "4000" });
    items.push(h("h2", {}, t("announce.pentests")), ...(pl.items.length ? pl.items.map(requestArticle) : [h("p", { id: "pentests-none" }, t("requests.none"))]),
      simpleForm("pentest-create", t("announce.pentest_new"), [hosts.label, sources.label, starts.label, ends.label, cname.label, cmail.label, desc.label],
        t("announce.submit"), async () => {
          const body = { hosts: list(hosts.input.value), sources: list(sources.input.value), starts_at: iso(starts.input.value), ends_at: iso(ends.input.value),
            contact: { name: cname.input.value.trim(), email: cmail.input.value.trim() } };
          if (desc.input.value.trim()) body.description = desc.input.value.trim();
          await api("POST", `/v1/accounts/${acc}/pentest-requests`, body);
          await ctx.rerender();
          flash("announce-status", t("announce.filed"));
        }));
  }
  if (fl) {
    const starts = field("tf-starts", t("statusadm.starts"), { type: "datetime-local", required: "" });
    const ends = field("tf-ends", t("statusadm.ends"), { type: "datetime-local", required: "" });
    const pages = field("tf-pages", t("announce.pages_per_day"), { type: "number", min: "0", required: "" });
    const calls = field("tf-calls", t("announce.peak_calls"), { type: "number", min: "1", required: "" });
    const note = field("tf-note", t("announce.note"), { tag: "textarea", rows: "2", maxlength: "4000" });
    items.push(h("h2", {}, t("announce.forecasts")), ...(fl.items.length ? fl.items.map(requestArticle) : [h("p", { id: "forecasts-none" }, t("requests.none"))]),
      simpleForm("forecast-create", t("announce.forecast_new"), [starts.label, ends.label, pages.label, calls.label, note.label], t("announce.submit"), async () => {
        const body = { starts_at: iso(starts.input.value), ends_at: iso(ends.input.value), pages_per_day: +pages.input.value, peak_calls: +calls.input.value };
        if (note.input.value.trim()) body.note = note.input.value.trim();
        await api("POST", `/v1/accounts/${acc}/traffic-forecasts`, body);
        await ctx.rerender();
        flash("announce-status", t("announce.filed"));
      }));
  }
  return items;
}

// ---- the provider's queue of requests, and capacity ----

// The next steps of a request of a kind in a state.
const NEXT = {
  fraud: { open: ["investigating", "resolved", "dismissed"], investigating: ["resolved", "dismissed"] },
  pentest: { requested: ["approved", "refused"], approved: ["revoked"] },
  forecast: { submitted: ["acknowledged", "declined"] },
};

export async function requestsPage(ctx) {
  const q = new URLSearchParams(ctx.params[0] || "");
  const kind = select("req-kind", [["", t("requests.any")], ...["fraud", "pentest", "forecast"].map((k) => [k, tv("reqkind", k)])], q.get("kind") || "");
  const stat = select("req-status", [["", t("requests.any")], ...["open", "investigating", "resolved", "dismissed", "requested", "approved", "refused",
    "revoked", "submitted", "acknowledged", "declined"].map((s) => [s, tv("reqstatus", s)])], q.get("status") || "");
  const filter = h("form", { id: "requests-filter", class: "filters", novalidate: "" },
    h("label", { for: "req-kind" }, t("requests.kind"), kind), h("label", { for: "req-status" }, t("users.status"), stat),
    h("button", { type: "submit" }, t("audit.filter")));
  filter.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = new URLSearchParams();
    if (kind.value) f.set("kind", kind.value);
    if (stat.value) f.set("status", stat.value);
    location.hash = "#/requests/" + encodeURIComponent(f.toString());
  });
  const aq = new URLSearchParams({ limit: "100" });
  if (q.get("kind")) aq.set("kind", q.get("kind"));
  if (q.get("status")) aq.set("status", q.get("status"));
  const [reqs, cap] = await Promise.all([api("GET", `/v1/provider/requests?${aq}`), api("GET", "/v1/provider/capacity").catch(() => null)]);
  const st = status("requests-status");
  const box = h("div", { id: "request-answer-box" });
  const rows = reqs.items.map((r) => {
    const next = (NEXT[r.kind] || {})[r.status] || [];
    const open = next.length ? action("answer-" + r.id, t("requests.answer"), st, async () => {
      const to = select("answer-status", next.map((s) => [s, tv("reqstatus", s)]), next[0]);
      const msg = field("answer-message", t("requests.message"), { tag: "textarea", rows: "3", maxlength: "4000" });
      box.replaceChildren(simpleForm("request-answer", t("requests.answer_of", { about: about(r) }),
        [h("p", { class: "body" }, r.kind === "fraud" ? description(r) : r.description || r.note || ""), timeline("answer-timeline", r),
          h("label", { for: "answer-status" }, t("requests.next"), to), msg.label, h("p", { class: "muted" }, t("requests.message_hint"))],
        t("requests.answer_submit"), async () => {
          const body = { status: to.value };
          if (msg.input.value.trim()) body.message = msg.input.value.trim();
          await api("POST", `/v1/provider/requests/${r.id}/answer`, body);
          await ctx.rerender();
          flash("requests-status", t("requests.answered", { status: tv("reqstatus", body.status) }));
        }));
      document.getElementById("answer-status").focus();
    }) : "";
    return [fmtDate(r.created_at), h("span", { class: "code" }, r.account_id), tv("reqkind", r.kind), about(r),
      h("span", { class: "request-status" }, tv("reqstatus", r.status)), open];
  });
  const items = [h("h1", {}, t("requests.title")), filter, st.node,
    tableOr("requests", t("requests.title"), [t("fax.date"), t("inventory.account"), t("requests.kind"), t("requests.about"), t("users.status"), ""],
      rows, t("requests.none")), box];
  if (cap) {
    const total = cap.capacity_calls === null ? t("requests.unbounded") : fmtNumber(cap.capacity_calls);
    const frows = cap.forecasts.map((f) => [h("span", { class: "code" }, f.account_id), about(f), tv("reqstatus", f.status),
      fmtNumber(f.overlapping_calls || 0), f.exceeds_capacity ? h("strong", { class: "capacity-exceeded" }, t("requests.exceeded")) : t("requests.within")]);
    items.push(h("h2", {}, t("requests.capacity")), h("p", { id: "capacity-total" }, t("requests.capacity_total", { calls: total })),
      table("capacity-trunks", t("requests.capacity_trunks"), [t("trunks.name"), t("requests.max_calls")],
        cap.trunks.map((x) => [x.name || x.id, x.max_calls === null || x.max_calls === undefined ? t("requests.unbounded") : fmtNumber(x.max_calls)])),
      tableOr("capacity-forecasts", t("requests.capacity_forecasts"), [t("inventory.account"), t("requests.about"), t("users.status"),
        t("requests.overlapping"), ""], frows, t("requests.no_forecast")));
  }
  return items;
}

// ---- consents given by a signed letter, reviewed by an operator ----

export async function lettersPage(ctx) {
  const review = ["pending_review", "approved", "rejected"].includes(ctx.params[0]) ? ctx.params[0] : "pending_review";
  const list = await api("GET", `/v1/provider/consents?review=${review}`);
  const st = status("letters-status");
  const tabs = h("p", { class: "actions", id: "letters-tabs" }, ...["pending_review", "approved", "rejected"].map((r) => {
    const a = h("a", { href: "#/letters/" + r, id: "letters-" + r }, tv("letter", r));
    if (r === review) a.setAttribute("aria-current", "page");
    return a;
  }));
  const box = h("div", { id: "letter-review-box" });
  const rows = list.items.map((c) => {
    const acts = h("div", { class: "actions" },
      action("letter-pdf-" + c.id, t("letters.pdf"), st, async () => {
        download(await apiBlob(`/v1/provider/consents/${c.id}/letter`, "application/pdf"), `consent-${c.id}.pdf`);
      }));
    if (review === "pending_review")
      acts.append(action("letter-review-" + c.id, t("letters.review"), st, async () => {
        const dec = select("letter-decision", [["approve", t("letters.approve")], ["reject", t("letters.reject")]], "approve");
        const reason = field("letter-reason", t("access.reason"), { type: "text", required: "", maxlength: "500" });
        box.replaceChildren(simpleForm("letter-review", t("letters.review_of", { account: c.account_id }),
          [h("label", { for: "letter-decision" }, t("letters.decision"), dec), reason.label], t("letters.review_submit"), async (fst) => {
            if (!reason.input.value.trim()) { fst.fail(t("letters.reason_needed")); return; }
            await api("POST", `/v1/provider/consents/${c.id}/review`, { decision: dec.value, reason: reason.input.value.trim() });
            await ctx.rerender();
            flash("letters-status", t(dec.value === "approve" ? "letters.approved" : "letters.rejected"));
          }));
        document.getElementById("letter-decision").focus();
      }));
    const scope = c.scope === "full" ? t("letters.full") : (c.permissions || []).join(", ");
    return [h("span", { class: "code" }, c.account_id), h("span", { class: "code" }, c.partner_id), scope,
      `${fmtDate(c.starts_at)} – ${fmtDate(c.expires_at)}`, fmtDate(c.created_at),
      c.review && c.review.reason ? c.review.reason : "", acts];
  });
  return [h("h1", {}, t("letters.title")), h("p", {}, t("letters.intro")), tabs, st.node,
    tableOr("letters", t("letters.title"), [t("inventory.account"), t("letters.partner"), t("letters.scope"), t("letters.window"),
      t("letters.received"), t("access.reason"), ""], rows, t("letters.none")), box];
}

// ---- invoicing of postpaid accounts ----

export async function invoicingPage(ctx) {
  const prev = new Date();
  prev.setUTCDate(1);
  prev.setUTCMonth(prev.getUTCMonth() - 1);
  const period = field("run-period", t("invoicing.period"), { type: "month", required: "", value: prev.toISOString().slice(0, 7) });
  const run = simpleForm("invoice-run", t("invoicing.run"), [period.label, h("p", { class: "muted" }, t("invoicing.run_hint"))],
    t("invoicing.run_submit"), async (st) => {
      const r = await api("POST", "/v1/provider/invoice-runs", { period: period.input.value });
      st.ok(t("invoicing.ran", { period: r.period, n: fmtNumber(r.issued) }));
    });
  const accounts = await api("GET", "/v1/accounts?limit=200");
  const acc = select("pay-account", accounts.items.map((a) => [a.id, `${a.name} (${a.id})`]), "");
  const inv = field("pay-invoice", t("invoicing.invoice_id"), { type: "text", required: "", placeholder: "inv_…" });
  const amount = field("pay-amount", t("invoicing.amount"), { type: "number", min: "1", required: "" });
  const ref = field("pay-reference", t("invoicing.reference"), { type: "text", required: "", maxlength: "200" });
  const pay = simpleForm("invoice-payment", t("invoicing.payment"), [h("label", { for: "pay-account" }, t("inventory.account"), acc),
    inv.label, amount.label, h("p", { class: "muted" }, t("invoicing.amount_hint")), ref.label], t("invoicing.payment_submit"), async (st) => {
    const r = await api("POST", `/v1/provider/accounts/${acc.value}/invoices/${encodeURIComponent(inv.input.value.trim())}/payments`,
      { amount_minor: +amount.input.value, reference: ref.input.value.trim() });
    st.ok(t("invoicing.paid", { status: tv("invoice", r.invoice.status), due: fmtMoney(r.invoice.due_minor, r.invoice.currency) }));
  });
  return [h("h1", {}, t("invoicing.title")), h("p", {}, t("invoicing.intro")), run, pay];
}
