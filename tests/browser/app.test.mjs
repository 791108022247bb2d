// Real-browser test of the senti page: starts `senti serve` on a tiny model, drives headless
// Chromium (the Debian package) with playwright-core, and checks what a person would see:
// the label and confidence bars after typing and submitting, the words shaded by their
// attribution with a legend and the score on focus, examples, batch upload with
// the results table and CSV download, flagging, the API panel, an empty-text message, a
// phone-sized layout, and the message when the server is gone. Saves screenshots to
// $SENTI_ARTIFACTS (default build/artifacts). Exits non-zero on the first failed check.
// Usage: node app.test.mjs path/to/senti path/to/model
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import assert from "node:assert/strict";

const [senti, model] = process.argv.slice(2);
if (!senti || !model) {
  console.error("usage: node app.test.mjs path/to/senti path/to/model");
  process.exit(2);
}
let chromium;
try {
  ({ chromium } = await import("playwright-core"));
} catch (e) {
  console.error("playwright-core is not installed: run `npm ci` in tests/browser (scripts/install-deps does)");
  process.exit(1);
}
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
if (!existsSync(executablePath)) {
  console.error(`no Chromium at ${executablePath}: apt-get install chromium (scripts/install-deps does), or set CHROMIUM`);
  process.exit(1);
}
const artifacts = resolve(process.env.SENTI_ARTIFACTS || "build/artifacts");
mkdirSync(artifacts, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "senti-browser-"));
// The model, with a model card beside it (the page links to it).
const modelDir = join(work, "model");
cpSync(model, modelDir, { recursive: true });
writeFileSync(join(modelDir, "README.md"), "# tiny-2label: a test classifier trained on English movie reviews\n\nFor tests only.\n");

// Start the server on a free port and wait until it says it is ready.
const server = spawn(senti, ["serve", "-m", modelDir, "--port", "0", "-t", "1", "--flag-file", join(work, "flags.csv")],
                     { stdio: ["ignore", "ignore", "pipe"] });
let log = "";
const url = await new Promise((ok, fail) => {
  let found = null;
  const timer = setTimeout(() => fail(new Error("senti serve did not become ready:\n" + log)), 20000);
  server.stderr.on("data", (d) => {
    log += d;
    const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(log);
    if (m) found = m[0];
    if (found && /ready/.test(log)) { clearTimeout(timer); ok(found); }
  });
  server.on("exit", (code) => fail(new Error(`senti serve exited with ${code}:\n${log}`)));
});

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-gpu"] });
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById("model-info").textContent.startsWith("Model "));
  assert.match(await page.textContent("#model-info"), /model/);
  // What the model is: the model card's title and a link to the card.
  await page.waitForSelector("#model-card-line:not([hidden])");
  assert.match(await page.textContent("#model-card-title"), /trained on English movie reviews/);
  const cardHref = await page.getAttribute("#model-card-link", "href");
  const card = await (await fetch(new URL(cardHref, url))).text();
  assert.match(card, /For tests only/, "the link serves the model card");
  await page.screenshot({ path: join(artifacts, "page-model-card.png"), clip: { x: 0, y: 0, width: 1280, height: 200 } });

  // Type a review, submit with Ctrl+Enter: the top label, a bar per label, the elapsed time.
  await page.fill("#text", "I loved this movie, the acting was great.");
  await page.press("#text", "Control+Enter");
  await page.waitForSelector("#top-label");
  const label = await page.textContent("#top-label");
  assert.ok(["POSITIVE", "NEGATIVE"].includes(label), `label ${label}`);
  assert.equal(await page.locator("#result .bar").count(), 2, "a bar for each label");
  const widths = await page.$$eval("#result .bar-fill", (els) => els.map((e) => parseFloat(e.style.width)));
  assert.ok(Math.abs(widths[0] + widths[1] - 100) < 0.5, `bars sum to 100 %: ${widths}`);
  assert.match(await page.textContent("#elapsed"), /Elapsed: \d+\.\d+ s/);

  // The explanation: the review with shaded words, a legend, and the score on focus.
  await page.waitForSelector("#explained-text mark.attr");
  assert.equal(await page.textContent("#explained-text"), "I loved this movie, the acting was great.",
               "the shaded text is the review, unchanged");
  const marks = page.locator("#explained-text mark.attr");
  assert.ok(await marks.count() >= 1, "highlighted words appear");
  const markInfo = await marks.evaluateAll((els) => els.map((m) => ({
    w: parseFloat(m.style.getPropertyValue("--w")), score: m.dataset.score, cls: m.className,
    bg: getComputedStyle(m).backgroundColor })));
  assert.ok(markInfo.some((m) => m.w === 1), "the strongest word has full weight");
  for (const m of markInfo) {
    assert.match(m.score, /^[+−]\d+\.\d\d$/, "a score to show on hover and focus");
    assert.match(m.cls, /towards-(pos|neg)/);
    assert.notEqual(m.bg, "rgba(0, 0, 0, 0)", "a shaded background");
  }
  assert.match(await page.textContent("#explain-legend"), /pushes towards POSITIVE.*pushes towards NEGATIVE/);
  assert.match(await page.textContent("#explain-summary"), /Integrated gradients, \d+ steps, completeness gap \d+\.\d\d %/);
  // The starting point, and the words for and against (no punctuation listed as a word).
  assert.match(await page.textContent("#explain-baseline"),
               /^With no words read: POSITIVE \d+\.\d %; the words move it to \d+\.\d %\.$/);
  const summaryText = await page.textContent("#explain-summary");
  assert.match(summaryText, /For POSITIVE: .*\. Against: /);
  assert.doesNotMatch(summaryText, /(^|[:,] )[,.!?] [+−]/, `punctuation listed as a word: ${summaryText}`);
  const focusable = page.locator("#explained-text mark.attr[tabindex='0']");
  assert.ok(await focusable.count() >= 1, "strong words are keyboard-reachable");
  await focusable.first().focus();
  const tip = await focusable.first().evaluate((m) => getComputedStyle(m, "::after").content);
  assert.match(tip, /[+−]\d+\.\d\d/, `the score shows on focus: ${tip}`);
  await page.screenshot({ path: join(artifacts, "page-result.png"), fullPage: true });
  // Another method re-explains the same text.
  await page.selectOption("#explain-method", "occlusion");
  await page.waitForFunction(() => /Leave one word out/.test(document.getElementById("explain-summary")?.textContent || ""));
  assert.ok(await page.locator("#explained-text mark.attr").count() >= 1);
  await page.selectOption("#explain-method", "ig");

  // Flag it.
  await page.click("#flag");
  await page.waitForFunction(() => document.getElementById("flag-status").textContent.startsWith("Flagged"));
  assert.match(readFileSync(join(work, "flags.csv"), "utf8"), /I loved this movie/);

  // Clear, then submitting empty text explains itself without a request.
  await page.click("#clear");
  assert.equal(await page.inputValue("#text"), "");
  assert.equal(await page.locator("#top-label").count(), 0);
  await page.click("#submit");
  await page.waitForSelector("#error:not([hidden])");
  assert.match(await page.textContent("#error"), /empty/);

  // An example fills the box and runs.
  const example = page.locator("#examples button").nth(1);
  const exampleText = await example.textContent();
  await example.click();
  await page.waitForSelector("#top-label");
  assert.equal(await page.inputValue("#text"), exampleText);
  assert.ok(await page.isHidden("#error"), "the error is gone after a good request");

  // The API panel shows ready-to-copy curl commands for this server.
  await page.click("#api-panel summary");
  assert.ok((await page.textContent("#curl-pipeline")).includes(url + "api/predict"));
  assert.ok((await page.textContent("#curl-tei")).includes(url + "predict"));

  // Python and JavaScript snippets beside curl.
  assert.match(await page.textContent("#python-snippet"), /import requests[\s\S]*requests\.post\(/);
  assert.match(await page.textContent("#js-snippet"), /await fetch\(/);

  // Batch mode: a CSV with a header and a quoted comma; the table and a CSV download.
  const csv = 'id,text\n1,"Great fun, loved it"\n2,Terrible and boring\n3,"An ""okay"" film"\n';
  await page.setInputFiles("#batch-file", { name: "reviews.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.click("#batch-run");
  await page.waitForFunction(() => /3 texts classified/.test(document.getElementById("batch-status").textContent));
  assert.equal(await page.locator("#batch-table tbody tr").count(), 3);
  assert.equal(await page.textContent("#batch-table tbody tr:nth-child(1) td.text"), "Great fun, loved it");
  assert.equal(await page.textContent("#batch-table tbody tr:nth-child(3) td.text"), 'An "okay" film');
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#batch-download")]);
  const saved = join(work, "results.csv");
  await download.saveAs(saved);
  const lines = readFileSync(saved, "utf8").trim().split(/\r?\n/);
  assert.equal(lines[0], "text,label,score");
  assert.equal(lines.length, 4);
  assert.match(lines[1], /^"Great fun, loved it",(POSITIVE|NEGATIVE),0\.\d+/);
  // A .txt file: one text per line.
  await page.setInputFiles("#batch-file", { name: "reviews.txt", mimeType: "text/plain",
                                            buffer: Buffer.from("good\n\nbad\nfine\n") });
  await page.click("#batch-run");
  await page.waitForFunction(() => /3 texts classified/.test(document.getElementById("batch-status").textContent));
  await page.screenshot({ path: join(artifacts, "page-batch.png"), fullPage: true });
  // The text column is found by its name, not its place: id,comment,stars uses "comment".
  await page.setInputFiles("#batch-file", { name: "comments.csv", mimeType: "text/csv",
    buffer: Buffer.from("id,comment,stars\n17,Loved every minute,5\n18,A dull mess,1\n19,Fine,3\n") });
  await page.click("#batch-run");
  await page.waitForFunction(() => /3 texts classified.*column comment/.test(document.getElementById("batch-status").textContent));
  assert.equal(await page.textContent("#batch-table tbody tr:nth-child(1) td.text"), "Loved every minute");
  // A header line alone is an error, not "classified".
  await page.setInputFiles("#batch-file", { name: "empty.csv", mimeType: "text/csv", buffer: Buffer.from("id,comment,stars\n") });
  await page.click("#batch-run");
  await page.waitForSelector("#error:not([hidden])");
  assert.match(await page.textContent("#error"), /only a header line/);
  assert.ok(await page.isHidden("#batch-table"), "no table for a file without texts");
  await page.click("#error-close");
  // No column with a known name: the page asks which one, then classifies it.
  await page.setInputFiles("#batch-file", { name: "opinions.csv", mimeType: "text/csv",
    buffer: Buffer.from("id,opinion\n1,Wonderful film\n2,Awful\n") });
  await page.click("#batch-run");
  await page.waitForSelector("#batch-column-row:not([hidden])");
  assert.match(await page.textContent("#batch-status"), /Which column holds the texts\?/);
  await page.screenshot({ path: join(artifacts, "page-batch-column.png"), fullPage: true });
  await page.selectOption("#batch-column", { label: "opinion" });
  await page.click("#batch-run");
  await page.waitForFunction(() => /2 texts classified.*column opinion/.test(document.getElementById("batch-status").textContent));
  assert.equal(await page.textContent("#batch-table tbody tr:nth-child(2) td.text"), "Awful");

  // Keyboard: Tab from the text box reaches the buttons.
  await page.focus("#text");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "clear");

  // A phone-sized screen: one column, nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page overflows a phone screen by ${overflow}px`);
  await page.screenshot({ path: join(artifacts, "page-phone.png"), fullPage: true });
  // On the phone, Submit shows its answer without the reader scrolling: the label is on screen.
  const onScreen = (sel) => page.evaluate((s) => {
    const r = document.querySelector(s).getBoundingClientRect();
    return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
  }, sel);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.fill("#text", "What a wonderful film, I loved it.");
  await page.click("#submit");
  await page.waitForFunction(() => !document.getElementById("submit").disabled && document.getElementById("top-label"));
  assert.ok(await onScreen("#top-label"), "the label is visible after Submit on a phone");
  await page.screenshot({ path: join(artifacts, "page-phone-result.png") });
  // ... and an error is a toast on screen wherever the reader is.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.click("#clear");
  await page.click("#submit");
  await page.waitForSelector("#error:not([hidden])");
  assert.ok(await onScreen("#error"), "the empty-text error is visible on a phone");
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  assert.ok(await onScreen("#error"), "the error stays visible when scrolled");
  await page.screenshot({ path: join(artifacts, "page-phone-error.png") });
  await page.click("#error-close");
  assert.deepEqual(consoleErrors, []);
  await page.setViewportSize({ width: 1280, height: 900 });
  // The /docs page renders every route of /openapi.json.
  const docs = await context.newPage();
  await docs.goto(url + "docs");
  await docs.waitForFunction(() => /\d+ routes/.test(document.getElementById("docs-status").textContent));
  for (const r of ["POST /api/predict", "POST /tokenize", "GET /model-card"])
    assert.ok((await docs.textContent("#docs-toc")).includes(r), `/docs lists ${r}`);
  await docs.screenshot({ path: join(artifacts, "page-docs.png") });
  await docs.close();
  await page.fill("#text", "A good film.");
  await page.click("#submit");
  await page.waitForSelector("#top-label");

  // The server goes away: the page says so instead of failing silently.
  server.kill("SIGTERM");
  await new Promise((ok) => server.once("exit", ok));
  await page.fill("#text", "Is anyone there?");
  await page.click("#submit");
  await page.waitForSelector("#error:not([hidden])");
  assert.match(await page.textContent("#error"), /Cannot reach the senti server/);
  assert.equal(await page.locator("#top-label").count(), 0, "the previous text's answer is gone after the error");
  console.log(`browser test passed; screenshots in ${artifacts}`);
} catch (e) {
  failed = true;
  console.error("browser test failed:", e);
  try {
    const pages = browser.contexts().flatMap((c) => c.pages());
    if (pages.length) await pages[0].screenshot({ path: join(artifacts, "page-failure.png"), fullPage: true });
  } catch (_) { /* best effort */ }
} finally {
  await browser.close();
  if (server.exitCode === null) server.kill("SIGTERM");
}
process.exit(failed ? 1 : 0);
