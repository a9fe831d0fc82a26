// Faxes: send (files by picker or drag and drop, recipients, cover page),
// outbox and inbox with status, one fax with its pages, PDF and resend.
import { api, apiBlob } from "../api.js";
import { t, tv, fmtDate, fmtNumber, fmtMoney } from "../i18n.js";
import { h, field, select, table, status } from "../dom.js";
import { errorText, can, dataUrl, download, oneOrNotFound, action, askButton } from "./common.js";

export function sendPage(ctx) {
  const files = field("fax-files", t("send.files"), { type: "file", multiple: "", accept: ".pdf,.txt,.tif,.tiff,.png,.jpg,.jpeg,application/pdf,text/plain,image/*", required: "" });
  const chosen = [];
  const listNode = h("ul", { id: "fax-file-list" });
  const show = () => listNode.replaceChildren(...chosen.map((f) => h("li", {}, f.name)));
  files.input.addEventListener("change", () => { chosen.push(...files.input.files); files.input.value = ""; show(); });
  const drop = h("div", { class: "drop", id: "fax-drop", tabindex: "-1" }, t("send.drop"), listNode);
  drop.addEventListener("dragover", (ev) => { ev.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (ev) => { ev.preventDefault(); drop.classList.remove("over"); chosen.push(...ev.dataTransfer.files); show(); });
  const to = field("fax-to", t("send.to"), { type: "text", inputmode: "tel", required: "", placeholder: "+15555550102" });
  const subject = field("fax-subject", t("send.cover_subject"), { type: "text" });
  const cover = field("fax-cover", t("send.cover_text"), { tag: "textarea", rows: "3" });
  // A later time leaves the fax queued until then: its rendered pages and
  // estimated cost can be checked first, and the fax cancelled.
  const when = field("fax-send-at", t("send.at"), { type: "datetime-local" });
  const st = status("send-status");
  // The cost estimate: the service renders the documents as the send would
  // (cover page included) and prices each recipient; nothing is sent.
  const quoteBtn = h("button", { type: "button", class: "secondary", id: "fax-quote" }, t("quote.button"));
  const quoteOut = h("div", { id: "fax-quote-result", "aria-live": "polite" });
  const form = h("form", { id: "fax-send", novalidate: "" }, files.label, drop, to.label,
    h("p", { class: "muted" }, t("send.to_hint")), subject.label, cover.label, when.label,
    h("p", { class: "muted" }, t("send.at_hint")),
    h("div", { class: "actions" }, quoteBtn, h("button", { type: "submit" }, t("send.submit"))), quoteOut, st.node);
  const formData = (withFiles) => {
    const fd = new FormData();
    if (withFiles) for (const f of chosen) fd.append("file", f, f.name);
    for (const n of to.input.value.split(/[\s,;]+/).filter((x) => x)) fd.append("to", n);
    if (subject.input.value.trim()) fd.append("cover_subject", subject.input.value.trim());
    if (cover.input.value.trim()) fd.append("cover_text", cover.input.value.trim());
    return fd;
  };
  quoteBtn.addEventListener("click", async () => {
    st.clear();
    quoteOut.replaceChildren();
    if (!chosen.length) { st.fail(t("send.no_file")); return; }
    try {
      let q = await api("POST", "/v1/faxes/quote", formData(true));
      // Documents are rendered and priced by the server's queue: the quote
      // is read again until it is ready.
      while (q.status === "rendering") {
        await new Promise((r) => setTimeout(r, 500));
        q = await api("GET", "/v1/faxes/quotes/" + encodeURIComponent(q.id));
      }
      if (q.status === "failed") { st.fail((q.problem && q.problem.detail) || ""); return; }
      const rows = q.items.map((i) => [i.to, i.reachable ? fmtMoney(i.price_per_page, i.currency) : t("quote.unreachable"),
        fmtNumber(i.pages), fmtMoney(i.amount, i.currency)]);
      quoteOut.replaceChildren(h("h2", {}, t("quote.title")),
        h("p", { id: "fax-quote-pages" }, t("quote.pages", { n: fmtNumber(q.pages) })),
        table("fax-quote-table", t("quote.title"), [t("fax.to"), t("quote.rate"), t("fax.pages"), t("quote.amount")], rows),
        h("p", { id: "fax-quote-total" }, t("quote.total", { amount: fmtMoney(q.total, q.currency) })),
        q.plan === "prepaid" ? h("p", { id: "fax-quote-balance" }, t("quote.balance", { amount: fmtMoney(q.available_minor, q.currency) })) : null,
        q.allowed ? h("p", { id: "fax-quote-allowed", class: "status ok" }, t("quote.allowed"))
          : h("p", { id: "fax-quote-refused", class: "status error", role: "alert" }, t("quote.refused", { reason: (q.refusal && q.refusal.detail) || "" })));
    } catch (e) { st.fail(errorText(e)); }
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    st.clear();
    if (!chosen.length) { st.fail(t("send.no_file")); return; }
    const fd = formData(true);
    if (when.input.value) fd.append("send_at", new Date(when.input.value).toISOString());
    try {
      const r = await api("POST", "/v1/faxes", fd);
      const first = r.items && r.items[0];
      location.hash = first ? "#/fax/" + first.id : "#/outbox";
    } catch (e) { st.fail(errorText(e)); }
  });
  return [h("h1", {}, t("send.title")), form];
}

function faxLink(f) {
  return h("a", { href: "#/fax/" + f.id }, f.id);
}

// The statuses a fax of a direction may have.
const STATUSES = {
  outbound: ["queued", "rendering", "sending", "delivered", "partial", "failed", "cancelled"],
  inbound: ["received", "partial", "failed"],
};

// Outbox or inbox, with filters kept in the address (#/outbox/QUERY): the
// service searches every fax (q: digits of the other party's number, the
// fax's id or its cover subject; status; the days), a page at a time.
async function listPage(ctx, direction) {
  const page = direction === "inbound" ? "inbox" : "outbox";
  const q = new URLSearchParams(ctx.params[0] || "");
  const aq = new URLSearchParams({ direction, limit: "50" });
  if (STATUSES[direction].includes(q.get("status"))) aq.set("status", q.get("status"));
  if ((q.get("q") || "").trim()) aq.set("q", q.get("q").trim());
  const day = (s, end) => (/^\d{4}-\d{2}-\d{2}$/.test(s || "") ? new Date(s + (end ? "T23:59:59.999" : "T00:00:00")).toISOString() : null);
  if (day(q.get("since"), false)) aq.set("since", day(q.get("since"), false));
  if (day(q.get("until"), true)) aq.set("until", day(q.get("until"), true));
  const list = await api("GET", `/v1/faxes?${aq}`);
  const title = t(direction === "inbound" ? "inbox.title" : "outbox.title");
  const other = (f) => (direction === "inbound" ? f.from : f.to) || "";
  const search = field(page + "-q", t("faxlist.search"), { type: "search", value: q.get("q") || "", placeholder: "+1555…", maxlength: "100" });
  const stat = select(page + "-status", [["", t("requests.any")], ...STATUSES[direction].map((s) => [s, tv("fax.status", s)])], q.get("status") || "");
  const from = field(page + "-since", t("audit.since"), { type: "date", value: q.get("since") || "" });
  const to = field(page + "-until", t("audit.until"), { type: "date", value: q.get("until") || "" });
  const form = h("form", { id: page + "-filter", class: "filters", role: "search", novalidate: "" }, search.label,
    h("label", { for: page + "-status" }, t("fax.status"), stat), from.label, to.label, h("button", { type: "submit" }, t("audit.filter")));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = new URLSearchParams();
    for (const [k, v] of [["q", search.input.value.trim()], ["status", stat.value], ["since", from.input.value], ["until", to.input.value]])
      if (v) f.set(k, v);
    location.hash = `#/${page}/` + encodeURIComponent(f.toString());
  });
  const filtered = [...q.keys()].length > 0;
  const row = (f) => [faxLink(f), other(f), tv("fax.status", f.status), fmtNumber(f.page_count || 0), fmtDate(f.created_at)];
  if (!list.items.length)
    return [h("h1", {}, title), form, h("p", { id: direction + "-none" }, t(filtered ? "faxlist.none" : "fax.none")),
      filtered ? h("p", {}, h("a", { href: "#/" + page, id: page + "-clear" }, t("faxlist.clear"))) : null];
  const tbl = table(direction + "-table", title, [t("fax.id"), t(direction === "inbound" ? "fax.from" : "fax.to"),
    t("fax.status"), t("fax.pages"), t("fax.date")], list.items.map(row));
  const tbody = tbl.querySelector("tbody");
  // The next page of the same search, added below.
  let cursor = list.next_cursor;
  const more = h("button", { type: "button", class: "secondary", id: page + "-more" }, t("faxlist.more"));
  const st = status(page + "-more-status");
  more.hidden = !cursor;
  more.addEventListener("click", async () => {
    try {
      aq.set("cursor", cursor);
      const next = await api("GET", `/v1/faxes?${aq}`);
      for (const f of next.items) tbody.append(h("tr", {}, ...row(f).map((c) => h("td", {}, c))));
      cursor = next.next_cursor;
      more.hidden = !cursor;
    } catch (e) { st.fail(errorText(e)); }
  });
  return [h("h1", {}, title), form,
    filtered ? h("p", { id: page + "-count", role: "status" }, t("faxlist.filtered"), " ",
      h("a", { href: "#/" + page, id: page + "-clear" }, t("faxlist.clear"))) : null,
    tbl, more, st.node];
}

export function outboxPage(ctx) { return listPage(ctx, "outbound"); }
export function inboxPage(ctx) { return listPage(ctx, "inbound"); }

export async function faxPage(ctx) {
  const id = ctx.params[0];
  const got = await oneOrNotFound("/v1/faxes/" + encodeURIComponent(id), "fax", t("fax.title"), t("fax.notfound"));
  if (!got.obj) return got.nodes;
  const f = got.obj;
  const st = status("fax-action-status");
  const dl = [[t("fax.status"), h("span", { id: "fax-status" }, tv("fax.status", f.status))],
    [t("fax.from"), f.from || ""], [t("fax.to"), f.to || ""],
    [t("fax.pages"), h("span", { id: "fax-pages" }, t("fax.pages_confirmed", { confirmed: fmtNumber(f.pages_confirmed || 0), total: fmtNumber(f.page_count || 0) }))],
    [t("fax.date"), fmtDate(f.created_at)]];
  if (f.failure_reason) dl.push([t("fax.failure"), f.failure_reason]);
  if (f.status === "queued" && f.send_at) dl.push([t("fax.send_at"), h("span", { id: "fax-send-at" }, fmtDate(f.send_at))]);
  if (f.direction === "outbound" && f.currency) {
    const cost = f.cost === null || f.cost === undefined ? f.estimated_cost : f.cost;
    dl.push([t(f.cost === null || f.cost === undefined ? "fax.estimated_cost" : "fax.cost"), h("span", { id: "fax-cost" }, fmtMoney(cost || 0, f.currency))]);
  }
  // A legal hold keeps the fax from deletion, retention included.
  if (f.legal_hold && f.legal_hold.held) dl.push([t("retention.hold_title"), h("span", { id: "fax-hold" }, f.legal_hold.reason || "")]);
  const items = [h("h1", {}, t("fax.title")), h("dl", { class: "facts" }, ...dl.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]))];
  const actions = h("div", { class: "actions" });
  const pdf = h("button", { type: "button", id: "fax-pdf" }, t("fax.pdf"));
  pdf.addEventListener("click", async () => {
    try {
      const blob = await apiBlob(`/v1/faxes/${f.id}/document`, "application/pdf");
      download(blob, f.id + ".pdf");
    } catch (e) { st.fail(errorText(e)); }
  });
  if (f.status !== "rendering") actions.append(pdf);
  if (f.direction === "outbound" && can(ctx.me, "fax.send") && ["failed", "partial", "delivered", "cancelled"].includes(f.status)) {
    const again = h("button", { type: "button", class: "secondary", id: "fax-resend" }, t("fax.resend"));
    again.addEventListener("click", async () => {
      try { const r = await api("POST", `/v1/faxes/${f.id}/resend`, {}); location.hash = "#/fax/" + ((r.items && r.items[0]) ? r.items[0].id : r.id); }
      catch (e) { st.fail(errorText(e)); }
    });
    actions.append(again);
  }
  if (f.direction === "outbound" && can(ctx.me, "fax.send") && ["rendering", "queued", "sending"].includes(f.status)) {
    const stop = h("button", { type: "button", class: "secondary", id: "fax-cancel" }, t("fax.cancel"));
    stop.addEventListener("click", async () => {
      if (!confirm(t("fax.cancel_confirm"))) return;
      try { await api("POST", `/v1/faxes/${f.id}/cancel`); await ctx.rerender(); } catch (e) { st.fail(errorText(e)); }
    });
    actions.append(stop);
  }
  if (can(ctx.me, "security.manage") && ctx.me.account_id) {
    const path = `/v1/accounts/${ctx.me.account_id}/faxes/${f.id}/legal-hold`;
    const held = f.legal_hold && f.legal_hold.held;
    actions.append(held ? action("fax-hold-toggle", t("fax.hold_lift"), st, async () => { await api("DELETE", path); await ctx.rerender(); })
      : askButton("fax-hold-toggle", t("fax.hold"), st, { label: t("fax.hold_prompt"), submit: t("fax.hold"), attrs: { maxlength: "200" } },
        async (reason) => { await api("PUT", path, { reason }); await ctx.rerender(); }));
  }
  items.push(actions, st.node);
  // Page thumbnails (each an audited read), at most the first 6.
  const thumbs = h("div", { class: "thumbs", id: "fax-thumbs" });
  items.push(thumbs);
  const n = Math.min(f.page_count || 0, 6);
  if (f.status !== "rendering")
    for (let p = 1; p <= n; p++) {
      apiBlob(`/v1/faxes/${f.id}/pages/${p}.png`, "image/png").then(dataUrl).then((src) => {
        const img = h("img", { alt: t("fax.page_alt", { n: p }), class: "thumb", src });
        thumbs.append(img);
      }).catch(() => {});
    }
  // While it is on its way, the status is read again every few seconds.
  const later = f.status === "queued" && f.send_at && Date.parse(f.send_at) > Date.now() + 60000;
  if (["queued", "rendering", "sending"].includes(f.status) && !later)
    ctx.later(() => ctx.rerender(), 3000);
  return items;
}
