// SafeBoxes: secure exchanges of messages and files with guests and
// colleagues. The list (the boxes one owns or takes part in; every box of
// the account with data.read), a new box, and one box with its
// participants, messages, files and events. Its owner closes it, extends
// it, revokes a participant or deletes it; the service decides.
import { api, apiBlob } from "../api.js";
import { t, tv, fmtDate, fmtNumber } from "../i18n.js";
import { h, field, table, tableOr, status } from "../dom.js";
import { can, action, simpleForm, download, oneOrNotFound } from "./common.js";

export async function safeboxesPage(ctx) {
  const list = await api("GET", "/v1/safeboxes?limit=200");
  const rows = list.items.map((b) => [h("a", { href: "#/safebox/" + b.id }, b.subject), h("span", { class: "sbx-status" }, tv("safebox", b.status)),
    fmtDate(b.expires_at), fmtDate(b.created_at)]);
  const items = [h("h1", {}, t("safebox.title")), h("p", {}, t("safebox.intro")),
    tableOr("safeboxes", t("safebox.title"), [t("safebox.subject"), t("users.status"), t("safebox.expires"), t("webhooks.created")], rows, t("safebox.none"))];
  if (can(ctx.me, "safebox.use")) {
    const subject = field("sbx-subject", t("safebox.subject"), { type: "text", required: "", maxlength: "200" });
    const who = field("sbx-participants", t("safebox.participants_field"), { tag: "textarea", rows: "2", required: "" });
    const msg = field("sbx-message", t("safebox.first_message"), { tag: "textarea", rows: "3" });
    const until = field("sbx-expires", t("safebox.expires_field"), { type: "date" });
    items.push(simpleForm("safebox-create", t("safebox.create"), [subject.label, who.label, msg.label, until.label],
      t("safebox.create_submit"), async () => {
        const body = { subject: subject.input.value.trim(),
          participants: who.input.value.split(/[\s,;]+/).filter((x) => x).map((email) => ({ email })) };
        if (msg.input.value.trim()) body.message = msg.input.value;
        if (until.input.value) body.expires_at = until.input.value + "T23:59:59.000Z";
        const b = await api("POST", "/v1/safeboxes", body);
        location.hash = "#/safebox/" + b.id;
      }));
  }
  return items;
}

// Who did something: a member's or guest's address, else the id.
const who = (a) => (a ? a.email || a.name || a.id || a.type || "" : "");

export async function safeboxPage(ctx) {
  const id = ctx.params[0];
  const got = await oneOrNotFound("/v1/safeboxes/" + encodeURIComponent(id), "safebox", t("safebox.title"), t("safebox.notfound"));
  if (!got.obj) return got.nodes;
  const b = got.obj;
  const owner = b.owner_id === ctx.me.id;
  const open = b.status === "open";
  const st = status("safebox-status");
  const facts = [[t("safebox.subject"), b.subject], [t("users.status"), h("span", { id: "safebox-state" }, tv("safebox", b.status))],
    [t("safebox.expires"), fmtDate(b.expires_at)], [t("webhooks.created"), fmtDate(b.created_at)]];
  if (b.legal_hold && b.legal_hold.held) facts.push([t("retention.hold_title"), b.legal_hold.reason || ""]);
  const items = [h("h1", {}, b.subject), h("dl", { class: "facts" }, ...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]))];
  const acts = h("div", { class: "actions" });
  if (owner && open) {
    acts.append(action("safebox-close", t("safebox.close"), st, async () => {
      if (!confirm(t("safebox.close_confirm"))) return;
      await api("POST", `/v1/safeboxes/${b.id}/close`);
      await ctx.rerender();
    }));
    const ext = h("input", { type: "date", id: "safebox-extend-date", "aria-label": t("safebox.extend_to") });
    acts.append(ext, action("safebox-extend", t("safebox.extend"), st, async () => {
      if (!ext.value) return;
      await api("POST", `/v1/safeboxes/${b.id}/extend`, { expires_at: ext.value + "T23:59:59.000Z" });
      await ctx.rerender();
    }));
  }
  if (owner || can(ctx.me, "data.read"))
    acts.append(action("safebox-delete", t("safebox.delete"), st, async () => {
      if (!confirm(t("safebox.delete_confirm"))) return;
      await api("DELETE", `/v1/safeboxes/${b.id}`);
      location.hash = "#/safeboxes";
    }));
  items.push(acts, st.node);
  // Participants.
  const prow = b.participants.map((p) => [p.email, tv("participant.kind", p.kind), h("span", { class: "participant-status" }, tv("participant", p.status)),
    owner && p.status !== "revoked" ? action("revoke-" + p.id, t("access.revoke"), st, async () => {
      if (!confirm(t("safebox.revoke_confirm", { email: p.email }))) return;
      await api("DELETE", `/v1/safeboxes/${b.id}/participants/${p.id}`);
      await ctx.rerender();
    }) : ""]);
  items.push(h("h2", {}, t("safebox.participants")),
    table("participants-table", t("safebox.participants"), [t("users.email"), t("safebox.kind"), t("users.status"), ""], prow));
  // Messages, then files.
  items.push(h("h2", {}, t("safebox.messages")), b.messages.length
    ? h("ol", { id: "safebox-messages", class: "messages" }, ...b.messages.map((m) => h("li", {},
      h("p", { class: "muted" }, t("safebox.message_by", { who: who(m.author), date: fmtDate(m.created_at) })), h("p", { class: "body" }, m.body || ""))))
    : h("p", { id: "safebox-messages-none" }, t("safebox.no_message")));
  if (open && can(ctx.me, "safebox.use")) {
    const msg = field("sbx-reply", t("safebox.reply"), { tag: "textarea", rows: "3", required: "" });
    items.push(simpleForm("safebox-post", null, [msg.label], t("safebox.post"), async () => {
      await api("POST", `/v1/safeboxes/${b.id}/messages`, { message: msg.input.value });
      await ctx.rerender();
    }));
  }
  const frow = b.files.map((f) => [f.filename, fmtNumber(f.size), who(f.author), fmtDate(f.created_at),
    action("download-" + f.id, t("safebox.download"), st, async () => {
      download(await apiBlob(`/v1/safeboxes/${b.id}/files/${f.id}`, "application/octet-stream"), f.filename);
    })]);
  items.push(h("h2", {}, t("safebox.files")),
    tableOr("safebox-files", t("safebox.files"), [t("safebox.filename"), t("safebox.size"), t("safebox.author"), t("webhooks.created"), ""], frow, t("safebox.no_file")));
  if (open && can(ctx.me, "safebox.use")) {
    const file = field("sbx-file", t("safebox.file"), { type: "file", required: "" });
    items.push(simpleForm("safebox-upload", null, [file.label], t("safebox.upload"), async (fst) => {
      if (!file.input.files.length) { fst.fail(t("send.no_file")); return; }
      const fd = new FormData();
      fd.append("file", file.input.files[0], file.input.files[0].name);
      await api("POST", `/v1/safeboxes/${b.id}/files`, fd);
      await ctx.rerender();
    }));
  }
  // What happened to the box, newest first.
  const erow = [...b.events].reverse().slice(0, 100).map((e) => [fmtDate(e.at), e.type, who(e.actor)]);
  items.push(h("h2", {}, t("safebox.events")),
    tableOr("safebox-events", t("safebox.events"), [t("audit.time"), t("audit.action"), t("audit.actor")], erow, t("audit.none")));
  return items;
}

