// The /docs page: renders this server's /openapi.json for people (routes, what each takes and
// answers, an example request with curl). No third-party code; works offline.
"use strict";

const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const c of children) e.append(c);
  return e;
};

// Follows a local "$ref" ("#/components/schemas/X") within the document.
function resolveRef(doc, obj) {
  let seen = 0;
  while (obj && obj.$ref && seen++ < 16) {
    obj = obj.$ref.replace(/^#\//, "").split("/").reduce((o, k) => (o ? o[k] : undefined), doc);
  }
  return obj || {};
}

function typeName(doc, schema) {
  schema = resolveRef(doc, schema);
  if (schema.oneOf) return schema.oneOf.map((s) => typeName(doc, s)).join(" | ");
  if (Array.isArray(schema.type)) return schema.type.join(" | ");
  if (schema.type === "array") return "list of " + typeName(doc, schema.items || {});
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  return schema.type || "object";
}

// A table of an object schema's fields: name, type, default, what it means.
function fieldsTable(doc, schema) {
  schema = resolveRef(doc, schema);
  const props = schema.properties || {};
  const names = Object.keys(props);
  if (!names.length) return el("p", { className: "muted", textContent: typeName(doc, schema) });
  const required = new Set(schema.required || []);
  const table = el("table");
  table.append(el("thead", {}, el("tr", {}, ...["Field", "Type", "Default", "Meaning"].map((h) => el("th", { scope: "col", textContent: h })))));
  const body = el("tbody");
  for (const n of names) {
    const p = resolveRef(doc, props[n]);
    body.append(el("tr", {},
      el("td", {}, el("code", { textContent: n + (required.has(n) ? " *" : "") })),
      el("td", { textContent: typeName(doc, p) }),
      el("td", { textContent: p.default === undefined ? "" : JSON.stringify(p.default) }),
      el("td", { className: "text", textContent: p.description || "" })));
  }
  table.append(body);
  return el("div", { className: "table-wrap" }, table);
}

function exampleOf(doc, content) {
  if (!content) return undefined;
  if (content.example !== undefined) return content.example;
  const schema = resolveRef(doc, content.schema);
  if (schema.example !== undefined) return schema.example;
  if (schema.properties && schema.properties.inputs) return { inputs: "A moving film with wonderful performances." };
  return undefined;
}

function route(doc, path, method, op) {
  const sec = el("section", { className: "panel wide", id: (method + path).replace(/[^a-z0-9]+/gi, "-") });
  sec.append(el("h2", {}, el("code", { textContent: method.toUpperCase() + " " + path })));
  if (op.summary) sec.append(el("p", { textContent: op.summary }));
  if (op.description) sec.append(el("p", { className: "muted", textContent: op.description }));
  const json = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
  if (json) {
    sec.append(el("h3", { textContent: "Request body (JSON)" }), fieldsTable(doc, json.schema));
    const ex = exampleOf(doc, json);
    if (ex !== undefined) {
      const cmd = "curl -s " + location.origin + path + " -H 'Content-Type: application/json' \\\n  -d '" +
        JSON.stringify(ex).replace(/'/g, "'\\''") + "'";
      sec.append(el("h3", { textContent: "Example" }), el("pre", {}, el("code", { textContent: cmd })));
    }
  } else if (method === "get") {
    sec.append(el("pre", {}, el("code", { textContent: "curl -s " + location.origin + path })));
  }
  const rows = Object.entries(op.responses || {}).map(([code, r]) => {
    r = resolveRef(doc, r);
    return el("tr", {}, el("td", {}, el("code", { textContent: code })), el("td", { className: "text", textContent: r.description || "" }));
  });
  if (rows.length) {
    const t = el("table", {}, el("thead", {}, el("tr", {}, el("th", { scope: "col", textContent: "Status" }), el("th", { scope: "col", textContent: "Meaning" }))), el("tbody", {}, ...rows));
    sec.append(el("h3", { textContent: "Answers" }), el("div", { className: "table-wrap" }, t));
  }
  return sec;
}

async function main() {
  const status = document.getElementById("docs-status");
  try {
    const doc = await (await fetch("/openapi.json")).json();
    const main = document.getElementById("docs");
    const toc = el("ul", { id: "docs-toc" });
    for (const [path, methods] of Object.entries(doc.paths || {})) {
      for (const [method, op] of Object.entries(methods)) {
        const sec = route(doc, path, method, op);
        toc.append(el("li", {}, el("a", { href: "#" + sec.id }, el("code", { textContent: method.toUpperCase() + " " + path })), " — " + (op.summary || "")));
        main.append(sec);
      }
    }
    main.prepend(el("section", { className: "panel wide" }, el("h2", { textContent: "Routes" }), toc));
    status.textContent = (doc.info && doc.info.title ? doc.info.title + " " + (doc.info.version || "") + ": " : "") +
      toc.children.length + " routes. Errors are {\"error\": message, \"error_type\": type}.";
  } catch (e) {
    status.textContent = "Cannot load /openapi.json: " + e.message;
  }
}

main();
