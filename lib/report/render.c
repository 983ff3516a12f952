/* Call graphs drawn in-process: DOT text laid out and rendered with
 * Graphviz's libraries (libgvc, libcgraph), so `hearth svg|pdf|png` needs no
 * `dot` binary on PATH.
 *
 * Graphviz keeps global state (the error hooks, the DOT parser, the plugin
 * registry of a context), so calls are serialized with a mutex.  It reports
 * problems through agerr(), which prints to stderr unless a user function is
 * installed: we install one for the duration of a call and keep what it is
 * given, so the library never prints and an error can name its cause. */
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/render.h"

/* Drag to pan, wheel (or + and -) to zoom around the pointer, double-click
 * (or 0) to fit the graph to the window, which is also where it starts.  It
 * drives the transform of the <g id="viewport"> that wraps Graphviz's graph;
 * the root <svg> fills the window and has no viewBox, so its user units are
 * CSS pixels.  The script comes before the viewport in the document, so it
 * starts on load. */
static const char pan_zoom_js[] =
	"(function () {\n"
	"  var svg = document.documentElement, vp, s = 1, x = 0, y = 0, drag = null;\n"
	"  function apply() {\n"
	"    vp.setAttribute('transform', 'matrix(' + s + ' 0 0 ' + s + ' ' + x + ' ' + y + ')');\n"
	"  }\n"
	"  function fit() {\n"
	"    vp.removeAttribute('transform');\n"
	"    var b = vp.getBBox(), r = svg.getBoundingClientRect();\n"
	"    if (!b.width || !b.height || !r.width || !r.height) return;\n"
	"    s = Math.min(1, 0.96 * r.width / b.width, 0.96 * r.height / b.height);\n"
	"    x = (r.width - s * b.width) / 2 - s * b.x;\n"
	"    y = (r.height - s * b.height) / 2 - s * b.y;\n"
	"    apply();\n"
	"  }\n"
	"  function zoom(f, px, py) {\n"
	"    var t = Math.max(0.01, Math.min(50, s * f));\n"
	"    f = t / s;\n"
	"    x = px - (px - x) * f;\n"
	"    y = py - (py - y) * f;\n"
	"    s = t;\n"
	"    apply();\n"
	"  }\n"
	"  function init() {\n"
	"    vp = document.getElementById('viewport');\n"
	"    if (!vp || !vp.getBBox) return;\n"
	"    svg.addEventListener('wheel', function (e) {\n"
	"      e.preventDefault();\n"
	"      var d = e.deltaY * (e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1);\n"
	"      var r = svg.getBoundingClientRect();\n"
	"      zoom(Math.pow(1.002, -d), e.clientX - r.left, e.clientY - r.top);\n"
	"    }, {passive: false});\n"
	"    svg.addEventListener('mousedown', function (e) {\n"
	"      if (e.button !== 0) return;\n"
	"      drag = {cx: e.clientX, cy: e.clientY, x: x, y: y};\n"
	"      e.preventDefault();\n"
	"    });\n"
	"    window.addEventListener('mousemove', function (e) {\n"
	"      if (!drag) return;\n"
	"      x = drag.x + e.clientX - drag.cx;\n"
	"      y = drag.y + e.clientY - drag.cy;\n"
	"      apply();\n"
	"    });\n"
	"    window.addEventListener('mouseup', function () { drag = null; });\n"
	"    svg.addEventListener('dblclick', fit);\n"
	"    window.addEventListener('keydown', function (e) {\n"
	"      var r = svg.getBoundingClientRect();\n"
	"      if (e.key === '+' || e.key === '=') zoom(1.25, r.width / 2, r.height / 2);\n"
	"      else if (e.key === '-') zoom(0.8, r.width / 2, r.height / 2);\n"
	"      else if (e.key === '0') fit();\n"
	"    });\n"
	"    window.addEventListener('resize', fit);\n"
	"    fit();\n"
	"  }\n"
	"  if (document.readyState === 'complete') init();\n"
	"  else window.addEventListener('load', init);\n"
	"})();\n";

static pthread_mutex_t gv_lock = PTHREAD_MUTEX_INITIALIZER;

/* One Graphviz context for the process, made on first use (under gv_lock).
 * A context per call would leak: Graphviz 2.42's gvconfig() reads the plugin
 * list (config6a, ~3.6 KB) into a buffer that gvFreeContext() never frees.
 * A context is made to draw many graphs, as the dot command does; the
 * plugins it loads stay loaded for the next call. */
static GVC_t *gv_ctx;

/* What Graphviz said during the current call (under gv_lock).  agerr() hands
 * its user function a message in pieces ("Error", ": ", the text). */
static char gv_msgs[2048];
static size_t gv_nmsgs;

static int collect_msg(char *s)
{
	size_t n = strlen(s), room = sizeof(gv_msgs) - 1 - gv_nmsgs;
	if (n > room)
		n = room;
	memcpy(gv_msgs + gv_nmsgs, s, n);
	gv_nmsgs += n;
	gv_msgs[gv_nmsgs] = 0;
	return 0;
}

/* The first error Graphviz reported, as one line without its "Error: "
 * prefix, or the first message of any kind when there was no error, or
 * fallback when it said nothing. */
static const char *first_error(char *line, size_t cap, const char *fallback)
{
	const char *m = strstr(gv_msgs, "Error: ");
	m = m ? m + 7 : gv_msgs;
	size_t n = strcspn(m, "\n");
	while (n && (m[n - 1] == ' ' || m[n - 1] == '\r'))
		n--;
	/* "Layout type: "dot" not recognized. Use one of:" and no list: no
	 * plugin was loaded at all. */
	static const char none[] = " Use one of:";
	if (n >= sizeof(none) - 1 && !memcmp(m + n - (sizeof(none) - 1), none, sizeof(none) - 1))
		n -= sizeof(none) - 1;
	if (n == 0)
		return fallback;
	if (n >= cap)
		n = cap - 1;
	memcpy(line, m, n);
	line[n] = 0;
	return line;
}

/* Length of the well-formed UTF-8 sequence at s[0..n) (1 to 4), or 0 when it
 * is malformed: overlong, a surrogate, above U+10FFFF or truncated. */
static size_t utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xC2 && c <= 0xDF) {
		len = 2, v = c & 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3, v = c & 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return len;
}

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

static bool xml_char(uint32_t c)
{
	return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
	       (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

/* Parses a character reference ("&#45;", "&#x2d;") at s[0..n): returns its
 * length and sets *v, or returns 0. */
static size_t char_ref(const char *s, size_t n, uint32_t *v)
{
	if (n < 4 || s[0] != '&' || s[1] != '#')
		return 0;
	bool hex = s[2] == 'x' || s[2] == 'X';
	size_t i = hex ? 3 : 2, start = i;
	uint64_t x = 0;
	for (; i < n && i - start < 10; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9'                    ? c - '0'
			: hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
			: hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
						      : -1;
		if (d < 0)
			break;
		x = x * (hex ? 16 : 10) + (uint64_t)d;
	}
	if (i == start || i >= n || s[i] != ';')
		return 0;
	*v = x > 0x7FFFFFFF ? 0x7FFFFFFF : (uint32_t)x;
	return i + 1;
}

/* The DOT text as a NUL-terminated copy in which every byte that is not part
 * of well-formed UTF-8, every character XML forbids (NUL, control characters,
 * U+FFFE ...) and every character reference to one ("&#1;", "&#xD800;", which
 * dot decodes in labels) is U+FFFD.  Graphviz, Pango and cairo expect clean
 * UTF-8: given anything else they print warnings, draw nothing, or emit SVG
 * that no XML parser accepts. */
static char *clean_dot(const char *dot, size_t n)
{
	const unsigned char *s = (const unsigned char *)dot;
	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	char *out = malloc(3 * n + 1), *w = out; /* one byte becomes 3 at most */
	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = utf8_len(s + i, n - i, &cp);
		if (k == 1 && cp == '&') {
			size_t r = char_ref(dot + i, n - i, &cp);
			if (r && !xml_char(cp)) {
				memcpy(w, replacement, 3);
				w += 3;
				i += r;
				continue;
			}
		}
		if (k == 0 || !xml_char(cp)) {
			memcpy(w, replacement, 3);
			w += 3;
			i++;
			continue;
		}
		memcpy(w, s + i, k);
		w += k;
		i += k;
	}
	*w = 0;
	return out;
}

/* Length of a well-formed entity or character reference at s ("&amp;",
 * "&#45;", "&#x2d;") that names an XML character, or 0. */
static size_t xml_ref_len(const char *s, size_t n)
{
	static const char *const named[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		size_t k = strlen(named[i]);
		if (k <= n && !memcmp(s, named[i], k))
			return k;
	}
	uint32_t v;
	size_t k = char_ref(s, n, &v);
	return k && s[2] != 'X' && xml_char(v) ? k : 0; /* XML spells it "&#x" */
}

/* Appends Graphviz's SVG to out as well-formed XML: a '&' that starts no
 * valid reference becomes "&amp;" (dot leaves "&name;" from a label as it is,
 * the bug pprof works around for "&;"), and a character XML forbids, or a
 * byte that is not UTF-8 (a label's "&#1;" or "&#xD800;" is decoded by dot),
 * becomes U+FFFD. */
static void put_xml_clean(hearth_buf *out, const char *s, size_t n)
{
	size_t run = 0; /* start of the bytes not yet copied */
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c == '&') {
			size_t k = xml_ref_len(s + i, n - i);
			if (k) {
				i += k;
				continue;
			}
			hearth_buf_put(out, s + run, i - run);
			hearth_buf_puts(out, "&amp;");
			run = ++i;
			continue;
		}
		if (c >= 0x20 && c < 0x80) {
			i++;
			continue;
		}
		uint32_t cp;
		size_t k = utf8_len((const unsigned char *)s + i, n - i, &cp);
		if (k && xml_char(cp)) {
			i += k;
			continue;
		}
		hearth_buf_put(out, s + run, i - run);
		hearth_buf_puts(out, replacement);
		run = ++i;
	}
	hearth_buf_put(out, s + run, n - run);
}

/* Finds the first occurrence of the NUL-terminated needle in s[from..n). */
static const char *find(const char *s, size_t n, size_t from, const char *needle)
{
	size_t k = strlen(needle);
	return from <= n ? memmem(s + from, n - from, needle, k) : NULL;
}

/* Copies the attributes of the <svg ...> tag at s[0..n), the tag's end '>'
 * excluded, without width, height and viewBox. */
static void put_svg_tag(hearth_buf *out, const char *s, size_t n)
{
	size_t i = 4; /* after "<svg" */
	hearth_buf_puts(out, "<svg width=\"100%\" height=\"100%\"");
	while (i < n) {
		size_t ws = i;
		while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r'))
			i++;
		size_t name = i;
		while (i < n && s[i] != '=' && s[i] != ' ' && s[i] != '\n' && s[i] != '\t' &&
		       s[i] != '\r')
			i++;
		size_t name_end = i;
		if (i < n && s[i] == '=' && i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\'')) {
			const char *q = memchr(s + i + 2, s[i + 1], n - i - 2);
			i = q ? (size_t)(q - s) + 1 : n;
		}
		size_t nl = name_end - name;
		bool drop = (nl == 5 && !memcmp(s + name, "width", 5)) ||
			    (nl == 6 && !memcmp(s + name, "height", 6)) ||
			    (nl == 7 && !memcmp(s + name, "viewBox", 7));
		if (i == ws) /* a stray character: kept as it is */
			i++;
		if (!drop)
			hearth_buf_put(out, s + ws, i - ws);
	}
}

/* pprof's massageSVG: the <svg> fills the window (no fixed size, no
 * viewBox), and the graph sits in a <g id="viewport"> that the embedded
 * script pans and zooms.  Falls back to the drawing as it is when dot's
 * output does not have the expected shape. */
static void put_browsable_svg(hearth_buf *out, const char *s, size_t n)
{
	hearth_buf clean = {0};
	put_xml_clean(&clean, s, n);
	if (clean.oom) {
		out->oom = true;
		goto out;
	}
	s = clean.data;
	n = clean.len;
	const char *svg = find(s, n, 0, "<svg");
	const char *tag_end = svg ? memchr(svg, '>', n - (size_t)(svg - s)) : NULL;
	const char *g = tag_end ? find(s, n, (size_t)(tag_end - s), "<g id=\"graph") : NULL;
	const char *close = NULL;
	for (const char *c = g; c && (c = find(s, n, (size_t)(c - s), "</svg>")); c++)
		close = c;
	if (!close) {
		hearth_buf_put(out, s, n);
		goto out;
	}
	hearth_buf_put(out, s, (size_t)(svg - s));
	put_svg_tag(out, svg, (size_t)(tag_end - svg));
	hearth_buf_put(out, tag_end, (size_t)(g - tag_end));
	hearth_buf_puts(out, "<script type=\"text/ecmascript\"><![CDATA[\n");
	hearth_buf_puts(out, pan_zoom_js);
	hearth_buf_puts(out, "]]></script>\n<g id=\"viewport\" transform=\"scale(0.5,0.5)\">\n");
	hearth_buf_put(out, g, (size_t)(close - g));
	hearth_buf_puts(out, "</g>\n");
	hearth_buf_put(out, close, n - (size_t)(close - s));
out:
	hearth_buf_free(&clean);
}

/* Under LeakSanitizer (make SAN=1), the caches that live as long as the
 * process are reported at exit as leaks: fontconfig's and Pango's font
 * caches, the context above, and 2.42's dot layout, which never frees the
 * virtual nodes build_skeleton() makes for a cluster (pprof's legend is one).
 * The allocations are suppressed by library, not by function, because LSan's
 * fast unwinder stops at the first frame inside those libraries, which are
 * built without frame pointers.  tests/cli/graph.sh runs valgrind with full
 * stacks and function-level suppressions (tests/graphviz.supp), which is
 * what catches a misuse of Graphviz here. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libgvc.so\n"
	       "leak:libfontconfig.so\n"
	       "leak:libpango\n";
}

/* ... and without the table of them at every exit. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}

static const char *device_for(const char *format)
{
	/* Named with their plugin so a system with several (gd's png, say)
	 * always draws with cairo, as `dot -Tpng` on Debian does. */
	if (!strcmp(format, "svg"))
		return "svg:svg:core";
	if (!strcmp(format, "pdf"))
		return "pdf:cairo";
	if (!strcmp(format, "png"))
		return "png:cairo";
	return NULL;
}

hearth_err hearth_render_dot(const char *dot, size_t n, const char *format, hearth_buf *out,
			     hearth_errbuf *eb)
{
	hearth_err e = HEARTH_OK;
	const char *device = format ? device_for(format) : NULL;
	if (!device)
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "unknown graph format \"%s\" (svg, pdf or png)",
				     format ? format : "");
	char *text = clean_dot(dot, n);
	if (!text)
		return hearth_seterr(eb, HEARTH_ENOMEM, "rendering the graph: %s",
				     hearth_strerror(HEARTH_ENOMEM));

	GVC_t *gvc;
	Agraph_t *g = NULL;
	bool laid_out = false;
	char *data = NULL;
	unsigned int len = 0;
	char line[256];

	pthread_mutex_lock(&gv_lock);
	gv_nmsgs = 0;
	gv_msgs[0] = 0;
	agusererrf old_f = agseterrf(collect_msg);
	agerrlevel_t old_level = agseterr(AGWARN);
	agreseterrors();

	/* gvContext() reads the plugin list written by libgvc6's install
	 * (config6a next to the plugins; `dot -c` rewrites it). */
	if (!gv_ctx)
		gv_ctx = gvContext();
	if (!(gvc = gv_ctx)) {
		e = hearth_seterr(eb, HEARTH_ENOMEM, "rendering the graph: cannot start Graphviz");
		goto out;
	}
	if (!(g = agmemread(text))) {
		e = hearth_seterr(eb, HEARTH_EFORMAT, "the graph is not valid DOT: %s",
				  first_error(line, sizeof(line), "no graph in the text"));
		goto out;
	}
	int nodes = agnnodes(g);
	if (nodes > HEARTH_RENDER_MAX_NODES) {
		e = hearth_seterr(eb, HEARTH_ETOOBIG,
				  "the graph has %d nodes, more than the %d that can be laid out "
				  "in reasonable time; lower -nodecount",
				  nodes, HEARTH_RENDER_MAX_NODES);
		goto out;
	}
	if (gvLayout(gvc, g, "dot") != 0) {
		e = hearth_seterr(eb, HEARTH_EIO,
				  "cannot lay out the graph: %s (is Graphviz's dot plugin "
				  "installed? libgvc6 ships it; `dot -c` registers it)",
				  first_error(line, sizeof(line), "Graphviz gave no reason"));
		goto out;
	}
	laid_out = true;
	if (gvRenderData(gvc, g, device, &data, &len) != 0 || !data) {
		e = hearth_seterr(eb, HEARTH_EIO,
				  "cannot render the graph as %s: %s (is Graphviz's cairo "
				  "plugin installed? Debian's libgvc6 ships it)",
				  format, first_error(line, sizeof(line), "Graphviz gave no reason"));
		goto out;
	}
	if (!strcmp(format, "svg"))
		put_browsable_svg(out, data, len);
	else
		hearth_buf_put(out, data, len);
	if (out->oom)
		e = hearth_seterr(eb, HEARTH_ENOMEM, "rendering the graph: %s",
				  hearth_strerror(HEARTH_ENOMEM));
out:
	if (data)
		gvFreeRenderData(data);
	if (laid_out)
		gvFreeLayout(gvc, g);
	if (g)
		agclose(g);
	agseterr(old_level);
	agseterrf(old_f);
	pthread_mutex_unlock(&gv_lock);
	free(text);
	return e;
}
