// Element building without HTML parsing: children are nodes or text.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const c of children) {
    if (c === null || c === undefined) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Puts the page's nodes in root; a null or undefined entry (a part the
// page leaves out) is skipped, not shown as text.
export function mount(root, nodes) {
  root.replaceChildren(...nodes.filter((n) => n !== null && n !== undefined));
}

// A labelled input: <label for=id>text<input id=id …></label>.
export function field(id, text, attrs) {
  const input = h(attrs && attrs.tag ? attrs.tag : "input", Object.assign({ id, name: id }, attrs || {}));
  if (attrs && attrs.tag) input.removeAttribute("tag");
  return { label: h("label", { for: id }, text, input), input };
}

// A <select> of [value, text] pairs.
export function select(id, options, value) {
  const s = h("select", { id, name: id });
  for (const [v, text] of options) {
    const o = h("option", { value: v }, text);
    if (v === value) o.selected = true;
    s.append(o);
  }
  return s;
}

// A table: headers (texts), rows (arrays of nodes or texts); a caption
// for screen readers, which also names its scrolling box.
export function table(id, caption, headers, rows) {
  const head = h("tr", {}, ...headers.map((x) => h("th", { scope: "col" }, x)));
  const body = rows.map((r) => h("tr", {}, ...r.map((c) => h("td", {}, c))));
  // The box scrolls a wide table on a narrow screen: reachable by keyboard.
  return h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": caption },
    h("table", { id }, h("caption", { class: "sr-only" }, caption), h("thead", {}, head), h("tbody", {}, ...body)));
}

// A message area for a form's outcome: ok(text) / fail(text).
export function status(id) {
  const p = h("p", { id, role: "status", class: "status" });
  return {
    node: p,
    ok(text) { p.className = "status ok"; p.textContent = text; },
    fail(text) { p.className = "status error"; p.setAttribute("role", "alert"); p.textContent = text; },
    clear() { p.className = "status"; p.textContent = ""; },
  };
}

// table(...) of the rows, or when there is none the paragraph "id-none"
// saying so.
export function tableOr(id, caption, headers, rows, noneText) {
  return rows.length ? table(id + "-table", caption, headers, rows) : h("p", { id: id + "-none" }, noneText);
}
