// End-to-end tests of hearth serve -scrape's GC charts and targets page
// (web/serve.js) in headless Chromium, against the server that
// tests/cli/e2e_scrape.sh started scraping a real Go program.
//
//   E2E_URL=http://127.0.0.1:P E2E_TOKEN=... E2E_OTHER_TOKEN=... E2E_FROM=unix E2E_UNTIL=unix \
//   E2E_UP=host:port E2E_DEAD=host:port E2E_SHOTS=dir node tests/e2e/scrape.js
//
// Prints one line per check and, last, "N passed, M failed".
'use strict';
const {chromium} = require('playwright-core');
const fs = require('fs');
const path = require('path');

const E = process.env;
const URL0 = E.E2E_URL, TOKEN = E.E2E_TOKEN, OTHER = E.E2E_OTHER_TOKEN;
const FROM = +E.E2E_FROM, UNTIL = +E.E2E_UNTIL, UP = E.E2E_UP, DEAD = E.E2E_DEAD;
const SHOTS = E.E2E_SHOTS || 'test-logs/e2e-scrape';
fs.mkdirSync(SHOTS, {recursive: true});

let passed = 0, failed = 0;
setTimeout(() => {
	console.log('FAIL  watchdog: the e2e tests did not finish within 180 s');
	console.log(`${passed} passed, ${failed + 1} failed`);
	process.exit(1);
}, 180000).unref();
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
	throw new Error(`${msg || 'not equal'}:\n      got  ${JSON.stringify(a).slice(0, 400)}\n      want ${JSON.stringify(b).slice(0, 400)}`);
}
async function api(token, p) {
	const r = await fetch(URL0 + '/api/v1/' + p, {headers: {Authorization: 'Bearer ' + token}});
	const body = await r.text();
	return {status: r.status, json: body ? JSON.parse(body) : null};
}

const LAUNCH = {
	executablePath: E.CHROMIUM || '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
		'--disable-component-update', '--disable-sync'],
};
const pageErrors = [];
async function login(browser, token) {
	const ctx = await browser.newContext({viewport: {width: 1280, height: 900}});
	const page = await ctx.newPage();
	page.on('pageerror', e => pageErrors.push(e.message));
	await page.goto(URL0 + '/');
	await page.waitForSelector('#login:not([hidden])');
	await page.fill('#login input[name=token]', token);
	await page.click('#login button[type=submit]');
	await page.waitForSelector('#serve:not([hidden])');
	return page;
}
async function gcDrawn(page) {
	await page.waitForFunction(() => window.hearthServe && window.hearthServe.gc().ready, null, {timeout: 30000});
	return page.evaluate(() => window.hearthServe.gc());
}
const Q = encodeURIComponent('{service="gcjob"}');
/* The charts, and the series' names each one draws (web/serve.js's GC). */
const CHARTS = {rate: ['gc_count'], pause: ['gc_pause_p50_seconds', 'gc_pause_p99_seconds', 'gc_pause_max_seconds'],
	cpu: ['gc_cpu_fraction'], heap: ['heap_alloc_bytes', 'heap_goal_bytes']};

async function main() {
	const browser = await chromium.launch(LAUNCH);
	const page = await login(browser, TOKEN);

	await check('GC charts: every plotted point equals GET /api/v1/metrics for the window (the rate: gc_count\'s slope)', async () => {
		await page.goto(`${URL0}/?query=${Q}&type=heap&from=${FROM}&until=${UNTIL}&gc=1&view=top`);
		const g = await gcDrawn(page);
		assert(!g.hidden, 'the GC box is hidden');
		assert(await page.isVisible('#gc-rate'), 'the charts are not shown (gc=1 opens the box)');
		let total = 0;
		for (const [id, names] of Object.entries(CHARTS)) {
			const lines = g.charts[id] || [];
			eq(lines.map(l => l.name), names, `chart ${id}: its series`);
			const W = await page.$eval('#gc-' + id, c => [c.clientWidth, c.clientHeight]);
			for (const ln of lines) {
				// the page asks for points downsampled to its width (g.width)
				assert(g.width >= 200, `the page's width parameter: ${g.width}`);
				const a = await api(TOKEN, `metrics?service=gcjob&name=${ln.name}&from=${FROM}&until=${UNTIL}&width=${g.width}`);
				eq(a.status, 200, 'metrics API');
				const ser = a.json.series.filter(s => JSON.stringify(s.labels) === JSON.stringify(ln.labels));
				eq(ser.length, 1, `${ln.name}: one series of labels ${JSON.stringify(ln.labels)} in ${JSON.stringify(a.json.series.map(s => s.labels))}`);
				eq(a.json.series.length, 1, `${ln.name}: series (the dead target has no MemStats)`);
				let want = ser[0].points;
				if (id === 'rate') {
					const r = [];
					for (let i = 1; i < want.length; i++) {
						const dv = want[i][1] - want[i - 1][1], dt = (want[i][0] - want[i - 1][0]) / 1e9;
						if (dt > 0 && dv >= 0) r.push([want[i][0], dv / dt * 60]);
					}
					want = r;
				}
				assert(want.length >= 5, `${ln.name}: only ${want.length} points`);
				eq(ln.points.map(p => [p[0], p[1]]), want, `chart ${id}, ${ln.name}: the plotted points`);
				for (let i = 0; i < ln.points.length; i++) {
					const [, , x, y] = ln.points[i];
					assert(x >= 0 && x <= W[0] && y >= 0 && y <= W[1], `${ln.name}: point ${i} at (${x}, ${y}) outside ${W}`);
					assert(!i || x > ln.points[i - 1][2], `${ln.name}: x does not grow at point ${i}`);
				}
				total += ln.points.length;
			}
		}
		// the program is under load: the collector ran during the window
		const c = (await api(TOKEN, `metrics?service=gcjob&name=gc_count&from=${FROM}&until=${UNTIL}`)).json.series[0].points;
		console.log(`      ${total} points; gc_count ${c[0][1]} .. ${c[c.length - 1][1]} over ${c.length} scrapes`);
		assert(/cycles? in the range/.test(await page.textContent('#gc-sum')), 'summary: ' + await page.textContent('#gc-sum'));
		await page.screenshot({path: path.join(SHOTS, 'gc.png')});
	});

	await check('GC charts follow the selector: a label no target has hides them; closing the box drops gc from the URL', async () => {
		await page.goto(`${URL0}/?query=${encodeURIComponent('{service="gcjob",env="nope"}')}&type=heap&from=${FROM}&until=${UNTIL}&gc=1`);
		let g = await gcDrawn(page);
		assert(g.hidden, 'GC box shown for a selector no series matches');
		await page.goto(`${URL0}/?query=${encodeURIComponent('{service="gcjob",env="e2e"}')}&type=heap&from=${FROM}&until=${UNTIL}&gc=1`);
		g = await gcDrawn(page);
		assert(!g.hidden && g.charts.heap.length === 2, 'GC box for env="e2e"');
		await page.click('#gc-box summary');
		await page.waitForFunction(() => !new URL(location.href).searchParams.get('gc'));
		assert(!(await page.isVisible('#gc-rate')), 'the charts still show once closed');
	});

	await check('targets page: the rows of the /api/v1/targets answer the page got; the program up, the dead address down with its error', async () => {
		await page.goto(`${URL0}/?query=${Q}`);
		await page.waitForSelector('#targets-btn:not([hidden])');
		const [resp] = await Promise.all([
			page.waitForResponse(r => r.url().endsWith('/api/v1/targets')),
			page.click('#targets-btn'),
		]);
		const j = await resp.json();
		await page.waitForFunction(n => document.querySelectorAll('#tgttable tbody tr').length === n, j.targets.length);
		const rows = await page.$$eval('#tgttable tbody tr', trs => trs.map(tr => Array.from(tr.cells).map(td => td.textContent)));
		const fmt = t => { const d = new Date(t / 1e6); return d.toISOString().slice(0, 19).replace('T', ' '); };
		eq(rows.map(r => [r[0], r[1], r[2], r[3], r[4].replace(/ \(.*/, ''), r[5], r[6]]),
			j.targets.map(t => [t.job, t.instance, Object.keys(t.labels).map(k => k + '=' + t.labels[k]).join(', '), t.health,
				t.last_scrape ? fmt(t.last_scrape) : 'never', t.last_scrape ? t.duration_seconds.toFixed(3) + ' s' : '', t.error]),
			'the table');
		const up = j.targets.find(t => t.instance === UP), down = j.targets.find(t => t.instance === DEAD);
		assert(up && down && j.targets.length === 2, 'targets: ' + JSON.stringify(j.targets.map(t => t.instance)));
		eq([up.health, up.error, up.labels.env, up.job], ['up', '', 'e2e', 'gcjob'], 'the program');
		assert(up.types.every(t => t.scrapes >= 1 && t.failures === 0), 'the program\'s scrapes: ' + JSON.stringify(up.types));
		assert(up.last_scrape / 1e9 >= FROM && up.last_scrape / 1e9 <= Date.now() / 1000 + 1, 'last scrape ' + up.last_scrape);
		eq([down.health, down.labels.env], ['down', 'gone'], 'the dead address');
		assert(/refused|connect/i.test(down.error), 'the dead address\'s error: ' + down.error);
		assert(/1 down/.test(await page.textContent('#tgt-count')), 'count: ' + await page.textContent('#tgt-count'));
		assert(!(await page.isVisible('#gc-box')), 'the GC box shows on the targets page');
		await page.screenshot({path: path.join(SHOTS, 'targets.png')});
	});

	await check('another tenant: /api/v1/targets is 404 and the page has no Targets button', async () => {
		const a = await api(OTHER, 'targets');
		eq(a.status, 404, 'another tenant\'s /api/v1/targets');
		const none = await fetch(URL0 + '/api/v1/targets');
		eq(none.status, 401, 'no token');
		const p2 = await login(browser, OTHER);
		await p2.waitForTimeout(500);
		assert(!(await p2.isVisible('#targets-btn')), 'Targets button for another tenant');
		const m = await api(OTHER, `metrics?service=gcjob&name=gc_count&from=${FROM}&until=${UNTIL}`);
		eq(m.json.series, [], 'another tenant reads no GC series');
	});

	await check('no page errors', async () => { eq(pageErrors, [], 'page errors'); });
	await browser.close();
}
main().then(() => {
	console.log(`${passed} passed, ${failed} failed`);
	process.exit(failed ? 1 : 0);
}, e => {
	console.log('FAIL  ' + (e && e.stack || e));
	console.log(`${passed} passed, ${failed + 1} failed`);
	process.exit(1);
});
