/* hearth serve's UI: the same page as hearth web (web/app.js), in server
 * mode.  app.js asks GET /api/v1/whoami; when a hearth serve answers (200 or
 * 401) it calls window.HearthServe, which
 *
 *   - logs in with a token (POST /api/v1/login; the session is an HttpOnly
 *     cookie, writes carry the header X-Hearth-CSRF with the value login
 *     gave) and out;
 *   - adds the service and profile-type pickers, a label selector with
 *     completion, the time range, live refresh and compare, and a timeline
 *     of totals (/api/v1/series) whose brush picks the range of the views;
 *   - points app.js's views at /api/v1/render/VIEW with that range's
 *     parameters (mode.params), so the flame graph, top, graph, source, peek
 *     and sandwich are the same code as in hearth web;
 *   - adds three pages: the single profiles of the range (open, download),
 *     the tenant's tokens and, with hearth serve -scrape, its targets
 *     (/api/v1/targets);
 *   - under the timeline, the GC statistics that scrapes store as metric
 *     series (/api/v1/metrics): charts over the same window.
 *
 * Its state is in the URL too (docs/web-ui.md): query, type, from, until,
 * brush, cmp, base_brush, base_query, profile, refresh, gc.  Data only reaches
 * the page as textContent, never as markup. */
(function () {
'use strict';

var KEYS = ['query', 'type', 'from', 'until', 'brush', 'cmp', 'base_brush', 'base_query', 'profile', 'refresh', 'gc'];
var RANGES = {'15m': 900, '1h': 3600, '6h': 21600, '1d': 86400, '7d': 604800, '30d': 2592000};
var UNIT = {s: 1, m: 60, h: 3600, d: 86400, w: 604800};
var PAGE = 50;

window.HearthServe = function (app, who) {
	var $ = app.$, el = app.el, mode = app.mode, stats = app.stats;
	function S() { return app.S(); }
	var session = null;
	/* "now" of relative ranges: fixed between refreshes, so that the views'
	 * requests (and their cache) stay the same while one looks at them. */
	var now = Math.floor(Date.now() / 1000);

	mode.server = true;
	mode.base = '/api/v1/render/';
	mode.keys = KEYS;
	mode.params = params;
	mode.render = onRender;
	mode.subtitle = subtitle;
	mode.views = {profiles: renderProfiles, tokens: renderTokens, targets: renderTargets};
	mode.onAuth = function () { showLogin('The session ended: log in again.'); };
	mode.soft = function (err) {
		return /no profiles/i.test(err.message || '') ? 'No profiles in this range: pick another range, service or selector.' : null;
	};
	document.body.classList.add('server');
	Array.prototype.forEach.call(document.querySelectorAll('.serve-only'), function (e) { e.hidden = false; });

	/* --- /api/v1 ------------------------------------------------------------ */
	var cache = new Map();
	function qstr(p) {
		var u = new URLSearchParams();
		Object.keys(p).forEach(function (k) { if (p[k] !== null && p[k] !== undefined && p[k] !== '') u.set(k, p[k]); });
		return u.toString();
	}
	function answer(res) {
		return res.text().then(function (body) {
			var j = null;
			try { j = body ? JSON.parse(body) : {}; } catch (e) { j = null; }
			if (!res.ok) {
				if (res.status === 401 && session) mode.onAuth();
				var err = new Error((j && j.error) || ('HTTP ' + res.status + ' ' + res.statusText));
				err.status = res.status;
				throw err;
			}
			if (j === null) throw new Error('not JSON');
			return j;
		});
	}
	/* GET /api/v1/PATH?params, the same question answered once. */
	function get(path, p, fresh) {
		var url = '/api/v1/' + path + (p ? '?' + qstr(p) : '');
		if (!fresh && cache.has(url)) return cache.get(url);
		app.busy(1);
		var pr = fetch(url, {headers: {Accept: 'application/json'}, credentials: 'same-origin'}).then(answer);
		cache.set(url, pr);
		pr.then(function () { app.busy(-1); }, function () { app.busy(-1); cache.delete(url); });
		if (cache.size > 64) cache.delete(cache.keys().next().value);
		return pr;
	}
	/* A write: JSON body, the CSRF header of the session. */
	function write(method, path, body) {
		var h = {Accept: 'application/json'};
		if (session && session.csrf) h['X-Hearth-CSRF'] = session.csrf;
		if (body !== undefined) h['Content-Type'] = 'application/json';
		app.busy(1);
		var pr = fetch('/api/v1/' + path, {method: method, headers: h, credentials: 'same-origin',
			body: body === undefined ? undefined : JSON.stringify(body)}).then(answer);
		pr.then(function () { app.busy(-1); }, function () { app.busy(-1); });
		return pr;
	}

	/* --- time --------------------------------------------------------------- */
	/* Unix seconds of a URL time: now, -1h / now-1h, Unix seconds, RFC 3339. */
	function parseTime(s) {
		if (s === null || s === undefined || s === '') return null;
		if (s === 'now') return now;
		var m = /^(?:now)?-(\d+)([smhdw])$/.exec(s);
		if (m) return now - m[1] * UNIT[m[2]];
		if (/^\d+(\.\d+)?$/.test(s)) return Math.floor(+s);
		var t = Date.parse(s);
		return isNaN(t) ? null : Math.floor(t / 1000);
	}
	/* The timeline's window. */
	function win() {
		var f = parseTime(S().get('from') || '-1h'), u = parseTime(S().get('until') || 'now');
		if (f === null) f = now - 3600;
		if (u === null) u = now;
		if (u <= f) u = f + 1;
		return {from: f, until: u};
	}
	function live() { var u = S().get('until'); return !u || u === 'now'; }
	function pair(key) {
		var v = S().get(key), m = v && /^(\d+),(\d+)$/.exec(v);
		if (!m || +m[2] <= +m[1]) return null;
		return {from: +m[1], until: +m[2]};
	}
	function compare() { return S().get('cmp') === '1'; }
	/* Compare's two ranges; without brushes, the window's two halves. */
	function ranges() {
		var w = win(), b = pair('brush'), bb = pair('base_brush'), mid = Math.floor((w.from + w.until) / 2);
		return {cmp: b || (compare() ? {from: mid, until: w.until} : w), base: bb || {from: w.from, until: mid}};
	}
	function pad(n) { return (n < 10 ? '0' : '') + n; }
	function fmtTime(t, secs) {
		var d = new Date(t * 1000);
		return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' +
			pad(d.getMinutes()) + (secs === false ? '' : ':' + pad(d.getSeconds()));
	}
	function fmtDur(s) {
		if (s < 120) return s + ' s';
		if (s < 7200) return Math.round(s / 60) + ' min';
		if (s < 172800) return (s / 3600).toFixed(s % 3600 ? 1 : 0) + ' h';
		return (s / 86400).toFixed(s % 86400 ? 1 : 0) + ' d';
	}
	function fmtRange(r) { return fmtTime(r.from) + ' \u2013 ' + fmtTime(r.until) + ' (' + fmtDur(r.until - r.from) + ')'; }
	function localInput(t) { var s = fmtTime(t); return s.replace(' ', 'T'); }

	/* --- selectors ------------------------------------------------------------ */
	/* {name="v",name=~"re",...} as a list of matchers; null if it is not one. */
	function parseSelector(s) {
		s = (s || '').trim();
		if (!s) return [];
		var m = /^\{([\s\S]*)\}$/.exec(s);
		if (!m) return null;
		var body = m[1], out = [], re = /\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;
		re.lastIndex = 0;
		while (re.lastIndex < body.length) {
			var start = re.lastIndex, x = re.exec(body);
			if (!x) { if (/^\s*$/.test(body.slice(start))) break; return null; }
			out.push({name: x[1], op: x[2], value: x[3].replace(/\\(.)/g, '$1')});
			if (!x[4]) break;
		}
		return out;
	}
	function quote(v) { return '"' + v.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"'; }
	function formatSelector(ms) {
		return '{' + ms.map(function (m) { return m.name + m.op + quote(m.value); }).join(',') + '}';
	}
	function query() { return S().get('query') || '{}'; }
	function serviceOf(q) {
		var ms = parseSelector(q) || [], s = null;
		ms.forEach(function (m) { if (m.name === 'service' && m.op === '=') s = m.value; });
		return s;
	}
	function withService(q, svc) {
		var ms = (parseSelector(q) || []).filter(function (m) { return m.name !== 'service'; });
		ms.unshift({name: 'service', op: '=', value: svc});
		return formatSelector(ms);
	}

	/* --- what the views ask ----------------------------------------------------- */
	var services = null;
	function typesOf(svc) {
		var t = [];
		(services || []).forEach(function (s) { if (s.name === svc) t = s.types || []; });
		return t;
	}
	function ptype() {
		var t = S().get('type');
		if (t) return t;
		var ts = typesOf(serviceOf(query()));
		return ts.indexOf('cpu') >= 0 ? 'cpu' : ts.length ? ts[0] : null;
	}
	/* The render API's parameters, in place of the URL's own keys. */
	function params() {
		var s = S(), id = s.get('profile');
		if (id) return {profile: id};
		var r = ranges(), p = {query: query(), type: ptype(), from: r.cmp.from, until: r.cmp.until};
		if (compare()) {
			p.base_from = r.base.from;
			p.base_until = r.base.until;
			p.base_query = s.get('base_query');
		}
		return p;
	}
	function seriesParams() {
		var w = win(), cw = timelineWidth();
		var step = Math.max(1, Math.ceil((w.until - w.from) / Math.max(40, Math.floor(cw / 6))));
		return {query: query(), type: ptype(), sample_index: S().get('sample_index'), from: w.from, until: w.until, step: step};
	}

	/* --- login, logout ------------------------------------------------------------ */
	function showLogin(msg) {
		session = null;
		stopRefresh();
		cache.clear();
		app.cache.clear();
		document.body.classList.add('login');
		$('serve').hidden = true;
		$('login').hidden = false;
		$('login-msg').textContent = msg || '';
		var t = $('login').elements.token;
		t.value = '';
		t.focus();
		/* a public instance (-signup=open) offers a tenant of one's own */
		fetch('/api/v1/health', {headers: {Accept: 'application/json'}}).then(answer).then(function (h) {
			$('signup').hidden = !(h && h.signup === 'open');
		}, function () { $('signup').hidden = true; });
		stats.profile = true;
		stats.ready = true;
	}
	$('login').addEventListener('submit', function (e) {
		e.preventDefault();
		var token = $('login').elements.token.value.trim();
		if (!token) return;
		$('login-msg').textContent = '';
		write('POST', 'login', {token: token}).then(function (w) {
			$('login').elements.token.value = '';
			start(w);
		}, function (err) {
			$('login-msg').textContent = err.status === 401 || err.status === 403 ?
				'That token is not valid (or was revoked).' : 'Login failed: ' + err.message;
		});
	});
	$('signup-btn').addEventListener('click', function () {
		$('login-msg').textContent = '';
		write('POST', 'signup').then(function (j) {
			$('signup').hidden = true;
			$('signup-new').hidden = false;
			$('signup-tenant').textContent = j.tenant || '';
			$('signup-token').value = j.token || '';
			$('signup-token').select();
		}, function (err) { $('login-msg').textContent = 'Signup failed: ' + err.message; });
	});
	$('signup-go').addEventListener('click', function () {
		$('login').elements.token.value = $('signup-token').value;
		$('signup-new').hidden = true;
		$('signup-token').value = '';
		$('login').requestSubmit();
	});
	$('logout').addEventListener('click', function () {
		write('POST', 'logout').then(function () { showLogin('Logged out.'); },
			function (err) { showLogin(err.status === 401 ? 'Logged out.' : 'Logout: ' + err.message); });
	});

	function start(w) {
		session = w;
		document.body.classList.remove('login');
		$('login').hidden = true;
		$('serve').hidden = false;
		$('tenant').textContent = w.tenant || '';
		/* the tokens page needs the admin scope */
		$('tokens-btn').hidden = (w.scopes || []).indexOf('admin') < 0;
		$('tok-tenant').textContent = w.tenant || '';
		/* the targets page: only for the tenant hearth serve -scrape fills */
		$('targets-btn').hidden = true;
		get('targets', null, true).then(function () { $('targets-btn').hidden = false; }, function () {});
		loadServices().then(function () {
			stats.profile = true;
			/* First visit: the first service, so that something shows. */
			app.setNote('start', services && services.length ? '' : 'No profiles yet. Push one: curl -H "Authorization: Bearer TOKEN" ' +
				'--data-binary @cpu.pb.gz "' + location.origin + '/api/v1/push?service=NAME"  (docs/serve.md)');
			if (!S().get('query') && services && services.length) app.navigate({query: withService('{}', services[0].name)}, true);
			else app.render();
		}, function (err) {
			stats.profile = true;
			app.setError('services', err);
			app.render();
		});
	}

	function loadServices() {
		var w = win();
		return get('services', {from: w.from, until: w.until}).then(function (j) {
			services = j.services || [];
			return services;
		});
	}

	/* --- the bar ---------------------------------------------------------------- */
	function fillSelect(sel, values, cur, labels) {
		sel.textContent = '';
		var found = false;
		values.forEach(function (v, k) {
			var o = el('option', null, labels ? labels[k] : v);
			o.value = v;
			if (v === cur) { o.selected = true; found = true; }
			sel.appendChild(o);
		});
		if (!found && cur) {
			var o = el('option', null, cur + ' (no data)');
			o.value = cur;
			o.selected = true;
			sel.appendChild(o);
		}
		if (!found && !cur) {
			var n = el('option', null, values.length ? '(any)' : '(none)');
			n.value = '';
			n.selected = true;
			sel.insertBefore(n, sel.firstChild);
		}
	}
	function syncBar() {
		var s = S(), q = query(), svc = serviceOf(q);
		fillSelect($('svc'), (services || []).map(function (x) { return x.name; }), svc);
		fillSelect($('ptype'), typesOf(svc), ptype());
		if (document.activeElement !== $('selector')) $('selector').value = s.get('query') || '';
		var f = s.get('from') || '-1h', u = s.get('until') || 'now', rk = 'custom';
		Object.keys(RANGES).forEach(function (k) { if (live() && (f === '-' + k || f === 'now-' + k)) rk = k; });
		$('range').value = rk;
		$('custom').hidden = rk !== 'custom' && !customOpen;
		var w = win();
		if (document.activeElement !== $('cfrom')) $('cfrom').value = localInput(w.from);
		if (document.activeElement !== $('cuntil')) $('cuntil').value = localInput(w.until);
		$('refresh').value = s.get('refresh') || '';
		if ($('refresh').value !== (s.get('refresh') || '')) $('refresh').value = '';
		$('compare').checked = compare();
		$('brushing').hidden = !compare();
		if (document.activeElement !== $('base-selector')) $('base-selector').value = s.get('base_query') || '';
		var id = s.get('profile');
		$('single').hidden = !id;
		if (id) {
			var r = known.get(id);
			$('single-text').textContent = 'Profile ' + id + (r ? ' \u00b7 ' + r.service + ' \u00b7 ' + fmtTime(r.time / 1e9) +
				(labelText(r.labels) ? ' \u00b7 ' + labelText(r.labels) : '') : '');
		}
		$('tokens-btn').setAttribute('aria-pressed', s.get('view') === 'tokens' ? 'true' : 'false');
		$('targets-btn').setAttribute('aria-pressed', s.get('view') === 'targets' ? 'true' : 'false');
	}
	var customOpen = false;

	$('svc').addEventListener('change', function () {
		var v = $('svc').value;
		app.navigate({query: v ? withService(query(), v) : null, type: null, profile: null, brush: null, base_brush: null});
	});
	$('ptype').addEventListener('change', function () {
		app.navigate({type: $('ptype').value || null, sample_index: null, profile: null});
	});
	$('svc-bar').addEventListener('submit', function (e) {
		e.preventDefault();
		applySelector();
	});
	$('selector').addEventListener('change', applySelector);
	function applySelector() {
		var v = $('selector').value.trim();
		if (v === (S().get('query') || '')) return;
		if (v && parseSelector(v) === null) {
			app.setError('selector', new Error('not a selector: ' + v + ' (say {service="api",env=~"prod.*"})'));
			return;
		}
		app.setError('selector', null);
		app.navigate({query: v || null, profile: null});
	}
	/* compare: the base's own selector (empty: the same as the comparison's) */
	function applyBaseSelector() {
		var v = $('base-selector').value.trim();
		if (v === (S().get('base_query') || '')) return;
		if (v && parseSelector(v) === null) {
			app.setError('selector', new Error('not a selector: ' + v + ' (say {service="api",env="canary"})'));
			return;
		}
		app.setError('selector', null);
		app.navigate({base_query: v || null});
	}
	$('base-selector').addEventListener('change', applyBaseSelector);
	$('base-selector').addEventListener('keydown', function (e) {
		if (e.key === 'Enter') { e.preventDefault(); applyBaseSelector(); }
	});
	$('range').addEventListener('change', function () {
		var v = $('range').value;
		if (v === 'custom') { customOpen = true; $('custom').hidden = false; $('cfrom').focus(); return; }
		customOpen = false;
		now = Math.floor(Date.now() / 1000);
		app.navigate({from: '-' + v, until: null, brush: null, base_brush: null});
	});
	$('custom-apply').addEventListener('click', function () {
		var f = Date.parse($('cfrom').value), u = Date.parse($('cuntil').value);
		if (isNaN(f) || isNaN(u) || u <= f) { app.setError('range', new Error('the custom range needs a start before its end')); return; }
		app.setError('range', null);
		customOpen = false;
		app.navigate({from: String(Math.floor(f / 1000)), until: String(Math.floor(u / 1000)), brush: null, base_brush: null});
	});
	$('refresh').addEventListener('change', function () { app.navigate({refresh: $('refresh').value || null}, true); });
	$('compare').addEventListener('change', function () {
		if ($('compare').checked) {
			var r = ranges(), w = win(), mid = Math.floor((w.from + w.until) / 2);
			app.navigate({cmp: '1', profile: null, brush: pair('brush') ? S().get('brush') : mid + ',' + w.until,
				base_brush: (r.base.from + ',' + r.base.until)});
		} else app.navigate({cmp: null, base_brush: null, base_query: null});
	});
	$('tokens-btn').addEventListener('click', function () {
		app.navigate({view: S().get('view') === 'tokens' ? null : 'tokens'});
	});
	$('targets-btn').addEventListener('click', function () {
		app.navigate({view: S().get('view') === 'targets' ? null : 'targets'});
	});
	$('single-back').addEventListener('click', function () { app.navigate({profile: null}); });
	$('tl-clear').addEventListener('click', function () { clearBrush(); });
	$('tl-zoom').addEventListener('click', function () {
		var b = pair('brush');
		if (b) app.navigate({from: String(b.from), until: String(b.until), brush: null});
	});

	/* Completion of the selector: the label names, or the values of the name
	 * being typed, as whole texts of the input (a datalist completes those). */
	var complT = 0, complKey = null;
	function complete() {
		clearTimeout(complT);
		complT = setTimeout(function () {
			var inp = $('selector'), text = inp.value, caret = inp.selectionStart || text.length;
			var before = text.slice(0, caret), w = win(), scope = withServiceOnly();
			var mv = /^([\s\S]*[{,]\s*)([A-Za-z_][A-Za-z0-9_.]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)$/.exec(before);
			var mn = !mv && /^([\s\S]*[{,]\s*)([A-Za-z_][A-Za-z0-9_.]*)?$/.exec(before);
			if (!mv && !mn && before === '') mn = ['', '{', ''];
			var key, pr;
			if (mv) {
				key = 'v|' + mv[2] + '|' + scope;
				pr = get('label_values', {name: mv[2], query: scope, from: w.from, until: w.until}).then(function (j) {
					var head = mv[1] + mv[2] + mv[3] + '"';
					return (j.values || []).map(function (v) { return head + v.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"'; });
				});
			} else if (mn) {
				key = 'n|' + scope;
				pr = get('labels', {query: scope, from: w.from, until: w.until}).then(function (j) {
					return (j.names || []).map(function (n) { return mn[1] + n + '="'; });
				});
			} else return;
			pr.then(function (opts) {
				var dl = $('selector-list');
				if (complKey === key + '|' + before) return;
				complKey = key + '|' + before;
				dl.textContent = '';
				opts.slice(0, 200).forEach(function (o) { var op = el('option'); op.value = o; dl.appendChild(op); });
			}, function () {});
		}, 120);
	}
	function withServiceOnly() {
		var svc = serviceOf(query());
		return svc ? withService('{}', svc) : '{}';
	}
	$('selector').addEventListener('input', complete);
	$('selector').addEventListener('focus', complete);

	/* --- live refresh -------------------------------------------------------------- */
	var refreshT = 0, refreshEvery = 0;
	function stopRefresh() { clearInterval(refreshT); refreshT = 0; refreshEvery = 0; }
	function syncRefresh() {
		var n = +(S().get('refresh') || 0);
		if (!session || !(n >= 1) || !live()) { stopRefresh(); return; }
		if (n === refreshEvery) return;
		stopRefresh();
		refreshEvery = n;
		refreshT = setInterval(function () {
			if (document.hidden || !session || !live()) return;
			now = Math.floor(Date.now() / 1000);
			stats.refreshes = (stats.refreshes || 0) + 1;
			loadServices().then(function () { app.render(); }, function () { app.render(); });
		}, n * 1000);
	}

	/* --- the render hook --------------------------------------------------------- */
	var profKey = null;
	function onRender(my, v) {
		if (!session) return;
		document.body.classList.toggle('page-tokens', v === 'tokens');
		document.body.classList.toggle('page-targets', v === 'targets');
		syncBar();
		syncRefresh();
		drawTimeline();
		loadSeries();
		loadGC();
		if (mode.views[v]) return;
		/* what was merged: sample types, their aggregation, how many profiles */
		var qs = qstr(params());
		if (profKey === qs) return;
		profKey = qs;
		app.api('profile', qs).then(function (p) {
			if (profKey !== qs) return;
			app.setError('profile', null);
			app.setProfile(p);
			app.sampleSelect();
			title(p);
			/* the views may have answered first, with the previous range's count */
			app.resubtitle();
		}, function (err) {
			if (profKey !== qs) return;
			profKey = null;
			app.setError('profile', err);
			stats.profile = true;
		});
	}
	function title(p) {
		var id = S().get('profile'), svc = serviceOf(query());
		$('title').textContent = id ? 'profile ' + id : (svc || 'hearth');
		$('title').title = session ? 'tenant ' + session.tenant : '';
		document.title = (id ? 'profile ' + id : svc || 'hearth') + ' \u2013 hearth';
	}
	function aggregation(p, type) {
		var a = null;
		(p && p.sample_types || []).forEach(function (t) { if (t.type === type && t.aggregation) a = t.aggregation; });
		if (!a && p && typeof p.aggregation === 'string') a = p.aggregation;
		if (!a && p && p.aggregation && typeof p.aggregation === 'object') a = p.aggregation[type] || null;
		return a;
	}
	function subtitle(parts, D, p) {
		if (!p) return;
		if (S().get('profile')) { parts.push('one profile'); return; }
		var a = aggregation(p, D.type), n = p.profiles;
		var what = a === 'average' ? 'average per profile of ' : a === 'sum' ? 'sum of ' : 'merge of ';
		if (n !== undefined) parts.push(what + n + ' profile' + (n === 1 ? '' : 's'));
		else if (a) parts.push(a === 'average' ? 'averaged per profile' : 'summed');
		if (compare()) {
			var r = ranges();
			parts.push('base ' + fmtRange(r.base) + ' \u2192 comparison ' + fmtRange(r.cmp));
		} else parts.push(fmtRange(ranges().cmp));
	}

	/* --- the timeline ---------------------------------------------------------------- */
	var cv = $('timeline'), series = null, seriesKey = null, drag = null, hoverX = -1;
	var TLH = 96, PADL = 4, PADR = 4, PADT = 6, PADB = 18;
	function timelineWidth() { return Math.max(200, cv.parentNode.clientWidth); }
	function loadSeries() {
		var p = seriesParams(), key = qstr(p);
		if (S().get('profile') && series && seriesKey === key) return;
		if (seriesKey === key && series) return;
		get('series', p).then(function (j) {
			if (qstr(seriesParams()) !== key) return;
			app.setError('timeline', null);
			seriesKey = key;
			series = j;
			drawTimeline();
		}, function (err) {
			if (qstr(seriesParams()) !== key) return;
			series = null;
			seriesKey = null;
			app.setError('timeline', err);
			drawTimeline();
		});
	}
	/* The totals per step, the series summed (a selector may match several). */
	function points() {
		var m = new Map();
		((series && series.series) || []).forEach(function (s) {
			(s.points || []).forEach(function (pt) { m.set(pt[0], (m.get(pt[0]) || 0) + pt[1]); });
		});
		return Array.from(m.entries()).sort(function (a, b) { return a[0] - b[0]; });
	}
	function X(t) { var w = win(), W = cv.clientWidth || timelineWidth(); return PADL + (t - w.from) / (w.until - w.from) * (W - PADL - PADR); }
	function T(x) { var w = win(), W = cv.clientWidth || timelineWidth(); return w.from + (x - PADL) / (W - PADL - PADR) * (w.until - w.from); }
	function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888'; }
	function unitOf() { var st = series && series.sample_type; return st ? {unit: st.unit || st.Unit || ''} : {unit: ''}; }
	var TICKS = [60, 300, 900, 1800, 3600, 10800, 21600, 43200, 86400, 172800, 604800];
	function drawTimeline() {
		var W = timelineWidth(), dpr = window.devicePixelRatio || 1, ctx = cv.getContext('2d');
		if (cv.width !== Math.round(W * dpr) || cv.height !== Math.round(TLH * dpr)) {
			cv.width = Math.round(W * dpr);
			cv.height = Math.round(TLH * dpr);
			cv.style.width = W + 'px';
			cv.style.height = TLH + 'px';
		}
		ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
		ctx.clearRect(0, 0, W, TLH);
		var w = win(), H = TLH - PADT - PADB, pts = points(), max = 0;
		pts.forEach(function (p) { if (p[1] > max) max = p[1]; });
		var fg = css('--muted'), line = css('--line'), acc = css('--accent');
		ctx.font = '11px system-ui, sans-serif';
		ctx.fillStyle = fg;
		ctx.strokeStyle = line;
		ctx.beginPath();
		ctx.moveTo(PADL, PADT + H + 0.5);
		ctx.lineTo(W - PADR, PADT + H + 0.5);
		ctx.stroke();
		var span = w.until - w.from, tick = TICKS[TICKS.length - 1];
		for (var k = 0; k < TICKS.length; k++) if (span / TICKS[k] <= Math.max(2, W / 110)) { tick = TICKS[k]; break; }
		var off = new Date().getTimezoneOffset() * 60;
		for (var t = Math.ceil((w.from - off) / tick) * tick + off; t <= w.until; t += tick) {
			var x = X(t), d = new Date(t * 1000);
			ctx.fillRect(Math.round(x), PADT + H, 1, 4);
			var lab = tick >= 86400 ? pad(d.getMonth() + 1) + '-' + pad(d.getDate()) : pad(d.getHours()) + ':' + pad(d.getMinutes());
			ctx.fillText(lab, Math.min(W - 34, Math.max(0, x - 14)), TLH - 4);
		}
		var step = series && series.step ? series.step / 1e9 : seriesParams().step;
		ctx.fillStyle = acc;
		var bars = [];
		pts.forEach(function (p) {
			var t0 = p[0] / 1e9, x0 = X(t0), x1 = X(t0 + step), h = max ? Math.max(1, p[1] / max * H) : 0;
			var bw = Math.max(2, x1 - x0 - 1);
			ctx.fillRect(x0, PADT + H - h, bw, h);
			bars.push([x0, bw, t0, p[1]]);
		});
		drawTimeline.bars = bars;
		drawTimeline.step = step;
		if (max) {
			ctx.fillStyle = fg;
			ctx.fillText('max ' + HearthFlame.fmtValue(unitOf(), max), PADL + 2, PADT + 10);
		}
		if (!pts.length) {
			ctx.fillStyle = fg;
			ctx.fillText(series ? 'No profiles in this range.' : 'Loading\u2026', W / 2 - 60, PADT + H / 2);
		}
		/* the brushes */
		var r = ranges(), sel = [];
		if (compare()) sel = [[r.base, 'base', css('--shrink')], [r.cmp, 'comparison', css('--grow')]];
		else if (pair('brush')) sel = [[r.cmp, '', acc]];
		if (drag && drag.moved) {
			var dr = {from: T(Math.min(drag.x0, drag.x1)), until: T(Math.max(drag.x0, drag.x1))};
			var which = brushKey();
			sel = sel.filter(function (s) { return !(which === 'base_brush' ? s[1] === 'base' : s[1] !== 'base'); });
			sel.push([dr, which === 'base_brush' ? 'base' : compare() ? 'comparison' : '', which === 'base_brush' ? css('--shrink') : compare() ? css('--grow') : acc]);
		}
		sel.forEach(function (s) {
			var a = Math.max(PADL, X(s[0].from)), b = Math.min(W - PADR, X(s[0].until));
			if (b <= a) return;
			ctx.globalAlpha = 0.18;
			ctx.fillStyle = s[2];
			ctx.fillRect(a, PADT, b - a, H);
			ctx.globalAlpha = 1;
			ctx.strokeStyle = s[2];
			ctx.lineWidth = 1.5;
			ctx.strokeRect(a + 0.75, PADT + 0.75, b - a - 1.5, H - 1.5);
			ctx.lineWidth = 1;
			if (s[1]) { ctx.fillStyle = s[2]; ctx.fillText(s[1], a + 4, PADT + 22); }
		});
		/* an open single profile: its time */
		var id = S().get('profile'), kr = id && known.get(id);
		if (kr) {
			ctx.fillStyle = css('--match');
			ctx.fillRect(Math.round(X(kr.time / 1e9)) - 1, PADT, 2, H);
		}
		if (hoverX >= 0) {
			ctx.fillStyle = fg;
			ctx.fillRect(Math.round(hoverX), PADT, 1, H);
		}
		/* the words of the selection */
		var txt = '';
		if (compare()) txt = 'base ' + fmtRange(r.base) + ' \u00b7 comparison ' + fmtRange(r.cmp);
		else if (pair('brush')) txt = 'selected ' + fmtRange(r.cmp);
		else txt = fmtRange(w) + (live() ? ', until now' : '');
		$('tl-sel').textContent = txt;
		$('tl-clear').hidden = !(compare() ? pair('base_brush') || pair('brush') : pair('brush'));
		$('tl-zoom').hidden = compare() || !pair('brush');
		var st = series && series.sample_type, ag = series && series.aggregation;
		$('tl-agg').textContent = st ? (st.type || '') + (ag ? ' (' + (ag === 'average' ? 'average per profile' : ag) + ')' : '') : '';
	}
	function brushKey() {
		if (!compare()) return 'brush';
		var r = document.querySelector('input[name="brushing"]:checked');
		return r && r.value === 'base' ? 'base_brush' : 'brush';
	}
	function clearBrush() {
		var ch = {};
		if (compare()) ch[brushKey()] = null; else ch.brush = null;
		app.navigate(ch);
	}
	function pos(e) { var b = cv.getBoundingClientRect(); return e.clientX - b.left; }
	cv.addEventListener('mousedown', function (e) {
		if (e.button !== 0) return;
		e.preventDefault();
		cv.focus();
		drag = {x0: pos(e), x1: pos(e), moved: false};
	});
	window.addEventListener('mousemove', function (e) {
		if (!drag) return;
		drag.x1 = pos(e);
		if (Math.abs(drag.x1 - drag.x0) > 3) drag.moved = true;
		drawTimeline();
	});
	window.addEventListener('mouseup', function (e) {
		if (!drag) return;
		var d = drag, W = cv.clientWidth;
		drag = null;
		var ch = {profile: null};
		if (d.moved) {
			var a = Math.max(PADL, Math.min(d.x0, d.x1)), b = Math.min(W - PADR, Math.max(d.x0, d.x1));
			var f = Math.floor(T(a)), u = Math.ceil(T(b));
			if (u <= f) { drawTimeline(); return; }
			ch[brushKey()] = f + ',' + u;
		} else {
			/* a click on a bar picks its step */
			var hit = null;
			(drawTimeline.bars || []).forEach(function (bar) { if (d.x0 >= bar[0] - 1 && d.x0 <= bar[0] + bar[1] + 1) hit = bar; });
			if (!hit) { drawTimeline(); return; }
			ch[brushKey()] = Math.floor(hit[2]) + ',' + Math.ceil(hit[2] + drawTimeline.step);
		}
		app.navigate(ch);
	});
	cv.addEventListener('dblclick', function () { clearBrush(); });
	/* The keyboard: arrows move the brush (a new one starts at the window's
	 * end), Shift+arrows move its end only, Esc or Delete clear it. */
	cv.addEventListener('keydown', function (e) {
		if (e.key === 'Escape' || e.key === 'Delete') { e.stopPropagation(); clearBrush(); return; }
		if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
		e.preventDefault();
		e.stopPropagation();
		var w = win(), key = brushKey(), cur = pair(key), d = Math.max(1, Math.round((w.until - w.from) / 40));
		var dir = e.key === 'ArrowLeft' ? -1 : 1;
		if (!cur) cur = {from: w.until - 4 * d, until: w.until};
		var f = cur.from + (e.shiftKey ? 0 : dir * d), u = cur.until + dir * d;
		if (u - f < 1 || f < w.from - d || u > w.until + d) return;
		var ch = {profile: null};
		ch[key] = f + ',' + u;
		app.navigate(ch, true);
	});
	cv.addEventListener('mousemove', function (e) {
		hoverX = pos(e);
		var hit = null;
		(drawTimeline.bars || []).forEach(function (bar) { if (hoverX >= bar[0] - 1 && hoverX <= bar[0] + bar[1] + 1) hit = bar; });
		cv.title = hit ? fmtTime(hit[2]) + ': ' + HearthFlame.fmtValue(unitOf(), hit[3]) : fmtTime(Math.round(T(hoverX)));
		if (!drag) drawTimeline();
	});
	cv.addEventListener('mouseleave', function () { hoverX = -1; if (!drag) drawTimeline(); });
	var rsT = 0;
	window.addEventListener('resize', function () {
		clearTimeout(rsT);
		rsT = setTimeout(function () { if (session) { drawTimeline(); loadSeries(); drawGC(); } }, 150);
	});

	/* --- GC statistics (/api/v1/metrics) ----------------------------------------- */
	/* The series hearth scrape stores from each target's MemStats
	 * (docs/scrape.md), for the service and the matchers of the selector,
	 * over the timeline's window; the brush is shaded.  A chart per
	 * question: how often the GC runs (the slope of gc_count), how long it
	 * stops the world, what share of the CPU it takes, the heap and its
	 * goal.  One line per series (target) and name. */
	var GC = [
		{id: 'rate', title: 'GC cycles per minute', names: ['gc_count'], legend: ['cycles/min'], rate: true, unit: 'count'},
		{id: 'pause', title: 'GC pauses (the last 256)', names: ['gc_pause_p50_seconds', 'gc_pause_p99_seconds', 'gc_pause_max_seconds'],
			legend: ['p50', 'p99', 'max'], unit: 'seconds'},
		{id: 'cpu', title: 'GC share of the CPU (since start)', names: ['gc_cpu_fraction'], legend: ['GC CPU'], unit: 'percent'},
		{id: 'heap', title: 'Heap', names: ['heap_alloc_bytes', 'heap_goal_bytes'], legend: ['in use', 'goal'], unit: 'bytes'}
	];
	var GCH = 110, GCPAD = {l: 4, r: 4, t: 16, b: 16};
	var gc = {key: null, data: null, drawn: {}, ready: false, loading: false};
	var gcCanvas = {};
	GC.forEach(function (c) {
		var fig = el('figure'), cap = el('figcaption'), cv2 = el('canvas');
		cap.appendChild(el('span', null, c.title));
		c.legendEl = el('span', 'gc-legend');
		cap.appendChild(c.legendEl);
		cv2.id = 'gc-' + c.id;
		cv2.setAttribute('role', 'img');
		cv2.setAttribute('aria-label', c.title + ' over the time range');
		fig.appendChild(cap);
		fig.appendChild(cv2);
		$('gc-charts').appendChild(fig);
		gcCanvas[c.id] = cv2;
		cv2.addEventListener('mousemove', function (e) { gcHover(c, e); });
	});
	$('gc-box').addEventListener('toggle', function () {
		var open = $('gc-box').open;
		if (open !== (S().get('gc') === '1')) app.navigate({gc: open ? '1' : null}, true);
		if (open) drawGC();
	});
	function fmtGC(unit, v) {
		if (unit === 'percent') return (v * 100).toFixed(v * 100 < 1 ? 3 : 2) + ' %';
		if (unit === 'bytes') {
			var u = ['B', 'kB', 'MB', 'GB', 'TB'], k = 0;
			while (Math.abs(v) >= 1024 && k < u.length - 1) { v /= 1024; k++; }
			return (k ? v.toFixed(v < 10 ? 2 : 1) : String(Math.round(v))) + ' ' + u[k];
		}
		if (unit === 'seconds') {
			if (v === 0) return '0';
			if (v < 1e-6) return (v * 1e9).toFixed(0) + ' ns';
			if (v < 1e-3) return (v * 1e6).toFixed(v < 1e-5 ? 2 : 1) + ' \u00b5s';
			if (v < 1) return (v * 1e3).toFixed(v < 1e-2 ? 2 : 1) + ' ms';
			return v.toFixed(2) + ' s';
		}
		return v >= 100 ? String(Math.round(v)) : String(+v.toFixed(2));
	}
	/* Whether a series' labels pass the selector (service is the query's). */
	function labelsMatch(labels, ms) {
		return ms.every(function (m) {
			if (m.name === 'service') return true;
			var v = labels[m.name] || '';
			if (m.op === '=') return v === m.value;
			if (m.op === '!=') return v !== m.value;
			var re;
			try { re = new RegExp('^(?:' + m.value + ')$'); } catch (e) { return true; }
			return m.op === '=~' ? re.test(v) : !re.test(v);
		});
	}
	function gcParams() { var w = win(); return {service: serviceOf(query()), from: w.from, until: w.until}; }
	function loadGC() {
		var p = gcParams(), key = qstr(p) + '|' + query();
		$('gc-box').open = S().get('gc') === '1';
		if (!p.service) { gc.key = key; gc.data = null; gc.loading = false; gc.ready = true; $('gc-box').hidden = true; return; }
		/* the same window: redrawn (the brush may have moved), unless still loading */
		if (gc.key === key) { drawGC(); return; }
		gc.key = key;
		gc.ready = false;
		gc.loading = true;
		gc.width = Math.max(200, Math.min(10000, Math.round(document.documentElement.clientWidth || 1000)));
		function mine() { return gc.key === key; }
		get('metrics', p).then(function (j) {
			if (!mine()) return null;
			var have = j.names || [], want = [];
			GC.forEach(function (c) { c.names.forEach(function (n) { if (have.indexOf(n) >= 0) want.push(n); }); });
			return Promise.all(want.map(function (n) {
				/* downsampled by the server to the page's width (a chart is
				 * never wider): a week of scrapes costs as much as an hour */
				return get('metrics', {service: p.service, name: n, from: p.from, until: p.until, width: gc.width}).then(function (r) { return [n, r.series || []]; });
			}));
		}).then(function (res) {
			if (!mine() || res === null) return;
			var ms = parseSelector(query()) || [], data = {};
			res.forEach(function (r) { data[r[0]] = r[1].filter(function (s) { return labelsMatch(s.labels || {}, ms); }); });
			gc.data = data;
			gc.loading = false;
			app.setError('gc', null);
			drawGC();
		}, function (err) {
			if (!mine()) return;
			gc.data = null;
			gc.loading = false;
			/* a server without /api/v1/metrics: no charts, no error */
			if (err.status !== 404) app.setError('gc', err);
			drawGC();
		});
	}
	/* The points a chart plots for a series: its values, or for a rate the
	 * increase per minute between two scrapes (a counter that went down,
	 * a restarted program, gives no point). */
	function gcPoints(c, pts) {
		if (!c.rate) return pts.map(function (p) { return [p[0], p[1]]; });
		var out = [];
		for (var i = 1; i < pts.length; i++) {
			var dt = (pts[i][0] - pts[i - 1][0]) / 1e9, dv = pts[i][1] - pts[i - 1][1];
			if (dt > 0 && dv >= 0) out.push([pts[i][0], dv / dt * 60]);
		}
		return out;
	}
	function seriesName(labels) { return labels.instance || labelText(labels) || 'all'; }
	var GCCOLORS = ['--accent', '--grow', '--match'];
	function drawGC() {
		/* while a new window loads, the old charts stay as they are */
		if (gc.loading) return;
		var box = $('gc-box'), data = gc.data, any = false;
		if (data) Object.keys(data).forEach(function (n) { if (data[n].length) any = true; });
		box.hidden = !any;
		gc.drawn = {};
		gcSummary();
		if (!any) { gc.ready = true; return; }
		var w = win(), r = ranges(), dpr = window.devicePixelRatio || 1;
		GC.forEach(function (c) {
			var cv2 = gcCanvas[c.id], W = Math.max(160, cv2.clientWidth || 320), ctx = cv2.getContext('2d');
			if (cv2.width !== Math.round(W * dpr) || cv2.height !== Math.round(GCH * dpr)) {
				cv2.width = Math.round(W * dpr);
				cv2.height = Math.round(GCH * dpr);
				cv2.style.height = GCH + 'px';
			}
			ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
			ctx.clearRect(0, 0, W, GCH);
			var H = GCH - GCPAD.t - GCPAD.b, lines = [], max = 0;
			c.names.forEach(function (n, k) {
				(data[n] || []).forEach(function (s) {
					var pts = gcPoints(c, s.points || []).filter(function (p) { return p[0] >= w.from * 1e9 && p[0] < w.until * 1e9; });
					pts.forEach(function (p) { if (p[1] > max) max = p[1]; });
					lines.push({name: n, legend: c.legend[k], color: css(GCCOLORS[k % GCCOLORS.length]), labels: s.labels || {}, pts: pts});
				});
			});
			if (c.unit === 'percent' && !max) max = 0.01;
			if (!max) max = 1;
			function x(t) { return GCPAD.l + (t / 1e9 - w.from) / (w.until - w.from) * (W - GCPAD.l - GCPAD.r); }
			function y(v) { return GCPAD.t + H - v / max * H; }
			var fg = css('--muted');
			ctx.font = '11px system-ui, sans-serif';
			ctx.strokeStyle = css('--line');
			ctx.beginPath();
			ctx.moveTo(GCPAD.l, GCPAD.t + H + 0.5);
			ctx.lineTo(W - GCPAD.r, GCPAD.t + H + 0.5);
			ctx.stroke();
			/* the brush (or compare's comparison range) */
			if (pair('brush') || compare()) {
				var a = Math.max(GCPAD.l, x(r.cmp.from * 1e9)), b = Math.min(W - GCPAD.r, x(r.cmp.until * 1e9));
				if (b > a) { ctx.globalAlpha = 0.15; ctx.fillStyle = css('--accent'); ctx.fillRect(a, GCPAD.t, b - a, H); ctx.globalAlpha = 1; }
			}
			ctx.fillStyle = fg;
			ctx.fillText('max ' + fmtGC(c.unit, max), GCPAD.l + 2, 11);
			ctx.fillText(fmtTime(w.from, false), GCPAD.l, GCH - 3);
			var ut = fmtTime(w.until, false);
			ctx.fillText(ut, W - GCPAD.r - ctx.measureText(ut).width, GCH - 3);
			var drawn = [];
			lines.forEach(function (ln) {
				ctx.strokeStyle = ln.color;
				ctx.fillStyle = ln.color;
				ctx.lineWidth = 1.5;
				ctx.beginPath();
				var xy = ln.pts.map(function (p) { return [p[0], p[1], x(p[0]), y(p[1])]; });
				xy.forEach(function (p, i) { if (i) ctx.lineTo(p[2], p[3]); else ctx.moveTo(p[2], p[3]); });
				ctx.stroke();
				if (xy.length <= 120) xy.forEach(function (p) { ctx.fillRect(p[2] - 1.5, p[3] - 1.5, 3, 3); });
				ctx.lineWidth = 1;
				drawn.push({name: ln.name, legend: ln.legend, labels: ln.labels, points: xy});
			});
			if (!lines.length) { ctx.fillStyle = fg; ctx.fillText('No points in this range.', W / 2 - 60, GCPAD.t + H / 2); }
			gc.drawn[c.id] = drawn;
			c.legendEl.textContent = '';
			c.legend.forEach(function (lg, k) {
				var sp = el('span', null, '\u25a0 ' + lg);
				sp.style.color = css(GCCOLORS[k % GCCOLORS.length]);
				c.legendEl.appendChild(sp);
			});
		});
		gc.ready = true;
	}
	/* The closed box's one line: cycles in the window, the worst p99 pause
	 * and GC CPU share, the heap and its goal (summed over the targets) at
	 * their last scrapes. */
	function gcSummary() {
		var d = gc.data || {}, parts = [];
		function last(n, f) {
			var v = null;
			(d[n] || []).forEach(function (s) { var p = s.points || []; if (p.length) v = v === null ? p[p.length - 1][1] : f(v, p[p.length - 1][1]); });
			return v;
		}
		var cyc = null, nser = (d.gc_count || []).length;
		(d.gc_count || []).forEach(function (s) {
			var p = s.points || [];
			for (var i = 1; i < p.length; i++) if (p[i][1] >= p[i - 1][1]) cyc = (cyc || 0) + p[i][1] - p[i - 1][1];
		});
		function add(a, b) { return a + b; }
		var p99 = last('gc_pause_p99_seconds', Math.max), cpu = last('gc_cpu_fraction', Math.max);
		var heap = last('heap_alloc_bytes', add), goal = last('heap_goal_bytes', add);
		if (cyc !== null) parts.push(cyc + ' cycle' + (cyc === 1 ? '' : 's') + ' in the range');
		if (p99 !== null) parts.push('p99 pause ' + fmtGC('seconds', p99));
		if (cpu !== null) parts.push('GC CPU ' + fmtGC('percent', cpu));
		if (heap !== null) parts.push('heap ' + fmtGC('bytes', heap) + (goal !== null ? ' of a goal of ' + fmtGC('bytes', goal) : ''));
		if (nser > 1) parts.push(nser + ' targets');
		$('gc-sum').textContent = parts.length ? '\u00b7 ' + parts.join(' \u00b7 ') : '';
	}
	function gcHover(c, e) {
		var cv2 = gcCanvas[c.id], bx = cv2.getBoundingClientRect(), mx = e.clientX - bx.left, my = e.clientY - bx.top, best = null;
		(gc.drawn[c.id] || []).forEach(function (ln) {
			ln.points.forEach(function (p) {
				var dd = Math.abs(p[2] - mx) * 4 + Math.abs(p[3] - my);
				if (!best || dd < best.d) best = {d: dd, p: p, ln: ln};
			});
		});
		cv2.title = best ? fmtTime(best.p[0] / 1e9) + '  ' + seriesName(best.ln.labels) + '  ' + best.ln.legend + ' ' + fmtGC(c.unit, best.p[1]) : '';
	}

	/* --- the single profiles of the range ------------------------------------------ */
	var known = new Map(), profRows = [], profKey2 = null, profNext = null;
	function labelText(l) {
		return Object.keys(l || {}).filter(function (k) { return k !== 'service'; })
			.map(function (k) { return k + '=' + l[k]; }).join(', ');
	}
	function profParams(cursor) {
		var r = ranges().cmp;
		return {query: query(), type: ptype(), from: r.from, until: r.until, limit: PAGE, cursor: cursor};
	}
	function renderProfiles(my) {
		var key = qstr(profParams());
		if (profKey2 === key) { drawProfiles(); stats.ready = true; return; }
		profRows = [];
		profNext = null;
		drawProfiles();
		loadProfiles(key, null, my);
	}
	function loadProfiles(key, cursor, my) {
		get('profiles', profParams(cursor)).then(function (j) {
			if (qstr(profParams()) !== key) return;
			app.setError('profiles', null);
			profKey2 = key;
			(j.profiles || []).forEach(function (p) { profRows.push(p); known.set(String(p.id), p); });
			profNext = j.next_cursor || null;
			drawProfiles();
			stats.ready = true;
		}, function (err) {
			app.setError('profiles', err);
			stats.ready = true;
		});
	}
	$('prof-more').addEventListener('click', function () { if (profNext) loadProfiles(profKey2, profNext); });
	function drawProfiles() {
		var tb = document.createElement('tbody'), p = app.profile(), si = 0;
		if (p) si = p.default_sample_index || 0;
		profRows.forEach(function (r) {
			var tr = document.createElement('tr');
			tr.appendChild(el('td', 'time', fmtTime(r.time / 1e9)));
			tr.appendChild(el('td', null, r.service || ''));
			tr.appendChild(el('td', 'labels', labelText(r.labels)));
			tr.appendChild(el('td', 'num', r.duration ? (r.duration / 1e9).toFixed(r.duration % 1e9 ? 2 : 0) + ' s' : ''));
			var tot = r.totals && r.totals.length ? r.totals[Math.min(si, r.totals.length - 1)] : null;
			var st = p && p.sample_types && p.sample_types[si];
			tr.appendChild(el('td', 'num', tot === null ? '' : HearthFlame.fmtValue({unit: st ? st.unit : ''}, tot)));
			tr.appendChild(el('td', 'num', r.bytes !== undefined ? (r.bytes / 1024).toFixed(1) + ' kB' : ''));
			var td = el('td', 'actions'), open = el('button', 'open', 'Open');
			open.type = 'button';
			open.setAttribute('aria-label', 'Open profile ' + r.id);
			open.addEventListener('click', function () { app.navigate({profile: String(r.id), view: null}); });
			var dl = el('a', 'download', 'Download');
			dl.href = '/api/v1/profiles/' + encodeURIComponent(r.id);
			dl.setAttribute('download', 'profile-' + r.id + '.pb.gz');
			dl.setAttribute('aria-label', 'Download profile ' + r.id);
			td.appendChild(open);
			td.appendChild(document.createTextNode(' '));
			td.appendChild(dl);
			tr.appendChild(td);
			tb.appendChild(tr);
		});
		var t = $('proftable');
		t.replaceChild(tb, t.tBodies[0]);
		$('prof-count').textContent = profRows.length + ' profile' + (profRows.length === 1 ? '' : 's') +
			(profNext ? ' so far' : '') + ' in ' + fmtRange(ranges().cmp);
		$('prof-more').hidden = !profNext;
	}

	/* --- targets (hearth serve -scrape) --------------------------------------- */
	/* What the scrape loop does now: read fresh on every render (live
	 * refresh re-renders it). */
	function renderTargets() {
		get('targets', null, true).then(function (j) {
			app.setError('targets', null);
			var tb = document.createElement('tbody'), ts = j.targets || [], down = 0;
			ts.forEach(function (t) {
				var tr = document.createElement('tr'), ago = t.last_scrape ? Math.max(0, Math.round(Date.now() / 1000 - t.last_scrape / 1e9)) : null;
				tr.appendChild(el('td', null, t.job || ''));
				tr.appendChild(el('td', null, t.instance || ''));
				tr.appendChild(el('td', 'labels', Object.keys(t.labels || {}).map(function (k) { return k + '=' + t.labels[k]; }).join(', ')));
				tr.appendChild(el('td', t.health, t.health || ''));
				var last = el('td', 'time', t.last_scrape ? fmtTime(t.last_scrape / 1e9) + ' (' + fmtDur(ago) + ' ago)' : 'never');
				tr.appendChild(last);
				tr.appendChild(el('td', 'num', t.last_scrape ? (+t.duration_seconds).toFixed(3) + ' s' : ''));
				tr.appendChild(el('td', 'err', t.error || ''));
				/* each type's counts, on hover */
				tr.title = (t.types || []).map(function (x) {
					return x.type + ': ' + x.scrapes + ' scrapes, ' + x.failures + ' failed' + (x.error ? ' (' + x.error + ')' : '');
				}).join('\n');
				if (t.health === 'down') down++;
				tb.appendChild(tr);
			});
			var tt = $('tgttable');
			tt.replaceChild(tb, tt.tBodies[0]);
			$('tgt-count').textContent = ts.length + ' target' + (ts.length === 1 ? '' : 's') + (down ? ', ' + down + ' down' : '');
			stats.ready = true;
		}, function (err) {
			app.setError('targets', err.status === 404 ? new Error('this server scrapes nothing into this tenant (hearth serve -scrape, docs/scrape.md)') : err);
			stats.ready = true;
		});
	}

	/* --- tokens -------------------------------------------------------------- */
	function renderTokens() {
		get('tokens', null, true).then(function (j) {
			app.setError('tokens', null);
			var tb = document.createElement('tbody');
			(j.tokens || []).forEach(function (t) {
				var tr = document.createElement('tr');
				tr.appendChild(el('td', 'num', String(t.id)));
				tr.appendChild(el('td', 'prefix', t.prefix ? t.prefix + '\u2026' : ''));
				tr.appendChild(el('td', null, t.description || ''));
				tr.appendChild(el('td', null, Array.isArray(t.scopes) ? t.scopes.join(',') : (t.scopes || '')));
				tr.appendChild(el('td', null, t.created ? fmtTime(t.created / 1e9) : ''));
				tr.appendChild(el('td', null, t.last_used ? fmtTime(t.last_used / 1e9) : ''));
				var td = el('td');
				if (t.revoked) td.textContent = 'revoked';
				else {
					var b = el('button', 'revoke', 'Revoke');
					b.type = 'button';
					b.setAttribute('aria-label', 'Revoke token ' + t.id);
					b.addEventListener('click', function () {
						if (!window.confirm('Revoke token ' + t.id + (t.description ? ' (' + t.description + ')' : '') + '? Clients using it stop working.')) return;
						write('DELETE', 'tokens/' + encodeURIComponent(t.id)).then(function () { renderTokens(); },
							function (err) { app.setError('tokens', err); });
					});
					td.appendChild(b);
				}
				tr.appendChild(td);
				tb.appendChild(tr);
			});
			var tt = $('toktable');
			tt.replaceChild(tb, tt.tBodies[0]);
			stats.ready = true;
		}, function (err) {
			app.setError('tokens', err.status === 403 ? new Error('managing tokens needs a token with the admin scope') : err);
			stats.ready = true;
		});
	}
	$('tok-form').addEventListener('submit', function (e) {
		e.preventDefault();
		var f = $('tok-form'), scopes = [];
		Array.prototype.forEach.call(f.querySelectorAll('input[name="scope"]:checked'), function (c) { scopes.push(c.value); });
		if (!scopes.length) { app.setError('tokens', new Error('a token needs at least one scope')); return; }
		write('POST', 'tokens', {scopes: scopes.join(','), description: f.elements.description.value}).then(function (j) {
			app.setError('tokens', null);
			$('tok-new').hidden = false;
			$('tok-value').value = j.token || '';
			$('tok-value').select();
			f.elements.description.value = '';
			renderTokens();
		}, function (err) {
			app.setError('tokens', err.status === 403 ? new Error('creating tokens needs a token with the admin scope') : err);
		});
	});

	window.hearthServe = {timeToX: function (t) { return X(t) + cv.getBoundingClientRect().left; },
		setPageSize: function (n) { PAGE = n; profKey2 = null; },
		bars: function () { return (drawTimeline.bars || []).map(function (b) { return {time: b[2], value: b[3]}; }); },
		window: win, ranges: ranges, parseSelector: parseSelector, params: params,
		/* what the GC charts plotted: {ready, charts: {id: [{name, labels, points: [[t_ns, v, x, y]]}]}} */
		gc: function () { return {ready: gc.ready && gc.key === qstr(gcParams()) + '|' + query(), hidden: $('gc-box').hidden, charts: gc.drawn, width: gc.width}; }};

	if (who) start(who); else showLogin();
};
})();
