// Regenerates tests/fixtures/tokenizer-unicode.jsonl: texts mixing characters from every part of
// Unicode (each class HF distinguishes: controls, whitespace kinds, punctuation, marks,
// CJK, case pairs, unassigned and private-use code points, invalid-looking sequences), with the
// ids and offsets the reference Hugging Face tokenizer (npm `tokenizers`) gives them.
// Usage: npm install tokenizers@0.23.2 && node tools/make-tokenizer-fixtures.js \
//          ../shared/data/tokenizer/bert-base-uncased-tokenizer.json > tests/fixtures/tokenizer-unicode.jsonl
const { Tokenizer } = require('tokenizers');
const tok = Tokenizer.fromFile(process.argv[2]);

let seed = 12345;
const rand = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
const pools = [
  [0x20, 0x7e], [0x80, 0x2ff], [0x300, 0x36f], [0x370, 0x52f], [0x590, 0x8ff], [0x900, 0xdff],
  [0xe00, 0xfff], [0x1000, 0x1fff], [0x2000, 0x206f], [0x2070, 0x2bff], [0x2e00, 0x2e7f],
  [0x3000, 0x30ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xabff], [0xac00, 0xd7a3],
  [0xe000, 0xf8ff], [0xf900, 0xfaff], [0xfb00, 0xfffd], [0x10000, 0x1ffff], [0x20000, 0x2ffff],
  [0xe0000, 0xe01ef], [0xf0000, 0xf00ff],
];
const texts = [];
for (let i = 0; i < 400; ++i) {
  let s = '';
  const n = 5 + rand(40);
  for (let k = 0; k < n; ++k) {
    const r = rand(10);
    if (r < 4) s += ' abcXYZ éÉ.,!?'[rand(15)];
    else {
      const [a, b] = pools[rand(pools.length)];
      let c = a + rand(b - a + 1);
      if (c >= 0xd800 && c <= 0xdfff) c = 0x41;
      s += String.fromCodePoint(c);
    }
  }
  texts.push(s);
}
(async () => {
  for (const t of texts) {
    const e = await tok.encode(t);
    process.stdout.write(JSON.stringify({ text: t, ids: e.getIds(), tokens: e.getTokens(), offsets: e.getOffsets() }) + '\n');
  }
})();
