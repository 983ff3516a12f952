/* hearth web: the flame graph renderer (canvas).
 *
 * new HearthFlame(canvas, overlay, opts) draws the JSON of /api/flame (the
 * same as `hearth flame -json`, docs/flame.md).  The layout (x of every
 * frame, parent, subtree end, the frames of each depth in x order) is
 * computed once per payload; a draw visits, row by row, only the frames in
 * view (a binary search finds the first) and wider than a third of a pixel.
 * Hover and the keyboard cursor are drawn on a second canvas laid over the
 * first, so they never redraw the graph.  Names are drawn with fillText and
 * never become markup. */
(function () {
'use strict';

var TIME = {nanoseconds: 1, nanosecond: 1, ns: 1, microseconds: 1e3, microsecond: 1e3, us: 1e3,
	milliseconds: 1e6, millisecond: 1e6, ms: 1e6, seconds: 1e9, second: 1e9, s: 1e9};
var TU = [['ns', 1], ['us', 1e3], ['ms', 1e6], ['s', 1e9], ['hrs', 3.6e12]];
var BU = [['B', 1], ['kB', 1024], ['MB', 1048576], ['GB', 1073741824], ['TB', 1099511627776]];
function trim(x) { return x.toFixed(2).replace(/\.00$/, ''); }

/* A value in the payload's unit, formatted as hearth top formats its rows:
 * in the unit top chose for them (the one of the payload's total_label, so
 * the tooltips, the sandwich and the table say 0.20s alike), else in the
 * best unit for the value. */
function fmtValue(D, v) {
	if (!v) return '0';
	v *= D.scale || 1;
	var u = (D.unit || '').toLowerCase(), us = null;
	if (u in TIME) { v *= TIME[u]; us = TU; } else if (u === 'bytes' || u === 'b' || u === 'byte') us = BU;
	if (!us) return trim(v) + (u && u !== 'count' ? ' ' + D.unit : '');
	var tl = /^-?[\d.]+([a-zA-Z]+)$/.exec(D.total_label || ''), k;
	for (k = 0; tl && k < us.length; k++) if (us[k][0] === tl[1]) return trim(v / us[k][1]) + us[k][0];
	k = 0;
	while (k + 1 < us.length && Math.abs(v) >= us[k + 1][1]) k++;
	return trim(v / us[k][1]) + us[k][0];
}
function hex(r, g, b) { return '#' + ((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1); }

var RH = 18;

function HearthFlame(canvas, overlay, opts) {
	this.cv = canvas;
	this.ov = overlay;
	this.ctx = canvas.getContext('2d', {alpha: true});
	this.octx = overlay.getContext('2d');
	this.opts = opts || {};
	this.D = null;
	this.N = 0;
	this.z = 0;
	this.hov = -1;
	this.sel = -1;
	this.match = null;
	this.hl = -1;
	this.hits = [];
	this.maxdZ = 0;
	this.inverted = false;
	this.cw = 0;
	this.dpr = 1;
	this.lastDrawMs = 0;
	var self = this;
	canvas.addEventListener('mousemove', function (ev) { self._move(ev); });
	canvas.addEventListener('mouseleave', function () { self._leave(); });
	canvas.addEventListener('click', function (ev) {
		var i = self.at(ev);
		if (i >= 0 && self.opts.onClick) self.opts.onClick(i, ev);
	});
	canvas.addEventListener('contextmenu', function (ev) {
		var i = self.at(ev);
		if (i >= 0 && self.opts.onContext) { ev.preventDefault(); self.opts.onContext(i, ev); }
	});
}

HearthFlame.fmtValue = fmtValue;
HearthFlame.RH = RH;

HearthFlame.prototype.setData = function (D) {
	this.D = D;
	var Fr = D.frames, N = Fr.name.length, W = Fr.width, DEP = Fr.depth;
	var X = new Float64Array(N), END = new Int32Array(N), PAR = new Int32Array(N);
	var PREV = new Int32Array(N), LAST = new Int32Array(N).fill(-1);
	var cur = new Float64Array(1024), st = new Int32Array(1024), sp = 0, maxd = 0, cnt = [];
	for (var i = 0; i < N; i++) {
		var d = DEP[i];
		if (d + 2 > cur.length) { var c2 = new Float64Array(cur.length * 2); c2.set(cur); cur = c2; }
		if (d + 1 > st.length) { var s2 = new Int32Array(st.length * 2); s2.set(st); st = s2; }
		if (d > maxd) maxd = d;
		var x = d ? cur[d] : 0;
		X[i] = x;
		cur[d] = x + W[i];
		cur[d + 1] = x;
		while (sp && DEP[st[sp - 1]] >= d) END[st[--sp]] = i;
		var p = sp ? st[sp - 1] : -1;
		PAR[i] = p;
		if (p >= 0) { PREV[i] = LAST[p]; LAST[p] = i; } else PREV[i] = -1;
		st[sp++] = i;
		cnt[d] = (cnt[d] || 0) + 1;
	}
	while (sp) END[st[--sp]] = N;
	var rows = [], fill = [];
	for (d = 0; d <= maxd; d++) { rows.push(new Int32Array(cnt[d] || 0)); fill.push(0); }
	for (i = 0; i < N; i++) { d = DEP[i]; rows[d][fill[d]++] = i; }
	this.N = N; this.X = X; this.W = W; this.END = END; this.PAR = PAR; this.PREV = PREV;
	this.DEP = DEP; this.NM = Fr.name; this.rows = rows; this.maxd = N ? maxd : 0;
	this._nidx = null;
	this.z = 0; this.hov = -1; this.sel = -1; this.match = null; this.hl = -1;
	this._colors = null;
	this.resize();
};

HearthFlame.prototype.name = function (i) { return this.D.names[this.NM[i]]; };
HearthFlame.prototype.isRoot = function (i) { return i === 0; };

/* The names from the root's callee down to frame i (the URL's zoom). */
HearthFlame.prototype.pathOf = function (i) {
	var out = [];
	for (; i > 0; i = this.PAR[i]) out.push(this.name(i));
	return out.reverse();
};

/* The frame a path of names leads to: {index, matched: how many names of
 * the path were found}.  The path is the names joined by ';' (the URL's
 * zoom); a name may hold ';' itself, so a callee matches when its name is
 * the next part of the string, up to a ';' or the end. */
HearthFlame.prototype.find = function (path) {
	var i = 0, k = 0, rest = path || '';
	if (!this.N) return {index: 0, matched: 0};
	while (rest) {
		var c = i + 1, found = -1;
		for (; c < this.END[i]; c = this.END[c]) {
			var n = this.name(c);
			if (rest === n || (rest.length > n.length && rest.charCodeAt(n.length) === 59 && rest.lastIndexOf(n, 0) === 0)) {
				if (found < 0 || n.length > this.name(found).length) found = c;
			}
		}
		if (found < 0) break;
		i = found;
		k++;
		rest = rest.slice(this.name(found).length + 1);
	}
	return {index: i, matched: k, all: !rest};
};

HearthFlame.prototype.children = function (i) {
	var out = [];
	for (var c = i + 1; c < this.END[i]; c = this.END[c]) out.push(c);
	return out;
};

HearthFlame.prototype.color = function (i) {
	var D = this.D, Fr = D.frames;
	if (!D.diff) return D.colors[this.NM[i]];
	var b = Fr.base_value[i], a = Fr.value[i], big = Math.max(Math.abs(a), Math.abs(b));
	return diffColor(big <= 0 ? 0 : (a - b) / big, dark());
};

/* The diff's colour of a change t in [-1, 1] (the change over the larger of
 * before and after): red grew, green shrank, the deeper the larger.  In the
 * dark the scale runs from the page's grey to a saturated red or green, so
 * the graph does not glare. */
function diffColor(t, dk) {
	var m = Math.min(1, Math.abs(t));
	if (dk) {
		if (!t) return '#4a4b50';
		return t > 0 ? hex(Math.round(74 + 150 * m), Math.round(75 - 30 * m), Math.round(80 - 35 * m))
			: hex(Math.round(74 - 34 * m), Math.round(75 + 100 * m), Math.round(80 - 20 * m));
	}
	if (!t) return '#e8e8e8';
	var lo = Math.round(225 - 170 * m);
	return t > 0 ? hex(255, lo, lo) : hex(lo, 221, lo);
}
HearthFlame.diffColor = diffColor;
function dark() { return !!(window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches); }

function shown(D, v, dv) { return D.mean && dv ? Math.trunc(v / dv) : v; }

/* {name, lines: [...]}: what the tooltip and the details line say. */
HearthFlame.prototype.info = function (i) {
	var D = this.D, Fr = D.frames, f = function (v) { return fmtValue(D, v); };
	var pct = function (v) { return D.total ? (100 * v / D.total).toFixed(2) + '%' : '-'; };
	var name = i === 0 && this.opts.rootLabel ? this.opts.rootLabel : this.name(i);
	var lines = [];
	var cu = shown(D, Fr.value[i], D.mean ? Fr.div[i] : 0);
	var fl = shown(D, Fr.self[i], D.mean ? Fr.self_div[i] : 0);
	if (D.diff) {
		var b = shown(D, Fr.base_value[i], D.mean ? Fr.base_div[i] : 0), a = cu, dd = a - b;
		lines.push('before ' + f(b) + ', after ' + f(a) + ', change ' + (dd > 0 ? '+' : '') + f(dd) +
			(b ? ' (' + (dd > 0 ? '+' : '') + (100 * dd / b).toFixed(1) + '%)' : a ? ' (new)' : ''));
		var bs = shown(D, Fr.base_self[i], D.mean ? Fr.base_self_div[i] : 0);
		lines.push('flat before ' + f(bs) + ', after ' + f(fl));
	} else {
		lines.push('flat ' + f(fl) + ' (' + pct(fl) + '), cum ' + f(cu) + ' (' + pct(cu) + ')');
	}
	if (Fr.inline[i]) lines.push('inlined into its caller');
	if (Fr.merged[i]) lines.push('narrow callees (merged) ' + f(Fr.merged[i]));
	return {name: name, lines: lines};
};

/* A zoomed view is as tall as the zoomed frame's deepest callee: the rows
 * above it would be empty. */
HearthFlame.prototype.height = function () { return (this.maxdZ + 1) * RH; };
HearthFlame.prototype.rowY = function (d) { return this.inverted ? d * RH : (this.maxdZ - d) * RH; };
HearthFlame.prototype._zdepth = function () {
	var z = this.z, m = 0;
	if (!this.N) { this.maxdZ = 0; return; }
	if (z <= 0) { this.maxdZ = this.maxd; return; }
	for (var i = z, e = this.END[z], DEP = this.DEP; i < e; i++) if (DEP[i] > m) m = DEP[i];
	this.maxdZ = m;
};

HearthFlame.prototype.resize = function () {
	var dpr = window.devicePixelRatio || 1, cw = this.cv.parentNode.clientWidth || this.cv.clientWidth;
	this._zdepth();
	var h = this.N ? this.height() : RH;
	this.dpr = dpr; this.cw = cw;
	var cv = this.cv, ov = this.ov;
	cv.style.height = ov.style.height = h + 'px';
	cv.style.width = ov.style.width = cw + 'px';
	cv.width = ov.width = Math.max(1, Math.round(cw * dpr));
	cv.height = ov.height = Math.max(1, Math.round(h * dpr));
	this.draw();
};

function first(X, W, row, x) {
	var lo = 0, hi = row.length;
	while (lo < hi) { var m = (lo + hi) >> 1; if (X[row[m]] + W[row[m]] <= x) lo = m + 1; else hi = m; }
	return lo;
}

HearthFlame.prototype.draw = function () {
	if (this.hold) return;
	var t0 = performance.now(), ctx = this.ctx, cw = this.cw, dpr = this.dpr;
	ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
	ctx.clearRect(0, 0, cw, this.cv.height / dpr);
	this.hits = [];
	if (!this.N) { this.lastDrawMs = performance.now() - t0; return; }
	var md = this.maxdZ;
	this._zdepth();
	if (md !== this.maxdZ) { this.resize(); return; }
	ctx.font = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
	ctx.textBaseline = 'middle';
	this.CW = ctx.measureText('mmmmmiiiii_.(*T)abcd').width / 20;
	var z = this.z, X = this.X, W = this.W, DEP = this.DEP;
	var a;
	for (a = this.PAR[z]; a >= 0; a = this.PAR[a]) this._box(a, 0, cw, true);
	var vx = X[z], vw = W[z] || 1, k = cw / vw, ve = vx + vw, drawn = 0;
	for (var d = DEP[z]; d <= this.maxdZ; d++) {
		var row = this.rows[d];
		for (var j = first(X, W, row, vx); j < row.length; j++) {
			var f = row[j];
			if (X[f] >= ve) break;
			var pw = W[f] * k;
			if (pw < 0.34) continue;
			this._box(f, (X[f] - vx) * k, pw, false);
			drawn++;
		}
	}
	ctx.globalAlpha = 1;
	this.drawn = drawn;
	this.drawOverlay();
	this.lastDrawMs = performance.now() - t0;
	if (this.opts.onDraw) this.opts.onDraw(this.lastDrawMs);
};

/* Whether frame i is dimmed: a search is on and it does not match, or a
 * function is highlighted (the both view's row) and it is another. */
HearthFlame.prototype.dimmed = function (i) {
	return (this.match && !this.match[i]) || (this.hl >= 0 && this.NM[i] !== this.hl);
};

HearthFlame.prototype._box = function (i, px, pw, faded) {
	var ctx = this.ctx, y = this.rowY(this.DEP[i]), dim = this.dimmed(i);
	ctx.globalAlpha = dim ? (faded ? 0.15 : 0.22) : faded ? 0.5 : 1;
	ctx.fillStyle = this.match && this.match[i] ? '#e633e6' : this.color(i);
	ctx.fillRect(px, y, pw > 2 ? pw - 1 : pw, RH - 1);
	var hit = {i: i, x: px, y: y, w: pw, hl: this.hl >= 0 && this.NM[i] === this.hl, dim: dim, label: ''};
	this.hits.push(hit);
	var n = Math.floor((pw - 6) / this.CW);
	if (n >= MINCH) {
		var s = this.label(i, n, pw - 6);
		hit.label = s;
		if (s) {
			ctx.fillStyle = this.D.diff && dark() ? '#eee' : '#111';
			ctx.fillText(s, px + 3, y + RH / 2);
		}
	}
};

/* The fewest characters a label shows: below that a frame has none. */
var MINCH = 4;

/* Frame i's label in about n characters and at most px pixels. */
HearthFlame.prototype.label = function (i, n, px) {
	var s = i === 0 && this.opts.rootLabel ? this.opts.rootLabel : this.name(i);
	if (s.length > n) s = shorten(s, n);
	/* the average width is a guess: measure, and cut further when it lies */
	while (s.length >= MINCH && this.ctx.measureText(s).width > px) s = s.slice(0, s.length - 2) + '\u2026';
	return s.length >= MINCH ? s : '';
};

/* A name in n characters as people read it: without its package path
 * (github.com/a/b.(*T).M -> b.(*T).M), the last package segment kept, then
 * cut with an ellipsis (regexp.(*bitState).push -> regexp.(*bitS…). */
function shorten(s, n) {
	var k = s.lastIndexOf('/', s.indexOf('(') >= 0 ? s.indexOf('(') : s.length);
	if (k >= 0 && /^[\w.\-~%]+\.\S/.test(s.slice(k + 1)) && /^[\w.\-~%\/]+$/.test(s.slice(0, k))) {
		s = s.slice(k + 1);
		if (s.length <= n) return s;
	}
	return s.slice(0, Math.max(1, n - 1)) + '\u2026';
}
HearthFlame.shorten = shorten;

/* Where frame i is drawn now: [x, y, w] or null. */
HearthFlame.prototype.rect = function (i) {
	if (i < 0 || i >= this.N) return null;
	var z = this.z, y = this.rowY(this.DEP[i]);
	if (this.DEP[i] < this.DEP[z]) {
		for (var a = this.PAR[z]; a >= 0; a = this.PAR[a]) if (a === i) return [0, y, this.cw];
		return null;
	}
	var k = this.cw / (this.W[z] || 1), x = (this.X[i] - this.X[z]) * k;
	if (x < -0.5 || x >= this.cw) return null;
	return [x, y, this.W[i] * k];
};

HearthFlame.prototype.drawOverlay = function () {
	var o = this.octx, dpr = this.dpr;
	o.setTransform(dpr, 0, 0, dpr, 0, 0);
	o.clearRect(0, 0, this.cw, this.ov.height / dpr);
	var self = this;
	[[this.sel, '#1565c0', 2], [this.hov, '#000', 1]].forEach(function (s) {
		var r = self.rect(s[0]);
		if (!r) return;
		o.strokeStyle = s[1];
		o.lineWidth = s[2];
		o.strokeRect(r[0] + s[2] / 2, r[1] + s[2] / 2, Math.max(r[2] - s[2] - 1, 1), RH - 1 - s[2]);
	});
};

/* The frame under a mouse event, or -1. */
HearthFlame.prototype.at = function (ev) {
	if (!this.N) return -1;
	var r = this.cv.getBoundingClientRect(), x = ev.clientX - r.left, y = ev.clientY - r.top;
	var row = Math.floor(y / RH), d = this.inverted ? row : this.maxdZ - row, z = this.z;
	if (d < 0 || d > this.maxdZ) return -1;
	if (d < this.DEP[z]) {
		for (var a = this.PAR[z]; a >= 0; a = this.PAR[a]) if (this.DEP[a] === d) return a;
		return -1;
	}
	var X = this.X, W = this.W, xv = X[z] + x * (W[z] || 1) / this.cw, rw = this.rows[d];
	var j = first(X, W, rw, xv);
	if (j < rw.length && X[rw[j]] <= xv && X[rw[j]] >= X[z] && X[rw[j]] < X[z] + W[z]) return rw[j];
	return -1;
};

HearthFlame.prototype._move = function (ev) {
	var t0 = performance.now(), i = this.at(ev);
	if (i !== this.hov) { this.hov = i; this.drawOverlay(); }
	if (this.opts.onHover) this.opts.onHover(i, ev);
	this.lastHoverMs = performance.now() - t0;
};
HearthFlame.prototype._leave = function () {
	this.hov = -1;
	this.drawOverlay();
	if (this.opts.onHover) this.opts.onHover(-1, null);
};

HearthFlame.prototype.zoom = function (i) {
	this.z = i > 0 && i < this.N ? i : 0;
	this.draw();
};
HearthFlame.prototype.setInverted = function (b) {
	if (this.inverted === !!b) return;
	this.inverted = !!b;
	this.draw();
};
HearthFlame.prototype.select = function (i) {
	this.sel = i;
	this.drawOverlay();
};

/* Highlights the frames of one function (its index in the payload's
 * names; -1 clears) and dims the rest. */
HearthFlame.prototype.setHighlight = function (k) {
	if (k === this.hl) return;
	this.hl = k;
	this.draw();
};
HearthFlame.prototype.nameIndex = function (name) {
	if (!this.D) return -1;
	if (!this._nidx) {
		this._nidx = new Map();
		for (var j = 0; j < this.D.names.length; j++) if (!this._nidx.has(this.D.names[j])) this._nidx.set(this.D.names[j], j);
	}
	var k = this._nidx.get(name);
	return k === undefined ? -1 : k;
};
/* The matching frames in preorder (search's next and previous). */
HearthFlame.prototype.matches = function () {
	var out = [];
	if (this.match) for (var j = 0; j < this.N; j++) if (this.match[j]) out.push(j);
	return out;
};

/* The graph as drawn now, as an SVG document (the export): the same boxes,
 * colours and labels; names are text nodes, never markup. */
HearthFlame.prototype.toSVG = function () {
	var NS = 'http://www.w3.org/2000/svg', doc = document.implementation.createDocument(NS, 'svg', null);
	var svg = doc.documentElement, H = this.height();
	svg.setAttribute('width', this.cw);
	svg.setAttribute('height', H);
	svg.setAttribute('viewBox', '0 0 ' + this.cw + ' ' + H);
	svg.setAttribute('font-family', 'system-ui, sans-serif');
	svg.setAttribute('font-size', '12');
	var self = this;
	this.hits.forEach(function (h) {
		var g = doc.createElementNS(NS, 'g');
		if (h.dim) g.setAttribute('opacity', '0.25');
		var r = doc.createElementNS(NS, 'rect');
		r.setAttribute('x', h.x.toFixed(2));
		r.setAttribute('y', h.y);
		r.setAttribute('width', Math.max(0.3, h.w > 2 ? h.w - 1 : h.w).toFixed(2));
		r.setAttribute('height', RH - 1);
		r.setAttribute('fill', self.match && self.match[h.i] ? '#e633e6' : self.color(h.i));
		var t = doc.createElementNS(NS, 'title');
		var info = self.info(h.i);
		t.textContent = info.name + '\n' + info.lines.join('\n');
		g.appendChild(t);
		g.appendChild(r);
		var n = Math.floor((h.w - 6) / self.CW), s = n >= MINCH ? self.label(h.i, n, h.w - 6) : '';
		if (s) {
			var tx = doc.createElementNS(NS, 'text');
			tx.setAttribute('x', (h.x + 3).toFixed(2));
			tx.setAttribute('y', h.y + RH / 2 + 4);
			tx.setAttribute('fill', self.D.diff && dark() ? '#eee' : '#111');
			tx.textContent = s;
			g.appendChild(tx);
		}
		svg.appendChild(g);
	});
	return new XMLSerializer().serializeToString(doc);
};

/* Marks the frames whose name matches re (null clears); returns their count. */
HearthFlame.prototype.setMatch = function (re) {
	if (!re || !this.N) { this.match = null; this.draw(); return 0; }
	var names = this.D.names, nm = new Uint8Array(names.length), j, cnt = 0;
	for (j = 0; j < names.length; j++) { re.lastIndex = 0; nm[j] = re.test(names[j]) ? 1 : 0; }
	nm[0] = 0;
	var m = new Uint8Array(this.N);
	for (j = 0; j < this.N; j++) if (nm[this.NM[j]]) { m[j] = 1; cnt++; }
	this.match = m;
	this.draw();
	return cnt;
};

/* The frame a key walks to from frame i: dir is up, down, left, right as
 * seen on the screen. */
HearthFlame.prototype.walk = function (i, dir) {
	if (!this.N) return -1;
	if (i < 0) return this.z;
	var toCallee = (dir === 'up') !== this.inverted;
	if (dir === 'up' || dir === 'down') {
		if (toCallee) {
			var best = -1;
			this.children(i).forEach(function (c) { if (best < 0 || this.W[c] > this.W[best]) best = c; }, this);
			return best < 0 ? i : best;
		}
		return this.PAR[i] >= 0 ? this.PAR[i] : i;
	}
	if (dir === 'left') return this.PREV[i] >= 0 ? this.PREV[i] : i;
	var p = this.PAR[i];
	if (p >= 0 && this.END[i] < this.END[p]) return this.END[i];
	return i;
};

window.HearthFlame = HearthFlame;
})();
