// Clicks every line of hearth web's source view that opens a breakdown and
// prints {line: [[kind, text], ...]} (kind: call, inst or gap).
//   node srcclick.js PLAYWRIGHT URL CHROMIUM
const { chromium } = require(process.argv[2]);
(async () => {
  const b = await chromium.launch({ executablePath: process.argv[4], args: ['--no-sandbox', '--headless'] });
  const p = await b.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  p.on('pageerror', e => errors.push(String(e)));
  await p.goto(process.argv[3]);
  await p.waitForSelector('#source-text .ln[data-line]', { timeout: 60000 });
  const out = {};
  const n = await p.locator('#source-text .ln[data-line]').count();
  for (let i = 0; i < n; i++) {
    const sp = p.locator('#source-text .ln[data-line]').nth(i);
    const line = await sp.getAttribute('data-line');
    await sp.click();
    await p.waitForFunction(el => { const a = el.nextSibling; return a && a.classList.contains('asm') && !/Loading/.test(a.textContent); }, await sp.elementHandle(), { timeout: 60000 });
    const rows = await sp.evaluate(el => Array.from(el.nextSibling.querySelectorAll('.bd')).map(r =>
      [r.classList.contains('call') ? 'call' : r.classList.contains('gap') ? 'gap' : 'inst', r.textContent.replace(/\n$/, '')]));
    if (rows.length) out[line] = rows;
    await sp.click(); // hides it again
    if (await sp.evaluate(el => el.nextSibling && el.nextSibling.classList && el.nextSibling.classList.contains('asm'))) errors.push('line ' + line + ': a second click did not hide it');
  }
  if (errors.length) { console.log('ERRORS ' + JSON.stringify(errors)); process.exit(1); }
  console.log(JSON.stringify(out));
  await b.close();
})().catch(e => { console.log(String(e)); process.exit(1); });
