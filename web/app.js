/* hearth web: the page.  Talks only to the JSON API under /api/
 * (docs/web-ui.md, the contract in the server's notes); the whole state of
 * a view is in the page's URL, so reloading or sharing a link shows the same
 * thing.  Data from the profile (names above all) only ever reaches the page
 * as textContent or canvas text, never as markup.
 *
 * window.hearthStats tells how fast the flame graph is (bench/web.js reads
 * it): firstPaintMs (from navigation start to the end of the first flame
 * graph draw), lastDrawMs (the last full draw), zoomMs (the last zoom's
 * redraw), lastHoverMs (the last hover's work), draws (how many full draws),
 * pending (answers awaited), flameBytes and frames (the last /api/flame
 * payload), graphPaintMs (navigation start to the first call graph shown). */
(function () {
'use strict';

var REFINE = ['focus', 'ignore', 'hide', 'show', 'show_from', 'tagfocus'];
var VIEWS = ['flame', 'top', 'graph', 'source', 'peek', 'sandwich', 'disasm'];
/* Views of the URL: VIEWS' sections, and "both", the top table beside the
 * flame graph (their two sections side by side). */
var ALLVIEWS = ['both'].concat(VIEWS);
/* The default view: both on a window wide enough for a table and a flame
 * graph side by side, else the flame graph. */
var BOTH_MIN = 1200;
function defaultView() { return window.innerWidth >= BOTH_MIN ? 'both' : 'flame'; }
var TOP_LIMIT = 1000;

function $(id) { return document.getElementById(id); }
function el(tag, cls, text) {
	var e = document.createElement(tag);
	if (cls) e.className = cls;
	if (text !== undefined && text !== null) e.textContent = text;
	return e;
}
function reQuote(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }
function exact(name) { return '^' + reQuote(name) + '$'; }

var S = new URLSearchParams(location.search);
/* Where the views' answers come from.  hearth web: /api/VIEW on the one
 * profile it loaded.  hearth serve (web/serve.js fills this in when
 * /api/v1/whoami answers): /api/v1/render/VIEW over a range, with the range's
 * parameters (params()) instead of the page's own keys (keys), extra views
 * (the profiles list, the tokens page) and a hook for each render. */
var mode = {server: false, base: '/api/', keys: [], params: null, views: {}, render: null, subtitle: null, onAuth: null,
	soft: null};
var profile = null;
var stats = window.hearthStats = {firstPaintMs: null, lastDrawMs: null, zoomMs: null, lastHoverMs: null,
	flameBytes: null, frames: null, ready: false};

function view() { var v = S.get('view'); return ALLVIEWS.indexOf(v) >= 0 || mode.views[v] ? v : defaultView(); }
/* Whether the flame graph, the top table are shown. */
function hasFlame(v) { return v === 'flame' || v === 'both'; }
function hasTop(v) { return v === 'top' || v === 'both'; }

/* A view is ready (stats.ready, which the tests and bench/web.js wait for)
 * when each of its parts has answered: two in the both view. */
var need = 0;
function done() { if (--need <= 0) stats.ready = true; }

/* Changes the URL's state (null removes a key) and shows it. */
function navigate(changes, replace) {
	var n = new URLSearchParams(S);
	Object.keys(changes).forEach(function (k) {
		if (changes[k] === null || changes[k] === undefined) n.delete(k); else n.set(k, changes[k]);
	});
	var qs = n.toString();
	var url = location.pathname + (qs ? '?' + qs : '');
	if (qs === S.toString()) replace = true;
	if (replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
	S = n;
	render();
}
window.addEventListener('popstate', function () { S = new URLSearchParams(location.search); render(); });

/* The report options of the URL, for the API, with extra parameters. */
/* Every key of the URL that is not the view's own goes to the API as is: the
 * server validates report options (and refuses the ones it must), so an
 * option the page does not know still works, and a refused one says why. */
var VIEW_KEYS = ['view', 'q', 'zoom', 'icicle', 'f', 'sort', 'dir', 'filter'];
function apiParams(extra) {
	var p = new URLSearchParams();
	S.forEach(function (v, k) { if (VIEW_KEYS.indexOf(k) < 0 && mode.keys.indexOf(k) < 0) p.append(k, v); });
	if (mode.params) {
		var m = mode.params();
		Object.keys(m).forEach(function (k) { if (m[k] !== null && m[k] !== undefined) p.set(k, m[k]); });
	}
	Object.keys(extra || {}).forEach(function (k) { if (extra[k] !== null) p.set(k, extra[k]); });
	return p.toString();
}

/* --- the API ------------------------------------------------------------ */
var cache = new Map();
function api(path, qs, text) {
	var url = mode.base + path + (qs ? '?' + qs : '');
	if (cache.has(url)) return cache.get(url);
	busy(1);
	var pr = fetch(url, {headers: {Accept: 'application/json'}}).then(function (res) {
		return res.arrayBuffer().then(function (buf) {
			var body = new TextDecoder().decode(buf), msg = null;
			if (!res.ok) {
				if (res.status === 401 && mode.onAuth) mode.onAuth();
				try { msg = JSON.parse(body).error; } catch (e) { msg = null; }
				throw new Error(msg || ('HTTP ' + res.status + ' ' + res.statusText));
			}
			if (text) return body;
			var j = JSON.parse(body);
			j._bytes = buf.byteLength;
			return j;
		});
	});
	cache.set(url, pr);
	pr.then(function () { busy(-1); }, function () { busy(-1); cache.delete(url); });
	if (cache.size > 48) cache.delete(cache.keys().next().value);
	return pr;
}

/* "Loading..." while any answer is awaited (a big profile's call graph can
 * take seconds). */
var pending = 0, busyT = 0;
function busy(d) {
	pending += d;
	stats.pending = pending;
	clearTimeout(busyT);
	if (pending > 0) busyT = setTimeout(function () { $('busy').hidden = false; }, 150);
	else $('busy').hidden = true;
}

/* --- messages ------------------------------------------------------------ */
var errors = {};
/* Answers that are not faults (server mode: a range without profiles) are
 * said as a note, not in the red box; the view fades all the same. */
var empties = {};
function showErrors() {
	var keys = Object.keys(errors);
	$('msg').hidden = !keys.length;
	$('msg-text').textContent = keys.map(function (k) { return errors[k]; }).join('\n');
	/* the view whose answer failed shows what it had, faded */
	VIEWS.forEach(function (v) { $('view-' + v).classList.toggle('stale', !!errors[v] || !!empties[v]); });
	var e = Object.keys(empties);
	setNote('empty', e.length ? empties[e[0]] : '');
}
var WHAT = {flame: 'Flame graph', top: 'Top', graph: 'Call graph', source: 'Source', peek: 'Peek', disasm: 'Disassemble',
	sandwich: 'Sandwich', search: 'Search', profile: 'Profile', timeline: 'Timeline', services: 'Services',
	selector: 'Labels', range: 'Range', profiles: 'Profiles', tokens: 'Tokens'};
function setError(key, err) {
	var soft = err && mode.soft ? mode.soft(err) : null;
	errors[key] = err && !soft ? (WHAT[key] || key) + ': ' + (err.message || String(err)) : undefined;
	if (!err || soft) delete errors[key];
	if (soft) empties[key] = soft; else delete empties[key];
	showErrors();
}
$('msg-close').addEventListener('click', function () { errors = {}; showErrors(); });
/* Back to the command line's options: every key of the URL that is not the
 * view's own goes. */
$('msg-reset').addEventListener('click', function () {
	var ch = {};
	/* only the search failed: the search goes, the options stay */
	var keys = Object.keys(errors);
	if (keys.length === 1 && keys[0] === 'search') {
		errors = {};
		showErrors();
		$('search').value = '';
		navigate({q: null});
		return;
	}
	S.forEach(function (v, k) { if (VIEW_KEYS.indexOf(k) < 0 && mode.keys.indexOf(k) < 0) ch[k] = null; });
	ch.q = null;
	errors = {};
	showErrors();
	navigate(ch);
});

var notes = {};
function setNote(key, text) {
	if (text) notes[key] = text; else delete notes[key];
	$('note').textContent = Object.keys(notes).map(function (k) { return notes[k]; }).join('\n');
}
function warnings(key, j) {
	setNote(key + '-warn', j && j.warnings && j.warnings.length ? 'Warning: ' + j.warnings.join('; ') : '');
}

/* --- the context menu (flame frames, top rows) ---------------------------- */
var ctxMenu = $('ctx');
function closeMenus() {
	ctxMenu.hidden = true;
	$('download').open = false;
}
function openMenu(name, x, y) {
	ctxMenu.textContent = '';
	ctxMenu.appendChild(el('div', 'menu-title', name));
	var items = [
		['Focus on it', {focus: exact(name)}],
		['Ignore it', {ignore: exact(name)}],
		['Hide it', {hide: exact(name)}],
		['Show only it', {show: exact(name)}],
		['Show from it', {show_from: exact(name)}],
		['Sandwich (callers, callees)', {view: 'sandwich', f: name}],
		['Source', {view: 'source', f: name}],
		['Peek', {view: 'peek', f: name}],
		['Disassemble', {view: 'disasm', f: name}],
		['Find in the flame graph', {view: 'flame', f: name, q: exact(name)}]
	];
	items.forEach(function (it) {
		var b = el('button', null, it[0]);
		b.type = 'button';
		b.addEventListener('click', function () { closeMenus(); navigate(it[1]); });
		ctxMenu.appendChild(b);
	});
	ctxMenu.hidden = false;
	var w = ctxMenu.offsetWidth, h = ctxMenu.offsetHeight;
	ctxMenu.style.left = Math.max(0, Math.min(x, window.innerWidth - w - 4)) + 'px';
	ctxMenu.style.top = Math.max(0, Math.min(y, window.innerHeight - h - 4)) + 'px';
	ctxMenu.querySelector('button').focus();
}
document.addEventListener('mousedown', function (e) {
	if (!ctxMenu.hidden && !ctxMenu.contains(e.target)) ctxMenu.hidden = true;
	if ($('download').open && !$('download').contains(e.target)) $('download').open = false;
});

/* --- tooltip ------------------------------------------------------------- */
var tip = $('tip'), details = $('details');
function showTip(info, ev) {
	if (!info) { tip.style.display = 'none'; return; }
	tip.textContent = '';
	tip.appendChild(el('div', 'tip-name', info.name));
	info.lines.forEach(function (l) { tip.appendChild(el('div', null, l)); });
	tip.style.display = 'block';
	var tx = ev.clientX + 14, ty = ev.clientY + 14;
	if (tx + tip.offsetWidth > window.innerWidth) tx = Math.max(0, ev.clientX - tip.offsetWidth - 14);
	if (ty + tip.offsetHeight > window.innerHeight) ty = Math.max(0, ev.clientY - tip.offsetHeight - 14);
	tip.style.left = tx + 'px';
	tip.style.top = ty + 'px';
}
function showDetails(info) { details.textContent = info ? info.name + '  |  ' + info.lines.join('  |  ') : ''; }

/* --- flame graph ---------------------------------------------------------- */
function flameHandlers(g, onClick) {
	return {
		onHover: function (i, ev) {
			var t0 = performance.now();
			if (i < 0) {
				showTip(null);
				showDetails(g.f && g.f.sel >= 0 ? g.f.info(g.f.sel) : null);
				if (g === main) hoverRow(null);
				return;
			}
			var info = g.f.info(i);
			showTip(info, ev);
			showDetails(info);
			if (g === main) hoverRow(i > 0 ? g.f.name(i) : null);
			stats.lastHoverMs = performance.now() - t0 + (g.f.lastHoverMs || 0);
		},
		onClick: onClick,
		onContext: function (i, ev) { if (i > 0) openMenu(g.f.name(i), ev.clientX, ev.clientY); },
		onKeyFocus: null,
		onDraw: function (ms) { stats.lastDrawMs = ms; stats.draws = (stats.draws || 0) + 1; }
	};
}

var main = {f: null, key: null, sig: null};
main.f = new HearthFlame($('flame'), $('flame-over'), flameHandlers(main, function (i) {
	var f = main.f, t0 = performance.now();
	f.sel = i;
	f.zoom(i);
	stats.zoomMs = performance.now() - t0;
	main.sig = flameSig(main.key, f, $('view-flame').clientWidth || 1200) + '|' + f.hl;
	var path = f.pathOf(f.z);
	navigate({zoom: path.length ? path.join(';') : null, f: i > 0 ? f.name(i) : S.get('f')});
}));
var minRes = {zoom: null, res: 0};

/* The flame graph's resolution: 4 frames a pixel, at least 6000 (the first
 * request is then the same for any window up to 1500 px, which the server
 * can have ready). */
function wantRes(cw) { return Math.min(200000, Math.max(6000, Math.ceil(cw * 4 / 1000) * 1000)); }

function renderFlame(my) {
	var f = main.f, cw = $('view-flame').clientWidth || 1200;
	var zoom = S.get('zoom') || '';
	var res = wantRes(cw);
	if (minRes.zoom === zoom + '|' + apiParams() && minRes.res > res) res = minRes.res;
	var qs = apiParams({resolution: res});
	api('flame', qs).then(function (D) {
		if (my !== gen) return;
		setError('flame', null);
		warnings('flame', D);
		f.hold = true;
		if (main.key !== qs) {
			f.setData(D);
			f.hl = -1;
			main.key = qs;
			main.sig = null;
			main.matchKey = null;
			stats.flameBytes = D._bytes;
			fillNames(qs, D.names.slice(1));
			stats.frames = D.frames.name.length;
		}
		f.inverted = S.get('icicle') === '1';
		var r = f.find(zoom);
		f.z = r.index;
		if (f.sel >= f.N) f.sel = -1;
		var sel = S.get('f');
		if (f.sel < 0 || (sel && f.name(f.sel) !== sel)) f.sel = r.index > 0 ? r.index : -1;
		f.match = matchRe ? f.match : null;
		f.hl = hasTop(view()) && S.get('f') ? f.nameIndex(S.get('f')) : -1;
		f.hold = false;
		if (matchRe && main.matchKey !== qs + '|' + matchRe.source) {
			main.matchKey = qs + '|' + matchRe.source;
			f.hold = true;
			f.setMatch(matchRe);
			f.hold = false;
		} else if (!matchRe) main.matchKey = null;
		var sig = flameSig(qs, f, cw) + '|' + f.hl;
		if (sig !== main.sig) { main.sig = sig; f.resize(); }
		crumbs(f);
		flameNote(D, f);
		subtitle(D);
		if (stats.firstPaintMs === null) {
			stats.firstPaintMs = performance.now();
			if (performance.mark) performance.mark('hearth-first-paint');
		}
		done();
		/* Zoomed into a frame that the payload's resolution shows coarsely
		 * (or a path it merged away): ask for finer detail. */
		var W = f.W, z = f.z;
		if (D.merged_paths && res < 200000 && f.N && mergedUnder(f, z)) {
			var need = 0;
			if (!r.all) need = res * 8;
			else if (z > 0 && W[0] / res / W[z] * cw > 0.5) need = Math.ceil(W[0] / W[z] * cw * 2 / 1000) * 1000;
			need = Math.min(200000, need);
			if (need > res) {
				minRes = {zoom: zoom + '|' + apiParams(), res: need};
				renderFlame(my);
			}
		}
	}, function (e) {
		if (my !== gen) return;
		setError('flame', e);
		done();
	});
}

/* Whether the server merged anything under frame z (else a finer
 * resolution would show nothing more there). */
function mergedUnder(f, z) {
	var m = f.D.frames.merged;
	for (var i = z, e = f.END[z]; i < e; i++) if (m[i]) return true;
	return false;
}

function flameSig(qs, f, cw) { return [qs, f.z, f.inverted, main.matchKey, cw].join('|'); }

function crumbs(f) {
	var nav = $('crumbs');
	nav.textContent = '';
	var path = [];
	for (var i = f.z; i >= 0; i = f.PAR[i]) path.push(i);
	path.reverse();
	path.forEach(function (i, k) {
		if (k) nav.appendChild(el('span', 'sep', '\u203a'));
		var b = el('button', 'crumb', i === 0 ? 'all' : f.name(i));
		b.type = 'button';
		b.title = i === 0 ? 'Reset zoom (Esc)' : f.name(i);
		if (i === f.z) b.setAttribute('aria-current', 'true');
		b.addEventListener('click', function () {
			var p = f.pathOf(i);
			navigate({zoom: p.length ? p.join(';') : null});
		});
		nav.appendChild(b);
	});
}

function flameNote(D, f) {
	var t = '';
	if (!f.N || !f.W[0]) t = 'No samples.';
	else if (D.merged_paths) {
		t = D.merged_paths + ' call paths narrower than 1/' + D.resolution + ' of the graph (together ' +
			(100 * D.merged_value / f.W[0]).toFixed(2) + '% of it) are merged into their callers and shown ' +
			'as their \u201cnarrow callees\u201d' + (D.resolution < 200000 ? '; zooming in loads finer detail.' : '.');
	}
	setNote('flame', t);
}

var subD = null;
function subtitle(D) {
	subD = D;
	var parts = [];
	if (D.type) parts.push('Type: ' + D.type);
	if (D.diff) parts.push('diff: red grew, green shrank');
	legend(D);
	parts.push('Total: ' + D.total_label);
	if (profile && profile.sources) parts.push(profile.sources.join(', '));
	if (mode.subtitle) mode.subtitle(parts, D, profile);
	$('sub').textContent = parts.join(' \u00b7 ');
}

/* The diff's colour scale and what the base is. */
function legend(D) {
	var lg = $('legend');
	lg.hidden = !D.diff;
	if (!D.diff) return;
	var dk = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches, st = [];
	for (var t = -1; t <= 1.001; t += 0.25) st.push(HearthFlame.diffColor(Math.abs(t) < 1e-9 ? 0 : t, dk));
	$('legend-bar').style.background = 'linear-gradient(to right, ' + st.join(', ') + ')';
	var b = profile && profile.base_sources && profile.base_sources.length ? profile.base_sources.join(', ') : '';
	$('legend-base').textContent = b ? '\u00b7 base: ' + b + (profile.sources ? ' \u2192 ' + profile.sources.join(', ') : '') : '';
}

/* Function names for the inputs that take one (refine bar, function
 * fields): a datalist, filled from the last answer that had them. */
var namesKey = null;
function fillNames(key, names) {
	if (namesKey === key) return;
	namesKey = key;
	var dl = $('fnames'), seen = new Set(), frag = document.createDocumentFragment();
	for (var i = 0; i < names.length && seen.size < 3000; i++) {
		var n = names[i];
		if (!n || seen.has(n)) continue;
		seen.add(n);
		var o = document.createElement('option');
		o.value = n;
		frag.appendChild(o);
	}
	dl.textContent = '';
	dl.appendChild(frag);
}

/* Tag keys and values for the tagfocus field (key=value, and the key
 * alone), from hearth tags' text (/api/tags), once per profile. */
var tagsAsked = false;
function fillTags() {
	if (tagsAsked || mode.server) return;
	tagsAsked = true;
	api('tags', '').then(function (r) {
		var dl = $('tagnames'), key = null;
		(r.text || '').split('\n').forEach(function (l) {
			var k = /^\s(\S.*): Total /.exec(l), v = /^\s+\S+ \([^)]*\): (.*)$/.exec(l);
			if (k) {
				key = k[1];
				var o = document.createElement('option');
				o.value = key + '=';
				dl.appendChild(o);
			} else if (v && key !== null) {
				var o2 = document.createElement('option');
				o2.value = key + '=' + v[1];
				dl.appendChild(o2);
			}
		});
	}, function () { tagsAsked = false; });
}
$('refine').elements.tagfocus.addEventListener('focus', fillTags);

/* Search's next and previous: the matching frames in order, each selected
 * (the zoom goes when it hides it). */
function matchStep(d) {
	var f = main.f, m = f.matches();
	if (!m.length || !hasFlame(view())) return;
	var k = m.indexOf(f.sel);
	k = k < 0 ? (d > 0 ? 0 : m.length - 1) : (k + d + m.length) % m.length;
	var i = m[k];
	if (!f.rect(i)) { f.sel = i; f.zoom(0); S.delete('zoom'); crumbs(f); }
	f.select(i);
	showDetails(f.info(i));
	$('matched').title = 'match ' + (k + 1) + ' of ' + m.length;
	S.set('f', f.name(i));
	history.replaceState(null, '', location.pathname + '?' + S.toString());
}
$('match-next').addEventListener('click', function () { matchStep(1); });
$('match-prev').addEventListener('click', function () { matchStep(-1); });

/* --- search --------------------------------------------------------------- */
/* The frames a search marks are those whose function the server says q
 * matches (/api/search's names, matched by PCRE2 under cost limits): a
 * regexp from a link is never compiled here and run over every frame. */
var matchRe = null, matchQ = null;
function serverMatch(q, names) {
	var set = new Set(names);
	return {source: q, lastIndex: 0, test: function (n) { return set.has(n) || set.has(n.replace(/ .*$/, '')); }};
}
function renderSearch(my) {
	var q = S.get('q') || '';
	$('search').value === q || document.activeElement === $('search') || ($('search').value = q);
	var out = $('matched');
	$('match-nav').hidden = !q || !hasFlame(view());
	if (!q) { matchRe = matchQ = null; out.textContent = ''; setError('search', null); return; }
	if (matchQ !== q) matchRe = null;
	out.textContent = '\u2026';
	var v = view();
	if (!hasFlame(v) && !hasTop(v) && v !== 'sandwich') { out.textContent = ''; return; }
	api('search', apiParams({q: q})).then(function (r) {
		if (my !== gen) return;
		setError('search', null);
		out.textContent = 'Matched: ' + r.share.toFixed(2) + '% (' + r.matched_label + ')';
		out.title = r.matched + ' of ' + r.total;
		if (matchQ !== q) { matchQ = q; matchRe = serverMatch(q, r.names || []); render(); }
	}, function (e) {
		if (my !== gen) return;
		out.textContent = 'bad search';
		setError('search', e);
	});
}

/* --- top ----------------------------------------------------------------- */
/* measurement.Percentage of pprof: what `top` prints. */
function gostrip(s) { return s.indexOf('.') >= 0 ? s.replace(/0+$/, '').replace(/\.$/, '') : s; }
function percentage(v, total) {
	var r = total ? Math.abs(v / total) * 100 : 0;
	if (r >= 99.95 && r <= 100.05) return '100%';
	if (r >= 1) return r.toFixed(2) + '%';
	if (r === 0) return '0%';
	if (r < 1e-4) {
		var e = r.toExponential(1).split('e'), ex = parseInt(e[1], 10);
		return gostrip(e[0]) + 'e' + (ex < 0 ? '-' : '+') + (Math.abs(ex) < 10 ? '0' : '') + Math.abs(ex) + '%';
	}
	return gostrip(r.toPrecision(2)) + '%';
}
var topData = null, topAll = false;
function renderTop(my) {
	api('top', apiParams()).then(function (T) {
		if (my !== gen) return;
		setError('top', null);
		warnings('top', T);
		T._key = apiParams();
		topData = T;
		fillNames('top|' + T._key, T.rows.map(function (r) { return r.name; }));
		if (T.diff) diffColumns(T, my);
		subtitle(T);
		$('top-header').textContent = (T.header || []).join('\n');
		drawTop();
		done();
	}, function (e) {
		if (my !== gen) return;
		setError('top', e);
		done();
	});
}
function drawTop() {
	var T = topData;
	if (!T) return;
	var sort = S.get('sort') || 'flat', dir = S.get('dir') || (sort === 'name' ? 'asc' : 'desc');
	var filter = (S.get('filter') || '').toLowerCase();
	var rows = [], sum = 0;
	T.rows.forEach(function (r, k) {
		sum += r.flat;
		rows.push({r: r, k: k, sum: sum});
	});
	if (filter) rows = rows.filter(function (x) { return x.r.name.toLowerCase().indexOf(filter) >= 0; });
	var sgn = dir === 'asc' ? 1 : -1;
	if (sort === 'cum') rows.sort(function (a, b) { return sgn * (a.r.cum - b.r.cum) || a.k - b.k; });
	else if (sort === 'name') rows.sort(function (a, b) { return sgn * (a.r.name < b.r.name ? -1 : a.r.name > b.r.name ? 1 : 0) || a.k - b.k; });
	else if (dir === 'asc') rows.reverse();
	var ths = document.querySelectorAll('#toptable th[data-sort]');
	Array.prototype.forEach.call(ths, function (th) {
		var s = th.getAttribute('data-sort');
		th.setAttribute('aria-sort', s === sort ? (dir === 'asc' ? 'ascending' : 'descending') : 'none');
	});
	var tb = document.createElement('tbody'), n = topAll ? rows.length : Math.min(rows.length, TOP_LIMIT);
	topRows = new Map();
	hoveredRow = null;
	var selName = view() === 'both' ? S.get('f') : null, selRow = null;
	for (var i = 0; i < n; i++) {
		var r = rows[i].r, tr = document.createElement('tr');
		if (T.diff) tr.className = r.flat > 0 ? 'grow' : r.flat < 0 ? 'shrink' : '';
		if (matchRe && matchRe.test(r.name)) tr.className += ' match';
		if (r.name === selName) { tr.className += ' selected'; tr.setAttribute('aria-selected', 'true'); selRow = tr; }
		tr.appendChild(el('td', 'num', r.flat_label));
		tr.appendChild(el('td', 'num pct', r.flat_pct_label || percentage(r.flat, T.total)));
		tr.appendChild(el('td', 'num pct', r.sum_pct_label || percentage(rows[i].sum, T.total)));
		tr.appendChild(el('td', 'num', r.cum_label));
		tr.appendChild(el('td', 'num pct', r.cum_pct_label || percentage(r.cum, T.total)));
		var nm = el('td', 'name', r.name);
		nm.title = r.name;
		if (r.inline) nm.appendChild(el('span', 'inl', r.partial_inline ? ' (partial-inline)' : ' (inline)'));
		tr.appendChild(nm);
		diffCells(tr, r.name);
		var mb = el('button', 'rowmenu', '\u22ef');
		mb.type = 'button';
		mb.title = 'Focus, ignore, hide, show, sandwich, source, peek';
		mb.setAttribute('aria-label', 'Menu for ' + r.name);
		mb.dataset.row = rows[i].k;
		var td = el('td');
		td.appendChild(mb);
		tr.appendChild(td);
		tb.appendChild(tr);
		if (!topRows.has(r.name)) topRows.set(r.name, tr);
	}
	var table = $('toptable');
	table.replaceChild(tb, table.tBodies[0]);
	$('top-count').textContent = rows.length + ' of ' + T.rows.length + ' rows' + (n < rows.length ? ', first ' + n + ' shown' : '');
	var more = $('top-more');
	more.hidden = n >= rows.length;
	more.textContent = 'Show all ' + rows.length + ' rows';
	/* the both view: the selected function's row in sight */
	if (selRow) rowInSight(selRow, true);
}
/* Scrolls the table (not the page) until tr shows, below the table's sticky
 * head and above the window's end: a third of the way down (third), or just
 * in (the hovered row). */
function rowInSight(tr, third) {
	var box = $('view-top'), rb = tr.getBoundingClientRect(), bb = box.getBoundingClientRect();
	var head = box.querySelector('thead'), top = Math.max(bb.top, 0) + (head ? head.offsetHeight : 0);
	var bottom = Math.min(bb.bottom, window.innerHeight);
	if (rb.top >= top && rb.bottom <= bottom) return;
	if (third) box.scrollTop += rb.top - top - (bottom - top) / 3;
	else if (rb.top < top) box.scrollTop -= top - rb.top;
	else box.scrollTop += rb.bottom - bottom;
}
$('toptable').addEventListener('click', function (e) {
	var t = e.target;
	if (t.classList.contains('inl')) t = t.parentNode;
	if (t.classList.contains('name') && view() === 'both') {
		/* the both view: a click selects the function (again: unselects) */
		var rs = topData.rows[+t.parentNode.querySelector('.rowmenu').dataset.row];
		navigate({f: S.get('f') === rs.name ? null : rs.name}, true);
		return;
	}
	if (t.classList.contains('name')) {
		var rn = topData.rows[+t.parentNode.querySelector('.rowmenu').dataset.row];
		openMenu(rn.name, e.clientX, e.clientY);
		return;
	}
	if (t.classList.contains('rowmenu')) {
		var r = topData.rows[+t.dataset.row], b = t.getBoundingClientRect();
		openMenu(r.name, b.left, b.bottom);
		return;
	}
	if (t.tagName === 'TH' && t.dataset.sort) {
		var s = t.dataset.sort, cur = S.get('sort') || 'flat';
		var curDir = S.get('dir') || (cur === 'name' ? 'asc' : 'desc');
		var dir = s === cur ? (curDir === 'asc' ? 'desc' : 'asc') : (s === 'name' ? 'asc' : 'desc');
		navigate({sort: s, dir: dir}, true);
	}
});
$('top-more').addEventListener('click', function () { topAll = true; drawTop(); });
/* The both view: hovering a frame marks its function's row in the table,
 * as a click selects it (Pyroscope's and Parca's habit), and brings the row
 * into the table's sight when it is scrolled away. */
var topRows = new Map(), hoveredRow = null;
function hoverRow(name) {
	var tr = name !== null && view() === 'both' ? topRows.get(name) || null : null;
	if (tr === hoveredRow) return;
	if (hoveredRow) hoveredRow.classList.remove('hovered');
	hoveredRow = tr;
	if (!tr) return;
	tr.classList.add('hovered');
	rowInSight(tr, false);
}
/* The both view: hovering a row highlights the function's frames in the
 * flame graph and dims the rest; leaving the table goes back to the
 * selected function's. */
function rowName(t) {
	var tr = t && t.closest ? t.closest('#toptable tbody tr') : null, b = tr && tr.querySelector('.rowmenu');
	return b && topData ? topData.rows[+b.dataset.row].name : null;
}
$('toptable').addEventListener('mouseover', function (e) {
	if (view() !== 'both' || !main.f.N) return;
	var n = rowName(e.target);
	main.f.setHighlight(n !== null ? main.f.nameIndex(n) : selHighlight());
});
$('toptable').addEventListener('mouseleave', function () {
	if (view() === 'both' && main.f.N) main.f.setHighlight(selHighlight());
});
function selHighlight() { return S.get('f') ? main.f.nameIndex(S.get('f')) : -1; }
var filterT = 0;
$('filter').addEventListener('input', function () {
	clearTimeout(filterT);
	filterT = setTimeout(function () { navigate({filter: $('filter').value || null}, true); }, 150);
});

/* A diff's before, after, change and signed change % of each row's flat,
 * summed from the flame graph's frames (the same options): pprof's table
 * has the change only. */
var diffFlat = null;
function diffColumns(T, my) {
	var key = T._key;
	if (diffFlat && diffFlat.key === key) return;
	var cw = $('view-flame').clientWidth || 1200;
	api('flame', apiParams({resolution: wantRes(cw)})).then(function (D) {
		/* kept whatever was rendered since: the key says which table it is for */
		if (!D.diff) return;
		var Fr = D.frames, m = new Map();
		for (var i = 1; i < Fr.name.length; i++) {
			var n = D.names[Fr.name[i]], e = m.get(n);
			if (!e) m.set(n, e = {b: 0, a: 0});
			e.b += Fr.base_self[i];
			e.a += Fr.self[i];
		}
		diffFlat = {key: key, m: m, D: D};
		if (topData && topData._key === key) drawTop();
	}, function () {});
}
function diffCells(tr, name) {
	if (!topData || !topData.diff) return;
	var e = diffFlat && diffFlat.key === topData._key ? diffFlat.m.get(name) : null, D = diffFlat && diffFlat.D;
	var cells = ['before', 'after', 'delta', 'deltapct'].map(function (c) { return el('td', c + ' diffcol'); });
	if (e) {
		var d = e.a - e.b, cls = d > 0 ? ' grow' : d < 0 ? ' shrink' : '';
		cells[0].textContent = HearthFlame.fmtValue(D, e.b);
		cells[1].textContent = HearthFlame.fmtValue(D, e.a);
		cells[2].textContent = (d > 0 ? '+' : '') + HearthFlame.fmtValue(D, d);
		cells[3].textContent = e.b ? (d > 0 ? '+' : d < 0 ? '\u2212' : '') + Math.abs(100 * d / e.b).toFixed(1) + '%' : e.a ? 'new' : '';
		cells[0].dataset.v = e.b;
		cells[1].dataset.v = e.a;
		cells[2].className += cls;
		cells[3].className += cls;
	}
	cells.forEach(function (c) { tr.appendChild(c); });
}

/* --- graph ----------------------------------------------------------------- */
var graphKey = null;
function sanitizeSvg(root) {
	Array.prototype.slice.call(root.querySelectorAll('script, foreignObject, iframe, object, embed'))
		.forEach(function (n) { n.parentNode.removeChild(n); });
	Array.prototype.forEach.call(root.querySelectorAll('*'), function (n) {
		Array.prototype.slice.call(n.attributes).forEach(function (a) {
			if (/^on/i.test(a.name) || (/href$/i.test(a.name) && /^\s*javascript:/i.test(a.value))) n.removeAttribute(a.name);
		});
	});
}
function renderGraph(my) {
	var qs = apiParams(), box = $('graph');
	if (graphKey === qs && box.querySelector('svg')) { done(); return; }
	if (!box.querySelector('svg')) box.textContent = 'Laying out the call graph\u2026';
	api('graph', qs, true).then(function (text) {
		if (my !== gen) return;
		setError('graph', null);
		var doc = new DOMParser().parseFromString(text, 'image/svg+xml');
		var svg = doc.documentElement;
		if (!svg || svg.nodeName !== 'svg' || doc.querySelector('parsererror')) throw new Error('the call graph is not a valid SVG');
		sanitizeSvg(svg);
		svg = document.importNode(svg, true);
		svg.setAttribute('width', '100%');
		svg.setAttribute('height', '100%');
		box.textContent = '';
		box.appendChild(svg);
		graphKey = qs;
		panZoom(svg);
		/* navigation start to the call graph shown, laid out and placed */
		if (stats.graphPaintMs === undefined) stats.graphPaintMs = performance.now();
		done();
	}).catch(function (e) {
		if (my !== gen) return;
		setError('graph', e);
		done();
	});
}
/* The call graph's pan and zoom.  It opens at a legible scale (the nodes'
 * text about 12 px, never smaller than the whole graph fitted) centred on
 * the heaviest node (the largest text: pprof sizes a node's text by its
 * flat); + / - / fit buttons, the wheel and dragging move it.  Hovering a
 * node highlights it, its edges and its neighbours; a click selects it and
 * opens the menu (focus, ignore, source, ...). */
var LEGIBLE_PX = 11;
function panZoom(svg) {
	var vp = svg.querySelector('#viewport') || svg.querySelector('g');
	if (!vp) return;
	var s = 1, x = 0, y = 0, drag = null, moved = false;
	function apply() { vp.setAttribute('transform', 'matrix(' + s + ' 0 0 ' + s + ' ' + x + ' ' + y + ')'); }
	function fitScale(b, r) { return Math.min(1, 0.96 * r.width / b.width, 0.96 * r.height / b.height); }
	function fit() {
		vp.removeAttribute('transform');
		var b = vp.getBBox(), r = svg.getBoundingClientRect();
		if (!b.width || !b.height || !r.width || !r.height) return;
		s = fitScale(b, r);
		x = (r.width - s * b.width) / 2 - s * b.x;
		y = (r.height - s * b.height) / 2 - s * b.y;
		apply();
	}
	/* nodes: their text's font size (in the graph's units), the heaviest first */
	var nodes = [], byId = {}, edges = {};
	Array.prototype.forEach.call(svg.querySelectorAll('g.node'), function (g) {
		var t = g.querySelector('title'), a = g.querySelector('a');
		if (!t || !/^N\d+$/.test(t.textContent) || !a) return;
		var fs = 0;
		Array.prototype.forEach.call(g.querySelectorAll('text'), function (tx) {
			fs = Math.max(fs, parseFloat(tx.getAttribute('font-size')) || 0);
		});
		var tt = a.getAttributeNS('http://www.w3.org/1999/xlink', 'title') || a.getAttribute('title') || '';
		var m = /^([\s\S]*) \([^()]*\)$/.exec(tt);
		var n = {g: g, id: t.textContent, fs: fs, name: m ? m[1] : tt};
		nodes.push(n);
		byId[n.id] = n;
		edges[n.id] = [];
	});
	Array.prototype.forEach.call(svg.querySelectorAll('g.edge'), function (g) {
		var t = g.querySelector('title'), m = t && /^(N\d+)->(N\d+)$/.exec(t.textContent);
		if (!m) return;
		[m[1], m[2]].forEach(function (id) { if (edges[id]) edges[id].push({g: g, other: id === m[1] ? m[2] : m[1]}); });
	});
	nodes.sort(function (a, b) { return b.fs - a.fs; });
	/* the first view: legible, centred on the heaviest node */
	function first() {
		vp.removeAttribute('transform');
		var b = vp.getBBox(), r = svg.getBoundingClientRect();
		if (!b.width || !b.height || !r.width || !r.height) return;
		var fsz = nodes.map(function (n) { return n.fs; }).filter(Boolean).sort(function (a, c) { return a - c; });
		var med = fsz.length ? fsz[fsz.length >> 1] : 14;
		/* the viewport group's own transform (graphviz's scale) is in getCTM */
		var k = 1, ctm = vp.getCTM(), sctm = svg.getScreenCTM();
		if (ctm && sctm) k = ctm.a / sctm.a;
		s = Math.max(fitScale(b, r), Math.min(2, LEGIBLE_PX / (med * k)));
		var h = nodes[0];
		if (s <= fitScale(b, r) + 1e-9 || !h) { fit(); return; }
		/* the node's centre in the viewport group's coordinates (no transform now) */
		var hb = h.g.getBoundingClientRect(), sb = svg.getBoundingClientRect();
		x = r.width / 2 - s * (hb.left - sb.left + hb.width / 2) / k;
		y = r.height / 2 - s * (hb.top - sb.top + hb.height / 2) / k;
		apply();
	}
	function zoom(f, px, py) {
		var t = Math.max(0.02, Math.min(40, s * f));
		f = t / s;
		x = px - (px - x) * f;
		y = py - (py - y) * f;
		s = t;
		apply();
	}
	function zoomCentre(f) { var r = svg.getBoundingClientRect(); zoom(f, r.width / 2, r.height / 2); }
	svg.addEventListener('wheel', function (e) {
		e.preventDefault();
		var d = e.deltaY * (e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1), r = svg.getBoundingClientRect();
		zoom(Math.pow(1.002, -d), e.clientX - r.left, e.clientY - r.top);
	}, {passive: false});
	svg.addEventListener('mousedown', function (e) {
		if (e.button !== 0) return;
		drag = {cx: e.clientX, cy: e.clientY, x: x, y: y};
		moved = false;
		e.preventDefault();
	});
	window.addEventListener('mousemove', function (e) {
		if (!drag) return;
		if (Math.abs(e.clientX - drag.cx) + Math.abs(e.clientY - drag.cy) > 3) moved = true;
		x = drag.x + e.clientX - drag.cx;
		y = drag.y + e.clientY - drag.cy;
		apply();
	});
	window.addEventListener('mouseup', function () { drag = null; });
	svg.addEventListener('dblclick', fit);
	function nodeOf(t) {
		var g = t && t.closest ? t.closest('g.node') : null, tt = g && g.querySelector('title');
		return tt ? byId[tt.textContent] || null : null;
	}
	var hov = null;
	function light(n) {
		if (n === hov) return;
		Array.prototype.forEach.call(svg.querySelectorAll('.hl'), function (e) { e.classList.remove('hl'); });
		hov = n;
		svg.classList.toggle('hovering', !!n);
		if (!n) return;
		n.g.classList.add('hl');
		edges[n.id].forEach(function (e) {
			e.g.classList.add('hl');
			if (byId[e.other]) byId[e.other].g.classList.add('hl');
		});
	}
	svg.addEventListener('mouseover', function (e) { light(nodeOf(e.target)); });
	svg.addEventListener('mouseleave', function () { light(null); });
	svg.addEventListener('click', function (e) {
		if (moved) return;
		var n = nodeOf(e.target);
		if (!n || !n.name) return;
		Array.prototype.forEach.call(svg.querySelectorAll('g.node.sel'), function (g) { g.classList.remove('sel'); });
		n.g.classList.add('sel');
		openMenu(n.name, e.clientX, e.clientY);
	});
	svg._fit = fit;
	svg._zoom = zoomCentre;
	svg._heaviest = function () { return nodes.slice(); };
	first();
}
$('graph-in').addEventListener('click', function () { var v = $('graph').querySelector('svg'); if (v && v._zoom) v._zoom(1.25); });
$('graph-out').addEventListener('click', function () { var v = $('graph').querySelector('svg'); if (v && v._zoom) v._zoom(0.8); });
$('graph-fit').addEventListener('click', function () { var v = $('graph').querySelector('svg'); if (v && v._fit) v._fit(); });

/* --- source, peek ---------------------------------------------------------- */
function renderText(kind, my) {
	var f = S.get('f'), pre = $(kind + '-text');
	if (!f) {
		pre.textContent = 'Choose a function: type its name above, or pick one in the flame graph (click) or the top table (its menu).';
		done();
		return;
	}
	pre.textContent = 'Loading\u2026';
	/* disasm matches the names of address nodes ("ADDR NAME FILE:LINE"):
	 * the name between spaces */
	var fre = kind === 'disasm' ? '(^|\\s)' + reQuote(f) + '(\\s|$)' : exact(f);
	api(kind, apiParams({f: fre})).then(function (r) {
		if (my !== gen) return;
		setError(kind, null);
		if ((kind === 'source' || kind === 'disasm') && r.text) sourceLines(pre, r.text);
		else pre.textContent = r.text || '(nothing)';
		if (kind === 'source') missingLines(f, r.text || '', my);
		done();
	}, function (e) {
		if (my !== gen) return;
		pre.textContent = '';
		setError(kind, e);
		done();
	});
}

/* hearth list's text as pprof's weblist shows it: each line shaded by its
 * cum against the routine's hottest line, the lines without samples greyed,
 * the figures kept even when the file could not be read.  The text is the
 * same characters (one block per line), so it reads and copies as the CLI's. */
function sourceLines(pre, text) {
	var lines = text.replace(/\n$/, '').split('\n'), LN = /^\s*(\S+)\s+(\S+)\s+([0-9a-f]+):/, vals = [], max = 0;
	lines.forEach(function (l) {
		var m = LN.exec(l), v = m && m[2] !== '.' ? parseDur(m[2]) : 0;
		vals.push(m ? v : null);
		if (v > max) max = v;
	});
	var frag = document.createDocumentFragment(), file = '', src = pre.id === 'source-text';
	lines.forEach(function (l, k) {
		var sp = el('span', 'ln', l + '\n'), v = vals[k], r = /^ROUTINE =+ .* in (.*)$/.exec(l);
		if (r) file = r[1];
		var m = src && v !== null ? LN.exec(l) : null;
		if (m) {
			/* a line opens its inlined calls and instructions (Source
			 * only), as weblist's lines do; those with samples are in
			 * the Tab order */
			sp.dataset.file = file;
			sp.dataset.line = m[3];
			sp.tabIndex = v ? 0 : -1;
			sp.setAttribute('role', 'button');
			sp.setAttribute('aria-expanded', 'false');
			sp.title = 'Click: the inlined calls and instructions of line ' + m[3];
		}
		if (v === null) sp.className += ' head';
		else if (!v) sp.className += ' cold';
		else {
			sp.className += v >= max * 0.25 ? ' hot' : '';
			sp.style.background = 'color-mix(in srgb, var(--grow) ' + Math.max(6, Math.round(45 * v / max)) + '%, transparent)';
		}
		frag.appendChild(sp);
	});
	pre.textContent = '';
	pre.appendChild(frag);
}
/* When hearth list cannot find a file, the figures of each line of the
 * function all the same: hearth top -lines's rows of it (flat and cum per
 * file:line), under the listing. */
function missingLines(f, text, my) {
	var box = $('source-lines');
	box.textContent = '';
	box.hidden = true;
	if (!/could not find file/.test(text)) return;
	/* lines=1 comes last, so it is the granularity in force */
	api('top', apiParams({lines: 1, nodefraction: 0, nodecount: 0})).then(function (T) {
		if (my !== gen) return;
		var rows = T.rows.filter(function (r) { return r.name.lastIndexOf(f + ' ', 0) === 0; });
		if (!rows.length) return;
		rows.sort(function (a, b) {
			var la = +(/:(\d+)$/.exec(a.name) || [0, 0])[1], lb = +(/:(\d+)$/.exec(b.name) || [0, 0])[1];
			return la - lb;
		});
		var max = 0;
		rows.forEach(function (r) { max = Math.max(max, Math.abs(r.cum)); });
		box.appendChild(el('div', 'sl-head', 'Each line\u2019s figures (the file itself could not be read):'));
		rows.forEach(function (r) {
			var ln = el('span', 'ln', pad(r.flat_label, 10) + ' ' + pad(r.cum_label, 10) + '  ' + r.name.slice(f.length + 1) + '\n');
			if (max) ln.style.background = 'color-mix(in srgb, var(--grow) ' + Math.max(6, Math.round(45 * Math.abs(r.cum) / max)) + '%, transparent)';
			box.appendChild(ln);
		});
		box.hidden = false;
	}, function () {});
}
function pad(s, n) { return s.length >= n ? s : new Array(n - s.length + 1).join(' ') + s; }

/* A source line's breakdown, as pprof's weblist shows it under a clicked
 * line: the calls inlined at it (the call site's source, indented by depth,
 * and its file:line) and its instructions with their flat and cum, from
 * hearth weblist of the function (/api/weblist); a second click hides it. */
function baseName(p) { return p.slice(p.lastIndexOf('/') + 1); }
/* The weblist rows of one line of file: its functions' lines there. */
function weblistRows(W, file, line) {
	var rows = [];
	(W.functions || []).forEach(function (fn) {
		if (baseName(fn.file) !== baseName(file)) return;
		fn.lines.forEach(function (l) { if (l.line === line) rows = rows.concat(l.items); });
	});
	return rows;
}
function breakdownText(items) {
	var ind = function (d) { return new Array(d + 2).join('    '); };
	return items.map(function (it) {
		if (it.gap) return pad('', 10) + ' ' + pad('', 10) + '  \u22ee';
		var where = it.file ? '  ' + it.file + ':' + it.line : '';
		if (it.call) return pad('', 10) + ' ' + pad('', 10) + '  ' + ind(it.depth) + it.text + where;
		return pad(it.flat_label, 10) + ' ' + pad(it.cum_label, 10) + '  ' + it.addr + ': ' + ind(it.depth) + it.asm + where;
	}).join('\n');
}
function toggleAsm(sp) {
	var nx = sp.nextSibling;
	if (nx && nx.classList && nx.classList.contains('asm')) {
		nx.remove();
		sp.setAttribute('aria-expanded', 'false');
		return;
	}
	var box = el('span', 'asm', 'Loading\u2026\n'), f = S.get('f');
	sp.parentNode.insertBefore(box, sp.nextSibling);
	sp.setAttribute('aria-expanded', 'true');
	api('weblist', apiParams({f: exact(f)})).then(function (W) {
		var items = weblistRows(W, sp.dataset.file, +sp.dataset.line);
		box.textContent = '';
		if (!items.length) { box.textContent = '(no inlined calls or instructions on this line)\n'; return; }
		items.forEach(function (it) {
			box.appendChild(el('span', it.call ? 'bd call' : it.gap ? 'bd gap' : 'bd inst', breakdownText([it]) + '\n'));
		});
	}, function (e) {
		box.textContent = 'No breakdown: ' + (e.message || e) + '\n';
	});
}
$('source-text').addEventListener('click', function (e) {
	var sp = e.target.closest && e.target.closest('.ln[data-line]');
	if (sp) toggleAsm(sp);
});
$('source-text').addEventListener('keydown', function (e) {
	var sp = e.target.closest && e.target.closest('.ln[data-line]');
	if (sp && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); toggleAsm(sp); }
});

/* A figure of hearth list (pprof's units: 1.20s, 30ms, 1.5MB, 12): a number
 * to compare lines by. */
function parseDur(s) {
	var m = /^(-?[\d.]+)([a-zA-Z]*)$/.exec(s);
	if (!m) return 0;
	var k = {ns: 1e-9, us: 1e-6, '\u00b5s': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, hrs: 3600, B: 1, kB: 1024, KB: 1024, MB: 1048576, GB: 1073741824, TB: 1099511627776}[m[2]];
	return Math.abs(parseFloat(m[1]) * (k || 1));
}

/* --- sandwich ------------------------------------------------------------- */
var sw = [];
['sw-callers', 'sw-callees'].forEach(function (id, k) {
	var cv = $(id), g = {f: null, key: null};
	g.f = new HearthFlame(cv, cv.nextElementSibling, flameHandlers(g, function (i) {
		if (i > 0) navigate({f: g.f.name(i)});
	}));
	sw.push(g);
});
function renderSandwich(my) {
	var f = S.get('f');
	$('sw-name1').textContent = $('sw-name2').textContent = f || '\u2026';
	$('sw-cum').textContent = '';
	if (!f) {
		sw.forEach(function (g) { g.f.setData({names: [], colors: [], frames: {name: [], depth: [], width: [], value: [], self: [], merged: [], inline: []}}); });
		setNote('sandwich', 'Choose a function: type its name above, or pick one in the flame graph or the top table (their menus).');
		done();
		return;
	}
	setNote('sandwich', '');
	var cw = $('view-sandwich').clientWidth || 1200, res = wantRes(cw), e = exact(f);
	/* The server roots both trees at the function by its exact name; a
	 * name typed that is no frame's falls back to the regexps. */
	var qs = [apiParams({callers: f, resolution: res}), apiParams({callees: f, resolution: res})],
		reQs = [apiParams({focus: e, prune_from: e, reverse: 1, resolution: res}),
			apiParams({focus: e, show_from: e, resolution: res})];
	var got = 0;
	sw.forEach(function (g, k) {
		api('flame', qs[k]).catch(function (err) {
			if (!/no frame is named/.test(err && err.message)) throw err;
			qs[k] = reQs[k];
			return api('flame', qs[k]);
		}).then(function (D) {
			if (my !== gen) return;
			setError('sandwich', null);
			g.f.opts.rootLabel = k ? 'callees of ' + f : 'callers of ' + f;
			g.f.hold = true;
			if (g.key !== qs[k]) { g.f.setData(D); g.key = qs[k]; }
			g.f.inverted = k === 1;
			g.f.hold = false;
			g.f.setMatch(matchRe);
			if (k === 0) {
				subtitle(D);
				var c = D.frames.value.length ? D.frames.value[0] : 0;
				$('sw-cum').textContent = '\u00b7 cum ' + HearthFlame.fmtValue(D, c) +
					(D.total ? ' (' + percentage(c, D.total) + ' of ' + D.total_label + ')' : '');
			}
			if (++got === 2) done();
		}, function (err) {
			if (my !== gen) return;
			setError('sandwich', err);
			done();
		});
	});
}

/* --- the page ------------------------------------------------------------- */
var gen = 0, lastView = null;
function render() {
	var my = ++gen, v = view();
	lastView = v;
	stats.ready = false;
	need = v === 'both' ? 2 : 1;
	closeMenus();
	showTip(null);
	Array.prototype.forEach.call(document.querySelectorAll('#views button'), function (b) {
		b.setAttribute('aria-pressed', b.dataset.view === v ? 'true' : 'false');
	});
	VIEWS.forEach(function (n) { $('view-' + n).hidden = n !== v && !(v === 'both' && (n === 'flame' || n === 'top')); });
	document.querySelector('main').classList.toggle('both', v === 'both');
	Object.keys(mode.views).forEach(function (n) { $('view-' + n).hidden = n !== v; });
	if (mode.render) mode.render(my, v);
	['flame', 'top', 'graph', 'source', 'peek', 'sandwich', 'disasm'].forEach(function (k) {
		if (k !== v && !(k === 'flame' && hasFlame(v)) && !(k === 'top' && hasTop(v))) setError(k, null);
	});
	if (!hasFlame(v)) { setNote('flame', ''); setNote('flame-warn', ''); }
	if (!hasTop(v)) setNote('top-warn', '');
	if (v !== 'sandwich') setNote('sandwich', '');
	if (!hasFlame(v) && !hasTop(v) && v !== 'sandwich') $('sub').textContent = '';
	refineInputs();
	sampleSelect();
	granularitySelect();
	downloads();
	$('icicle').checked = S.get('icicle') === '1';
	if (document.activeElement !== $('filter')) $('filter').value = S.get('filter') || '';
	Array.prototype.forEach.call(document.querySelectorAll('.fform input'), function (i) {
		if (document.activeElement !== i) i.value = S.get('f') || '';
	});
	renderSearch(my);
	if (hasTop(v)) {
		if (topData && topData._key === apiParams()) { setError('top', null); drawTop(); subtitle(topData); done(); } else renderTop(my);
	}
	if (hasFlame(v)) renderFlame(my);
	else if (v === 'top') { /* above */ }
	else if (v === 'graph') renderGraph(my);
	else if (v === 'source' || v === 'peek' || v === 'disasm') renderText(v, my);
	else if (v === 'sandwich') renderSandwich(my);
	else if (mode.views[v]) mode.views[v](my);
	document.title = (profile ? profile.title + ' \u2013 ' : '') + v + ' \u2013 hearth';
}

function refineInputs() {
	var f = $('refine'), def = (profile && profile.defaults) || {}, chips = $('chips');
	chips.textContent = '';
	REFINE.forEach(function (k) {
		var i = f.elements[k], v = S.has(k) ? S.get(k) : (def[k] || '');
		if (document.activeElement !== i) i.value = v;
		i.classList.toggle('used', !!i.value);
		if (!v) return;
		/* the filter in force as a chip: its whole regexp on hover, x removes it */
		var c = el('span', 'chip');
		c.title = k + '=' + v;
		c.appendChild(el('span', 'chip-text', k + ': ' + v));
		var x = el('button', null, '\u2715');
		x.type = 'button';
		x.setAttribute('aria-label', 'Remove ' + k + '=' + v);
		x.addEventListener('click', function () {
			var ch = {};
			ch[k] = def[k] ? '' : null;
			navigate(ch);
		});
		c.appendChild(x);
		chips.appendChild(c);
	});
}
$('refine-toggle').addEventListener('click', function () {
	var o = $('refine').classList.toggle('open');
	$('refine-toggle').setAttribute('aria-expanded', o ? 'true' : 'false');
});
Array.prototype.forEach.call($('refine').querySelectorAll('input'), function (i) {
	i.addEventListener('input', function () { i.classList.toggle('used', !!i.value); });
});
$('refine').addEventListener('submit', function (e) {
	e.preventDefault();
	var f = $('refine'), def = (profile && profile.defaults) || {}, ch = {};
	REFINE.forEach(function (k) {
		var v = f.elements[k].value;
		if (!S.has(k) && v === (def[k] || '')) return;
		ch[k] = v === (def[k] || '') && !def[k] ? null : v;
	});
	navigate(ch);
});
$('refine-clear').addEventListener('click', function () {
	var def = (profile && profile.defaults) || {}, ch = {};
	REFINE.forEach(function (k) { ch[k] = def[k] ? '' : null; });
	navigate(ch);
});

/* Granularity: one of the flags functions (the default), filefunctions,
 * files, lines, addresses in the URL. */
var GRAN = ['functions', 'filefunctions', 'files', 'lines', 'addresses'];
function on(v) { return v !== null && v !== undefined && v !== '0' && v !== 'false'; }
/* The command line's granularity (functions unless it gave another). */
function defaultGran() {
	var def = (profile && profile.defaults) || {}, g = 'functions';
	GRAN.forEach(function (k) { if (on(def[k])) g = k; });
	return g;
}
function granularitySelect() {
	var g = null;
	GRAN.forEach(function (k) { if (on(S.get(k))) g = k; });
	$('granularity').value = g || defaultGran();
}
$('granularity').addEventListener('change', function () {
	var ch = {}, v = $('granularity').value;
	GRAN.forEach(function (k) { ch[k] = null; });
	if (v !== defaultGran()) ch[v] = '1';
	navigate(ch);
});

function sampleSelect() {
	var sel = $('sample');
	if (!profile) return;
	var cur = S.get('sample_index'), types = profile.sample_types || [];
	sel.textContent = '';
	var found = false;
	types.forEach(function (t) {
		var o = el('option', null, t.type);
		o.value = t.type;
		o.title = t.type + ' (' + t.unit + ')';
		if (cur === null ? t.index === profile.default_sample_index : (cur === t.type || cur === String(t.index))) {
			o.selected = true;
			found = true;
		}
		sel.appendChild(o);
	});
	if (!found && cur !== null) {
		var o = el('option', null, cur + ' (unknown)');
		o.value = cur;
		o.selected = true;
		sel.appendChild(o);
	}
}
$('sample').addEventListener('change', function () {
	var t = $('sample').value, def = null;
	(profile.sample_types || []).forEach(function (s) { if (s.index === profile.default_sample_index) def = s.type; });
	navigate({sample_index: t === def && !(profile.defaults || {}).sample_index ? null : t});
});

/* The flame graph as it is drawn, as SVG or PNG, named after the profile. */
function saveBlob(blob, name) {
	var a = document.createElement('a');
	a.href = URL.createObjectURL(blob);
	a.download = name;
	document.body.appendChild(a);
	a.click();
	setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}
function exportName(ext) {
	var t = ((profile && profile.title) || 'hearth').replace(/\.(pb\.gz|pb|gz|pprof|prof)$/, '').replace(/[^\w.\-]+/g, '_');
	return t + '.flame.' + ext;
}
function exportFlame() { return view() === 'sandwich' ? sw[0].f : main.f; }
$('export-svg').addEventListener('click', function () {
	closeMenus();
	saveBlob(new Blob([exportFlame().toSVG()], {type: 'image/svg+xml'}), exportName('svg'));
});
$('export-png').addEventListener('click', function () {
	closeMenus();
	exportFlame().cv.toBlob(function (b) { if (b) saveBlob(b, exportName('png')); }, 'image/png');
});

function downloads() {
	Array.prototype.forEach.call(document.querySelectorAll('#download a'), function (a) {
		a.href = mode.base + 'download?' + apiParams({format: a.dataset.format});
	});
}

Array.prototype.forEach.call(document.querySelectorAll('#views button'), function (b) {
	b.addEventListener('click', function () { navigate({view: b.dataset.view === defaultView() ? null : b.dataset.view}); });
});
$('icicle').addEventListener('change', function () { navigate({icicle: $('icicle').checked ? '1' : null}, true); });
Array.prototype.forEach.call(document.querySelectorAll('.fform'), function (form) {
	form.addEventListener('submit', function (e) {
		e.preventDefault();
		navigate({f: form.elements.f.value || null});
	});
});
var searchT = 0;
$('search').addEventListener('input', function () {
	clearTimeout(searchT);
	searchT = setTimeout(function () { navigate({q: $('search').value || null}, true); }, 200);
});
$('searchform').addEventListener('submit', function (e) {
	e.preventDefault();
	clearTimeout(searchT);
	/* Enter on the search in force walks its matches */
	if ($('search').value && $('search').value === S.get('q')) { matchStep(1); return; }
	navigate({q: $('search').value || null}, true);
});
$('search').addEventListener('keydown', function (e) {
	if (e.key === 'Enter' && e.shiftKey && $('search').value === S.get('q')) { e.preventDefault(); matchStep(-1); }
});

/* Keyboard: / searches, Esc resets, arrows walk the flame graph, Enter zooms. */
window.addEventListener('keydown', function (e) {
	var t = e.target, typing = t && (t.tagName === 'SELECT' || t.tagName === 'TEXTAREA' ||
		(t.tagName === 'INPUT' && t.type !== 'checkbox'));
	if (e.key === 'Escape') {
		if ($('help').open) return;
		if (!ctxMenu.hidden || $('download').open) { closeMenus(); return; }
		if (typing) t.blur();
		if (!typing || t.id === 'search') {
			$('search').value = '';
			main.f.sel = -1;
			navigate({q: null, zoom: null});
		}
		return;
	}
	if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
	if (e.key === '/') { e.preventDefault(); $('search').focus(); $('search').select(); return; }
	if (e.key === '?') {
		e.preventDefault();
		var h = $('help');
		if (h.open) h.close(); else if (h.showModal) h.showModal();
		return;
	}
	if (!hasFlame(view())) return;
	var dirs = {ArrowUp: 'up', ArrowDown: 'down', ArrowLeft: 'left', ArrowRight: 'right'}, f = main.f;
	if (dirs[e.key]) {
		e.preventDefault();
		var i = f.walk(f.sel, dirs[e.key]);
		/* walking out of the zoomed frame zooms out to keep it in view */
		if (i >= 0 && !f.rect(i)) {
			var p = f.PAR[i] >= 0 ? f.PAR[i] : 0;
			f.sel = i;
			f.zoom(p);
			var path = f.pathOf(f.z);
			navigate({zoom: path.length ? path.join(';') : null, f: i > 0 ? f.name(i) : null}, true);
			return;
		}
		f.select(i);
		showDetails(i >= 0 ? f.info(i) : null);
		if (i > 0) {
			S.set('f', f.name(i));
			history.replaceState(null, '', location.pathname + '?' + S.toString());
		}
	} else if (e.key === 'Enter' && f.sel >= 0) {
		e.preventDefault();
		var pz = f.pathOf(f.sel);
		navigate({zoom: pz.length ? pz.join(';') : null});
	}
});

$('help-btn').addEventListener('click', function () { if ($('help').showModal) $('help').showModal(); });

var resizeT = 0;
window.addEventListener('resize', function () {
	clearTimeout(resizeT);
	resizeT = setTimeout(function () {
		var v = view();
		/* the default view follows the window's width */
		if (v !== lastView) { render(); return; }
		if (hasFlame(v)) { main.sig = null; main.f.resize(); }
		if (v === 'sandwich') sw.forEach(function (g) { g.f.resize(); });
	}, 100);
});

function setProfile(p) {
	profile = p;
	stats.profile = true;
	$('title').textContent = p.title || 'hearth';
	$('title').title = (p.sources || []).join(', ');
	document.body.classList.toggle('diff', !!p.diff);
}

/* hearth web: the one profile, loaded once, while the first view loads. */
function startWeb() {
	api('profile', '').then(function (p) {
		setProfile(p);
		render();
	}, function (e) {
		setError('profile', e);
		stats.profile = true;
	});
	render();
}

window.hearth = {main: main.f, sandwich: [sw[0].f, sw[1].f], navigate: navigate};

/* hearth web has no /api/v1/ (404): the page is today's.  hearth serve
 * answers whoami with the session (200) or asks for a login (401). */
fetch('/api/v1/whoami', {headers: {Accept: 'application/json'}}).then(function (res) {
	if ((res.status !== 200 && res.status !== 401) || !window.HearthServe) { startWeb(); return; }
	/* the server mode has no programs to disassemble */
	Array.prototype.forEach.call(document.querySelectorAll('.web-only'), function (e) { e.hidden = true; });
	return (res.status === 200 ? res.json() : Promise.resolve(null)).then(function (who) {
		window.HearthServe({
			S: function () { return S; }, mode: mode, stats: stats, navigate: navigate, render: render,
			api: api, cache: cache, apiParams: apiParams, setError: setError, setNote: setNote,
			setProfile: setProfile, profile: function () { return profile; }, sampleSelect: sampleSelect,
			resubtitle: function () { if (subD && $('sub').textContent) subtitle(subD); },
			el: el, $: $, busy: busy, closeMenus: closeMenus, VIEWS: VIEWS, VIEW_KEYS: VIEW_KEYS
		}, who);
	});
}, function () { startWeb(); });
})();
