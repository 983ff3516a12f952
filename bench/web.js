#!/usr/bin/env node
// How fast hearth web's flame graph is in a browser (headless Chromium, with
// playwright-core from tests/e2e/node_modules), and how fast pprof's web UI
// shows its flame graph, for comparison.  A benchmark, not a test: prints one
// JSON line.
//
//   node bench/web.js URL                    hearth web already serving at URL
//   node bench/web.js --hearth HEARTH PROFILE...
//                                            starts HEARTH web -no_browser on
//                                            the profiles, measures, stops it
//   node bench/web.js --pprof URL            go tool pprof -http serving at URL
//   node bench/web.js --pprof-start PROFILE  starts go tool pprof -http on
//                                            PROFILE, measures, stops it
//
// hearth: the page sets window.hearthStats (web/app.js): firstPaintMs is the
// time from navigation start to the end of the first flame graph draw (the
// API's answer included), lastDrawMs a full draw, zoomMs the redraw of a
// click's zoom, lastHoverMs a hover's work.  The script navigates (the
// server's first /api/flame: cold), then again (warm: answered from the
// server's cache), clicks its way down the widest frames and back
// (zoom_ms_*), moves the mouse over the graph (hover_ms_*), and reads the
// size of the /api/flame answer.  Then the call graph view: graph_ms is
// navigation start to the SVG shown at its first scale (graphPaintMs; the
// server lays it out on the first request), graph_warm_ms the same again.
//
// pprof: the time from navigation to the load event of /ui/flamegraph
// (pprof computes the graph on the server and sends it in the page), and
// the page's size.
//
// Environment: CHROMIUM (default /usr/bin/chromium), BENCH_HOVERS (default
// 60), BENCH_WIDTH/BENCH_HEIGHT (viewport, default 1280x900).
'use strict';
const path = require('path');
const {spawn} = require('child_process');
const {chromium} = require(path.join(__dirname, '..', 'tests', 'e2e', 'node_modules', 'playwright-core'));

const LAUNCH = {
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync'],
};
const VIEW = {width: +(process.env.BENCH_WIDTH || 1280), height: +(process.env.BENCH_HEIGHT || 900)};
const HOVERS = +(process.env.BENCH_HOVERS || 60);

function usage() {
	console.error('usage: node bench/web.js URL | --hearth HEARTH PROFILE... | --pprof URL | --pprof-start PROFILE');
	process.exit(2);
}
function median(a) {
	if (!a.length) return null;
	const s = a.slice().sort((x, y) => x - y);
	return s[s.length >> 1];
}
const r1 = x => x === null || x === undefined ? null : Math.round(x * 10) / 10;

/* Starts a server and resolves with its URL (the first http:// it prints). */
function serve(cmd, args, re) {
	return new Promise((resolve, reject) => {
		// its own process group: `go tool pprof` runs pprof as a child, and
		// both are stopped together at the end
		const p = spawn(cmd, args, {stdio: ['ignore', 'pipe', 'pipe'], detached: true});
		let out = '';
		const t0 = Date.now();
		const timer = setTimeout(() => reject(new Error(`${cmd} did not start within 600 s: ${out}`)), 600000);
		const on = d => {
			out += d;
			const m = re.exec(out);
			if (m) { clearTimeout(timer); resolve({proc: p, url: m[1].replace(/\/$/, ''), startMs: Date.now() - t0}); }
		};
		p.stdout.on('data', on);
		p.stderr.on('data', on);
		p.on('exit', c => { clearTimeout(timer); reject(new Error(`${cmd} exited (${c}): ${out}`)); });
	});
}

async function hearth(browser, url) {
	const page = await browser.newPage({viewport: VIEW});
	const res = {tool: 'hearth', url};
	const nav = async () => {
		const t0 = Date.now();
		await page.goto(url + '/?view=flame');
		await page.waitForFunction(() => window.hearthStats && window.hearthStats.firstPaintMs !== null,
			null, {timeout: 120000, polling: 10});
		const s = await page.evaluate(() => window.hearthStats);
		return {wall: Date.now() - t0, s};
	};
	const cold = await nav();
	res.first_paint_ms = r1(cold.s.firstPaintMs);
	res.first_paint_wall_ms = cold.wall;
	const warm = await nav();
	res.first_paint_warm_ms = r1(warm.s.firstPaintMs);
	res.flame_bytes = warm.s.flameBytes;
	res.frames = warm.s.frames;
	res.draw_ms = r1(warm.s.lastDrawMs);
	const info = await page.evaluate(() => {
		const f = window.hearth.main;
		return {merged_paths: f.D.merged_paths, resolution: f.D.resolution, depth: f.maxd, drawn: f.drawn};
	});
	Object.assign(res, info);

	// zoom: click the widest callee, level after level, then back to the root
	const zooms = [];
	for (let k = 0; k < 8; k++) {
		const p = await page.evaluate(() => {
			const f = window.hearth.main, z = f.z;
			let best = -1;
			for (const c of f.children(z)) if (best < 0 || f.W[c] > f.W[best]) best = c;
			if (best < 0) return null;
			const r = f.rect(best), b = f.cv.getBoundingClientRect();
			return r && {x: b.left + r[0] + Math.min(r[2], 60) / 2, y: b.top + r[1] + 9};
		});
		if (!p) break;
		await page.mouse.click(p.x, p.y);
		await page.waitForFunction(() => window.hearthStats.ready, null, {timeout: 60000});
		zooms.push(await page.evaluate(() => window.hearthStats.zoomMs));
	}
	// Esc: back to the root (a full redraw)
	await page.keyboard.press('Escape');
	await page.waitForFunction(() => window.hearthStats.ready && window.hearth.main.z === 0, null, {timeout: 60000});
	res.reset_draw_ms = r1(await page.evaluate(() => window.hearthStats.lastDrawMs));
	res.zoom_ms_median = r1(median(zooms));
	res.zoom_ms_max = r1(zooms.length ? Math.max(...zooms) : null);
	res.zooms = zooms.length;
	res.frames_after_zoom = await page.evaluate(() => window.hearthStats.frames);

	// hover: across the graph, row after row
	const box = await page.evaluate(() => {
		const b = window.hearth.main.cv.getBoundingClientRect();
		return {x: b.left, y: b.top, w: b.width, h: b.height};
	});
	const hovers = [];
	for (let k = 0; k < HOVERS; k++) {
		const x = box.x + 2 + ((k * 97) % 100) / 100 * (box.w - 4);
		const y = box.y + 2 + ((k * 37) % 100) / 100 * (box.h - 4);
		await page.mouse.move(x, y);
		const ms = await page.evaluate(() => window.hearthStats.lastHoverMs);
		if (ms !== null) hovers.push(ms);
	}
	res.hover_ms_median = r1(median(hovers));
	res.hover_ms_max = r1(hovers.length ? Math.max(...hovers) : null);

	// the call graph: navigation to the SVG shown at its first scale (the
	// server lays it out on the first request; a second one is cached)
	const graph = async () => {
		await page.goto(url + '/?view=graph');
		await page.waitForFunction(() => window.hearthStats && window.hearthStats.graphPaintMs !== undefined,
			null, {timeout: 120000, polling: 10});
		return page.evaluate(() => ({ms: window.hearthStats.graphPaintMs, nodes: document.querySelectorAll('#graph svg g.node').length}));
	};
	const g1 = await graph(), g2 = await graph();
	res.graph_ms = r1(g1.ms);
	res.graph_warm_ms = r1(g2.ms);
	res.graph_nodes = g1.nodes;
	await page.close();
	return res;
}

async function pprof(browser, url) {
	const page = await browser.newPage({viewport: VIEW});
	const t0 = Date.now();
	const resp = await page.goto(url + '/ui/flamegraph', {waitUntil: 'load', timeout: 600000});
	const wall = Date.now() - t0;
	const t = await page.evaluate(() => {
		const n = performance.getEntriesByType('navigation')[0];
		return {load: n.loadEventEnd, dcl: n.domContentLoadedEventEnd, ttfb: n.responseStart,
			bytes: n.decodedBodySize || document.documentElement.outerHTML.length};
	});
	await page.close();
	return {tool: 'pprof', url, status: resp ? resp.status() : null, load_ms: r1(t.load),
		first_byte_ms: r1(t.ttfb), dom_content_loaded_ms: r1(t.dcl), load_wall_ms: wall, page_bytes: t.bytes};
}

async function main() {
	const a = process.argv.slice(2);
	if (!a.length) usage();
	let server = null, mode, url;
	if (a[0] === '--hearth') {
		if (a.length < 3) usage();
		server = await serve(a[1], ['web', '-no_browser', '-http=127.0.0.1:0', ...a.slice(2)], /(http:\/\/\S+)/);
		mode = 'hearth';
	} else if (a[0] === '--pprof-start') {
		if (a.length < 2) usage();
		// pprof says the address it was given, not the port it got: find a free one
		const port = await new Promise((resolve, reject) => {
			const srv = require('net').createServer();
			srv.on('error', reject);
			srv.listen(0, '127.0.0.1', () => { const p = srv.address().port; srv.close(() => resolve(p)); });
		});
		server = await serve('go', ['tool', 'pprof', '-no_browser', `-http=127.0.0.1:${port}`, ...a.slice(1)],
			/Serving web UI on (http:\/\/\S+)/);
		mode = 'pprof';
	} else if (a[0] === '--pprof') {
		if (a.length < 2) usage();
		url = a[1];
		mode = 'pprof';
	} else {
		url = a[0];
		mode = 'hearth';
	}
	if (server) url = server.url;
	url = url.replace(/\/$/, '');
	const browser = await chromium.launch(LAUNCH);
	try {
		const res = mode === 'hearth' ? await hearth(browser, url) : await pprof(browser, url);
		if (server) res.server_start_ms = server.startMs;
		console.log(JSON.stringify(res));
	} finally {
		await browser.close();
		if (server) {
			try { process.kill(-server.proc.pid, 'SIGTERM'); } catch (e) { server.proc.kill(); }
		}
	}
}
main().catch(e => { console.error('bench/web.js: ' + (e && e.stack || e)); process.exit(1); });
