// The peer for bench/tokenizer.sh: the Hugging Face Rust tokenizer (npm `tokenizers`) encoding
// every review of a folder with encodeBatch. Threads: TOKENIZERS_PARALLELISM=false gives one,
// RAYON_NUM_THREADS=N gives N. Prints one JSON line like bench_tokenizer.
// Usage: node tokenizer-hf.js TOKENIZER_JSON DATA_DIR THREADS REPEATS
const { Tokenizer } = require('tokenizers');
const fs = require('fs');
const path = require('path');

function listTxt(dir) {
  let out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out = out.concat(listTxt(p));
    else if (e.name.endsWith('.txt') && !e.name.startsWith('urls_')) out.push(p);
  }
  return out;
}

(async () => {
  const [tokPath, dataDir, threads, repeats] = process.argv.slice(2);
  const tok = Tokenizer.fromFile(tokPath);
  // Same order as senti's list_files: sorted by full path, byte-wise.
  const files = listTxt(dataDir).sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
  const texts = files.map((f) => fs.readFileSync(f, 'utf8'));
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
  const seconds = [];
  let hash = 0n, tokens = 0;
  for (let r = 0; r < Number(repeats); ++r) {
    const t0 = process.hrtime.bigint();
    const out = await tok.encodeBatch(texts);
    seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
    hash = 1469598103934665603n;
    tokens = 0;
    const mask = (1n << 64n) - 1n;
    for (const e of out) {
      const ids = e.getIds();
      tokens += ids.length;
      for (const id of ids) hash = ((hash ^ BigInt(id)) * 1099511628211n) & mask;
    }
  }
  seconds.sort((a, b) => a - b);
  const median = seconds[Math.floor(seconds.length / 2)];
  console.log(JSON.stringify({
    impl: 'hf-tokenizers', threads: Number(threads), texts: texts.length, bytes, tokens,
    ids_hash: hash.toString(16).padStart(16, '0'), median_s: +median.toFixed(4),
    min_s: +seconds[0].toFixed(4), max_s: +seconds[seconds.length - 1].toFixed(4),
    texts_per_s: +(texts.length / median).toFixed(1), mb_per_s: +(bytes / median / 1e6).toFixed(2),
  }));
})();
