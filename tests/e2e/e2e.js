// End-to-end tests of hearth web's browser UI: headless Chromium (Debian's)
// driven by playwright-core against servers that tests/cli/e2e.sh started.
//
//   HEARTH=build/hearth E2E_URL=http://127.0.0.1:P E2E_PROFILE=tests/data/leaky.cpu.pb.gz \
//   E2E_DIFF_URL=... E2E_DIFF_BASE=... E2E_DIFF_PROFILE=... \
//   E2E_WEIRD_URL=... E2E_WEIRD_PROFILE=... E2E_SHOTS=build/test-logs/e2e node tests/e2e/e2e.js
//
// Every figure the page shows is compared with what the CLI (hearth top,
// list, peek) prints for the same options.  Prints one line per check and,
// last, "N passed, M failed".
'use strict';
const {chromium} = require('playwright-core');
const {execFileSync} = require('child_process');
const fs = require('fs');
const path = require('path');

const E = process.env;
const HEARTH = E.HEARTH, URL0 = E.E2E_URL, PROFILE = E.E2E_PROFILE;
const SHOTS = E.E2E_SHOTS || 'test-logs/e2e';
fs.mkdirSync(SHOTS, {recursive: true});

let passed = 0, failed = 0;
const t0 = Date.now();
// A hung browser must not hang the test suite.
const WATCHDOG_S = +(E.E2E_TIMEOUT || 480);
setTimeout(() => {
	console.log(`FAIL  watchdog: the e2e tests did not finish within ${WATCHDOG_S} s`);
	console.log(`${passed} passed, ${failed + 1} failed`);
	process.exit(1);
}, WATCHDOG_S * 1000).unref();
async function check(name, fn) {
	/* E2E_ONLY=RE runs only the checks whose name matches (a quicker loop) */
	if (E.E2E_ONLY && !new RegExp(E.E2E_ONLY).test(name)) return;
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
	if (JSON.stringify(a) !== JSON.stringify(b))
		throw new Error(`${msg || 'not equal'}:\n      got  ${JSON.stringify(a)}\n      want ${JSON.stringify(b)}`);
}
function cli(args) { return execFileSync(HEARTH, args, {encoding: 'utf8', maxBuffer: 1 << 28}); }

/* `hearth top` parsed: header lines and rows of the six columns as printed. */
function cliTop(args) {
	const lines = cli(['top', ...args]).split('\n');
	const k = lines.findIndex(l => /^\s+flat\s+flat%\s+sum%\s+cum\s+cum%/.test(l));
	assert(k >= 0, 'no column header in hearth top output');
	const rows = lines.slice(k + 1).filter(l => l.trim()).map(l => {
		const m = /^\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(l);
		return m.slice(1, 7);
	});
	return {header: lines.slice(0, k), rows};
}

/* A figure of hearth top (0.42s, 20ms, 1.5us) in seconds. */
function seconds(s) {
	const m = /^(-?[\d.]+)(ns|us|\u00b5s|ms|s|m|h)?$/.exec(s);
	if (!m) return NaN;
	return parseFloat(m[1]) * ({ns: 1e-9, us: 1e-6, '\u00b5s': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600}[m[2] || 's']);
}

const LAUNCH = {
	executablePath: E.CHROMIUM || '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

let browser;
const pageErrors = [];
async function newPage(opts) {
	const page = await browser.newPage(Object.assign({viewport: {width: 1280, height: 860}}, opts || {}));
	page.on('pageerror', e => pageErrors.push(e.message));
	page.on('dialog', d => { pageErrors.push('dialog: ' + d.message()); d.dismiss(); });
	return page;
}
async function ready(page) {
	await page.waitForFunction(() => window.hearthStats && window.hearthStats.profile && window.hearthStats.ready &&
		!window.hearthStats.pending, null, {timeout: 60000});
}
async function go(page, base, qs) {
	await page.goto(base + '/' + (qs ? '?' + qs : ''));
	await ready(page);
}
async function shot(page, name) { await page.screenshot({path: path.join(SHOTS, name + '.png')}); }

/* Pixels of a canvas: how many are painted, and how many are of the given
 * kinds (exact fill colours, away from text and strokes). */
async function pixels(page, sel) {
	return page.evaluate(sel => {
		const c = document.querySelector(sel);
		const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		let painted = 0, red = 0, green = 0, magenta = 0;
		for (let i = 0; i < d.length; i += 4) {
			const r = d[i], g = d[i + 1], b = d[i + 2], a = d[i + 3];
			if (a < 255) { if (a) painted++; continue; }
			painted++;
			if (r === 255 && g === b && g <= 215) red++;
			else if (g === 221 && r === b && r <= 215) green++;
			else if (r === 230 && g === 51 && b === 230) magenta++;
		}
		return {painted, total: d.length / 4, red, green, magenta, w: c.width, h: c.height};
	}, sel);
}

/* The main flame graph's frame named name (first in preorder): its index and
 * where it is on the screen. */
async function frame(page, name) {
	return page.evaluate(name => {
		const f = window.hearth.main;
		for (let i = 0; i < f.N; i++) {
			if (f.name(i) !== name) continue;
			const r = f.rect(i), b = f.cv.getBoundingClientRect();
			return {i, rect: r, cw: f.cw, x: r && b.left + r[0] + Math.min(r[2], 40) / 2, y: r && b.top + r[1] + 9};
		}
		return null;
	}, name);
}

async function topRows(page) {
	return page.$$eval('#toptable tbody tr', trs => trs.map(tr =>
		Array.from(tr.cells).slice(0, 6).map(td => td.textContent.trim())));
}

async function main() {
	browser = await chromium.launch(LAUNCH);
	const page = await newPage();

	await check('the flame graph draws (canvas not blank), light and dark', async () => {
		await go(page, URL0);
		await page.waitForFunction(() => window.hearthStats.firstPaintMs !== null);
		const p = await pixels(page, '#flame');
		assert(p.painted > p.total * 0.05, `only ${p.painted} of ${p.total} pixels painted`);
		const crumbs = await page.textContent('#crumbs');
		eq(crumbs.trim(), 'all', 'breadcrumb at the root');
		await shot(page, 'flame-light');
		const dark = await newPage({colorScheme: 'dark'});
		await go(dark, URL0);
		const pd = await pixels(dark, '#flame');
		assert(pd.painted > pd.total * 0.05, 'dark: canvas blank');
		const bg = await dark.evaluate(() => getComputedStyle(document.body).backgroundColor);
		assert(/rgb\((\d+), (\d+), (\d+)\)/.test(bg) && +RegExp.$1 < 80, 'dark background: ' + bg);
		await shot(dark, 'flame-dark');
		await dark.close();
	});

	await check('hover shows name, flat, cum and percentages', async () => {
		await go(page, URL0);
		const f = await frame(page, 'main.leakSome');
		assert(f && f.rect, 'main.leakSome not drawn');
		await page.mouse.move(f.x, f.y);
		await page.waitForFunction(() => getComputedStyle(document.getElementById('tip')).display !== 'none');
		const tip = await page.textContent('#tip');
		// hearth top: main.leakSome flat 0.20s 12.42%, cum 0.23s 14.29%
		assert(tip.includes('main.leakSome'), tip);
		// in hearth top's style: the unit of the total, as the table's rows
		assert(/flat 0\.20s \(12\.42%\), cum 0\.23s \(14\.29%\)/.test(tip), 'tooltip: ' + tip);
		await shot(page, 'flame-hover');
		// hovering draws on the overlay only: the graph is not drawn again
		const draws = await page.evaluate(() => window.hearthStats.draws);
		for (const n of ['main.DoWork', 'math.sinh', 'main.ShortRunningFunction', 'runtime/pprof.Do']) {
			const g = await frame(page, n);
			await page.mouse.move(g.x, g.y);
			await page.waitForFunction(n => document.getElementById('tip').textContent.startsWith(n), n);
		}
		eq(await page.evaluate(() => window.hearthStats.draws), draws, 'full draws during hover');
		await page.mouse.move(1, 1);
	});

	await check('clicking a frame zooms into it: breadcrumb, URL, full width', async () => {
		await go(page, URL0);
		const f = await frame(page, 'main.LongRunningFunction');
		assert(f && f.rect && f.rect[2] < f.cw * 0.9, 'frame not found or already full width');
		await page.mouse.click(f.x, f.y);
		await ready(page);
		const url = new URL(page.url());
		const zoom = url.searchParams.get('zoom');
		assert(zoom && zoom.endsWith('main.LongRunningFunction'), 'zoom in URL: ' + zoom);
		const last = await page.$$eval('#crumbs .crumb', bs => bs[bs.length - 1].textContent);
		eq(last, 'main.LongRunningFunction', 'last breadcrumb');
		const g = await frame(page, 'main.LongRunningFunction');
		assert(g.rect && g.rect[0] === 0 && Math.abs(g.rect[2] - g.cw) < 0.5, 'zoomed frame spans the width: ' + JSON.stringify(g));
		await shot(page, 'flame-zoomed');
		// the browser's Back goes back to the unzoomed graph, Forward to the zoom
		await page.goBack();
		await ready(page);
		eq(await page.evaluate(() => window.hearth.main.z), 0, 'Back unzooms');
		await page.goForward();
		await ready(page);
		eq(await page.evaluate(() => { const f = window.hearth.main; return f.name(f.z); }), 'main.LongRunningFunction', 'Forward zooms');
		// the breadcrumb goes back
		await page.click('#crumbs .crumb >> nth=0');
		await ready(page);
		assert(!new URL(page.url()).searchParams.get('zoom'), 'zoom cleared by the breadcrumb');
	});

	await check('search highlights and its share equals hearth top -focus', async () => {
		await go(page, URL0);
		await page.keyboard.press('/');
		assert(await page.evaluate(() => document.activeElement.id === 'search'), '/ focuses the search box');
		await page.keyboard.type('math\\.(sinh|Exp)');
		// the search of the whole text (a slow machine may have searched a prefix first)
		await page.waitForFunction(() => new URL(location.href).searchParams.get('q') === 'math\\.(sinh|Exp)' &&
			/Matched/.test(document.getElementById('matched').textContent), null, {timeout: 30000});
		await ready(page);
		const shown = await page.textContent('#matched');
		const top = cliTop(['-focus=math\\.(sinh|Exp)', '-nodefraction=0', PROFILE]);
		const h = top.header.find(l => l.startsWith('Showing nodes accounting for'));
		const m = /accounting for (\S+), (\S+)% of (\S+) total/.exec(h);
		assert(m, 'CLI header: ' + h);
		const ms = /Matched: (\S+)% \((\S+)\)/.exec(shown);
		assert(ms, 'page says: ' + shown);
		eq(Number(ms[1]).toFixed(2), Number(m[2]).toFixed(2), 'share');
		const p = await pixels(page, '#flame');
		assert(p.magenta > 200, 'highlighted pixels: ' + p.magenta);
		eq(new URL(page.url()).searchParams.get('q'), 'math\\.(sinh|Exp)', 'q in the URL');
		await shot(page, 'flame-search');
		await page.keyboard.press('Escape');
		await page.waitForFunction(() => !new URL(location.href).searchParams.get('q'));
	});

	await check('the top table equals hearth top row by row, and its header', async () => {
		await go(page, URL0, 'view=top');
		const rows = await topRows(page);
		const want = cliTop([PROFILE]);
		eq(rows.length, want.rows.length, 'row count');
		for (let i = 0; i < rows.length; i++) eq(rows[i], want.rows[i], 'row ' + i);
		const header = (await page.textContent('#top-header')).split('\n');
		eq(header, want.header, 'header');
		await shot(page, 'top-light');
		const dark = await newPage({colorScheme: 'dark'});
		await go(dark, URL0, 'view=top');
		await shot(dark, 'top-dark');
		await dark.close();
	});

	await check('top: sorting by cum and name, and the filter box', async () => {
		await go(page, URL0, 'view=top');
		await page.click('#toptable th[data-sort=cum]');
		await ready(page);
		eq(new URL(page.url()).searchParams.get('sort'), 'cum');
		const cums = await page.evaluate(() => Array.from(document.querySelectorAll('#toptable tbody tr'))
			.map(tr => tr.cells[4].textContent));
		const want = cliTop([PROFILE]).rows.map(r => r[4]);
		eq(cums[0], want.reduce((a, b) => parseFloat(a) >= parseFloat(b) ? a : b), 'largest cum first');
		await page.click('#toptable th[data-sort=name]');
		await ready(page);
		const names = (await topRows(page)).map(r => r[5].replace(/ \(inline\)$/, ''));
		eq(names, names.slice().sort(), 'sorted by name');
		await page.fill('#filter', 'runtime.m');
		await page.waitForFunction(() => new URL(location.href).searchParams.get('filter') === 'runtime.m');
		const rows = await topRows(page);
		assert(rows.length > 0 && rows.every(r => r[5].toLowerCase().includes('runtime.m')), 'filtered rows');
		await shot(page, 'top-sorted-filtered');
		await page.reload();
		await ready(page);
		eq(await topRows(page), rows, 'reloaded URL shows the same table');
		eq(await page.inputValue('#filter'), 'runtime.m', 'filter box restored');
	});

	await check('a top row\'s menu sets focus (refine) and the table follows hearth top -focus', async () => {
		await go(page, URL0, 'view=top');
		const i = (await topRows(page)).findIndex(r => r[5] === 'main.leakSome');
		assert(i >= 0, 'main.leakSome row');
		await page.click(`#toptable tbody tr >> nth=${i} >> .rowmenu`);
		await page.click('#ctx button:has-text("Focus on it")');
		await ready(page);
		eq(new URL(page.url()).searchParams.get('focus'), '^main\\.leakSome$', 'focus in the URL');
		eq(await page.inputValue('#refine input[name=focus]'), '^main\\.leakSome$', 'refine bar');
		eq(await topRows(page), cliTop(['-focus=^main\\.leakSome$', PROFILE]).rows, 'focused table');
		await shot(page, 'top-focused');
		// the refine bar: ignore typed in and applied
		await page.fill('#refine input[name=ignore]', 'makeslice');
		await page.click('#refine button[type=submit]');
		await ready(page);
		eq(await topRows(page), cliTop(['-focus=^main\\.leakSome$', '-ignore=makeslice', PROFILE]).rows, 'focus+ignore');
		await page.click('#refine-clear');
		await ready(page);
		eq((await topRows(page)).length, cliTop([PROFILE]).rows.length, 'cleared');
		// tagfocus, hide, show_from through the refine bar, Enter applies
		await page.fill('#refine input[name=tagfocus]', 'handler=short');
		await page.fill('#refine input[name=hide]', 'runtime');
		await page.fill('#refine input[name=show_from]', 'DoWork');
		await page.press('#refine input[name=show_from]', 'Enter');
		await ready(page);
		eq(await topRows(page), cliTop(['-tagfocus=handler=short', '-hide=runtime', '-show_from=DoWork', PROFILE]).rows,
			'as hearth top -tagfocus -hide -show_from');
		await page.click('#refine-clear');
		await ready(page);
	});

	await check('switching the sample type changes the totals as hearth top -sample_index', async () => {
		await go(page, URL0, 'view=top');
		const opts = await page.$$eval('#sample option', os => os.map(o => o.value));
		assert(opts.includes('samples') && opts.includes('cpu'), 'sample types: ' + opts);
		await page.selectOption('#sample', 'samples');
		await ready(page);
		eq(new URL(page.url()).searchParams.get('sample_index'), 'samples');
		const want = cliTop(['-sample_index=samples', PROFILE]);
		eq(await topRows(page), want.rows, 'rows for samples');
		const h = want.header.find(l => l.startsWith('Showing nodes'));
		const total = /of (\S+) total/.exec(h)[1];
		await page.click('#views button[data-view=flame]');
		await ready(page);
		const sub = await page.textContent('#sub');
		assert(sub.includes('Total: ' + total), `flame total: ${sub} (want ${total})`);
		assert(sub.includes('Type: samples'), sub);
		await shot(page, 'flame-samples');
	});

	await check('granularity: lines gives hearth top -lines; the flame graph follows', async () => {
		await go(page, URL0, 'view=top');
		await page.selectOption('#granularity', 'lines');
		await ready(page);
		eq(new URL(page.url()).searchParams.get('lines'), '1', 'lines=1 in the URL');
		eq(await topRows(page), cliTop(['-lines', PROFILE]).rows, 'rows for -lines');
		await page.click('#views button[data-view=flame]');
		await ready(page);
		const names = await page.evaluate(() => window.hearth.main.D.names.slice(1));
		assert(names.length && names.every(n => / \S+:\d+$/.test(n)), 'frames by line: ' + names.slice(0, 3));
		await page.reload();
		await ready(page);
		eq(await page.inputValue('#granularity'), 'lines', 'restored from the URL');
		await page.selectOption('#granularity', 'functions');
		await ready(page);
		eq(new URL(page.url()).searchParams.get('lines'), null, 'back to functions');
	});

	await check('the graph view shows an SVG; wheel zooms; fit; a node\'s menu focuses it', async () => {
		await go(page, URL0, 'view=graph');
		await page.waitForSelector('#graph svg g.node');
		const n = await page.$$eval('#graph svg g.node', gs => gs.length);
		assert(n > 10, 'nodes: ' + n);
		eq(await page.$$eval('#graph svg script', s => s.length), 0, 'no script kept');
		const tr0 = await page.getAttribute('#graph svg #viewport', 'transform');
		const box = await page.$('#graph');
		const b = await box.boundingBox();
		await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
		await page.mouse.wheel(0, -400);
		await page.waitForTimeout(50);
		const tr1 = await page.getAttribute('#graph svg #viewport', 'transform');
		assert(tr0 !== tr1, 'wheel changed the transform');
		// dragging pans, and is not a click on a node
		const url0 = page.url();
		await page.mouse.move(b.x + 40, b.y + 40);
		await page.mouse.down();
		await page.mouse.move(b.x + 140, b.y + 90, {steps: 5});
		await page.mouse.up();
		const tr2d = await page.getAttribute('#graph svg #viewport', 'transform');
		const num = t => t.match(/-?[\d.]+/g).map(Number);
		const [a1, e1, f1] = [num(tr1)[0], num(tr1)[4], num(tr1)[5]], [a2, e2, f2] = [num(tr2d)[0], num(tr2d)[4], num(tr2d)[5]];
		assert(a1 === a2 && Math.abs(e2 - e1 - 100) < 1 && Math.abs(f2 - f1 - 50) < 1, `drag: ${tr1} -> ${tr2d}`);
		eq(page.url(), url0, 'a drag focuses nothing');
		await page.click('#graph-fit');
		const tr2 = await page.getAttribute('#graph svg #viewport', 'transform');
		await page.evaluate(() => document.querySelector('#graph svg')._fit());
		eq(await page.getAttribute('#graph svg #viewport', 'transform'), tr2, 'the fit button fits');
		assert(num(tr2)[0] <= num(tr0)[0], `fitted ${tr2} is not larger than the first view ${tr0}`);
		await page.click('#graph-in');
		assert(num(await page.getAttribute('#graph svg #viewport', 'transform'))[0] > num(tr2)[0], '+ zooms in');
		await page.click('#graph-out');
		await page.click('#graph-fit');
		await shot(page, 'graph');
		const target = await page.evaluate(() => {
			for (const g of document.querySelectorAll('#graph svg g.node')) {
				const a = g.querySelector('a');
				const t = a && a.getAttributeNS('http://www.w3.org/1999/xlink', 'title');
				if (t && t.startsWith('main.leakSome ')) {
					const r = g.querySelector('polygon, ellipse').getBoundingClientRect();
					return {x: r.left + r.width / 2, y: r.top + r.height / 2};
				}
			}
			return null;
		});
		assert(target, 'main.leakSome node in ' + page.url() + ': ' + await page.$$eval('#graph svg g.node a', as => as.map(a => a.getAttribute('xlink:title')).join('; ')));
		// hover: the node and its edges stay, the rest fades
		await page.mouse.move(target.x, target.y);
		const hl = await page.evaluate(() => ({hov: document.querySelector('#graph svg').classList.contains('hovering'),
			edges: document.querySelectorAll('#graph svg g.edge.hl').length,
			faded: getComputedStyle(document.querySelector('#graph svg g.edge:not(.hl)')).opacity}));
		assert(hl.hov && hl.edges >= 1 && +hl.faded < 1, 'hover highlights: ' + JSON.stringify(hl));
		// a click selects and opens the menu; the URL waits for a choice
		const url1 = page.url();
		await page.mouse.click(target.x, target.y);
		await page.waitForSelector('#ctx:not([hidden])');
		eq(page.url(), url1, 'a click alone changes nothing');
		eq(await page.textContent('#ctx .menu-title'), 'main.leakSome', 'the menu names the node');
		await page.click('#ctx button:has-text("Focus on it")');
		await ready(page);
		await page.waitForSelector('#graph svg g.node');
		eq(new URL(page.url()).searchParams.get('focus'), '^main\\.leakSome$', 'focus from the node\'s menu');
	});

	await check('source and peek of the selected function equal hearth list and peek', async () => {
		await go(page, URL0, 'view=source&f=main.leakSome');
		await page.waitForFunction(() => !/Loading/.test(document.getElementById('source-text').textContent));
		const src = await page.textContent('#source-text');
		eq(src.trimEnd(), cli(['list', '-list=^main\\.leakSome$', PROFILE]).trimEnd(), 'list');
		await shot(page, 'source');
		await page.click('#views button[data-view=peek]');
		await ready(page);
		const pk = await page.textContent('#peek-text');
		eq(pk.trimEnd(), cli(['peek', '^main\\.leakSome$', PROFILE]).trimEnd(), 'peek');
		await shot(page, 'peek');
	});

	await check('the sandwich view draws the callers and the callees of a function', async () => {
		await go(page, URL0);
		const f = await frame(page, 'math.sinh');
		await page.mouse.click(f.x, f.y, {button: 'right'});
		await page.click('#ctx button:has-text("Sandwich")');
		await ready(page);
		eq(new URL(page.url()).searchParams.get('f'), 'math.sinh', 'f in the URL');
		const names = await page.evaluate(() => window.hearth.sandwich.map(g => g.D.names.slice()));
		assert(names[0].includes('main.LongRunningFunction'), 'callers: ' + names[0]);
		assert(names[1].includes('math.archExp') && !names[1].includes('main.LongRunningFunction'), 'callees: ' + names[1]);
		// math.sinh: cum 0.85s (52.80%) in hearth top
		const cum = await page.textContent('#sw-cum');
		const row = cliTop([PROFILE]).rows.find(r => r[5] === 'math.sinh');
		assert(cum.includes(`(${row[4]} of `), `cum share: ${cum} (top: ${row[4]})`);
		for (const sel of ['#sw-callers', '#sw-callees']) {
			const p = await pixels(page, sel);
			assert(p.painted > p.total * 0.05, sel + ' blank');
		}
		await shot(page, 'sandwich');
	});

	await check('icicle, keyboard walk, Enter zooms, Esc resets', async () => {
		await go(page, URL0, 'icicle=1');
		eq(await page.isChecked('#icicle'), true, 'icicle checkbox');
		const inv = await page.evaluate(() => window.hearth.main.inverted);
		eq(inv, true, 'inverted');
		await shot(page, 'flame-icicle');
		await page.click('#icicle');
		await ready(page);
		eq(await page.evaluate(() => window.hearth.main.inverted), false, 'toggled back');
		await page.keyboard.press('ArrowUp'); // selects the root
		await page.keyboard.press('ArrowUp'); // its widest callee
		let sel = await page.evaluate(() => { const f = window.hearth.main; return f.name(f.sel); });
		eq(sel, 'main.DoWork', 'up walks into the widest callee');
		await page.keyboard.press('ArrowUp');
		await page.keyboard.press('ArrowRight');
		const s2 = await page.evaluate(() => { const f = window.hearth.main; return [f.name(f.sel), f.name(f.PAR[f.sel])]; });
		eq(s2[1], 'main.DoWork', 'right stays among siblings');
		await page.keyboard.press('ArrowLeft');
		await page.keyboard.press('ArrowDown');
		sel = await page.evaluate(() => { const f = window.hearth.main; return f.name(f.sel); });
		eq(sel, 'main.DoWork', 'down goes to the caller');
		await page.keyboard.press('Enter');
		await ready(page);
		eq(new URL(page.url()).searchParams.get('zoom'), 'main.DoWork', 'Enter zooms');
		const fr = await frame(page, 'main.DoWork');
		await page.mouse.click(fr.x, fr.y, {button: 'right'});
		assert(await page.isVisible('#ctx'), 'right-click opens the menu');
		await page.keyboard.press('Escape');
		assert(await page.isHidden('#ctx'), 'Esc closes the menu');
		eq(new URL(page.url()).searchParams.get('zoom'), 'main.DoWork', 'and keeps the zoom');
		await page.keyboard.press('?');
		assert(await page.isVisible('#help'), '? shows the help');
		await shot(page, 'help');
		await page.keyboard.press('Escape');
		assert(await page.isHidden('#help'), 'Esc closes it');
		eq(new URL(page.url()).searchParams.get('zoom'), 'main.DoWork', 'and keeps the zoom');
		await page.keyboard.press('Escape');
		await ready(page);
		eq(new URL(page.url()).searchParams.get('zoom'), null, 'Esc resets');
	});

	await check('a state\'s URL reloads to the same state', async () => {
		await go(page, URL0, 'sample_index=cpu&q=runtime&zoom=' + encodeURIComponent('main.DoWork;runtime/pprof.Do') + '&icicle=1');
		await page.waitForFunction(() => /Matched/.test(document.getElementById('matched').textContent));
		const state = () => page.evaluate(() => {
			const f = window.hearth.main;
			return {z: f.name(f.z), inv: f.inverted, crumbs: document.getElementById('crumbs').textContent,
				matched: document.getElementById('matched').textContent, search: document.getElementById('search').value,
				sample: document.getElementById('sample').value, img: f.cv.toDataURL().length};
		});
		const a = await state();
		eq(a.z, 'runtime/pprof.Do', 'zoomed frame from the URL');
		eq(a.inv, true);
		eq(a.search, 'runtime');
		await page.reload();
		await ready(page);
		await page.waitForFunction(() => /Matched/.test(document.getElementById('matched').textContent));
		eq(await state(), a, 'after reload');
		await shot(page, 'flame-from-url');
	});

	await check('bad input: a regexp that does not compile, then the page works on', async () => {
		await go(page, URL0);
		await page.fill('#search', 'main.(');
		await page.waitForFunction(() => !document.getElementById('msg').hidden, null, {timeout: 10000});
		const msg = await page.textContent('#msg-text');
		assert(/search/i.test(msg) && msg.length > 12, 'message: ' + msg);
		await shot(page, 'error-regexp');
		await page.fill('#search', 'main');
		await page.waitForFunction(() => /Matched/.test(document.getElementById('matched').textContent), null, {timeout: 10000});
		assert(await page.isHidden('#msg'), 'message gone once the regexp is good');
		// a bad focus regexp through the refine bar
		await page.fill('#refine input[name=focus]', '[');
		await page.click('#refine button[type=submit]');
		await ready(page);
		assert(await page.isVisible('#msg'), 'bad focus said');
		assert(/flame/i.test(await page.textContent('#msg-text')), 'the flame view says it');
		await page.click('#refine-clear');
		await ready(page);
		assert(await page.isHidden('#msg'), 'cleared');
		const p = await pixels(page, '#flame');
		assert(p.painted > p.total * 0.05, 'flame draws again');
	});

	await check('bad input: an unknown sample type in the URL', async () => {
		await go(page, URL0, 'sample_index=no_such_type');
		assert(await page.isVisible('#msg'), 'message shown');
		const msg = await page.textContent('#msg-text');
		assert(/no_such_type|sample/i.test(msg), 'message: ' + msg);
		await shot(page, 'error-sample-type');
		await page.selectOption('#sample', 'cpu');
		await ready(page);
		assert(await page.isHidden('#msg'), 'message gone after choosing a real type');
		const p = await pixels(page, '#flame');
		assert(p.painted > p.total * 0.05, 'flame draws');
	});

	await check('bad input: a file not given on the command line is refused', async () => {
		await go(page, URL0, 'base=' + encodeURIComponent('/etc/passwd'));
		assert(await page.isVisible('#msg'), 'message shown');
		const msg = await page.textContent('#msg-text');
		assert(/base/.test(msg), 'message: ' + msg);
		await shot(page, 'error-file-refused');
		await page.click('#msg-reset');
		await ready(page);
		eq(new URL(page.url()).searchParams.get('base'), null, '"Reset options" removes it from the URL');
		assert(await page.isHidden('#msg'), 'message gone');
		const p0 = await pixels(page, '#flame');
		assert(p0.painted > p0.total * 0.05, 'the flame graph draws after the reset');
		const r = await page.evaluate(async () => {
			const out = [];
			for (const u of ['/api/flame?diff_base=/etc/passwd', '/api/top?source_path=/etc', '/etc/passwd', '/../../etc/passwd', '/api/nothing']) {
				const res = await fetch(u);
				let body = null;
				try { body = await res.json(); } catch (e) { body = null; }
				out.push([u, res.status, body && typeof body.error === 'string']);
			}
			return out;
		});
		for (const [u, st, isErr] of r) assert(st >= 400 && st < 500 && isErr, `${u}: ${st} ${isErr}`);
		await go(page, URL0);
		const p = await pixels(page, '#flame');
		assert(p.painted > p.total * 0.05, 'the server still serves the page');
	});

	if (E.E2E_WEIRD_URL) {
		await check('hostile names appear as text, no element injected', async () => {
			const W = E.E2E_WEIRD_URL, evil = '</script><b id=inj>bold</b>', img = '<img src=x onerror="window.__pwned=1">';
			const clean = async (where) => {
				const r = await page.evaluate(() => ({inj: !!document.getElementById('inj'), pwned: !!window.__pwned,
					imgs: document.querySelectorAll('img').length, b: document.querySelectorAll('main b, #msg b, #tip b').length}));
				eq(r, {inj: false, pwned: false, imgs: 0, b: 0}, 'injected in ' + where);
			};
			await go(page, W);
			const f = await frame(page, evil);
			assert(f && f.rect, 'frame drawn');
			await page.mouse.move(f.x, f.y);
			await page.waitForFunction(() => getComputedStyle(document.getElementById('tip')).display !== 'none');
			assert((await page.textContent('#tip')).includes(evil), 'tooltip shows the name');
			await shot(page, 'weird-flame');
			await clean('flame');
			await go(page, W, 'view=top');
			const names = (await topRows(page)).map(r => r[5]);
			assert(names.includes(evil) && names.includes(img), 'names as text: ' + names);
			eq(await topRows(page), cliTop([E.E2E_WEIRD_PROFILE]).rows, 'table equals hearth top');
			await shot(page, 'weird-top');
			await clean('top');
			for (const v of ['graph', 'source', 'peek', 'sandwich']) {
				await go(page, W, 'view=' + v + '&f=' + encodeURIComponent(img) + '&q=' + encodeURIComponent(evil));
				if (v === 'graph') await page.waitForSelector('#graph svg g.node');
				await clean(v);
			}
			assert((await page.textContent('#sw-name1')) === img, 'sandwich title as text');
			await shot(page, 'weird-sandwich');
			await go(page, W, 'focus=' + encodeURIComponent('<b>[') + '&view=top');
			await clean('error message');
			assert(await page.isVisible('#msg'), 'bad regexp said');
		});
	}

	if (E.E2E_DEFAULTS_URL) {
		await check('options given on the command line are the defaults, and can be undone', async () => {
			const U = E.E2E_DEFAULTS_URL; // hearth web -lines -focus=main
			await go(page, U, 'view=top');
			eq(await page.inputValue('#refine input[name=focus]'), 'main', 'refine bar shows the default');
			eq(await page.inputValue('#granularity'), 'lines', 'granularity shows the default');
			eq(await topRows(page), cliTop(['-lines', '-focus=main', PROFILE]).rows, 'as hearth top -lines -focus=main');
			await page.selectOption('#granularity', 'functions');
			await ready(page);
			eq(await topRows(page), cliTop(['-focus=main', PROFILE]).rows, 'as hearth top -focus=main');
			await page.fill('#refine input[name=focus]', '');
			await page.click('#refine button[type=submit]');
			await ready(page);
			eq(new URL(page.url()).searchParams.get('focus'), '', 'focus= unsets it');
			eq(await topRows(page), cliTop([PROFILE]).rows, 'as hearth top');
		});
	}

	if (E.E2E_DIFF_URL) {
		await check('diff: the flame graph and the table show growth red and shrinkage green', async () => {
			const D = E.E2E_DIFF_URL;
			await go(page, D);
			const p = await pixels(page, '#flame');
			assert(p.red > 100 && p.green > 100, `red ${p.red}, green ${p.green}`);
			assert((await page.textContent('#sub')).includes('red grew'), 'says what the colours are');
			// docs/flame.md: main.leakSome 50ms before, 10ms after
			const f = await frame(page, 'main.leakSome');
			await page.mouse.move(f.x, f.y);
			await page.waitForFunction(() => getComputedStyle(document.getElementById('tip')).display !== 'none');
			const tip = await page.textContent('#tip');
			assert(tip.includes('before 50ms, after 10ms, change -40ms (-80.0%)'), 'diff tooltip: ' + tip);
			await page.mouse.move(1, 1);
			await shot(page, 'diff-flame');
			const dark = await newPage({colorScheme: 'dark'});
			await go(dark, D);
			await shot(dark, 'diff-flame-dark');
			await dark.close();
			await go(page, D, 'view=top');
			const cls = await page.$$eval('#toptable tbody tr', trs => trs.map(t => t.className.trim()));
			assert(cls.includes('grow') && cls.includes('shrink'), 'row classes: ' + cls);
			const col = await page.$$eval('#toptable tbody tr.grow td, #toptable tbody tr.shrink td',
				tds => [getComputedStyle(tds[0]).color]);
			assert(col[0] !== '', 'coloured');
			eq(await topRows(page), cliTop(['-diff_base=' + E.E2E_DIFF_BASE, E.E2E_DIFF_PROFILE]).rows, 'diff table equals hearth top');
			await shot(page, 'diff-top');
		});
	}

	if (E.E2E_MID_URL) {
		await check('a big profile: the page says what was merged; zooming in loads finer detail', async () => {
			await go(page, E.E2E_MID_URL);
			const D = await page.evaluate(() => {
				const d = window.hearth.main.D;
				return {merged_paths: d.merged_paths, resolution: d.resolution, merged_value: d.merged_value, total: window.hearth.main.W[0]};
			});
			assert(D.merged_paths > 0, 'something merged');
			const note = await page.textContent('#note');
			assert(note.includes(`${D.merged_paths} call paths narrower than 1/${D.resolution} of the graph`) &&
				note.includes((100 * D.merged_value / D.total).toFixed(2) + '%'), 'note: ' + note);
			await shot(page, 'mid-flame');
			let res = D.resolution;
			for (let k = 0; k < 6 && res === D.resolution; k++) {
				const p = await page.evaluate(() => {
					const f = window.hearth.main;
					let best = -1;
					for (const c of f.children(f.z)) if (best < 0 || f.W[c] > f.W[best]) best = c;
					if (best < 0) return null;
					const r = f.rect(best), b = f.cv.getBoundingClientRect();
					return {x: b.left + r[0] + Math.min(r[2], 40) / 2, y: b.top + r[1] + 9};
				});
				if (!p) break;
				await page.mouse.click(p.x, p.y);
				await ready(page);
				res = await page.evaluate(() => window.hearth.main.D.resolution);
			}
			assert(res > D.resolution, 'finer resolution after zooming: ' + res);
			const z = await page.evaluate(() => { const f = window.hearth.main; return f.rect(f.z); });
			assert(z && z[0] === 0, 'still zoomed after the new payload');
			await shot(page, 'mid-zoomed');
		});
	}

	await check('downloads: pprof, folded, speedscope and svg are served as attachments', async () => {
		await go(page, URL0, 'focus=main');
		const r = await page.evaluate(async () => {
			const out = [];
			for (const a of document.querySelectorAll('#download a')) {
				const res = await fetch(a.href);
				const buf = await res.arrayBuffer();
				out.push([a.dataset.format, res.status, res.headers.get('content-disposition') || '', buf.byteLength,
					new URL(a.href).searchParams.get('focus')]);
			}
			return out;
		});
		eq(r.length, 4, 'four formats');
		for (const [fmt, st, cd, n, focus] of r) {
			assert(st === 200 && /attachment/.test(cd) && n > 0, `${fmt}: ${st} ${cd} ${n}`);
			eq(focus, 'main', fmt + ' keeps the view\'s options');
		}
		await page.click('#download summary');
		await shot(page, 'download-menu');
	});

	await require('./views.js')({check, assert, eq, cli, go, ready, newPage, shot, frame, URL0, PROFILE,
		DIFF_URL: E.E2E_DIFF_URL, DIFF_BASE: E.E2E_DIFF_BASE, DIFF_PROFILE: E.E2E_DIFF_PROFILE, SHOTS, cliTop, seconds});

	await check('the server keeps serving; no script errors in the page', async () => {
		const res = await page.evaluate(async () => (await fetch('/api/profile')).status);
		eq(res, 200);
		eq(pageErrors, [], 'page errors');
	});

	await browser.close();
}

main().catch(e => {
	failed++;
	console.log('FAIL  harness: ' + (e && e.stack || e));
}).finally(async () => {
	if (browser) await browser.close().catch(() => {});
	console.log(`e2e: ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${SHOTS}`);
	console.log(`${passed} passed, ${failed} failed`);
	process.exit(failed ? 1 : 0);
});
