// The second pass over hearth web's views (issue 14), run by tests/e2e/e2e.js
// with its harness (h: the browser helpers, check, assert, eq, cli):
//
//   - the both view: the default on a wide window; a row's click highlights
//     exactly the frames of its function (counted on the canvas's hit
//     regions, against the call paths of `hearth folded`), the rest dimmed;
//     a frame's click selects its row, hovering a frame marks its row (in
//     sight);
//   - the source view: a clicked line shows the calls inlined at it and its
//     instructions with their values, row for row as hearth weblist's page;
//   - the call graph at first paint: the heaviest nodes' text at least 9 CSS
//     px tall and the heaviest node in the window;
//   - axe-core on every view, light and dark: no serious or critical
//     violations;
//   - every view at 1400, 800 and 420 px wide, light and dark, as
//     screenshots (SHOTS/views/VIEW-WIDTH-SCHEME.png), and nothing wider
//     than the window.
'use strict';
const fs = require('fs');
const path = require('path');

module.exports = async function views(h) {
	const {check, assert, eq, cli, go, ready, newPage, URL0, PROFILE} = h;
	const page = await newPage({viewport: {width: 1400, height: 860}});

	/* hearth folded's call paths: for each function, the distinct stack
	 * prefixes that end in it (one flame graph frame each) and their
	 * values. */
	const paths = new Map();
	let total = 0;
	for (const line of cli(['folded', PROFILE]).split('\n')) {
		const m = /^(.*) (\d+)$/.exec(line);
		if (!m || line.startsWith('#')) continue;
		/* an inlined frame is marked _[i] (a frame of its own, under the same name) */
		const v = +m[2], fr = m[1].split(';'), nm = fr.map(x => x.replace(/_\[i\]$/, ''));
		total += v;
		for (let k = 0; k < fr.length; k++) {
			const key = fr.slice(0, k + 1).join(';');
			if (!paths.has(nm[k])) paths.set(nm[k], new Map());
			const p = paths.get(nm[k]);
			p.set(key, (p.get(key) || 0) + v);
		}
	}

	await check('both view: the default on a wide window; a row click highlights exactly its function\'s frames', async () => {
		await go(page, URL0);
		assert(await page.isVisible('#view-top') && await page.isVisible('#view-flame'), 'table and flame graph side by side');
		eq(await page.getAttribute('#views button[data-view=both]', 'aria-pressed'), 'true', 'both is the default at 1400 px');
		/* the function with the most call paths, each wide enough to draw */
		let name = null, want = 0;
		for (const [n, p] of paths) {
			if (p.size > want && [...p.values()].every(v => v >= total / 300)) { name = n; want = p.size; }
		}
		assert(name && want >= 2, 'a function on several call paths: ' + name);
		const row = page.locator('#toptable tbody tr', {has: page.locator('td.name', {hasText: new RegExp('^' + name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$')})});
		eq(await row.count(), 1, 'one row for ' + name);
		await row.locator('td.name').click();
		await ready(page);
		eq(new URL(page.url()).searchParams.get('f'), name, 'the row is the selected function');
		const r = await page.evaluate(() => {
			const f = window.hearth.main;
			return {hl: f.hits.filter(x => x.hl).map(x => f.name(x.i)), lit: f.hits.filter(x => !x.dim).length,
				dim: f.hits.filter(x => x.dim).length, all: f.hits.length};
		});
		eq(r.hl.length, want, `highlighted frames of ${name} (hearth folded's call paths to it)`);
		assert(r.hl.every(n => n === name), 'only its frames: ' + r.hl.join(', '));
		eq(r.lit, want, 'every other frame dimmed');
		assert(r.dim > 0 && r.dim + r.lit === r.all, JSON.stringify(r));
		assert(await row.evaluate(tr => tr.classList.contains('selected')), 'the row is marked');
		await h.shot(page, 'both-row-selected');
		/* hovering another row lights that one, leaving the table the selected one */
		const other = (await page.$$eval('#toptable tbody td.name', tds => tds.map(t => t.textContent))).find(n => n !== name && paths.has(n));
		await page.hover(`#toptable tbody tr:has(td.name:text-is("${other}"))`);
		const ho = await page.evaluate(() => { const f = window.hearth.main; return f.hits.filter(x => x.hl).map(x => f.name(x.i)); });
		assert(ho.length === paths.get(other).size && ho.every(n => n === other), `hover ${other}: ${ho}`);
		await page.mouse.move(1395, 5);
		await page.waitForFunction(n => { const f = window.hearth.main; return f.hl >= 0 && f.name(f.hits.find(x => x.hl).i) === n; }, name);
		/* again: unselected, nothing dimmed */
		await row.locator('td.name').click();
		await ready(page);
		await page.mouse.move(1395, 5);
		eq(new URL(page.url()).searchParams.get('f'), null, 'a second click unselects');
		await page.waitForFunction(() => window.hearth.main.hits.filter(x => x.dim).length === 0);
	});

	await check('both view: a frame click selects its row (in sight)', async () => {
		await go(page, URL0, 'view=both');
		const target = 'runtime.mallocgc';
		const f = await h.frame(page, target);
		assert(f && f.rect, target + ' drawn');
		await page.mouse.click(f.x, f.y);
		await ready(page);
		const sel = await page.$$eval('#toptable tbody tr.selected td.name', tds => tds.map(t => t.textContent));
		eq(sel, [target], 'the selected row');
		const vis = await page.evaluate(() => {
			const tr = document.querySelector('#toptable tbody tr.selected'), b = document.getElementById('view-top');
			const r = tr.getBoundingClientRect(), q = b.getBoundingClientRect();
			return r.top >= q.top && r.bottom <= q.bottom && r.bottom <= window.innerHeight;
		});
		assert(vis, 'the selected row is scrolled into sight');
		await h.shot(page, 'both-frame-selected');
	});

	await check('both view: hovering a frame marks exactly its function\'s row, in sight', async () => {
		await page.setViewportSize({width: 1400, height: 500});
		await go(page, URL0, 'view=both');
		/* the frames wide enough to point at, one per function, the deepest
		 * first (their rows are the lowest in the table) */
		const frames = await page.evaluate(() => {
			const f = window.hearth.main, b = f.cv.getBoundingClientRect(), seen = new Set(), out = [];
			for (let i = f.N - 1; i > 0; i--) {
				const r = f.rect(i), n = f.name(i);
				if (!r || r[2] < 6 || seen.has(n)) continue;
				seen.add(n);
				out.push({n, x: b.left + r[0] + Math.min(r[2], 40) / 2, y: b.top + r[1] + 9});
			}
			return out;
		});
		const names = new Set(await page.$$eval('#toptable tbody td.name', tds => tds.map(t => t.title)));
		assert(frames.length >= 5, 'frames to hover: ' + frames.length);
		let marked = 0, scrolled = false;
		for (const fr of frames.slice(0, 30)) {
			await page.mouse.move(fr.x, fr.y);
			const r = await page.evaluate(() => {
				const trs = Array.from(document.querySelectorAll('#toptable tbody tr.hovered'));
				const box = document.getElementById('view-top'), q = box.getBoundingClientRect();
				const head = box.querySelector('thead').getBoundingClientRect();
				return {rows: trs.map(tr => tr.querySelector('td.name').title), scroll: box.scrollTop,
					/* the table scrolled to its end: its last rows may stay below the window */
					end: box.scrollTop >= box.scrollHeight - box.clientHeight - 1,
					seen: trs.every(tr => {
						const b = tr.getBoundingClientRect();
						return b.top >= head.bottom - 1 && b.bottom <= Math.min(q.bottom, window.innerHeight) + 1;
					})};
			});
			eq(r.rows, names.has(fr.n) ? [fr.n] : [], 'the marked row when ' + fr.n + ' is under the mouse');
			assert(r.seen || r.end, 'the marked row of ' + fr.n + ' is in the table\'s sight');
			if (r.rows.length) marked++;
			if (r.scroll > 0) scrolled = true;
		}
		assert(marked >= 5, 'rows marked: ' + marked);
		assert(scrolled, 'a row below the table\'s fold was brought into sight');
		await h.shot(page, 'both-frame-hovered');
		/* off the flame graph: no row marked */
		await page.mouse.move(1395, 5);
		eq(await page.$$eval('#toptable tbody tr.hovered', t => t.length), 0, 'no row marked once the mouse leaves');
		await page.setViewportSize({width: 1400, height: 860});
	});

	await check('graph: the heaviest nodes\' text is at least 9 CSS px at first paint, the heaviest in the window', async () => {
		for (const [w, ht] of [[1400, 860], [800, 700]]) {
			await page.setViewportSize({width: w, height: ht});
			await go(page, URL0, 'view=graph');
			await page.waitForSelector('#graph svg g.node');
			const r = await page.evaluate(() => {
				const svg = document.querySelector('#graph svg'), box = document.getElementById('graph').getBoundingClientRect();
				return svg._heaviest().slice(0, 3).map(n => {
					const texts = Array.from(n.g.querySelectorAll('text')).map(t => t.getBoundingClientRect());
					const b = n.g.getBoundingClientRect();
					return {name: n.name, px: Math.min(...texts.map(t => t.height)),
						inside: b.left >= box.left && b.right <= box.right && b.top >= box.top && b.bottom <= box.bottom};
				});
			});
			assert(r.length === 3, 'three nodes');
			/* a 9 px font's text box is about 1.15 x 9 px tall */
			for (const n of r) assert(n.px >= 9 * 1.1, `${w} px: ${n.name}'s text is ${n.px.toFixed(1)} px tall`);
			assert(r[0].inside, `${w} px: the heaviest node ${r[0].name} is in the window`);
			await h.shot(page, 'graph-first-paint-' + w);
		}
		await page.setViewportSize({width: 1400, height: 860});
	});

	await check('flame labels: an ellipsis, the last package segment kept, none under 4 characters; a zoom fills the canvas; one-line breadcrumb', async () => {
		await go(page, URL0, 'view=flame');
		const sh = await page.evaluate(() => [HearthFlame.shorten('regexp.(*bitState).push', 14),
			HearthFlame.shorten('github.com/acme/app/store.(*T).M', 14), HearthFlame.shorten('github.com/acme/app/store.(*T).Method', 10)]);
		eq(sh, ['regexp.(*bitS\u2026', 'store.(*T).M', 'store.(*T\u2026'], 'shortened names');
		const bad = await page.evaluate(() => {
			const f = window.hearth.main, ctx = f.ctx, out = [];
			for (const h of f.hits) {
				const name = h.i === 0 ? 'root' : f.name(h.i);
				if (h.label) {
					if (h.label.length < 4 || ctx.measureText(h.label).width > h.w - 6 + 0.5) out.push('too long: ' + h.label + ' in ' + h.w);
					if (h.label !== name && !h.label.endsWith('\u2026') && !name.endsWith('/' + h.label) && !name.endsWith(h.label)) out.push('odd: ' + h.label);
				} else if (ctx.measureText(name.slice(0, 3) + '\u2026').width <= h.w - 6 - f.CW) out.push('no label in ' + h.w + ': ' + name);
			}
			return out;
		});
		eq(bad, [], 'labels');
		const f = await h.frame(page, 'main.LongRunningFunction');
		await page.mouse.click(f.x, f.y);
		await ready(page);
		const z = await page.evaluate(() => {
			const f = window.hearth.main;
			let d = 0;
			for (let i = f.z; i < f.END[f.z]; i++) d = Math.max(d, f.DEP[i]);
			return {css: parseFloat(f.cv.style.height), want: (d + 1) * 18, top: Math.min(...f.hits.map(x => x.y)), full: (f.maxd + 1) * 18};
		});
		eq([z.css, z.top], [z.want, 0], 'the zoomed graph is as tall as its frame\'s callees, the top row used');
		assert(z.want < z.full, 'shorter than the whole graph');
		await page.setViewportSize({width: 420, height: 800});
		await page.waitForTimeout(200);
		const cr = await page.evaluate(() => Array.from(document.querySelectorAll('#crumbs .crumb')).map(b => b.getBoundingClientRect().top));
		assert(cr.length >= 4 && cr.every(t => Math.abs(t - cr[0]) < 1), 'breadcrumb on one line: ' + cr);
		await h.shot(page, 'crumbs-420');
		await page.setViewportSize({width: 1400, height: 860});
	});

	await check('the flame graph canvas is in the Tab order, with a visible focus ring', async () => {
		await go(page, URL0, 'view=flame');
		await page.mouse.move(1395, 5);
		let k = 0;
		for (; k < 60; k++) {
			await page.keyboard.press('Tab');
			if (await page.evaluate(() => document.activeElement && document.activeElement.id === 'flame')) break;
		}
		assert(k < 60, 'Tab never reached the canvas');
		const o = await page.evaluate(() => { const c = getComputedStyle(document.getElementById('flame')); return [c.outlineStyle, parseFloat(c.outlineWidth)]; });
		assert(o[0] === 'solid' && o[1] >= 2, 'focus ring: ' + o);
		/* the arrow keys walk the graph from there */
		await page.keyboard.press('ArrowUp');
		assert(await page.evaluate(() => window.hearth.main.sel >= 0), 'a frame selected from the keyboard');
	});

	await check('search dims what does not match (flame, sandwich); next and previous walk the matches; the share stays', async () => {
		const q = 'math\\.(sinh|Exp)', re = new RegExp(q);
		await go(page, URL0, 'view=flame&q=' + encodeURIComponent(q));
		await page.waitForFunction(() => /Matched/.test(document.getElementById('matched').textContent));
		const share = await page.textContent('#matched');
		const r = await page.evaluate(() => {
			const f = window.hearth.main;
			return {lit: f.hits.filter(x => !x.dim).map(x => f.name(x.i)), dim: f.hits.filter(x => x.dim).map(x => f.name(x.i)),
				matches: f.matches().map(i => f.name(i))};
		});
		assert(r.lit.length >= 2 && r.lit.every(n => re.test(n)), 'lit: ' + r.lit);
		assert(r.dim.length > 0 && r.dim.every(n => !re.test(n)), 'dimmed: ' + r.dim.filter(n => re.test(n)));
		eq(r.lit.length, r.matches.length, 'every match drawn lit');
		const sel = async () => page.evaluate(() => { const f = window.hearth.main; return f.matches().indexOf(f.sel); });
		await page.click('#match-next');
		eq(await sel(), 0, 'next: the first match');
		await page.click('#match-next');
		eq(await sel(), 1, 'next: the second');
		await page.click('#match-prev');
		eq(await sel(), 0, 'previous: the first again');
		await page.click('#match-prev');
		eq(await sel(), r.matches.length - 1, 'previous wraps to the last');
		eq(await page.textContent('#matched'), share, 'the matched share stays');
		await go(page, URL0, 'view=sandwich&f=main.DoWork&q=' + encodeURIComponent(q));
		await page.waitForFunction(() => window.hearth.sandwich[1].hits.length > 0);
		const sw = await page.evaluate(() => window.hearth.sandwich.map(f => ({lit: f.hits.filter(x => !x.dim).map(x => f.name(x.i)),
			dim: f.hits.filter(x => x.dim).length})));
		assert(sw[1].lit.length > 0 && sw[1].lit.every(n => re.test(n)) && sw[1].dim > 0, 'sandwich callees: ' + JSON.stringify(sw[1]));
	});

	await check('filters as chips (the whole regexp on hover, x removes one); names offered in the fields', async () => {
		await go(page, URL0, 'view=top&focus=' + encodeURIComponent('main\\.') + '&ignore=leak');
		const chips = await page.$$eval('#chips .chip', cs => cs.map(c => c.title));
		eq(chips, ['focus=main\\.', 'ignore=leak'], 'chips');
		await page.click('#chips .chip:nth-child(2) button');
		await ready(page);
		const u = new URL(page.url()).searchParams;
		assert(u.get('focus') === 'main\\.' && !u.has('ignore'), 'ignore removed: ' + page.url());
		const rows = await page.$$eval('#toptable tbody tr', t => t.length);
		const want = h.cliTop(['-focus=main\\.', PROFILE]).rows.length;
		eq(rows, want, 'rows as hearth top -focus=main\\.');
		eq(await page.getAttribute('#refine input[name=focus]', 'list'), 'fnames', 'the focus field offers names');
		const names = await page.$$eval('#fnames option', os => os.map(o => o.value));
		assert(names.includes('main.leakSome') && names.includes('runtime.mallocgc'), 'names offered: ' + names.length);
		/* the tag field offers hearth tags' keys and values */
		const tagWant = [];
		let key = null;
		for (const l of cli(['tags', PROFILE]).split('\n')) {
			const k = /^\s(\S.*): Total /.exec(l), v = /^\s+\S+ \([^)]*\): (.*)$/.exec(l);
			if (k) { key = k[1]; tagWant.push(key + '='); } else if (v && key !== null) tagWant.push(key + '=' + v[1]);
		}
		assert(tagWant.includes('handler=long'), 'hearth tags: ' + tagWant);
		await page.focus('#refine input[name=tagfocus]');
		await page.waitForFunction(n => document.querySelectorAll('#tagnames option').length >= n, tagWant.length);
		eq(await page.$$eval('#tagnames option', os => os.map(o => o.value)), tagWant, 'tag keys and values offered');
	});

	await check('a search error\'s Reset options resets the search only', async () => {
		await go(page, URL0, 'view=top&focus=main&q=' + encodeURIComponent('main.('));
		await page.waitForFunction(() => !document.getElementById('msg').hidden);
		await page.click('#msg-reset');
		await ready(page);
		const u = new URL(page.url()).searchParams;
		assert(u.get('focus') === 'main' && !u.has('q'), 'after reset: ' + page.url());
		assert(await page.isHidden('#msg'), 'message gone');
	});

	await check('source: lines shaded by their cost, lines without samples greyed, text as hearth list', async () => {
		/* a function whose file is there (Go's own, found through GOROOT) */
		await go(page, URL0, 'view=source&f=runtime.mallocgc');
		const want = cli(['list', '-list=^runtime\\.mallocgc$', PROFILE]).trimEnd().split('\n');
		const LN = /^\s*(\S+)\s+(\S+)\s+(\d+):/;
		const cold = want.filter(l => { const m = LN.exec(l); return m && m[2] === '.'; }).length;
		const hot = want.filter(l => { const m = LN.exec(l); return m && m[2] !== '.'; }).length;
		const r = await page.evaluate(() => ({cold: document.querySelectorAll('#source-text .ln.cold').length,
			shaded: Array.from(document.querySelectorAll('#source-text .ln')).filter(e => e.style.background).length,
			text: document.getElementById('source-text').textContent}));
		eq(r.text.trimEnd().split('\n'), want, 'the text');
		assert(cold > 0 && hot > 0, 'list has both kinds');
		eq([r.cold, r.shaded], [cold, hot], 'cold and shaded lines');
		await h.shot(page, 'source-shaded');
	});

	await check('source: a clicked line shows the calls inlined at it and its instructions as hearth weblist', async () => {
		await go(page, URL0, 'view=source&f=math.sinh');
		await page.waitForSelector('#source-text .ln[data-line]');
		/* hearth weblist's rows under each line: inlined calls (the call
		 * site's source, file:line), instructions, gaps */
		const un = t => t.replace(/<[^>]*>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'")
			.replace(/&#34;/g, '"').replace(/&#43;/g, '+').replace(/&amp;/g, '&');
		const row = t => {
			const c = /<span class=inlinesrc>(.*?)<\/span> <span class=unimportant>(.*?)<\/span>/.exec(t);
			if (c) return ['call', un(c[1]).trim(), un(c[2])];
			if (un(t).trim() === '\u22ee') return ['gap'];
			const m = /^\s*(\S+)\s+(\S+)\s+([0-9a-f]+): (.*?)\s*(\S+:\d+)?\s*$/.exec(un(t));
			return ['inst', m[1], m[2], m[3], m[4].split(/\s+/).join(' '), un(m[5] || '')];
		};
		const want = new Map();
		let cur = null;
		for (const l of cli(['weblist', '^math\\.sinh$', PROFILE]).split('\n')) {
			const m = /^<span class=line>\s*(\d+)<\/span> <span class=\w+>/.exec(l);
			if (m) {
				cur = null;
				const i = l.indexOf('<span class=asm>');
				if (i >= 0) {
					want.set(m[1], cur = []);
					if (l.slice(i + 16).trim()) cur.push(row(l.slice(i + 16)));
				}
			} else if (cur && l.startsWith('</span>')) cur = null;
			else if (cur) cur.push(row(l));
		}
		const lines = [...want.keys()].filter(k => want.get(k).length);
		assert(lines.some(k => want.get(k).some(r => r[0] === 'call')), 'weblist has inlined calls: ' + JSON.stringify([...want]));
		for (const ln of lines) {
			const sp = page.locator(`#source-text .ln[data-line="${ln}"]`);
			eq(await sp.count(), 1, 'line ' + ln + ' can be clicked');
			await sp.click();
			await page.waitForFunction(n => { const a = document.querySelector(`#source-text .ln[data-line="${n}"]`).nextSibling;
				return a && a.classList.contains('asm') && !/Loading/.test(a.textContent); }, ln);
			const got = await sp.evaluate(e => Array.from(e.nextSibling.querySelectorAll('.bd')).map(r => [r.className, r.textContent.replace(/\n$/, '')]));
			const rows = got.map(([k, t]) => {
				if (/gap/.test(k)) return ['gap'];
				if (/call/.test(k)) { const m = /^\s*(.*?\S)?\s\s(\S+:\d+)$/.exec(t); return ['call', (m[1] || '').trim(), m[2]]; }
				const m = /^\s*(\S+)\s+(\S+)\s+([0-9a-f]+): (.*?)(?:\s\s(\S+:\d+))?$/.exec(t);
				return ['inst', m[1], m[2], m[3], m[4].split(/\s+/).join(' '), m[5] || ''];
			});
			eq(rows, want.get(ln), 'line ' + ln + ': the rows under it');
		}
		await h.shot(page, 'source-breakdown');
	});

	await check('source of a file that cannot be read: each line\'s flat and cum as hearth top -lines', async () => {
		await go(page, URL0, 'view=source&f=main.leakSome');
		await page.waitForSelector('#source-lines:not([hidden]) .ln');
		const got = await page.$$eval('#source-lines .ln', ls => ls.map(l => l.textContent.trim().split(/\s+/)));
		const want = h.cliTop(['-lines', '-nodefraction=0', PROFILE]).rows.filter(r => r[5].startsWith('main.leakSome '))
			.map(r => [r[0], r[3], r[5].split(' ')[1]]).sort((a, b) => +a[2].split(':')[1] - +b[2].split(':')[1]);
		assert(want.length >= 2, 'hearth top -lines rows: ' + want.length);
		eq(got, want, 'per-line figures');
		await h.shot(page, 'source-missing-file');
	});

	await check('flame graph export as SVG and PNG; downloads never take the original\'s name; the title names the profile', async () => {
		await go(page, URL0, 'view=flame');
		const title = await page.title();
		assert(title.includes('leaky.cpu.pb.gz'), 'title: ' + title);
		await page.click('#download summary');
		const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-svg')]);
		eq(dl.suggestedFilename(), 'leaky.cpu.flame.svg', 'SVG name');
		const svg = fs.readFileSync(await dl.path(), 'utf8');
		const nrect = (svg.match(/<rect /g) || []).length;
		eq(nrect, await page.evaluate(() => window.hearth.main.hits.length), 'one rect per frame drawn');
		assert(svg.includes('>main.leakSome<') && !/<script/i.test(svg), 'labels as text');
		await page.click('#download summary');
		const [dp] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
		eq(dp.suggestedFilename(), 'leaky.cpu.flame.png', 'PNG name');
		const png = fs.readFileSync(await dp.path());
		eq(png.slice(1, 4).toString(), 'PNG', 'a PNG');
		const names = await page.evaluate(async () => {
			const out = [];
			for (const qs of ['format=pprof', 'format=pprof&focus=main', 'format=folded&focus=main']) {
				const r = await fetch('/api/download?' + qs);
				out.push((/filename="([^"]*)"/.exec(r.headers.get('content-disposition') || '') || [])[1]);
			}
			return out;
		});
		eq(names, ['leaky.cpu.hearth.pb.gz', 'leaky.cpu.focused.pb.gz', 'leaky.cpu.focused.folded'], 'download names');
	});

	if (h.DIFF_URL) {
		await check('diff: a colour legend, the base named, before/after/change/% columns equal hearth top of each file', async () => {
			await go(page, h.DIFF_URL, 'view=top');
			assert(await page.isVisible('#legend'), 'legend shown');
			const lb = await page.textContent('#legend-base');
			assert(lb.includes(path.basename(h.DIFF_BASE)), 'base named: ' + lb);
			await page.waitForFunction(() => document.querySelector('#toptable tbody td.before[data-v]'));
			const rows = await page.$$eval('#toptable tbody tr', trs => trs.map(tr => ({
				name: tr.querySelector('td.name').firstChild.textContent,
				b: tr.querySelector('td.before').dataset.v, a: tr.querySelector('td.after').dataset.v,
				d: tr.querySelector('td.delta').textContent, p: tr.querySelector('td.deltapct').textContent})));
			const flat = f => {
				const m = new Map();
				for (const r of h.cliTop(['-nodefraction=0', '-nodecount=100000', f]).rows) m.set(r[5].replace(/ \((partial-)?inline\)$/, ''), h.seconds(r[0]));
				return m;
			};
			const B = flat(h.DIFF_BASE), A = flat(h.DIFF_PROFILE);
			let n = 0;
			for (const r of rows) {
				if (r.b === undefined) continue;
				const b = (B.get(r.name) || 0) * 1e9, a = (A.get(r.name) || 0) * 1e9;
				assert(Math.abs(+r.b - b) < 1e3 && Math.abs(+r.a - a) < 1e3, `${r.name}: before ${r.b} after ${r.a}, hearth top ${b} ${a}`);
				if (b) {
					const pc = (a - b) / b * 100, shown = parseFloat(r.p.replace('\u2212', '-'));
					assert(Math.abs(shown - pc) < 0.06, `${r.name}: ${r.p} vs ${pc}`);
				}
				n++;
			}
			assert(n >= 5, 'rows compared: ' + n);
			await h.shot(page, 'diff-top-columns');
		});
	}

	const axeSrc = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
	const VIEWS = [
		['both', URL0, 'view=both'], ['flame', URL0, 'view=flame'], ['top', URL0, 'view=top'], ['graph', URL0, 'view=graph'],
		['source', URL0, 'view=source&f=main.leakSome'], ['peek', URL0, 'view=peek&f=main.leakSome'],
		['sandwich', URL0, 'view=sandwich&f=math.sinh'], ['disasm', URL0, 'view=disasm&f=main.leakSome'],
		['search', URL0, 'view=both&q=math%5C.'],
	];
	if (h.DIFF_URL) VIEWS.push(['diff-both', h.DIFF_URL, 'view=both']);
	const dir = path.join(h.SHOTS, 'views');
	fs.mkdirSync(dir, {recursive: true});

	/* One walk per colour scheme: each view loads at each width (axe runs
	 * at 1400 px), then the two checks say what it found. */
	for (const scheme of ['light', 'dark']) {
		// axe-core goes in as an inline script, which the page's
		// Content-Security-Policy refuses (rightly): this page bypasses it.
		const p = await newPage({colorScheme: scheme, viewport: {width: 1400, height: 860}, bypassCSP: true});
		const bad = [], over = [];
		let rules = 0, walked = null;
		try {
			for (const [v, base, qs] of VIEWS) {
				for (const w of [1400, 800, 420]) {
					await p.setViewportSize({width: w, height: w === 420 ? 800 : 860});
					await go(p, base, qs);
					if (w === 1400) {
						if (!await p.evaluate(() => !!window.axe)) await p.addScriptTag({content: axeSrc});
						const res = await p.evaluate(() => window.axe.run(document, {resultTypes: ['violations']}));
						rules += res.passes.length + res.violations.length;
						for (const x of res.violations) {
							if (x.impact !== 'serious' && x.impact !== 'critical') continue;
							bad.push(`${v}: ${x.id} (${x.impact}) ${x.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
						}
					}
					const o = await p.evaluate(() => {
						const W = document.documentElement.clientWidth, out = [];
						/* inside a box that scrolls or clips, which itself fits */
						const clipped = e => {
							for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
								if (getComputedStyle(a).overflowX !== 'visible') return a.getBoundingClientRect().right <= W + 1;
							return false;
						};
						if (document.documentElement.scrollWidth > W + 1) out.push('page ' + document.documentElement.scrollWidth);
						for (const e of document.querySelectorAll('header *, #refine *, main *, #sub, #note')) {
							const r = e.getBoundingClientRect();
							if (r.width && r.right > W + 1 && getComputedStyle(e).visibility !== 'hidden' && !e.closest('#graph svg, .popup, #ctx') && !clipped(e))
								out.push((e.id ? '#' + e.id : e.tagName.toLowerCase() + '.' + e.className) + ' ' + Math.round(r.right));
						}
						return out.slice(0, 4);
					});
					if (o.length) over.push(`${v} ${w}: ${o.join(', ')}`);
					await p.screenshot({path: path.join(dir, `${v}-${w}-${scheme}.png`)});
				}
			}
		} catch (e) {
			walked = e;
		}
		await check(`axe-core: every view (${scheme}) has no serious or critical violation`, async () => {
			if (walked) throw walked;
			assert(rules > 20 * VIEWS.length, 'axe ran its rules: ' + rules);
			eq(bad, [], 'violations');
		});
		await check(`every view at 1400, 800 and 420 px (${scheme}): screenshots, nothing overflows horizontally`, async () => {
			if (walked) throw walked;
			eq(over, [], 'wider than the window');
		});
		await p.close();
	}
	await page.close();
};
