// The senti page: calls /api/predict and /api/flag on the server that served it; no
// third-party code, works offline.
"use strict";

const EXAMPLES = [
  "A moving, beautifully acted film. I was smiling through my tears at the end and would happily watch it again.",
  "Two hours of my life I will never get back. The plot makes no sense and the acting is wooden.",
  "The first half drags, but the final act is so clever and surprising that it redeems everything before it.",
  "I expected a masterpiece from this director and got a dull, lifeless mess with a few pretty shots.",
];

const $ = (id) => document.getElementById(id);
const state = { info: null, lastInput: null, lastOutput: null, batchRows: [] };

function apiKeyHeaders() {
  const key = $("api-key").value.trim();
  return key ? { Authorization: "Bearer " + key } : {};
}

// POST JSON; resolves to the parsed answer, rejects with a message a person can act on.
async function postJson(path, body) {
  let res;
  try {
    res = await fetch(path, {
      method: "POST",
      headers: Object.assign({ "Content-Type": "application/json" }, apiKeyHeaders()),
      body: JSON.stringify(body),
    });
  } catch (e) {
    throw new Error("Cannot reach the senti server at " + location.origin + ". Is it still running?");
  }
  let data = null;
  try { data = await res.json(); } catch (e) { /* not JSON */ }
  if (!res.ok) {
    if (res.status === 401) $("key-row").hidden = false;
    const msg = data && data.error ? data.error : "HTTP " + res.status;
    throw new Error(msg + " (HTTP " + res.status + ")");
  }
  return data;
}

function showError(message) {
  const el = $("error");
  el.textContent = message;
  el.hidden = !message;
}

function renderResult(labels) {
  const box = $("result");
  box.replaceChildren();
  const top = labels[0];
  const head = document.createElement("p");
  head.className = "top-label " + top.label;
  head.id = "top-label";
  head.textContent = top.label;
  const score = document.createElement("p");
  score.className = "top-score muted";
  score.textContent = "score " + top.score.toFixed(4);
  box.append(head, score);
  for (const { label, score: s } of labels) {
    const pct = (100 * s).toFixed(1);
    const bar = document.createElement("div");
    bar.className = "bar";
    const headRow = document.createElement("div");
    headRow.className = "bar-head";
    const name = document.createElement("span");
    name.textContent = label;
    const value = document.createElement("span");
    value.textContent = pct + " %";
    headRow.append(name, value);
    const track = document.createElement("div");
    track.className = "bar-track";
    track.setAttribute("role", "meter");
    track.setAttribute("aria-label", label + " confidence");
    track.setAttribute("aria-valuemin", "0");
    track.setAttribute("aria-valuemax", "100");
    track.setAttribute("aria-valuenow", pct);
    const fill = document.createElement("div");
    fill.className = "bar-fill " + label;
    fill.style.width = pct + "%";
    track.append(fill);
    bar.append(headRow, track);
    box.append(bar);
  }
}

async function submit() {
  const text = $("text").value;
  showError("");
  if (!text.trim()) {
    showError("The text is empty: type or paste a review first.");
    $("text").focus();
    return;
  }
  $("submit").disabled = true;
  $("submit").textContent = "Running…";
  const t0 = performance.now();
  try {
    const out = await postJson("/api/predict", { inputs: text, top_k: null });
    const ms = performance.now() - t0;
    renderResult(out);
    $("elapsed").textContent = "Elapsed: " + (ms / 1000).toFixed(3) + " s";
    state.lastInput = text;
    state.lastOutput = out;
    $("flag").disabled = false;
    $("flag-status").textContent = "";
  } catch (e) {
    showError(e.message);
  } finally {
    $("submit").disabled = false;
    $("submit").textContent = "Submit";
    updateCurl();
  }
}

function clearAll() {
  $("text").value = "";
  $("result").replaceChildren();
  const p = document.createElement("p");
  p.className = "muted";
  p.textContent = "The label and the confidence for each label appear here.";
  $("result").append(p);
  $("elapsed").textContent = "";
  $("flag").disabled = true;
  $("flag-status").textContent = "";
  showError("");
  state.lastInput = state.lastOutput = null;
  updateCurl();
  $("text").focus();
}

async function flag() {
  if (!state.lastInput) return;
  try {
    await postJson("/api/flag", { input: state.lastInput, output: state.lastOutput });
    $("flag-status").textContent = "Flagged: saved to the server's flag log.";
  } catch (e) {
    $("flag-status").textContent = "";
    showError("Could not flag: " + e.message);
  }
}

// --- batch mode -------------------------------------------------------------------------

// RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks.
function parseCsv(text) {
  const rows = [];
  let row = [], field = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(field); field = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field); rows.push(row); row = []; field = "";
    } else field += c;
  }
  if (field !== "" || row.length) { row.push(field); rows.push(row); }
  return rows;
}

function textsFromFile(name, content) {
  content = content.replace(/^\uFEFF/, "");
  if (!/\.csv$/i.test(name)) return content.split(/\r?\n/).filter((l) => l.trim());
  const rows = parseCsv(content).filter((r) => r.some((f) => f.trim()));
  if (!rows.length) return [];
  const header = rows[0].map((h) => h.trim().toLowerCase());
  let col = header.findIndex((h) => ["text", "review", "sentence", "input", "content"].includes(h));
  const hasHeader = col >= 0;
  if (!hasHeader) col = 0;
  return rows.slice(hasHeader ? 1 : 0).map((r) => (r[col] || "")).filter((t) => t.trim());
}

function csvField(v) {
  v = String(v);
  return /[",\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
}

async function runBatch() {
  const file = $("batch-file").files[0];
  if (!file) return;
  showError("");
  const texts = textsFromFile(file.name, await file.text());
  const tbody = $("batch-table").querySelector("tbody");
  tbody.replaceChildren();
  state.batchRows = [];
  $("batch-download").disabled = true;
  if (!texts.length) {
    $("batch-status").textContent = "No texts found in " + file.name + ".";
    return;
  }
  $("batch-run").disabled = true;
  const per = Math.max(1, Math.min(64, (state.info && state.info.max_client_batch_size) || 32));
  const t0 = performance.now();
  try {
    for (let i = 0; i < texts.length; i += per) {
      const chunk = texts.slice(i, i + per);
      $("batch-status").textContent = "Classifying " + Math.min(i + per, texts.length) + " / " + texts.length + "…";
      const out = await postJson("/api/predict", { inputs: chunk });
      out.forEach((r, j) => {
        const n = i + j + 1;
        state.batchRows.push([chunk[j], r.label, r.score]);
        const tr = document.createElement("tr");
        for (const [v, cls] of [[n, ""], [chunk[j], "text"], [r.label, ""], [r.score.toFixed(4), ""]]) {
          const td = document.createElement("td");
          if (cls) td.className = cls;
          td.textContent = v;
          tr.append(td);
        }
        tbody.append(tr);
      });
      $("batch-table").hidden = false;
    }
    const s = (performance.now() - t0) / 1000;
    $("batch-status").textContent = texts.length + " texts classified in " + s.toFixed(2) + " s.";
    $("batch-download").disabled = false;
  } catch (e) {
    $("batch-status").textContent = "";
    showError("Batch failed: " + e.message);
  } finally {
    $("batch-run").disabled = false;
  }
}

function downloadCsv() {
  const lines = ["text,label,score"].concat(state.batchRows.map((r) => r.map(csvField).join(",")));
  const blob = new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = "senti-results.csv";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// --- API panel ----------------------------------------------------------------------------

function shellQuote(s) { return "'" + s.replace(/'/g, "'\\''") + "'"; }

function updateCurl() {
  const text = $("text").value.trim() || EXAMPLES[0];
  const auth = state.info && state.info.auth ? " -H 'Authorization: Bearer $SENTI_API_KEY'" : "";
  const base = "curl -s " + location.origin;
  $("curl-pipeline").textContent = base + "/api/predict -H 'Content-Type: application/json'" + auth +
    " \\\n  -d " + shellQuote(JSON.stringify({ inputs: text, top_k: null }));
  $("curl-tei").textContent = base + "/predict -H 'Content-Type: application/json'" + auth +
    " \\\n  -d " + shellQuote(JSON.stringify({ inputs: text, truncate: true }));
}

async function copySnippet(ev) {
  const btn = ev.currentTarget;
  const text = $(btn.dataset.target).textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch (e) {  // no clipboard permission (plain http): select the text instead
    const range = document.createRange();
    range.selectNodeContents($(btn.dataset.target));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    document.execCommand && document.execCommand("copy");
  }
  btn.textContent = "Copied";
  setTimeout(() => (btn.textContent = "Copy"), 1500);
}

async function loadInfo() {
  try {
    const res = await fetch("/info");
    const info = await res.json();
    state.info = info;
    $("version").textContent = "senti " + info.version;
    if (info.auth) $("key-row").hidden = false;
    if (!info.ready) {
      $("model-info").textContent = "The model is loading…";
      setTimeout(loadInfo, 1000);
      return;
    }
    $("model-info").textContent = "Model " + info.model_id + " · labels " + info.labels.join(", ") + " · " +
      info.max_length + " tokens · " + info.dtype + " · " + (info.parameters / 1e6).toFixed(1) + " M parameters";
  } catch (e) {
    $("model-info").textContent = "Cannot reach the senti server at " + location.origin + ".";
    setTimeout(loadInfo, 3000);
  }
  updateCurl();
}

function init() {
  const list = $("examples");
  for (const ex of EXAMPLES) {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = ex;
    b.addEventListener("click", () => { $("text").value = ex; submit(); });
    li.append(b);
    list.append(li);
  }
  $("predict-form").addEventListener("submit", (e) => { e.preventDefault(); submit(); });
  $("text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit(); }
  });
  $("text").addEventListener("input", updateCurl);
  $("clear").addEventListener("click", clearAll);
  $("flag").addEventListener("click", flag);
  $("batch-file").addEventListener("change", () => { $("batch-run").disabled = !$("batch-file").files.length; });
  $("batch-run").addEventListener("click", runBatch);
  $("batch-download").addEventListener("click", downloadCsv);
  for (const b of document.querySelectorAll(".copy")) b.addEventListener("click", copySnippet);
  updateCurl();
  loadInfo();
}

init();
