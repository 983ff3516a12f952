// End-to-end tests of hearth serve's UI (web/serve.js on web/app.js): headless
// Chromium (Debian's) driven by playwright-core against the real `hearth serve`
// that tests/cli/e2e_serve.sh started and filled.
//
//   HEARTH=build/hearth E2E_URL=http://127.0.0.1:P E2E_TOKEN=... E2E_OTHER_TOKEN=... \
//   E2E_PUSHED=pushed.tsv E2E_LATE=file.pb.gz E2E_SHOTS=build/test-logs/e2e-serve node tests/e2e/serve.js
//
// pushed.tsv has a line per pushed profile: time (Unix s), service, labels,
// file (the retimed copy), id, original file.  Every figure the page shows
// for a range is compared with what `hearth top` (or `hearth flame -json`)
// prints for exactly the files pushed in that range.  Prints one line per check and, last, "N passed, M failed".
'use strict';
const {chromium} = require('playwright-core');
const {execFileSync} = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const E = process.env;
const HEARTH = E.HEARTH, URL0 = E.E2E_URL, TOKEN = E.E2E_TOKEN, OTHER = E.E2E_OTHER_TOKEN;
const SHOTS = E.E2E_SHOTS || 'test-logs/e2e-serve';
fs.mkdirSync(SHOTS, {recursive: true});
const PUSHED = fs.readFileSync(E.E2E_PUSHED, 'utf8').trim().split('\n').map(l => {
	const [time, service, labels, file, id, file0] = l.split('\t');
	return {time: +time, service, labels, file, id, file0};
});
const API = PUSHED.filter(p => p.service === 'api' && !/heap/.test(p.file0));
const HEAP = PUSHED.filter(p => p.service === 'api' && /heap/.test(p.file0));

let passed = 0, failed = 0;
const t0 = Date.now();
const WATCHDOG_S = +(E.E2E_TIMEOUT || 300);
setTimeout(() => {
	console.log(`FAIL  watchdog: the e2e tests did not finish within ${WATCHDOG_S} s`);
	console.log(`${passed} passed, ${failed + 1} failed`);
	process.exit(1);
}, WATCHDOG_S * 1000).unref();
async function check(name, fn) {
	const s = Date.now();
	try {
		await fn();
		passed++;
		console.log(`ok    ${name} (${Date.now() - s} ms)`);
	} catch (e) {
		failed++;
		console.log(`FAIL  ${name}: ${(e && e.stack || String(e)).split('\n').slice(0, 4).join('\n      ')}`);
	}
}
function assert(c, msg) { if (!c) throw new Error(msg || 'assertion failed'); }
function eq(a, b, msg) {
	if (JSON.stringify(a) === JSON.stringify(b)) return;
	/* long lists: the first row that differs */
	if (Array.isArray(a) && Array.isArray(b) && (a.length > 3 || b.length > 3)) {
		let k = 0;
		while (k < a.length && k < b.length && JSON.stringify(a[k]) === JSON.stringify(b[k])) k++;
		throw new Error(`${msg || 'not equal'}: ${a.length} vs ${b.length} rows, first difference at row ${k}:\n` +
			`      got  ${JSON.stringify(a[k])}\n      want ${JSON.stringify(b[k])}`);
	}
	throw new Error(`${msg || 'not equal'}:\n      got  ${JSON.stringify(a)}\n      want ${JSON.stringify(b)}`);
}
function cli(args) { return execFileSync(HEARTH, args, {encoding: 'utf8', maxBuffer: 1 << 28}); }
/* `hearth top` rows: the six columns as printed. */
function cliTop(args) {
	const lines = cli(['top', ...args]).split('\n');
	const k = lines.findIndex(l => /^\s+flat\s+flat%\s+sum%\s+cum\s+cum%/.test(l));
	assert(k >= 0, 'no column header in hearth top output');
	return lines.slice(k + 1).filter(l => l.trim()).map(l => /^\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(l).slice(1, 7));
}
function cliTotal(files) { return JSON.parse(cli(['flame', '-json', ...files])).total; }

const LAUNCH = {
	executablePath: E.CHROMIUM || '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync'],
};
let browser;
const pageErrors = [];
async function newContext(opts) {
	const ctx = await browser.newContext(Object.assign({viewport: {width: 1280, height: 900}, acceptDownloads: true}, opts || {}));
	return ctx;
}
async function newPage(ctx) {
	const page = await ctx.newPage();
	page.on('pageerror', e => pageErrors.push(e.message));
	page.on('dialog', d => d.accept());
	return page;
}
async function ready(page) {
	await page.waitForFunction(() => window.hearthStats && window.hearthStats.profile && window.hearthStats.ready &&
		!window.hearthStats.pending, null, {timeout: 60000});
}
async function go(page, qs) {
	await page.goto(URL0 + '/' + (qs ? '?' + qs : ''));
	await ready(page);
}
async function shot(page, name) { await page.screenshot({path: path.join(SHOTS, name + '.png')}); }
async function pixels(page, sel) {
	return page.evaluate(sel => {
		const c = document.querySelector(sel);
		const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		let painted = 0, red = 0, green = 0;
		for (let i = 0; i < d.length; i += 4) {
			const r = d[i], g = d[i + 1], b = d[i + 2], a = d[i + 3];
			if (a < 255) { if (a) painted++; continue; }
			painted++;
			if (r === 255 && g === b && g <= 215) red++;
			else if (g === 221 && r === b && r <= 215) green++;
		}
		return {painted, total: d.length / 4, red, green};
	}, sel);
}
async function topRows(page) {
	return page.$$eval('#toptable tbody tr', trs => trs.map(tr =>
		Array.from(tr.cells).slice(0, 6).map(td => td.textContent.trim())));
}
function param(page, k) { return new URL(page.url()).searchParams.get(k); }
/* Drags on the timeline from time a to time b (Unix seconds). */
async function brush(page, a, b) {
	const xa = await page.evaluate(t => window.hearthServe.timeToX(t), a);
	const xb = await page.evaluate(t => window.hearthServe.timeToX(t), b);
	const box = await page.$eval('#timeline', c => { const r = c.getBoundingClientRect(); return {y: r.top + r.height / 2}; });
	await page.mouse.move(xa, box.y);
	await page.mouse.down();
	await page.mouse.move((xa + xb) / 2, box.y, {steps: 4});
	await page.mouse.move(xb, box.y, {steps: 4});
	await page.mouse.up();
	await ready(page);
}
function inRange(list, key) {
	const m = /^(\d+),(\d+)$/.exec(key || '');
	assert(m, 'no range in the URL: ' + key);
	return list.filter(p => p.time >= +m[1] && p.time < +m[2]);
}
async function login(page, token) {
	await page.goto(URL0 + '/');
	await page.waitForSelector('#login:not([hidden])');
	await page.fill('#login input[name=token]', token);
	await page.click('#login button[type=submit]');
	await page.waitForSelector('#serve:not([hidden])');
	await ready(page);
}
/* The top table (view=top) of the page's state against hearth top of files. */
async function topEquals(page, files, what) {
	if (param(page, 'view') !== 'top') {
		await page.click('#views button[data-view=top]');
		await ready(page);
	}
	const want = cliTop(files);
	const got = await topRows(page);
	eq(got.length, want.length, what + ': rows');
	eq(got, want, what);
}

async function main() {
	browser = await chromium.launch(LAUNCH);

	await check('without a token nothing is shown: the login form only, no data request succeeds', async () => {
		const ctx = await newContext();
		const page = await newPage(ctx);
		const answers = [];
		page.on('response', r => { if (r.url().includes('/api/')) answers.push([r.url().replace(URL0, ''), r.status()]); });
		await page.goto(URL0 + '/?query=%7Bservice%3D%22api%22%7D&view=top');
		await page.waitForSelector('#login:not([hidden])');
		await page.waitForTimeout(300);
		assert(await page.isVisible('#login input[name=token]'), 'token field');
		for (const sel of ['#flame', '#toptable', '#timeline', '#svc'])
			assert(!(await page.isVisible(sel)), sel + ' is visible before login');
		eq(await page.$$eval('#toptable tbody tr', t => t.length), 0, 'top rows before login');
		assert(!(await page.evaluate(() => window.hearthStats.draws)), 'the flame graph was drawn');
		// (/api/v1/health says only whether signup is open)
		const ok = answers.filter(a => a[1] < 400 && !a[0].startsWith('/api/v1/health'));
		eq(ok, [], 'API answers that succeeded without a token');
		// the API itself refuses, whatever the page does
		const st = await page.evaluate(async () => {
			const out = [];
			for (const u of ['/api/v1/services', '/api/v1/render/top?query=%7Bservice%3D%22api%22%7D&from=-1d&until=now',
				'/api/v1/profiles?query=%7B%7D&from=-1d&until=now', '/api/v1/series?query=%7B%7D&from=-1d&until=now'])
				out.push((await fetch(u)).status);
			return out;
		});
		eq(st, [401, 401, 401, 401], 'API status without a session');
		// a bad token is refused and still nothing shows
		await page.fill('#login input[name=token]', 'not-a-token');
		await page.click('#login button[type=submit]');
		await page.waitForFunction(() => document.getElementById('login-msg').textContent !== '');
		assert(await page.isVisible('#login'), 'login form after a bad token');
		assert(!(await page.isVisible('#flame')), 'flame graph after a bad token');
		await shot(page, 'login');
		await ctx.close();
	});

	const ctx = await newContext();
	const page = await newPage(ctx);

	await check('log in with a token: the first service, its flame graph and the timeline of every push', async () => {
		await login(page, TOKEN);
		const svcs = await page.$$eval('#svc option', os => os.map(o => o.value));
		eq(svcs.slice().sort(), ['api', 'db'], 'services of the tenant (not the other tenant\'s)');
		eq(await page.inputValue('#svc'), 'api', 'first service chosen');
		await page.waitForFunction(() => window.hearthStats.draws > 0);
		const p = await pixels(page, '#flame');
		assert(p.painted > p.total * 0.05, `flame graph: only ${p.painted} of ${p.total} pixels painted`);
		const bars = await page.evaluate(() => window.hearthServe.bars());
		eq(bars.length, API.length, 'timeline bars (one per pushed profile of api)');
		// the whole window is the merge of every api profile
		const total = await page.evaluate(() => window.hearth.main.D.total);
		eq(total, cliTotal(API.map(p => p.file)), 'flame graph total = hearth flame of all api files');
		await shot(page, 'flame');
	});

	await check('pick a service: db\'s top table equals hearth top of its files', async () => {
		await page.selectOption('#svc', 'db');
		await ready(page);
		assert(/service%3D%22db%22|service="db"/.test(decodeURIComponent(page.url())), 'URL query: ' + page.url());
		await topEquals(page, PUSHED.filter(p => p.service === 'db').map(p => p.file), 'db top');
		await shot(page, 'top-db');
		await page.selectOption('#svc', 'api');
		await ready(page);
		await page.click('#views button[data-view=flame]');
		await ready(page);
	});

	await check('the type picker; snapshots are averaged per profile, accumulations summed, as the page says', async () => {
		eq(HEAP.length, 2, 'heap profiles pushed');
		const types = await page.$$eval('#ptype option', os => os.map(o => o.value));
		assert(types.includes('cpu') && types.includes('heap'), 'types of api: ' + types);
		await page.selectOption('#ptype', 'heap');
		await ready(page);
		eq(param(page, 'type'), 'heap', 'type in the URL');
		eq(await page.inputValue('#sample'), 'inuse_space', 'the default sample type of heap');
		const sub = await page.textContent('#sub');
		assert(/average per profile of 2 profiles/.test(sub), 'inuse_space is averaged: ' + sub);
		// the same profile twice: the average is that profile
		await topEquals(page, [HEAP[0].file], 'inuse_space, the average of two equal profiles');
		await shot(page, 'top-heap-average');
		await page.selectOption('#sample', 'alloc_space');
		await ready(page);
		assert(/sum of 2 profiles/.test(await page.textContent('#sub')), 'alloc_space is summed: ' + await page.textContent('#sub'));
		await topEquals(page, ['-sample_index=alloc_space', HEAP[0].file, HEAP[1].file], 'alloc_space, the sum');
		assert(/average/.test(await page.textContent('#tl-agg')) === false, 'the timeline says sum for alloc_space');
		await page.selectOption('#ptype', 'cpu');
		await ready(page);
		await page.click('#views button[data-view=flame]');
		await ready(page);
	});

	let brushKey = null;
	await check('brush a range: the flame graph and top equal hearth top of exactly the profiles in it', async () => {
		// from half-way before the 3rd api profile to half-way after the 6th
		await brush(page, API[2].time - 150, API[5].time + 150);
		brushKey = param(page, 'brush');
		const sel = inRange(API, brushKey);
		eq(sel.map(p => p.time), API.slice(2, 6).map(p => p.time), 'profiles in the brushed range');
		const files = sel.map(p => p.file);
		const total = await page.evaluate(() => window.hearth.main.D.total);
		eq(total, cliTotal(files), 'flame graph total of the range');
		const sub = await page.textContent('#sub');
		assert(/sum of 4 profiles/.test(sub), 'the aggregation said: ' + sub);
		await shot(page, 'flame-brushed');
		await topEquals(page, files, 'top of the range');
		await shot(page, 'top-brushed');
		// the CLI reads the server too (a selector source), when it can
		const m = /^(\d+),(\d+)$/.exec(brushKey);
		let viaServer = null;
		try {
			viaServer = cliTop(['-from=' + m[1], '-until=' + m[2], '-token=' + TOKEN, URL0 + '/{service="api"}']);
		} catch (e) { viaServer = null; }
		if (viaServer) eq(await topRows(page), viaServer, 'top of the range = hearth top of the server selector');
		else console.log('      (this hearth top does not read a server selector; compared with the files only)');
	});

	await check('Back and Forward: the brush comes and goes with the URL', async () => {
		await page.goBack();
		await ready(page);
		await page.goBack();
		await ready(page);
		assert(!param(page, 'brush'), 'Back removes the brush: ' + page.url());
		eq(await page.evaluate(() => window.hearth.main.D ? 1 : 0), 1, 'a flame graph');
		await page.goForward();
		await ready(page);
		await page.goForward();
		await ready(page);
		eq(param(page, 'brush'), brushKey, 'Forward brings it back');
		await page.reload();
		await ready(page);
		eq(param(page, 'brush'), brushKey, 'reload keeps the state');
		await topEquals(page, inRange(API, brushKey).map(p => p.file), 'top after reload');
	});

	await check('a range without profiles is said as a note, not as an error', async () => {
		const a = API[3].time + 60, b = API[4].time - 60;
		await go(page, 'query=' + encodeURIComponent('{service="api"}') + '&brush=' + a + ',' + b);
		await page.waitForFunction(() => /No profiles in this range/.test(document.getElementById('note').textContent));
		assert(await page.isHidden('#msg'), 'an error box: ' + await page.textContent('#msg'));
		await shot(page, 'empty-range');
		await go(page, 'query=' + encodeURIComponent('{service="api"}') + '&brush=' + brushKey);
		assert(!/No profiles/.test(await page.textContent('#note')), 'the note goes with a range that has profiles');
	});

	await check('the Download menu gives the range\'s merge; zoom to the selection; the range picker', async () => {
		const files = inRange(API, brushKey).map(p => p.file);
		const href = await page.$eval('#download a[data-format=pprof]', a => a.href);
		assert(href.includes('/api/v1/render/download?'), 'download link: ' + href);
		const bytes = await page.evaluate(async u => Array.from(new Uint8Array(await (await fetch(u)).arrayBuffer())), href);
		const tmp = path.join(os.tmpdir(), 'hearth-e2e-serve-dl-' + process.pid + '.pb.gz');
		fs.writeFileSync(tmp, Buffer.from(bytes));
		try { eq(cliTop([tmp]), cliTop(files), 'hearth top of the downloaded merge'); } finally { fs.unlinkSync(tmp); }
		await page.click('#tl-zoom');
		await ready(page);
		const [f, u] = brushKey.split(',');
		eq([param(page, 'from'), param(page, 'until'), param(page, 'brush')], [f, u, null], 'the selection became the range');
		eq(await page.inputValue('#range'), 'custom', 'the range picker says custom');
		eq((await page.evaluate(() => window.hearthServe.bars())).length, files.length, 'bars of the zoomed timeline');
		await topEquals(page, files, 'top of the zoomed range');
		await page.selectOption('#range', '6h');
		await ready(page);
		eq([param(page, 'from'), param(page, 'until')], ['-6h', null], 'last 6 hours in the URL');
		eq((await page.evaluate(() => window.hearthServe.bars())).length, API.length, 'bars over 6 hours');
		await go(page, 'query=' + encodeURIComponent('{service="api"}') + '&brush=' + brushKey);
	});

	await check('the other views of the range: graph, source, peek, sandwich', async () => {
		const files = inRange(API, brushKey).map(p => p.file);
		await page.click('#views button[data-view=graph]');
		await ready(page);
		await page.waitForSelector('#graph svg', {timeout: 30000});
		await shot(page, 'graph');
		await page.click('#views button[data-view=peek]');
		await page.fill('#view-peek input[name=f]', 'main.leakSome');
		await page.press('#view-peek input[name=f]', 'Enter');
		await ready(page);
		const peek = await page.textContent('#peek-text');
		const want = cli(['peek', '^main\\.leakSome$', ...files]);
		const body = s => s.split('\n').filter(l => /^\s+\S+\s+\S+%/.test(l) || /\|/.test(l)).join('\n');
		assert(body(peek).length > 0, 'peek text: ' + peek.slice(0, 200));
		eq(body(peek), body(want), 'peek of the range = hearth peek of its files');
		await shot(page, 'peek');
		await page.click('#views button[data-view=source]');
		await ready(page);
		assert((await page.textContent('#source-text')).length > 0, 'source text');
		await shot(page, 'source');
		await page.click('#views button[data-view=sandwich]');
		await ready(page);
		const sw = await pixels(page, '#sw-callers');
		assert(sw.painted > 0, 'sandwich drawn');
		await shot(page, 'sandwich');
		await page.click('#views button[data-view=flame]');
		await ready(page);
	});

	await check('the label selector: completion of names and values, a selector that narrows', async () => {
		await page.click('#selector');
		await page.fill('#selector', '{service="api",');
		await page.waitForFunction(() => document.querySelectorAll('#selector-list option').length > 0);
		const names = await page.$$eval('#selector-list option', os => os.map(o => o.value));
		assert(names.includes('{service="api",env="'), 'label names offered: ' + JSON.stringify(names));
		await page.fill('#selector', '{service="api",env="');
		await page.waitForFunction(() => Array.from(document.querySelectorAll('#selector-list option')).some(o => o.value.endsWith('"prod"')));
		const values = await page.$$eval('#selector-list option', os => os.map(o => o.value));
		eq(values.slice().sort(), ['{service="api",env="dev"', '{service="api",env="prod"'], 'label values offered');
		await page.fill('#selector', '{service="api",env="prod"}');
		await page.press('#selector', 'Enter');
		await ready(page);
		eq(param(page, 'query'), '{service="api",env="prod"}', 'query in the URL');
		const files = inRange(API, brushKey).filter(p => p.labels === 'env=prod').map(p => p.file);
		assert(files.length === 2, 'two prod profiles in the range');
		await topEquals(page, files, 'top of env=prod in the range');
		await shot(page, 'top-selector');
		await page.fill('#selector', '{service="api"}');
		await page.press('#selector', 'Enter');
		await ready(page);
		await page.click('#views button[data-view=flame]');
		await ready(page);
	});

	await check('compare two ranges: red and green in the flame graph and the table', async () => {
		await page.check('#compare');
		await ready(page);
		await page.check('input[name=brushing][value=base]');
		await brush(page, API[0].time - 100, API[2].time + 100);
		await page.check('input[name=brushing][value=cmp]');
		await brush(page, API[7].time - 100, API[9].time + 100);
		const base = inRange(API, param(page, 'base_brush')), cmp = inRange(API, param(page, 'brush'));
		eq(base.length, 3, 'base profiles');
		eq(cmp.length, 3, 'comparison profiles');
		const p = await pixels(page, '#flame');
		assert(p.red > 100 && p.green > 100, `red ${p.red} and green ${p.green} pixels`);
		await shot(page, 'compare-flame');
		await page.click('#views button[data-view=top]');
		await ready(page);
		const cls = await page.$$eval('#toptable tbody tr', trs => trs.map(t => t.className));
		assert(cls.some(c => /grow/.test(c)) && cls.some(c => /shrink/.test(c)), 'growing and shrinking rows: ' + cls.slice(0, 8));
		const diffTop = b => cliTop([...b.map(p => '-diff_base=' + p.file), ...cmp.map(p => p.file)]);
		eq(await topRows(page), diffTop(base), 'the diff table = hearth top -diff_base (base files) (comparison files)');
		await shot(page, 'compare-top');
		// the base's own selector: only the prod profiles of the base range
		await page.fill('#base-selector', '{service="api",env="prod"}');
		await page.press('#base-selector', 'Enter');
		await ready(page);
		eq(param(page, 'base_query'), '{service="api",env="prod"}', 'base_query in the URL');
		const prod = base.filter(p => p.labels === 'env=prod');
		assert(prod.length > 0 && prod.length < base.length, 'some but not all base profiles are prod');
		eq(await topRows(page), diffTop(prod), 'the diff table with the base selector');
		await page.fill('#base-selector', '');
		await page.press('#base-selector', 'Enter');
		await ready(page);
		await page.uncheck('#compare');
		await ready(page);
		assert(!param(page, 'cmp') && !param(page, 'base_brush'), 'compare off: ' + page.url());
	});

	await check('the profiles list pages (More) through every profile of the range, newest first', async () => {
		await go(page, 'query=' + encodeURIComponent('{service="api"}'));
		await page.evaluate(() => window.hearthServe.setPageSize(3));
		await page.click('#views button[data-view=profiles]');
		await ready(page);
		eq(await page.$$eval('#proftable tbody tr', t => t.length), 3, 'the first page');
		for (let k = 0; k < 10 && await page.isVisible('#prof-more'); k++) {
			await page.click('#prof-more');
			await page.waitForFunction(() => !window.hearthStats.pending);
		}
		const times = await page.$$eval('#proftable tbody tr td:first-child', t => t.map(x => x.textContent));
		const want = API.map(p => new Date(p.time * 1000).toISOString().replace('T', ' ').slice(0, 19)).sort().reverse();
		eq(times, want, 'every cpu profile of api in the last hour, newest first');
		await page.evaluate(() => window.hearthServe.setPageSize(50));
		await go(page, 'query=' + encodeURIComponent('{service="api"}') + '&brush=' + brushKey);
	});

	await check('the profiles of the range: listed, one opens (= hearth top of its file) and downloads', async () => {
		await page.click('#views button[data-view=profiles]');
		await ready(page);
		const sel = inRange(API, param(page, 'brush'));
		const n = await page.$$eval('#proftable tbody tr', t => t.length);
		eq(n, sel.length, 'rows in the list');
		await shot(page, 'profiles');
		const first = sel.slice().sort((a, b) => b.time - a.time)[0];
		// the row of that profile: its time
		const times = await page.$$eval('#proftable tbody tr td:first-child', t => t.map(x => x.textContent));
		const want = new Date(first.time * 1000).toISOString().replace('T', ' ').slice(0, 19);
		let row = times.indexOf(want);
		assert(row >= 0, `no row at ${want}: ${times}`);
		const dl = await page.$eval(`#proftable tbody tr:nth-child(${row + 1}) a.download`, a => a.href);
		await page.click(`#proftable tbody tr:nth-child(${row + 1}) button.open`);
		await ready(page);
		assert(param(page, 'profile'), 'profile in the URL');
		assert(await page.isVisible('#single'), 'the single-profile bar');
		await topEquals(page, [first.file], 'top of the single profile');
		await shot(page, 'single-profile');
		// the download: the same profile as the file pushed
		const bytes = await page.evaluate(async u => Array.from(new Uint8Array(await (await fetch(u)).arrayBuffer())), dl);
		const tmp = path.join(os.tmpdir(), 'hearth-e2e-serve-' + process.pid + '.pb.gz');
		fs.writeFileSync(tmp, Buffer.from(bytes));
		try { eq(cliTop([tmp]), cliTop([first.file]), 'hearth top of the download'); } finally { fs.unlinkSync(tmp); }
		await page.click('#single-back');
		await ready(page);
		assert(!param(page, 'profile'), 'back to the range');
	});

	await check('live refresh: a profile pushed now appears on the timeline', async () => {
		await go(page, 'query=' + encodeURIComponent('{service="api"}') + '&refresh=1');
		const before = (await page.evaluate(() => window.hearthServe.bars())).length;
		const st = await page.evaluate(async ([tok, b64]) => {
			const body = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
			const r = await fetch('/api/v1/push?service=api&labels=env=late',
				{method: 'POST', headers: {Authorization: 'Bearer ' + tok}, body});
			return r.status;
		}, [TOKEN, fs.readFileSync(E.E2E_LATE || API[0].file).toString('base64')]);
		eq(st, 200, 'push');
		await page.waitForFunction(n => window.hearthServe.bars().length > n, before, {timeout: 20000});
		await shot(page, 'refreshed');
		await page.selectOption('#refresh', '');
		await ready(page);
	});

	await check('dark mode', async () => {
		const dctx = await newContext({colorScheme: 'dark'});
		const dark = await newPage(dctx);
		await login(dark, TOKEN);
		const bg = await dark.evaluate(() => getComputedStyle(document.body).backgroundColor);
		assert(/rgb\((\d+), (\d+), (\d+)\)/.test(bg) && +RegExp.$1 < 80, 'dark background: ' + bg);
		await shot(dark, 'flame-dark');
		await dctx.close();
	});

	await check('another tenant sees none of it', async () => {
		const octx = await newContext();
		const o = await newPage(octx);
		await login(o, OTHER);
		const svcs = await o.$$eval('#svc option', os => os.map(x => x.value));
		assert(!svcs.includes('api') && !svcs.includes('db'), 'services of the other tenant: ' + svcs);
		const st = await o.evaluate(async id => (await fetch('/api/v1/profiles/' + id)).status, API[0].id);
		eq(st, 404, 'another tenant\'s profile id');
		assert(await o.isHidden('#tokens-btn'), 'a token without the admin scope has no tokens page');
		await shot(o, 'other-tenant');
		await octx.close();
	});

	await check('tokens: list, create (shown once), revoke; the revoked token logs in no more', async () => {
		await page.click('#tokens-btn');
		await ready(page);
		const n0 = await page.$$eval('#toktable tbody tr', t => t.length);
		assert(n0 >= 1, 'tokens listed');
		await page.fill('#tok-form input[name=description]', 'e2e read-only');
		await page.uncheck('#tok-form input[value=push]');
		await page.click('#tok-form button[type=submit]');
		await page.waitForSelector('#tok-new:not([hidden])');
		const fresh = await page.inputValue('#tok-value');
		assert(fresh.length >= 16, 'new token: ' + fresh);
		await page.waitForFunction(n => document.querySelectorAll('#toktable tbody tr').length > n, n0);
		await shot(page, 'tokens');
		// it works, read-only
		const ok = await page.evaluate(async t => (await fetch('/api/v1/services', {headers: {Authorization: 'Bearer ' + t}})).status, fresh);
		eq(ok, 200, 'the new token reads');
		const rows = await page.$$eval('#toktable tbody tr', t => t.map(r => r.textContent));
		const k = rows.findIndex(r => r.includes('e2e read-only'));
		assert(k >= 0, 'the new token in the list');
		await page.click(`#toktable tbody tr:nth-child(${k + 1}) button.revoke`);
		await page.waitForFunction(k => !document.querySelector(`#toktable tbody tr:nth-child(${k + 1}) button.revoke`) ||
			!document.querySelector(`#toktable tbody tr:nth-child(${k + 1})`).textContent.includes('e2e read-only'), k);
		const gone = await page.evaluate(async t => (await fetch('/api/v1/services', {headers: {Authorization: 'Bearer ' + t}})).status, fresh);
		eq(gone, 401, 'the revoked token');
		const octx = await newContext();
		const o = await newPage(octx);
		await o.goto(URL0 + '/');
		await o.waitForSelector('#login:not([hidden])');
		await o.fill('#login input[name=token]', fresh);
		await o.click('#login button[type=submit]');
		await o.waitForFunction(() => document.getElementById('login-msg').textContent !== '');
		assert(!(await o.isVisible('#serve')), 'logged in with a revoked token');
		await octx.close();
	});

	await check('log out: the login form, and the session is gone', async () => {
		await page.click('#views button[data-view=flame]');
		await ready(page);
		await page.click('#logout');
		await page.waitForSelector('#login:not([hidden])');
		await page.reload();
		await page.waitForSelector('#login:not([hidden])');
		const st = await page.evaluate(async () => (await fetch('/api/v1/services')).status);
		eq(st, 401, 'services after logout');
		assert(!(await page.isVisible('#flame')), 'flame graph after logout');
	});

	await check('an open server (-signup=open): the login form creates a tenant, which starts empty', async () => {
		const octx = await newContext();
		const o = await newPage(octx);
		await o.goto(E.E2E_OPEN_URL + '/');
		await o.waitForSelector('#signup:not([hidden])');
		await o.click('#signup-btn');
		await o.waitForSelector('#signup-new:not([hidden])');
		const tok = await o.inputValue('#signup-token');
		assert(tok.length >= 16, 'signup token: ' + tok);
		const tenant = await o.textContent('#signup-tenant');
		await shot(o, 'signup');
		await o.click('#signup-go');
		await o.waitForSelector('#serve:not([hidden])');
		await ready(o);
		eq(await o.textContent('#tenant'), tenant, 'logged in as the new tenant');
		assert(/No profiles yet/.test(await o.textContent('#note')), 'the empty tenant is told how to push: ' + await o.textContent('#note'));
		await octx.close();
	});

	await check('no script errors in the page', async () => {
		eq(pageErrors, [], 'page errors');
	});

	await browser.close();
	console.log(`e2e-serve: ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${SHOTS}`);
	console.log(`${passed} passed, ${failed} failed`);
	process.exit(failed ? 1 : 0);
}
main().catch(e => {
	console.log('FAIL  ' + (e && e.stack || e));
	console.log(`${passed} passed, ${failed + 1} failed`);
	process.exit(1);
});
