// hearth web's page under hostile input (issue 14, item 10), in headless
// Chromium (Debian's) through playwright-core, against a server that
// tests/cli/hardening_check.py started:
//   - the page loads and draws under its Content-Security-Policy, with no
//     violation reported;
//   - a crafted link (?q= a regexp that backtracks without bound) leaves the
//     page responsive: the search is said to be too costly, and the page
//     answers a script within seconds;
//   - a plain search still marks frames (the names come from the server).
//
//   E2E_URL=http://127.0.0.1:P node tests/e2e/hardening.js
//
// Prints one line per check and, last, "N passed, M failed".
'use strict';
const {chromium} = require('playwright-core');

const URL0 = process.env.E2E_URL;
let passed = 0, failed = 0;
setTimeout(() => {
	console.log('FAIL  watchdog: not finished within 120 s');
	console.log(`${passed} passed, ${failed + 1} failed`);
	process.exit(1);
}, 120000).unref();

async function check(name, fn) {
	try {
		await fn();
		passed++;
		console.log(`ok    ${name}`);
	} catch (e) {
		failed++;
		console.log(`FAIL  ${name}: ${String(e && e.message || e).split('\n')[0]}`);
	}
}
function assert(c, msg) { if (!c) throw new Error(msg || 'assertion failed'); }

(async () => {
	const browser = await chromium.launch({executablePath: '/usr/bin/chromium', args: ['--no-sandbox']});
	try {
		const page = await browser.newPage();
		const violations = [];
		page.on('console', m => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
		await check('page: draws the flame graph under its CSP, no violation', async () => {
			await page.goto(URL0 + '/', {waitUntil: 'load'});
			await page.waitForFunction(() => window.hearthStats && window.hearthStats.ready, null, {timeout: 30000});
			await page.waitForTimeout(300);
			assert(violations.length === 0, violations.join(' | '));
		});
		const evil = '(\\S*\\S*\\S*\\S*\\S*\\S*)*^';
		await check('page: a crafted ?q= link leaves the page responsive', async () => {
			await page.goto(URL0 + '/?view=flame&q=' + encodeURIComponent(evil), {waitUntil: 'load'});
			const t = Date.now();
			// A script runs at once: the main thread is not stuck in a regexp.
			const r = await Promise.race([
				page.evaluate(() => 6 * 7),
				new Promise(res => setTimeout(() => res('stuck'), 10000)),
			]);
			assert(r === 42, 'the page did not answer: ' + r);
			await page.waitForFunction(() => /bad search|costly/i.test(document.body.innerText), null, {timeout: 20000});
			assert(Date.now() - t < 30000, 'slow');
		});
		await check('page: a plain search marks frames, names from the server', async () => {
			await page.goto(URL0 + '/?view=flame&q=' + encodeURIComponent('regexp'), {waitUntil: 'load'});
			await page.waitForFunction(() => /Matched: /.test(document.getElementById('matched').textContent), null, {timeout: 30000});
			// The frames marked are those of the names the server matched.
			await page.waitForFunction(() => window.hearth && hearth.main && hearth.main.matches().length > 0, null, {timeout: 20000});
			const bad = await page.evaluate(() => hearth.main.matches().filter(i => !/regexp/.test(hearth.main.name(i))).length);
			assert(bad === 0, bad + ' marked frames do not match');
		});
		await check('sandwich: rooted at the function by its exact name (one frame under the root)', async () => {
			const fn = 'regexp.(*Regexp).backtrack';
			await page.goto(URL0 + '/?view=sandwich&f=' + encodeURIComponent(fn), {waitUntil: 'load'});
			await page.waitForFunction(() => window.hearthStats.ready, null, {timeout: 30000});
			const tops = await page.evaluate(() => window.hearth.sandwich.map(g => {
				const D = g.D, out = [];
				for (let i = 0; i < D.frames.depth.length; i++)
					if (D.frames.depth[i] === 1) out.push(D.names[D.frames.name[i]]);
				return out;
			}));
			assert(JSON.stringify(tops) === JSON.stringify([[fn], [fn]]), JSON.stringify(tops));
		});
	} finally {
		await browser.close();
	}
	console.log(`${passed} passed, ${failed} failed`);
	process.exit(failed ? 1 : 0);
})().catch(e => { console.log('FAIL  ' + e); console.log(`${passed} passed, ${failed + 1} failed`); process.exit(1); });
