// ONNX Runtime peer for bench/model.sh: the same weights exported by torch.onnx, run by the npm
// package onnxruntime-node with intra-op threads pinned and one inter-op thread.
// Usage: node model-ort.js MODEL_DIR THREADS fixed BATCH SEQ SECONDS | ids FILE.jsonl BATCH
// ORT_MODEL=model-int8.onnx runs the int8 graph (../shared/tools/quantize_onnx_int8.py) instead.
const ort = require('onnxruntime-node');
const fs = require('fs');
const path = require('path');

function tensor(rows, width, fill) {
  const data = new BigInt64Array(rows.length * width);
  rows.forEach((r, i) => r.forEach((v, j) => { data[i * width + j] = BigInt(fill(v)); }));
  return new ort.Tensor('int64', data, [rows.length, width]);
}

(async () => {
  const [dir, threadsArg, mode, ...rest] = process.argv.slice(2);
  const threads = Number(threadsArg);
  const file = process.env.ORT_MODEL || 'model.onnx';
  const impl = file === 'model.onnx' ? 'onnxruntime' : 'onnxruntime-' + path.basename(file, '.onnx').replace(/^model-/, '');
  const session = await ort.InferenceSession.create(path.join(dir, file), {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const feeds = [];
  let label, minSeconds = 10, minRuns = 3;
  if (mode === 'fixed') {
    const [b, t] = [Number(rest[0]), Number(rest[1])];
    minSeconds = Number(rest[2]);
    let seed = 1;
    const rows = Array.from({ length: b }, () => Array.from({ length: t }, () => { seed = (seed * 48271) % 2147483647; return 1000 + (seed % 20000); }));
    feeds.push({ input_ids: tensor(rows, t, (v) => v), attention_mask: tensor(rows, t, () => 1) });
    label = `batch ${b} x ${t}`;
  } else {
    const seqs = fs.readFileSync(rest[0], 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const b = Number(rest[1]);
    for (let i = 0; i < seqs.length; i += b) {
      const chunk = seqs.slice(i, i + b);
      const longest = Math.max(...chunk.map((s) => s.length));
      const padded = chunk.map((s) => s.concat(Array(longest - s.length).fill(-1)));
      feeds.push({ input_ids: tensor(padded, longest, (v) => (v < 0 ? 0 : v)), attention_mask: tensor(padded, longest, (v) => (v < 0 ? 0 : 1)) });
    }
    minSeconds = 0;
    minRuns = 1;  // one timed pass over the whole set
    label = `imdb ${seqs.length} reviews, batch ${b}`;
  }
  const n = feeds.reduce((s, f) => s + f.input_ids.dims[0], 0);
  await session.run(feeds[0]);  // warm-up
  const secs = [];
  const start = process.hrtime.bigint();
  while (secs.length < minRuns || Number(process.hrtime.bigint() - start) / 1e9 < minSeconds) {
    const t0 = process.hrtime.bigint();
    for (const f of feeds) await session.run(f);
    secs.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  secs.sort((a, b) => a - b);
  const med = secs[Math.floor(secs.length / 2)];
  console.log(JSON.stringify({ impl, threads, case: label, runs: secs.length,
    seq_per_s: +(n / med).toFixed(3), seq_per_s_min: +(n / secs[secs.length - 1]).toFixed(3), seq_per_s_max: +(n / secs[0]).toFixed(3) }));
})();
