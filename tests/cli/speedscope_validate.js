// Validates speedscope files against the schema the speedscope npm package
// ships (dist/release/file-format-schema.json), with ajv, and checks what
// the schema cannot say: one weight per sample, frame indices in range.
//
//   node tests/cli/speedscope_validate.js NODE_MODULES FILE...
//
// Prints one line per bad file and exits 1 if any is bad.
'use strict';
const fs = require('fs');
const path = require('path');

const [dir, ...files] = process.argv.slice(2);
const modules = path.resolve(dir);
const Ajv = require(path.join(modules, 'ajv'));
const schemaPath = path.join(modules, 'speedscope', 'dist', 'release', 'file-format-schema.json');
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

let bad = 0;
for (const f of files) {
  const why = [];
  let data;
  try {
    data = JSON.parse(fs.readFileSync(f, 'utf8'));
  } catch (e) {
    why.push('not JSON: ' + e.message);
  }
  if (data !== undefined) {
    if (!validate(data))
      for (const e of validate.errors.slice(0, 3)) why.push(`${e.instancePath || '/'} ${e.message}`);
    const nframes = (data.shared && data.shared.frames || []).length;
    for (const [i, p] of (data.profiles || []).entries()) {
      if (p.type !== 'sampled') continue;
      if (p.samples.length !== p.weights.length)
        why.push(`profile ${i}: ${p.samples.length} samples, ${p.weights.length} weights`);
      if (p.samples.some(s => s.some(x => !Number.isInteger(x) || x < 0 || x >= nframes)))
        why.push(`profile ${i}: a frame index outside [0, ${nframes})`);
      const sum = p.weights.reduce((a, b) => a + b, 0);
      if (Math.abs(p.endValue - p.startValue - sum) > 1e-6 * Math.abs(sum))
        why.push(`profile ${i}: endValue - startValue = ${p.endValue - p.startValue}, weights sum to ${sum}`);
    }
    if (!(data.activeProfileIndex >= 0 && data.activeProfileIndex < (data.profiles || []).length))
      why.push('activeProfileIndex out of range');
  }
  if (why.length) {
    bad++;
    console.log(`${f}: ${why.join('; ')}`);
  }
}
process.exit(bad ? 1 : 0);
