/* The flame graph as one HTML file: the tree's JSON (hearth_flame_json's,
 * with '<' escaped) in a <script type="application/json">, and a canvas
 * renderer that draws only the frames in view, wider than a third of a
 * pixel.  What keeps it small and smooth on a profile of millions of
 * samples is the tree's resolution: frames narrower than 1/1200 of the graph
 * are merged into their callers before the page is written, and the page
 * says so. */
#include <stdio.h>
#include <string.h>

#include "flame.h"

static const char html_head[] =
	"<!DOCTYPE html>\n"
	"<html lang=\"en\">\n"
	"<head>\n"
	"<meta charset=\"utf-8\">\n"
	"<meta name=\"generator\" content=\"hearth flame\">\n"
	"<style>\n"
	"body{margin:0;font:13px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;"
	"background:#fbfbf8;color:#222}\n"
	"header{padding:8px 12px;display:flex;gap:12px;align-items:baseline;flex-wrap:wrap}\n"
	"h1{font-size:17px;margin:0;font-weight:600}\n"
	"#sub{color:#555}\n"
	"#bar{display:flex;gap:8px;align-items:center;margin-left:auto}\n"
	"#search{width:240px;padding:3px 6px}\n"
	"#matched{min-width:9em;color:#a000a0}\n"
	"#note{padding:0 12px 6px;color:#7a5200}\n"
	"#note:empty{display:none}\n"
	"#wrap{padding:0 10px}\n"
	"canvas{display:block;width:100%;cursor:pointer}\n"
	"#details{padding:6px 12px;color:#333;min-height:1.4em;white-space:pre-wrap;"
	"word-break:break-all}\n"
	"#tip{position:fixed;pointer-events:none;background:#fff;border:1px solid #999;"
	"padding:4px 8px;box-shadow:0 2px 6px rgba(0,0,0,.2);max-width:640px;"
	"word-break:break-all;display:none;white-space:pre-line;font-size:12px}\n"
	"</style>\n";

static const char html_body[] =
	"<div id=\"bar\"><button id=\"reset\" disabled>Reset zoom</button>"
	"<input id=\"search\" placeholder=\"Search (regexp)\" autocomplete=\"off\">"
	"<span id=\"matched\"></span></div></header>\n"
	"<div id=\"note\"></div>\n"
	"<div id=\"wrap\"><canvas id=\"c\"></canvas></div>\n"
	"<div id=\"details\"></div>\n"
	"<div id=\"tip\"></div>\n"
	"<noscript>This flame graph needs JavaScript.</noscript>\n";

static const char html_script[] =
	"<script>\n"
	"(function(){\n"
	"'use strict';\n"
	"var D=JSON.parse(document.getElementById('flame-data').textContent);\n"
	"var Fr=D.frames,N=Fr.name.length,W=Fr.width,DEP=Fr.depth,NM=Fr.name;\n"
	"var X=new Float64Array(N),END=new Int32Array(N),PAR=new Int32Array(N),maxd=0,i;\n"
	"(function(){var cur=[0],st=[];\n"
	" for(i=0;i<N;i++){var d=DEP[i];if(d>maxd)maxd=d;var x=cur[d]||0;X[i]=x;cur[d]=x+W[i];"
	"cur[d+1]=x;\n"
	"  while(st.length&&DEP[st[st.length-1]]>=d)END[st.pop()]=i;\n"
	"  PAR[i]=st.length?st[st.length-1]:-1;st.push(i);}\n"
	" while(st.length)END[st.pop()]=N;})();\n"
	"var rows=[];for(i=0;i<=maxd;i++)rows.push([]);for(i=0;i<N;i++)rows[DEP[i]].push(i);\n"
	"var TIME={nanoseconds:1,nanosecond:1,ns:1,microseconds:1e3,us:1e3,milliseconds:1e6,"
	"ms:1e6,seconds:1e9,second:1e9,s:1e9};\n"
	"var TU=[['ns',1],['us',1e3],['ms',1e6],['s',1e9],['hrs',3.6e12]];\n"
	"var BU=[['B',1],['kB',1024],['MB',1048576],['GB',1073741824],['TB',1099511627776]];\n"
	"function trim(x){return x.toFixed(2).replace(/\\.00$/,'');}\n"
	"function fmt(v){if(!v)return '0';v*=D.scale;var u=(D.unit||'').toLowerCase(),us=null;\n"
	" if(u in TIME){v*=TIME[u];us=TU;}else if(u==='bytes'||u==='b'||u==='byte')us=BU;\n"
	" if(!us)return trim(v)+(u&&u!=='count'?' '+D.unit:'');\n"
	" var k=0;while(k+1<us.length&&Math.abs(v)>=us[k+1][1])k++;return trim(v/us[k][1])+us[k][0];}\n"
	"function pct(v){return D.total?(100*v/D.total).toFixed(2)+'%':'-';}\n"
	"function shown(v,dv){return D.mean&&dv?Math.trunc(v/dv):v;}\n"
	"function val(i){return shown(Fr.value[i],D.mean?Fr.div[i]:0);}\n"
	"function bval(i){return shown(Fr.base_value[i],D.mean?Fr.base_div[i]:0);}\n"
	"function hex(r,g,b){return '#'+((1<<24)|(r<<16)|(g<<8)|b).toString(16).slice(1);}\n"
	"function color(i){if(!D.diff)return D.colors[NM[i]];\n"
	" var b=Fr.base_value[i],a=Fr.value[i],big=Math.max(a,b);\n"
	" if(big<=0||a===b)return '#e8e8e8';\n"
	" var t=(a-b)/big,m=Math.abs(t),lo=Math.round(225-170*m);\n"
	" return t>0?hex(255,lo,lo):hex(lo,221,lo);}\n"
	"function info(i){var s=D.names[NM[i]]+(Fr.inline[i]?'  (inlined)':'')+'\\n';\n"
	" if(D.diff){var b=bval(i),a=val(i);\n"
	"  s+='before '+fmt(b)+', after '+fmt(a)+', change '+(a>b?'+':'')+fmt(a-b)+"
	"(b?' ('+(a>b?'+':'')+(100*(a-b)/b).toFixed(1)+'%)':a?' (new)':'');return s;}\n"
	" var fl=shown(Fr.self[i],D.mean?Fr.self_div[i]:0),cu=val(i);\n"
	" s+='flat '+fmt(fl)+' ('+pct(fl)+'), cum '+fmt(cu)+' ('+pct(cu)+')';\n"
	" if(Fr.merged[i])s+='\\nnarrow callees (merged) '+fmt(Fr.merged[i]);return s;}\n"
	"var RH=18,cv=document.getElementById('c'),ctx=cv.getContext('2d'),cw=0,dpr=1,CW=7;\n"
	"var z=0,hov=-1,match=null,tip=document.getElementById('tip');\n"
	"var details=document.getElementById('details'),resetB=document.getElementById('reset');\n"
	"function rowY(d){return D.inverted?d*RH:(maxd-d)*RH;}\n"
	"function resize(){dpr=window.devicePixelRatio||1;cw=cv.clientWidth;var h=(maxd+1)*RH;\n"
	" cv.style.height=h+'px';cv.width=Math.round(cw*dpr);cv.height=Math.round(h*dpr);draw();}\n"
	"function box(i,px,pw,faded){var y=rowY(DEP[i]);\n"
	" ctx.globalAlpha=faded?0.55:1;\n"
	" ctx.fillStyle=match&&match[i]?'#e633e6':color(i);\n"
	" ctx.fillRect(px,y,pw>2?pw-1:pw,RH-1);\n"
	" if(i===hov){ctx.strokeStyle='#000';ctx.lineWidth=1;ctx.strokeRect(px+0.5,y+0.5,"
	"Math.max(pw-2,0),RH-2);}\n"
	" var n=Math.floor((pw-6)/CW);if(n>=3){var s=D.names[NM[i]];if(s.length>n)"
	"s=s.slice(0,n-2)+'..';ctx.fillStyle='#000';ctx.fillText(s,px+3,y+RH/2);}}\n"
	"function first(row,x){var lo=0,hi=row.length;while(lo<hi){var m=(lo+hi)>>1;"
	"if(X[row[m]]+W[row[m]]<=x)lo=m+1;else hi=m;}return lo;}\n"
	"function draw(){if(!N)return;ctx.setTransform(dpr,0,0,dpr,0,0);"
	"ctx.clearRect(0,0,cw,(maxd+1)*RH);\n"
	" ctx.font='12px Verdana,sans-serif';ctx.textBaseline='middle';"
	"CW=ctx.measureText('mmmmmiiiii_.(*T)abcd').width/20;\n"
	" for(var a=PAR[z];a>=0;a=PAR[a])box(a,0,cw,true);\n"
	" var vx=X[z],vw=W[z]||1,k=cw/vw,ve=vx+vw;\n"
	" for(var d=DEP[z];d<=maxd;d++){var row=rows[d];\n"
	"  for(var j=first(row,vx);j<row.length;j++){var f=row[j];if(X[f]>=ve)break;\n"
	"   var pw=W[f]*k;if(pw<0.34)continue;box(f,(X[f]-vx)*k,pw,false);}}\n"
	" ctx.globalAlpha=1;}\n"
	"function at(ev){var r=cv.getBoundingClientRect(),x=ev.clientX-r.left,y=ev.clientY-r.top;\n"
	" var d=D.inverted?Math.floor(y/RH):maxd-Math.floor(y/RH);if(d<0||d>maxd)return -1;\n"
	" if(d<DEP[z]){for(var a=PAR[z];a>=0;a=PAR[a])if(DEP[a]===d)return a;return -1;}\n"
	" var xv=X[z]+x*(W[z]||1)/cw,row=rows[d],j=first(row,xv);\n"
	" if(j<row.length&&X[row[j]]<=xv&&X[row[j]]>=X[z]&&X[row[j]]<X[z]+W[z])return row[j];\n"
	" return -1;}\n"
	"var pending=false;function redraw(){if(!pending){pending=true;"
	"requestAnimationFrame(function(){pending=false;draw();});}}\n"
	"cv.addEventListener('mousemove',function(ev){var i=at(ev);\n"
	" if(i!==hov){hov=i;redraw();details.textContent=i>=0?info(i).replace('\\n','  |  '):'';}\n"
	" if(i<0){tip.style.display='none';return;}\n"
	" tip.textContent=info(i);tip.style.display='block';\n"
	" var tx=ev.clientX+14,ty=ev.clientY+14;\n"
	" if(tx+tip.offsetWidth>window.innerWidth)tx=Math.max(0,ev.clientX-tip.offsetWidth-14);\n"
	" if(ty+tip.offsetHeight>window.innerHeight)ty=Math.max(0,ev.clientY-tip.offsetHeight-14);\n"
	" tip.style.left=tx+'px';tip.style.top=ty+'px';});\n"
	"cv.addEventListener('mouseleave',function(){hov=-1;tip.style.display='none';redraw();});\n"
	"function zoom(i){z=i<0?0:i;resetB.disabled=z===0;draw();}\n"
	"cv.addEventListener('click',function(ev){var i=at(ev);if(i>=0)zoom(i);});\n"
	"resetB.addEventListener('click',function(){zoom(0);});\n"
	"var sIn=document.getElementById('search'),sOut=document.getElementById('matched'),sT=0;\n"
	"function search(){var t=sIn.value;if(!t){match=null;sOut.textContent='';draw();return;}\n"
	" var re;try{re=new RegExp(t);}catch(e){sOut.textContent='bad regexp';return;}\n"
	" var nm=new Uint8Array(D.names.length),j;for(j=0;j<D.names.length;j++)"
	"nm[j]=re.test(D.names[j])?1:0;\n"
	" match=new Uint8Array(N);var sum=0,cnt=0;for(j=0;j<N;j++)if(nm[NM[j]]){match[j]=1;cnt++;}\n"
	" for(j=0;j<N;)if(match[j]){sum+=W[j];j=END[j];}else j++;\n"
	" sOut.textContent='Matched: '+(W[0]?(100*sum/W[0]).toFixed(1):'0')+'% ('+cnt+' frames)';"
	"draw();}\n"
	"sIn.addEventListener('input',function(){clearTimeout(sT);sT=setTimeout(search,120);});\n"
	"window.addEventListener('keydown',function(e){\n"
	" if((e.ctrlKey||e.metaKey)&&e.keyCode===70){e.preventDefault();sIn.focus();sIn.select();}\n"
	" else if(e.key==='Escape'){sIn.value='';search();zoom(0);}});\n"
	"window.addEventListener('resize',resize);\n"
	"if(D.merged_paths)document.getElementById('note').textContent=D.merged_paths+' call paths "
	"narrower than 1/'+D.resolution+' of the graph (together '+"
	"(W[0]?(100*D.merged_value/W[0]).toFixed(2):'0')+'% of it) are merged into their callers "
	"and shown as their \\u201cnarrow callees\\u201d; write the page with a larger "
	"-resolution (0 keeps every frame) to see them.';\n"
	"if(!N||!W[0])document.getElementById('note').textContent='No samples.';\n"
	"resize();\n"
	"})();\n"
	"</script>\n";

hearth_err hearth_flame_html(hearth_flame *f, hearth_buf *out, hearth_errbuf *eb)
{
	hearth_buf sub = {0};
	hearth_buf_puts(out, html_head);
	hearth_buf_puts(out, "<title>");
	hearth_xml_escape_clean(out, f->o.title ? f->o.title : "Flame graph");
	hearth_buf_puts(out, "</title>\n</head>\n<body>\n<header><h1 id=\"title\">");
	hearth_xml_escape_clean(out, f->o.title ? f->o.title : "Flame graph");
	hearth_buf_puts(out, "</h1><span id=\"sub\">");
	hearth_flame_subtitle(f, &sub, false);
	hearth_xml_escape_clean(out, sub.data ? sub.data : "");
	hearth_buf_free(&sub);
	hearth_buf_puts(out, "</span>\n");
	hearth_buf_puts(out, html_body);
	hearth_buf_puts(out, "<script type=\"application/json\" id=\"flame-data\">");
	hearth_err err = hearth_flame_json_append(f, out, true);
	hearth_buf_puts(out, "</script>\n");
	hearth_buf_puts(out, html_script);
	hearth_buf_puts(out, "</body>\n</html>\n");
	if (err || out->oom)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory or write error");
	return HEARTH_OK;
}
