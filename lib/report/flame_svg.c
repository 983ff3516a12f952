/* The flame graph as one self-contained SVG, in the manner of Brendan
 * Gregg's flamegraph.pl: a <g> per frame (its <title> is the tooltip), and a
 * small script for zoom (click), reset, search with highlight and the
 * matched share.  Frames are written in preorder, which the script relies
 * on to find a frame's callees (the frames after it, deeper) and callers.
 * Every name is escaped; names with bytes that are not UTF-8 were cleaned
 * first (hearth_flame_name), so the file is always well-formed XML. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flame.h"
#include "hearth/measure.h"

#define SVG_W 1200
#define SVG_XPAD 10
#define SVG_FW (SVG_W - 2 * SVG_XPAD)
#define SVG_FH 16
#define SVG_TOP 60
#define SVG_BOTTOM 30
#define SVG_CHARW 7.1 /* average width of a 12px Verdana character */

static const char svg_script[] =
	"var F=[],fr,details,matched,resetBtn;\n"
	"function init(evt){\n"
	" fr=document.getElementById('frames');\n"
	" details=document.getElementById('details').firstChild;\n"
	" matched=document.getElementById('matched').firstChild;\n"
	" resetBtn=document.getElementById('reset');\n"
	" var gs=fr.getElementsByTagName('g');\n"
	" for(var i=0;i<gs.length;i++){\n"
	"  var g=gs[i],r=g.getElementsByTagName('rect')[0],ti=g.getElementsByTagName('title')[0];\n"
	"  var y=+r.getAttribute('y'),info=ti.textContent;\n"
	"  F.push({g:g,r:r,t:g.getElementsByTagName('text')[0],x:+r.getAttribute('x'),"
	"w:+r.getAttribute('width'),d:Math.round(INV?(y-TOP)/FH:(BASE-y)/FH),"
	"name:info.split('\\n')[0],info:info,fill:r.getAttribute('fill')});\n"
	"  g.setAttribute('data-i',i);\n"
	" }\n"
	" fr.addEventListener('click',function(e){var f=frameOf(e);if(f)zoom(f);});\n"
	" fr.addEventListener('mouseover',function(e){var f=frameOf(e);"
	"if(f)details.nodeValue=f.info.replace(/\\n/g,'  |  ');});\n"
	" fr.addEventListener('mouseout',function(){details.nodeValue=' ';});\n"
	" resetBtn.addEventListener('click',reset);\n"
	" document.getElementById('search').addEventListener('click',search);\n"
	" document.getElementById('matched').addEventListener('click',clearSearch);\n"
	" window.addEventListener('keydown',function(e){\n"
	"  if(((e.ctrlKey||e.metaKey)&&e.keyCode===70)||e.key==='/'){e.preventDefault();search();}\n"
	"  else if(e.key==='Escape'){clearSearch();reset();}\n"
	" });\n"
	"}\n"
	"function frameOf(e){for(var n=e.target;n&&n!==fr;n=n.parentNode)"
	"if(n.getAttribute&&n.getAttribute('data-i'))return F[+n.getAttribute('data-i')];return null;}\n"
	"function place(f,x,w){\n"
	" f.r.setAttribute('x',x.toFixed(2));f.r.setAttribute('width',w.toFixed(2));\n"
	" f.t.setAttribute('x',(x+3).toFixed(2));\n"
	" var n=Math.floor((w-6)/CW),s=f.name;\n"
	" f.t.textContent=n<3?'':s.length<=n?s:s.slice(0,n-2)+'..';\n"
	"}\n"
	"function zoom(z){\n"
	" var zi=F.indexOf(z),s=FW/z.w,i,d=z.d;\n"
	" for(i=0;i<F.length;i++)F[i].g.setAttribute('class','hide');\n"
	" for(i=zi-1;i>=0&&d>0;i--)if(F[i].d<d){d=F[i].d;place(F[i],XPAD,FW);F[i].g.setAttribute('class','faded');}\n"
	" for(i=zi;i<F.length&&(i===zi||F[i].d>z.d);i++){place(F[i],XPAD+(F[i].x-z.x)*s,F[i].w*s);"
	"F[i].g.removeAttribute('class');}\n"
	" resetBtn.setAttribute('class','btn');\n"
	"}\n"
	"function reset(){\n"
	" for(var i=0;i<F.length;i++){place(F[i],F[i].x,F[i].w);F[i].g.removeAttribute('class');}\n"
	" resetBtn.setAttribute('class','btn hide');\n"
	"}\n"
	"function search(){\n"
	" var term=prompt('Search frames (regular expression):','');\n"
	" if(term===null)return;\n"
	" if(term===''){clearSearch();return;}\n"
	" var re;try{re=new RegExp(term);}catch(err){alert(err);return;}\n"
	" var iv=[],i;\n"
	" for(i=0;i<F.length;i++){var f=F[i];\n"
	"  if(re.test(f.name)){f.r.setAttribute('fill','#e633e6');iv.push([f.x,f.x+f.w]);}\n"
	"  else f.r.setAttribute('fill',f.fill);}\n"
	" iv.sort(function(a,b){return a[0]-b[0];});\n"
	" var sum=0,end=-1;\n"
	" for(i=0;i<iv.length;i++){var a=iv[i];if(a[0]>=end){sum+=a[1]-a[0];end=a[1];}"
	"else if(a[1]>end){sum+=a[1]-end;end=a[1];}}\n"
	" matched.nodeValue='Matched: '+(100*sum/FW).toFixed(1)+'% ('+iv.length+' frames) [clear]';\n"
	"}\n"
	"function clearSearch(){for(var i=0;i<F.length;i++)F[i].r.setAttribute('fill',F[i].fill);"
	"matched.nodeValue=' ';}\n";

static void trim_pct(char *pct)
{
	char *p = pct;
	while (*p == ' ')
		p++;
	memmove(pct, p, strlen(p) + 1);
}

/* The tooltip text: name, then the values. */
static void frame_info(hearth_flame *f, const hearth_fnode *n, hearth_buf *b)
{
	const hearth_report *r = f->r;
	char v1[64], v2[64], v3[64], p1[32], p2[32];
	hearth_buf_puts(b, hearth_flame_name(f, n->name));
	hearth_buf_puts(b, n->inl ? "\n(inlined) " : "\n");
	if (f->fp.diff) {
		int64_t before = hearth_flame_shown(f, n->b.total, n->db.total);
		int64_t after = hearth_flame_shown(f, n->a.total, n->da.total);
		hearth_rpt_value(r, before, v1, sizeof(v1));
		hearth_rpt_value(r, after, v2, sizeof(v2));
		hearth_rpt_value(r, after - before, v3, sizeof(v3));
		hearth_buf_printf(b, "before %s, after %s, change %s%s", v1, v2,
				  after > before ? "+" : "", v3);
		if (before != 0)
			hearth_buf_printf(b, " (%+.1f%%)", 100.0 * (double)(after - before) /
								  (double)before);
		else if (after != 0)
			hearth_buf_puts(b, " (new)");
		return;
	}
	int64_t flat = hearth_flame_shown(f, n->a.self, n->da.self);
	int64_t cum = hearth_flame_shown(f, n->a.total, n->da.total);
	hearth_rpt_value(r, flat, v1, sizeof(v1));
	hearth_rpt_value(r, cum, v2, sizeof(v2));
	hearth_percentage(p1, sizeof(p1), flat, r->total);
	hearth_percentage(p2, sizeof(p2), cum, r->total);
	trim_pct(p1);
	trim_pct(p2);
	hearth_buf_printf(b, "flat %s (%s), cum %s (%s)", v1, p1, v2, p2);
	if (n->a.merged) {
		hearth_rpt_value(r, hearth_flame_shown(f, n->a.merged, n->da.merged), v3, sizeof(v3));
		hearth_buf_printf(b, ", narrow callees %s", v3);
	}
}

/* The label that fits w pixels: the name, cut to whole characters. */
static void frame_label(const char *name, double w, hearth_buf *out)
{
	int fit = (int)((w - 6) / SVG_CHARW);
	if (fit < 3)
		return;
	size_t chars = 0, i = 0, cut = 0;
	for (; name[i]; i++)
		if (((unsigned char)name[i] & 0xc0) != 0x80) {
			if ((int)chars == fit - 2)
				cut = i;
			chars++;
		}
	if ((int)chars <= fit) {
		hearth_xml_escape(out, name);
		return;
	}
	hearth_buf b = {0};
	hearth_buf_put(&b, name, cut);
	if (b.data)
		hearth_xml_escape(out, b.data);
	hearth_buf_free(&b);
	hearth_buf_puts(out, "..");
}

void hearth_flame_subtitle(hearth_flame *f, hearth_buf *out, bool merged)
{
	const hearth_report *r = f->r;
	char v[64];
	if (f->fp.diff) {
		char a[64], b[64];
		hearth_rpt_value(r, f->fp.btotal, b, sizeof(b));
		hearth_rpt_value(r, f->fp.atotal, a, sizeof(a));
		hearth_buf_printf(out, "Type: %s, before %s, after %s; red grew, green shrank",
				  r->sample_type, b, a);
	} else {
		hearth_rpt_value(r, r->total, v, sizeof(v));
		hearth_buf_printf(out, "Type: %s, total %s", r->sample_type, v);
	}
	if (merged && f->merged_paths) {
		char pct[32];
		const hearth_fnode *root = &f->nodes[0];
		hearth_percentage(pct, sizeof(pct), f->merged_value, root->width);
		trim_pct(pct);
		hearth_buf_printf(out,
				  "; %zu call paths narrower than 1/%d of the graph (%s) merged into "
				  "their callers",
				  f->merged_paths, f->o.resolution, pct);
	}
}

hearth_err hearth_flame_svg(hearth_flame *f, hearth_buf *out, hearth_errbuf *eb)
{
	uint32_t rows = f->nnodes ? f->maxdepth + 1 : 1;
	int h = SVG_TOP + (int)rows * SVG_FH + SVG_BOTTOM;
	int base = h - SVG_BOTTOM; /* the bottom edge of the root */
	double *cur = calloc((size_t)rows + 2, sizeof(double));
	hearth_buf tmp = {0};
	if (!cur)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	hearth_buf_printf(out,
			  "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
			  "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
			  "height=\"%d\" viewBox=\"0 0 %d %d\" onload=\"init(evt)\">\n",
			  SVG_W, h, SVG_W, h);
	hearth_buf_puts(out,
			"<style type=\"text/css\">\n"
			"text{font-family:Verdana,sans-serif;font-size:12px;fill:#000}\n"
			"#title{font-size:17px;text-anchor:middle}\n"
			"#sub{fill:#555;text-anchor:middle}\n"
			".btn{cursor:pointer;fill:#1a5fb4}\n"
			"#frames g{cursor:pointer}\n"
			"#frames g:hover rect{stroke:#000;stroke-width:0.6}\n"
			"#frames text{pointer-events:none}\n"
			".faded{opacity:0.55}\n"
			".hide{display:none}\n"
			"</style>\n");
	hearth_buf_printf(out,
			  "<script type=\"text/ecmascript\"><![CDATA[\n"
			  "var XPAD=%d,FW=%d,FH=%d,TOP=%d,BASE=%d,CW=%.2f,INV=%s;\n",
			  SVG_XPAD, SVG_FW, SVG_FH, SVG_TOP, base - SVG_FH, SVG_CHARW,
			  f->o.inverted ? "true" : "false");
	hearth_buf_puts(out, svg_script);
	hearth_buf_puts(out, "]]></script>\n");
	hearth_buf_printf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fbfbf8\"/>\n",
			  SVG_W, h);
	hearth_buf_printf(out, "<text id=\"title\" x=\"%d\" y=\"24\">", SVG_W / 2);
	hearth_xml_escape_clean(out, f->o.title ? f->o.title : "Flame graph");
	hearth_buf_printf(out, "</text>\n<text id=\"sub\" x=\"%d\" y=\"44\">", SVG_W / 2);
	hearth_flame_subtitle(f, &tmp, true);
	/* The sample type comes from the profile: cleaned as names are. */
	hearth_xml_escape_clean(out, tmp.data ? tmp.data : "");
	hearth_buf_free(&tmp);
	hearth_buf_puts(out, "</text>\n");
	hearth_buf_printf(out, "<text id=\"reset\" class=\"btn hide\" x=\"%d\" y=\"24\">Reset zoom</text>\n",
			  SVG_XPAD);
	hearth_buf_printf(out,
			  "<text id=\"search\" class=\"btn\" x=\"%d\" y=\"24\" "
			  "text-anchor=\"end\">Search</text>\n",
			  SVG_W - SVG_XPAD);
	hearth_buf_printf(out,
			  "<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n"
			  "<text id=\"matched\" class=\"btn\" x=\"%d\" y=\"%d\" "
			  "text-anchor=\"end\"> </text>\n",
			  SVG_XPAD, h - 10, SVG_W - SVG_XPAD, h - 10);
	hearth_buf_puts(out, "<g id=\"frames\">\n");
	double scale = f->nnodes && f->nodes[0].width > 0 ? SVG_FW / (double)f->nodes[0].width : 0;
	for (size_t i = 0; i < f->nnodes && scale > 0; i++) {
		const hearth_fnode *n = &f->nodes[i];
		double x = cur[n->depth], w = (double)n->width * scale;
		cur[n->depth] += w;
		cur[n->depth + 1] = x;
		int y = f->o.inverted ? SVG_TOP + (int)n->depth * SVG_FH
				      : base - ((int)n->depth + 1) * SVG_FH;
		hearth_buf_puts(out, "<g><title>");
		frame_info(f, n, &tmp);
		if (tmp.data)
			hearth_xml_escape(out, tmp.data);
		tmp.len = 0;
		hearth_buf_printf(out,
				  "</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" "
				  "fill=\"#%06x\" rx=\"2\"/><text x=\"%.2f\" y=\"%.1f\">",
				  SVG_XPAD + x, y, w, SVG_FH - 1, hearth_flame_color(f, n),
				  SVG_XPAD + x + 3, y + 11.5);
		frame_label(hearth_flame_name(f, n->name), w, out);
		hearth_buf_puts(out, "</text></g>\n");
	}
	if (scale == 0)
		hearth_buf_printf(out, "<text x=\"%d\" y=\"%d\">no samples</text>\n", SVG_XPAD,
				  base - 4);
	hearth_buf_puts(out, "</g>\n</svg>\n");
	hearth_buf_free(&tmp);
	free(cur);
	if (out->oom)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory or write error");
	return HEARTH_OK;
}
