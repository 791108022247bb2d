// The senti page: calls /api/predict, /api/explain and /api/flag on the server that served
// it; no third-party code, works offline.
"use strict";

const EXAMPLES = [
  "A moving, beautifully acted film. I was smiling through my tears at the end and would happily watch it again.",
  "Two hours of my life I will never get back. The plot makes no sense and the acting is wooden.",
  "The first half drags, but the final act is so clever and surprising that it redeems everything before it.",
  "I expected a masterpiece from this director and got a dull, lifeless mess with a few pretty shots.",
];

const $ = (id) => document.getElementById(id);
const state = { info: null, lastInput: null, lastOutput: null, batchRows: [], explainSeq: 0 };

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

// Errors are a toast at the bottom of the screen, seen wherever the reader has scrolled.
function showError(message) {
  $("error-text").textContent = message;
  $("error").hidden = !message;
}

// On a narrow screen the output sits below the input: bring it into view when it changes.
function revealOutput() {
  const r = $("output-panel").getBoundingClientRect();
  if (r.top < 0 || r.top > window.innerHeight - 240) $("output-panel").scrollIntoView({ block: "start" });
}

function resetOutput() {
  $("result").replaceChildren();
  const p = document.createElement("p");
  p.className = "muted";
  p.id = "placeholder";
  p.textContent = "The label and the confidence for each label appear here.";
  $("result").append(p);
  $("elapsed").textContent = "";
  $("flag").disabled = true;
  $("flag-status").textContent = "";
  state.explainSeq++;
  explainMessage("After a prediction, the review appears here with each word shaded by how much it pushed the model towards a label.");
  state.lastInput = state.lastOutput = null;
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
    revealOutput();
    if ($("explain-on").checked) explain(text, out[0].label);
  } catch (e) {
    resetOutput();  // the previous text's answer must not look like this one's
    showError(e.message);
  } finally {
    $("submit").disabled = false;
    $("submit").textContent = "Submit";
    updateCurl();
  }
}

// The label a word pushes towards, and the shading class for it: POSITIVE/NEGATIVE keep their
// colours whichever label is explained; other models shade "for" and "against" the label.
function towards(label, score) {
  const labels = (state.info && state.info.labels) || [];
  let target = label;
  if (score < 0) target = labels.length === 2 ? labels.find((l) => l !== label) : "not " + label;
  const cls = target === "NEGATIVE" || (target !== "POSITIVE" && score < 0) ? "towards-neg" : "towards-pos";
  return { target, cls };
}

function explainMessage(text) {
  const p = document.createElement("p");
  p.className = "muted";
  p.textContent = text;
  $("explanation").replaceChildren(p);
}

async function explain(text, label) {
  const seq = ++state.explainSeq;
  const method = $("explain-method").value;
  // A long explanation (integrated gradients on a long review takes seconds) shows that it is
  // still at work, and for how long.
  const names = { ig: "integrated gradients", gxi: "gradient × input", occlusion: "leaving one word out at a time" };
  const t0 = performance.now();
  const tick = () => {
    if (seq !== state.explainSeq) return clearInterval(timer);
    const s = (performance.now() - t0) / 1000;
    explainMessage("Explaining " + label + " by " + (names[method] || method) + "… " +
      (s >= 1 ? s.toFixed(0) + " s" : ""));
  };
  const timer = setInterval(tick, 1000);
  tick();
  try {
    const e = await postJson("/api/explain", { inputs: text, label, method });
    if (seq === state.explainSeq) renderExplanation(text, e);
  } catch (err) {
    if (seq === state.explainSeq) explainMessage("No explanation: " + err.message);
  } finally {
    clearInterval(timer);
  }
}

function fmtScore(v) { return (v >= 0 ? "+" : "−") + Math.abs(v).toFixed(2); }

function renderExplanation(text, e) {
  const box = $("explanation");
  box.replaceChildren();
  const maxAbs = Math.max(1e-12, ...e.words.map((w) => Math.abs(w.score)));
  // Legend.
  const legend = document.createElement("div");
  legend.className = "legend";
  legend.id = "explain-legend";
  for (const sign of [1, -1]) {
    const t = towards(e.label, sign);
    const item = document.createElement("span");
    const sw = document.createElement("span");
    sw.className = "swatch " + t.cls;
    item.append(sw, document.createTextNode("pushes towards " + t.target));
    legend.append(item);
  }
  const strength = document.createElement("span");
  strength.className = "muted";
  strength.textContent = "darker = stronger; scores in log-odds";
  legend.append(strength);
  // The text, words shaded; spans count code points, as the API does.
  const cps = Array.from(text);
  const para = document.createElement("p");
  para.className = "explained";
  para.id = "explained-text";
  let pos = 0;
  for (const w of e.words) {
    if (w.start > pos) para.append(document.createTextNode(cps.slice(pos, w.start).join("")));
    const weight = Math.abs(w.score) / maxAbs;
    const word = cps.slice(w.start, w.end).join("");
    if (weight < 0.05) {
      para.append(document.createTextNode(word));
    } else {
      const t = towards(e.label, w.score);
      const m = document.createElement("mark");
      m.className = "attr " + t.cls;
      m.style.setProperty("--w", weight.toFixed(3));
      m.textContent = word;
      const tip = fmtScore(w.score) + " towards " + t.target;
      m.dataset.score = fmtScore(w.score);
      m.title = word + ": " + fmtScore(w.score) + (w.score >= 0 ? " for " + e.label : " against " + e.label);
      m.setAttribute("aria-label", word + ", " + tip);
      if (weight >= 0.15) m.tabIndex = 0;  // strong words are keyboard-reachable
      para.append(m);
    }
    pos = w.end;
  }
  if (pos < cps.length) para.append(document.createTextNode(cps.slice(pos).join("")));
  // Summary: method, completeness, strongest words.
  const names = { ig: "Integrated gradients", gxi: "Gradient × input", occlusion: "Leave one word out" };
  let how = names[e.method] || e.method;
  if (e.method === "ig") how += ", " + e.steps + " steps, completeness gap " + (100 * e.relative_delta).toFixed(2) + " %";
  // Words only: punctuation keeps its shade in the text but is not listed.
  const words = e.words.filter((w) => /[\p{L}\p{N}]/u.test(w.word));
  const strongest = (sign) => words.filter((w) => sign * w.score > 0)
    .sort((a, b) => Math.abs(b.score) - Math.abs(a.score)).slice(0, 5)
    .map((w) => w.word + " " + fmtScore(w.score)).join(", ") || "none";
  // The starting point: what the model says with no words read, and where the words take it.
  const baseline = document.createElement("p");
  baseline.id = "explain-baseline";
  baseline.textContent = "With no words read: " + e.label + " " + (100 * e.baseline_score).toFixed(1) +
    " %; the words move it to " + (100 * e.score).toFixed(1) + " %.";
  const summary = document.createElement("p");
  summary.className = "muted";
  summary.id = "explain-summary";
  summary.textContent = "Explaining " + e.label + " (" + how + "). For " + e.label + ": " + strongest(1) +
    ". Against: " + strongest(-1) + "." +
    (e.truncated_tokens > 0 ? " " + e.truncated_tokens + " tokens in the middle were not read (truncation)." : "");
  box.append(legend, baseline, para, summary);
}

function clearAll() {
  $("text").value = "";
  resetOutput();
  showError("");
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

// Column names taken as the text column, as `senti train` reads datasets.
const TEXT_COLUMNS = ["text", "review", "sentence", "content", "comment", "body", "message"];

// The texts of an uploaded file: {texts} or {error}, or {columns} when a CSV's text column
// must be chosen (none has a known name). `column` is the chosen column's index.
function textsFromFile(name, content, column) {
  content = content.replace(/^\uFEFF/, "");
  if (!/\.csv$/i.test(name)) return { texts: content.split(/\r?\n/).filter((l) => l.trim()) };
  const rows = parseCsv(content).filter((r) => r.some((f) => f.trim()));
  if (!rows.length) return { error: name + " is empty." };
  const header = rows[0].map((h) => h.trim());
  if (rows.length === 1) return { error: name + " has only a header line (" + header.join(", ") + "): no texts to classify." };
  let col = column;
  if (col === undefined || col < 0 || col >= header.length) {
    col = header.findIndex((h) => TEXT_COLUMNS.includes(h.toLowerCase()));
    if (col < 0 && header.length === 1) col = 0;
    if (col < 0) return { columns: header };
  }
  return { texts: rows.slice(1).map((r) => (r[col] || "")).filter((t) => t.trim()), column: header[col] };
}

function csvField(v) {
  v = String(v);
  return /[",\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
}

async function runBatch() {
  const file = $("batch-file").files[0];
  if (!file) return;
  showError("");
  const picked = $("batch-column-row").hidden ? undefined : Number($("batch-column").value);
  const parsed = textsFromFile(file.name, await file.text(), picked);
  const tbody = $("batch-table").querySelector("tbody");
  tbody.replaceChildren();
  $("batch-table").hidden = true;
  state.batchRows = [];
  $("batch-download").disabled = true;
  if (parsed.columns) {  // no column with a known name: ask which one
    const sel = $("batch-column");
    sel.replaceChildren(...parsed.columns.map((c, i) => new Option(c || "(column " + (i + 1) + ")", String(i))));
    $("batch-column-row").hidden = false;
    $("batch-status").textContent = "Which column holds the texts? None of " + file.name + "'s columns (" +
      parsed.columns.join(", ") + ") is named " + TEXT_COLUMNS.join(", ") + ": choose one and classify again.";
    sel.focus();
    return;
  }
  if (parsed.error) {
    $("batch-status").textContent = "";
    showError(parsed.error);
    return;
  }
  const texts = parsed.texts;
  if (!texts.length) {
    showError("No texts found in " + file.name + (parsed.column ? " (column " + parsed.column + ")" : "") + ".");
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
    $("batch-status").textContent = texts.length + " texts classified in " + s.toFixed(2) + " s" +
      (parsed.column ? " (column " + parsed.column + ")." : ".");
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
  $("curl-explain").textContent = base + "/api/explain -H 'Content-Type: application/json'" + auth +
    " \\\n  -d " + shellQuote(JSON.stringify({ inputs: text, method: $("explain-method").value }));
  const pyAuth = state.info && state.info.auth ? ',\n    headers={"Authorization": "Bearer " + os.environ["SENTI_API_KEY"]}' : "";
  $("python-snippet").textContent = (pyAuth ? "import os\n" : "") + "import requests\n\n" +
    "answer = requests.post(\n    " + JSON.stringify(location.origin + "/api/predict") + ",\n" +
    "    json={\"inputs\": " + JSON.stringify(text) + ", \"top_k\": None}" + pyAuth + ",\n    timeout=60,\n)\n" +
    "answer.raise_for_status()\nprint(answer.json())  # [{'label': ..., 'score': ...}, ...]";
  const jsAuth = state.info && state.info.auth ? ", Authorization: \"Bearer \" + apiKey" : "";
  $("js-snippet").textContent = (jsAuth ? "const apiKey = \"...\";  // the server's --api-key\n" : "") +
    "const answer = await fetch(" + JSON.stringify(location.origin + "/api/predict") + ", {\n" +
    "  method: \"POST\",\n  headers: { \"Content-Type\": \"application/json\"" + jsAuth + " },\n" +
    "  body: JSON.stringify({ inputs: " + JSON.stringify(text) + ", top_k: null }),\n});\n" +
    "if (!answer.ok) throw new Error((await answer.json()).error);\nconsole.log(await answer.json());  // [{label, score}, ...]";
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
    if (info.model_card) {
      $("model-card-title").textContent = info.model_card.title;
      $("model-card-line").hidden = false;
    }
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
  $("explain-method").addEventListener("change", () => {
    if (state.lastInput && state.lastOutput && $("explain-on").checked) explain(state.lastInput, state.lastOutput[0].label);
  });
  $("batch-file").addEventListener("change", () => {
    $("batch-run").disabled = !$("batch-file").files.length;
    $("batch-column-row").hidden = true;  // a new file: its column is found anew
  });
  $("error-close").addEventListener("click", () => showError(""));
  $("batch-run").addEventListener("click", runBatch);
  $("batch-download").addEventListener("click", downloadCsv);
  for (const b of document.querySelectorAll(".copy")) b.addEventListener("click", copySnippet);
  updateCurl();
  loadInfo();
}

init();
