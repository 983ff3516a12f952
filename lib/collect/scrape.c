/* The scrape loop of `hearth scrape`: one thread drives every transfer
 * through libcurl's multi interface (hearth_http_multi), so a thousand
 * targets cost a thousand sockets, not a thousand threads.
 *
 * Each target is scraped once per interval, every enabled profile type at
 * once (a target's offset within the interval comes from a hash of its
 * labels, as Prometheus spreads its scrapes).  A scrape that has not
 * finished when the next is due is not started twice.  Each transfer has
 * the job's timeout (cpu: its duration plus the timeout) and body cap; a
 * target that hangs, answers garbage or sends too much is reported on its
 * own and the others go on.
 *
 * What is scraped goes into the spool first, then out to the server one
 * push at a time, in order; a push that fails is retried after a backoff
 * with jitter, so a server that is down only makes the spool grow (up to
 * its cap).  Each push carries an id (hash of the target, type and scrape
 * time), which makes a retry of a push that did arrive harmless. */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <netdb.h>
#include <pthread.h>
#include <resolv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "collect/collect.h"
#include "hearth/fetch.h"
#include "hearth/io.h"

typedef struct target target;

/* One profile type of one target. */
typedef struct {
	target *t;
	const hearth_scrape_ptype *pt;
	char *url;
	hearth_http_req req;
	bool inflight, waiting;
	hearth_delta *delta;
	int64_t start_ns;
	uint64_t seq; /* raw scrapes saved */
	/* What -targets and /metrics show. */
	uint64_t scrapes, failures, bytes, pushed_deltas, bases, restarts;
	double last_duration, duration_sum;
	int64_t last_ns; /* end of the last scrape, Unix ns; 0: never */
	bool ok;
	char err[640];
} tstate;

struct target {
	const hearth_scrape_job *job;
	char *key; /* job, address and labels: the target's identity */
	char *address, *instance, *service;
	hearth_labelset labels; /* public labels (no __ names) */
	char *push_labels;	/* "k=v,k2=v2" */
	char idhash[17];
	tstate *ts;
	size_t nts;
	double next_due;
	size_t inflight;
	int rounds; /* rounds completed */
	bool round_open, gone, seen;
	hearth_memstats ms;
	bool has_ms;
};

/* A file_sd file as last read. */
typedef struct {
	char *path;
	size_t job, cfgi;
	struct timespec mtime;
	off_t size;
	hearth_target_group *groups;
	size_t ngroups;
	bool seen;
} sd_file;

/* DNS lookups run on a resolver thread of their own: getaddrinfo and
 * res_query block for as long as the DNS server takes, and a server that
 * does not answer must not hold up the scrapes of every target.  The loop
 * asks, the thread answers, the loop picks the answer up on its next turn.
 * What the thread reads and writes lives here, apart from the scraper: a
 * lookup cannot be interrupted, so at the end the thread is left to finish
 * it and frees this itself when it is the last one holding it. */
typedef struct {
	char *name;
	bool srv;
	int port;
	bool asked, answered, failed;
	uint64_t asked_seq; /* when it was asked: the oldest question goes first */
	hearth_target_group *groups;
	size_t ngroups;
	char err[400];
} dns_req;

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool quit;
	int refs;
	dns_req *req;
	size_t nreq;
	uint64_t seq;
	bool has_server; /* -dns_server: instead of /etc/resolv.conf's */
	struct sockaddr_in server;
} dns_shared;

/* A DNS name's answer as last resolved. */
typedef struct {
	size_t job, cfgi, namei;
	double next;
	bool pending;		     /* asked, and the answer not yet taken */
	bool first_done;	     /* one answer (or failure) came back */
	hearth_target_group *groups; /* one group per record, with its __meta labels */
	size_t ngroups;
} dns_state;

struct hearth_scraper {
	hearth_scraper_opts o;
	char *push_url, *token, *auth;
	hearth_scrape_config cfg;
	hearth_http_multi *m;
	hearth_spool *spool;
	pthread_mutex_t mu; /* guards what metrics and targets read */
	target **targets;
	size_t ntargets;
	target **gone; /* removed by discovery, freed when idle */
	size_t ngone;
	tstate **wait; /* scrapes due that wait for a free slot */
	size_t nwait, capwait;
	size_t inflight;
	sd_file *files;
	size_t nfiles;
	double next_file_check;
	dns_state *dns;
	size_t ndns;
	dns_shared *dsh; /* NULL without dns_sd_configs */
	bool rebuild;
	/* The push side. */
	hearth_http_req push;
	hearth_spool_item item;
	bool pushing;
	double next_push, backoff;
	uint64_t pushes, push_failures, push_rejected, push_bytes;
	char push_err[640];
	uint64_t discovery_errors;
	char discovery_err[640];
};

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* ---- Targets ---------------------------------------------------------- */

static void target_free(target *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nts; i++) {
		free(t->ts[i].url);
		free(t->ts[i].req.body);
		hearth_delta_free(t->ts[i].delta);
	}
	free(t->ts);
	free(t->key);
	free(t->address);
	free(t->instance);
	free(t->service);
	free(t->push_labels);
	hearth_labelset_free(&t->labels);
	free(t);
}

/* A URL query value, percent-encoded. */
static void put_escaped(hearth_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
			hearth_buf_put(b, s, 1);
		else
			hearth_buf_printf(b, "%%%02X", c);
	}
}

/* A new target from discovered labels (after relabeling); NULL on OOM. */
static target *target_new(const hearth_scrape_job *j, const hearth_labelset *all)
{
	target *t = calloc(1, sizeof(*t));
	hearth_buf key = {0}, pl = {0};
	if (!t)
		return NULL;
	t->job = j;
	const char *addr = hearth_labelset_get(all, "__address__");
	const char *scheme = hearth_labelset_get(all, "__scheme__");
	const char *inst = hearth_labelset_get(all, "instance");
	const char *svc = hearth_labelset_get(all, "service");
	t->address = strdup(addr);
	t->instance = strdup(inst ? inst : addr);
	t->service = strdup(svc ? svc : j->job_name);
	if (!t->address || !t->instance || !t->service)
		goto oom;
	for (size_t i = 0; i < all->n; i++) {
		const hearth_label_pair *p = &all->v[i];
		if (!strncmp(p->name, "__", 2) || !strcmp(p->name, "service"))
			continue;
		if (hearth_labelset_set(&t->labels, p->name, p->value))
			goto oom;
	}
	if (!hearth_labelset_get(&t->labels, "instance") &&
	    hearth_labelset_set(&t->labels, "instance", t->instance))
		goto oom;
	if (!hearth_labelset_get(&t->labels, "job") &&
	    hearth_labelset_set(&t->labels, "job", j->job_name))
		goto oom;
	hearth_buf_printf(&key, "%s\x01%s\x01%s", j->job_name, t->address, t->service);
	for (size_t i = 0; i < t->labels.n; i++) {
		hearth_buf_printf(&key, "\x01%s=%s", t->labels.v[i].name, t->labels.v[i].value);
		/* The push's labels=k=v,k2=v2 cannot carry a comma in a value. */
		if (i)
			hearth_buf_puts(&pl, ",");
		hearth_buf_printf(&pl, "%s=", t->labels.v[i].name);
		for (const char *c = t->labels.v[i].value; *c; c++)
			hearth_buf_put(&pl, *c == ',' ? ";" : c, 1);
	}
	if (key.oom || pl.oom)
		goto oom;
	t->key = key.data;
	t->push_labels = pl.data ? pl.data : strdup("");
	key = (hearth_buf){0};
	pl = (hearth_buf){0};
	snprintf(t->idhash, sizeof(t->idhash), "%016llx", (unsigned long long)fnv(t->key));
	size_t ne = 0;
	for (size_t i = 0; i < j->ntypes; i++)
		ne += j->types[i].enabled;
	if (!t->push_labels || !(t->ts = calloc(ne ? ne : 1, sizeof(*t->ts))))
		goto oom;
	for (size_t i = 0; i < j->ntypes; i++) {
		const hearth_scrape_ptype *pt = &j->types[i];
		if (!pt->enabled)
			continue;
		tstate *s = &t->ts[t->nts++];
		s->t = t;
		s->pt = pt;
		hearth_buf u = {0};
		hearth_buf_printf(&u, "%s://%s%s%s", scheme ? scheme : j->scheme, t->address,
				  j->path_prefix, pt->path);
		if (pt->seconds > 0)
			hearth_buf_printf(&u, "%cseconds=%d", strchr(pt->path, '?') ? '&' : '?',
					  pt->seconds);
		if (u.oom || !(s->url = u.data) || (pt->delta && !(s->delta = hearth_delta_new())))
			goto oom;
	}
	return t;
oom:
	hearth_buf_free(&key);
	hearth_buf_free(&pl);
	target_free(t);
	return NULL;
}

static int cmp_target(const void *a, const void *b)
{
	const target *x = *(target *const *)a, *y = *(target *const *)b;
	return strcmp(x->key, y->key);
}

/* Relabels one discovered address with its group's labels and adds the
 * target to *out (unless dropped or already there). */
static hearth_err add_discovered(hearth_scraper *s, const hearth_scrape_job *j, const char *addr,
				 const hearth_labelset *group, const hearth_labelset *meta,
				 target ***out, size_t *nout, size_t *cap, hearth_errbuf *eb)
{
	hearth_labelset ls = {0};
	hearth_err err = HEARTH_OK;
	bool keep;
	if (hearth_labelset_set(&ls, "__address__", addr) ||
	    hearth_labelset_set(&ls, "__scheme__", j->scheme) ||
	    hearth_labelset_set(&ls, "job", j->job_name))
		goto oom;
	for (size_t i = 0; group && i < group->n; i++)
		if (hearth_labelset_set(&ls, group->v[i].name, group->v[i].value))
			goto oom;
	for (size_t i = 0; meta && i < meta->n; i++)
		if (hearth_labelset_set(&ls, meta->v[i].name, meta->v[i].value))
			goto oom;
	if ((err = hearth_relabel_apply(j->relabels, j->nrelabels, &ls, &keep, eb)))
		goto out;
	if (!keep || !hearth_labelset_get(&ls, "__address__"))
		goto out;
	if (*nout == HEARTH_SCRAPE_MAX_TARGETS) {
		err = hearth_seterr(eb, HEARTH_ETOOBIG, "more than %d targets",
				    HEARTH_SCRAPE_MAX_TARGETS);
		goto out;
	}
	target *t = target_new(j, &ls);
	if (!t)
		goto oom;
	if (*nout == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		target **nv = realloc(*out, nc * sizeof(*nv));
		if (!nv) {
			target_free(t);
			goto oom;
		}
		*out = nv;
		*cap = nc;
	}
	(*out)[(*nout)++] = t;
	goto out;
oom:
	err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
out:
	(void)s;
	hearth_labelset_free(&ls);
	return err;
}

/* Every target the configuration and discovery name now, matched against
 * the current ones: a target that stays keeps its state (its delta
 * bases, its counters). */
static hearth_err rebuild_targets(hearth_scraper *s, hearth_errbuf *eb)
{
	target **nt = NULL;
	size_t n = 0, cap = 0;
	hearth_err err = HEARTH_OK;
	for (size_t ji = 0; ji < s->cfg.njobs && !err; ji++) {
		const hearth_scrape_job *j = &s->cfg.jobs[ji];
		for (size_t i = 0; i < j->nstatics && !err; i++)
			for (size_t k = 0; k < j->statics[i].ntargets && !err; k++)
				err =
				    add_discovered(s, j, j->statics[i].targets[k],
						   &j->statics[i].labels, NULL, &nt, &n, &cap, eb);
		for (size_t f = 0; f < s->nfiles && !err; f++) {
			sd_file *sf = &s->files[f];
			if (sf->job != ji)
				continue;
			hearth_labelset meta = {0};
			if (hearth_labelset_set(&meta, "__meta_filepath", sf->path)) {
				err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
				break;
			}
			for (size_t g = 0; g < sf->ngroups && !err; g++)
				for (size_t k = 0; k < sf->groups[g].ntargets && !err; k++)
					err = add_discovered(s, j, sf->groups[g].targets[k],
							     &sf->groups[g].labels, &meta, &nt, &n,
							     &cap, eb);
			hearth_labelset_free(&meta);
		}
		for (size_t d = 0; d < s->ndns && !err; d++) {
			dns_state *ds = &s->dns[d];
			if (ds->job != ji)
				continue;
			for (size_t g = 0; g < ds->ngroups && !err; g++)
				for (size_t k = 0; k < ds->groups[g].ntargets && !err; k++)
					err = add_discovered(s, j, ds->groups[g].targets[k], NULL,
							     &ds->groups[g].labels, &nt, &n, &cap,
							     eb);
		}
	}
	if (err) {
		for (size_t i = 0; i < n; i++)
			target_free(nt[i]);
		free(nt);
		return err;
	}
	if (n) /* (no targets yet: DNS has not answered) */
		qsort(nt, n, sizeof(*nt), cmp_target);
	/* Duplicates (the same target twice) are scraped once. */
	size_t u = 0;
	for (size_t i = 0; i < n; i++) {
		if (u && !strcmp(nt[u - 1]->key, nt[i]->key))
			target_free(nt[i]);
		else
			nt[u++] = nt[i];
	}
	n = u;
	pthread_mutex_lock(&s->mu);
	/* Old targets are sorted too: a merge keeps those that stay. */
	size_t a = 0;
	for (size_t i = 0; i < n; i++) {
		while (a < s->ntargets && strcmp(s->targets[a]->key, nt[i]->key) < 0) {
			s->targets[a]->gone = true;
			s->gone[s->ngone++] = s->targets[a];
			a++;
		}
		if (a < s->ntargets && !strcmp(s->targets[a]->key, nt[i]->key)) {
			target_free(nt[i]);
			nt[i] = s->targets[a++];
		} else {
			/* A new target: its place in the interval from its hash. */
			double iv = (double)nt[i]->job->interval_ms / 1000.0;
			nt[i]->next_due = mono() + (double)(fnv(nt[i]->key) % 1000) / 1000.0 * iv;
		}
	}
	for (; a < s->ntargets; a++) {
		s->targets[a]->gone = true;
		s->gone[s->ngone++] = s->targets[a];
	}
	free(s->targets);
	s->targets = nt;
	s->ntargets = n;
	pthread_mutex_unlock(&s->mu);
	return HEARTH_OK;
}

/* ---- Discovery: files and DNS ----------------------------------------- */

static char *resolve_path(const char *cfgpath, const char *p)
{
	char *out = NULL;
	if (p[0] == '/' || !cfgpath || !strchr(cfgpath, '/'))
		return strdup(p);
	const char *sl = strrchr(cfgpath, '/');
	if (asprintf(&out, "%.*s/%s", (int)(sl - cfgpath), cfgpath, p) < 0)
		return NULL;
	return out;
}

static void sd_file_clear(sd_file *f)
{
	free(f->path);
	hearth_target_groups_free(f->groups, f->ngroups);
	*f = (sd_file){0};
}

static void discovery_error(hearth_scraper *s, const char *msg)
{
	pthread_mutex_lock(&s->mu);
	s->discovery_errors++;
	snprintf(s->discovery_err, sizeof(s->discovery_err), "%s", msg);
	pthread_mutex_unlock(&s->mu);
}

/* Globs every file_sd pattern; reads files that are new or changed (mtime
 * or size), forgets files that are gone.  A file that does not parse keeps
 * its previous targets, and the error is counted. */
static void check_files(hearth_scraper *s)
{
	for (size_t f = 0; f < s->nfiles; f++)
		s->files[f].seen = false;
	for (size_t ji = 0; ji < s->cfg.njobs; ji++) {
		const hearth_scrape_job *j = &s->cfg.jobs[ji];
		for (size_t ci = 0; ci < j->nfiles; ci++)
			for (size_t pi = 0; pi < j->files[ci].nfiles; pi++) {
				char *pat = resolve_path(s->cfg.path, j->files[ci].files[pi]);
				glob_t g = {0};
				if (pat && glob(pat, 0, NULL, &g) == 0) {
					for (size_t k = 0; k < g.gl_pathc; k++) {
						const char *path = g.gl_pathv[k];
						struct stat st;
						if (stat(path, &st) || !S_ISREG(st.st_mode))
							continue;
						sd_file *sf = NULL;
						for (size_t f = 0; f < s->nfiles; f++)
							if (s->files[f].job == ji &&
							    !strcmp(s->files[f].path, path))
								sf = &s->files[f];
						if (!sf) {
							sd_file *nf =
							    realloc(s->files,
								    (s->nfiles + 1) * sizeof(*nf));
							char *pd = strdup(path);
							if (!nf || !pd) {
								free(pd);
								if (nf)
									s->files = nf;
								continue;
							}
							s->files = nf;
							sf = &s->files[s->nfiles++];
							*sf = (sd_file){
							    .path = pd, .job = ji, .cfgi = ci};
							sf->mtime.tv_sec = -1;
						}
						sf->seen = true;
						if (sf->mtime.tv_sec == st.st_mtim.tv_sec &&
						    sf->mtime.tv_nsec == st.st_mtim.tv_nsec &&
						    sf->size == st.st_size)
							continue;
						sf->mtime = st.st_mtim;
						sf->size = st.st_size;
						FILE *fp = fopen(path, "rb");
						char *buf =
						    malloc(HEARTH_SCRAPE_MAX_CONFIG_BYTES + 1);
						size_t n =
						    fp && buf
							? fread(buf, 1,
								HEARTH_SCRAPE_MAX_CONFIG_BYTES + 1,
								fp)
							: 0;
						if (fp)
							fclose(fp);
						hearth_target_group *gr;
						size_t ng;
						hearth_errbuf eb = {{0}};
						if (!buf) {
							discovery_error(s, "out of memory");
						} else if (hearth_file_sd_parse(path, buf, n, &gr,
										&ng, &eb)) {
							discovery_error(s, eb.msg);
						} else {
							hearth_target_groups_free(sf->groups,
										  sf->ngroups);
							sf->groups = gr;
							sf->ngroups = ng;
							s->rebuild = true;
						}
						free(buf);
					}
				}
				globfree(&g);
				free(pat);
			}
	}
	for (size_t f = 0; f < s->nfiles;) {
		if (s->files[f].seen) {
			f++;
			continue;
		}
		sd_file_clear(&s->files[f]);
		s->files[f] = s->files[--s->nfiles];
		s->rebuild = true;
	}
}

static hearth_err group_add(hearth_target_group **g, size_t *n, const char *addr, const char *k1,
			    const char *v1, const char *k2, const char *v2, const char *k3,
			    const char *v3)
{
	hearth_target_group *ng = realloc(*g, (*n + 1) * sizeof(*ng));
	if (!ng)
		return HEARTH_ENOMEM;
	*g = ng;
	hearth_target_group *e = &ng[*n];
	*e = (hearth_target_group){0};
	e->targets = calloc(1, sizeof(char *));
	if (!e->targets || !(e->targets[0] = strdup(addr)))
		goto oom;
	e->ntargets = 1;
	(*n)++;
	if ((k1 && hearth_labelset_set(&e->labels, k1, v1)) ||
	    (k2 && hearth_labelset_set(&e->labels, k2, v2)) ||
	    (k3 && hearth_labelset_set(&e->labels, k3, v3)))
		return HEARTH_ENOMEM;
	return HEARTH_OK;
oom:
	free(e->targets);
	return HEARTH_ENOMEM;
}

/* One DNS name: A/AAAA through getaddrinfo, SRV through res_query, on the
 * resolver thread (it touches nothing of the scraper).  False with msg set
 * when the lookup failed. */
static bool lookup(const char *name, bool srv, int port, hearth_target_group **gp, size_t *ngp,
		   char *msg, size_t msgn)
{
	hearth_target_group *g = NULL;
	size_t ng = 0;
	if (!srv) {
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
		int rc = getaddrinfo(name, NULL, &hints, &res);
		if (rc) {
			snprintf(msg, msgn, "dns_sd %s: %s", name, gai_strerror(rc));
			return false;
		}
		for (struct addrinfo *a = res; a; a = a->ai_next) {
			char ip[INET6_ADDRSTRLEN], addr[INET6_ADDRSTRLEN + 16];
			if (a->ai_family == AF_INET)
				inet_ntop(AF_INET, &((struct sockaddr_in *)a->ai_addr)->sin_addr,
					  ip, sizeof(ip));
			else if (a->ai_family == AF_INET6)
				inet_ntop(AF_INET6, &((struct sockaddr_in6 *)a->ai_addr)->sin6_addr,
					  ip, sizeof(ip));
			else
				continue;
			snprintf(addr, sizeof(addr), a->ai_family == AF_INET6 ? "[%s]:%d" : "%s:%d",
				 ip, port);
			bool dup = false;
			for (size_t k = 0; k < ng; k++)
				dup |= !strcmp(g[k].targets[0], addr);
			if (!dup && group_add(&g, &ng, addr, "__meta_dns_name", name, NULL, NULL,
					      NULL, NULL))
				break;
		}
		freeaddrinfo(res);
	} else {
		unsigned char ans[8192];
		int len = res_query(name, ns_c_in, ns_t_srv, ans, sizeof(ans));
		ns_msg h;
		if (len < 0 || ns_initparse(ans, len, &h) < 0) {
			snprintf(msg, msgn, "dns_sd %s: SRV lookup failed", name);
			return false;
		}
		for (int i = 0; i < ns_msg_count(h, ns_s_an); i++) {
			ns_rr rr;
			if (ns_parserr(&h, ns_s_an, i, &rr) || ns_rr_type(rr) != ns_t_srv ||
			    ns_rr_rdlen(rr) < 7)
				continue;
			const unsigned char *rd = ns_rr_rdata(rr);
			int p = (rd[4] << 8) | rd[5];
			char host[NS_MAXDNAME], addr[NS_MAXDNAME + 16], ps[16];
			if (ns_name_uncompress(ns_msg_base(h), ns_msg_end(h), rd + 6, host,
					       sizeof(host)) < 0)
				continue;
			snprintf(addr, sizeof(addr), "%s:%d", host, p);
			snprintf(ps, sizeof(ps), "%d", p);
			if (group_add(&g, &ng, addr, "__meta_dns_name", name,
				      "__meta_dns_srv_record_target", host,
				      "__meta_dns_srv_record_port", ps))
				break;
		}
	}
	*gp = g;
	*ngp = ng;
	return true;
}

static void dns_shared_unref(dns_shared *d)
{
	pthread_mutex_lock(&d->mu);
	bool last = --d->refs == 0;
	d->quit = true;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	if (!last)
		return;
	for (size_t i = 0; i < d->nreq; i++) {
		free(d->req[i].name);
		hearth_target_groups_free(d->req[i].groups, d->req[i].ngroups);
	}
	free(d->req);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

/* The resolver thread: one lookup at a time, each bounded by the resolver's
 * timeout (2 s a try, 2 tries a server). */
static void *dns_main(void *arg)
{
	dns_shared *d = arg;
	/* _res is this thread's own: the settings touch no other thread. */
	res_init();
	_res.retrans = 2;
	_res.retry = 2;
	if (d->has_server) {
		_res.nscount = 1;
		_res.nsaddr_list[0] = d->server;
	}
	pthread_mutex_lock(&d->mu);
	while (!d->quit) {
		/* The oldest question first: a name asked again (its refresh
		 * shorter than a slow lookup) must not starve the others. */
		dns_req *r = NULL;
		for (size_t i = 0; i < d->nreq; i++)
			if (d->req[i].asked && (!r || d->req[i].asked_seq < r->asked_seq))
				r = &d->req[i];
		if (!r) {
			pthread_cond_wait(&d->cv, &d->mu);
			continue;
		}
		r->asked = false;
		pthread_mutex_unlock(&d->mu);
		hearth_target_group *g = NULL;
		size_t ng = 0;
		char msg[400] = "";
		bool ok = lookup(r->name, r->srv, r->port, &g, &ng, msg, sizeof(msg));
		pthread_mutex_lock(&d->mu);
		r->answered = true;
		r->failed = !ok;
		hearth_target_groups_free(r->groups, r->ngroups);
		r->groups = g;
		r->ngroups = ng;
		snprintf(r->err, sizeof(r->err), "%s", msg);
	}
	pthread_mutex_unlock(&d->mu);
	dns_shared_unref(d);
	return NULL;
}

/* Takes the answers the resolver thread has ready, and asks for the names
 * whose refresh is due.  Never waits for a lookup. */
static void check_dns(hearth_scraper *s, double now)
{
	dns_shared *d = s->dsh;
	if (!d)
		return;
	bool ask = false;
	pthread_mutex_lock(&d->mu);
	for (size_t i = 0; i < s->ndns; i++) {
		dns_state *ds = &s->dns[i];
		dns_req *r = &d->req[i];
		if (r->answered) {
			r->answered = false;
			ds->pending = false;
			ds->first_done = true;
			ds->next =
			    now + (double)s->cfg.jobs[ds->job].dns[ds->cfgi].refresh_ms / 1000.0;
			if (r->failed) {
				/* keeps the previous answer */
				discovery_error(s, r->err);
			} else {
				hearth_target_groups_free(ds->groups, ds->ngroups);
				ds->groups = r->groups;
				ds->ngroups = r->ngroups;
				r->groups = NULL;
				r->ngroups = 0;
				s->rebuild = true;
			}
		}
		if (!ds->pending && now >= ds->next) {
			ds->pending = true;
			r->asked = true;
			r->asked_seq = d->seq++;
			ask = true;
		}
	}
	if (ask)
		pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

static bool dns_first_done(const hearth_scraper *s)
{
	for (size_t i = 0; i < s->ndns; i++)
		if (!s->dns[i].first_done)
			return false;
	return true;
}

/* -dns_server: "IPv4:port" to the address the resolver thread asks. */
static hearth_err parse_dns_server(const char *v, struct sockaddr_in *sa, hearth_errbuf *eb)
{
	const char *colon = strrchr(v, ':');
	char ip[64], *end = NULL;
	long port = colon ? strtol(colon + 1, &end, 10) : 0;
	if (!colon || (size_t)(colon - v) >= sizeof(ip) || !colon[1] || *end || port < 1 ||
	    port > 65535)
		goto bad;
	memcpy(ip, v, (size_t)(colon - v));
	ip[colon - v] = 0;
	*sa = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, ip, &sa->sin_addr) == 1)
		return HEARTH_OK;
bad:
	return hearth_seterr(eb, HEARTH_EINVAL, "DNS server %s: not IPv4-address:port", v);
}

/* Starts the resolver thread for the configuration's DNS names. */
static hearth_err dns_start(hearth_scraper *s, const struct sockaddr_in *server, hearth_errbuf *eb)
{
	hearth_err err = HEARTH_OK;
	dns_shared *d = calloc(1, sizeof(*d));
	if (!d || !(d->req = calloc(s->ndns, sizeof(*d->req)))) {
		free(d);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	d->nreq = s->ndns;
	d->refs = 1; /* the scraper's; the thread's once it runs */
	if (server) {
		d->has_server = true;
		d->server = *server;
	}
	for (size_t i = 0; i < s->ndns; i++) {
		const hearth_dns_sd *c = &s->cfg.jobs[s->dns[i].job].dns[s->dns[i].cfgi];
		d->req[i].srv = c->srv;
		d->req[i].port = c->port;
		if (!(d->req[i].name = strdup(c->names[s->dns[i].namei]))) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			goto fail;
		}
	}
	pthread_t th;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	d->refs = 2;
	int rc = pthread_create(&th, &at, dns_main, d);
	pthread_attr_destroy(&at);
	if (rc) {
		d->refs = 1;
		err = hearth_seterr(eb, HEARTH_EIO, "cannot start the DNS resolver thread: %s",
				    strerror(rc));
		goto fail;
	}
	s->dsh = d;
	return HEARTH_OK;
fail:
	dns_shared_unref(d);
	return err;
}

/* ---- Scraping --------------------------------------------------------- */

static void record_error(tstate *ts, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void record_error(tstate *ts, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ts->err, sizeof(ts->err), fmt, ap);
	va_end(ap);
	ts->ok = false;
	ts->failures++;
}

static void start_scrape(hearth_scraper *s, tstate *ts)
{
	const hearth_scrape_job *j = ts->t->job;
	double timeout =
	    (double)j->timeout_ms / 1000.0 + (ts->pt->seconds > 0 ? ts->pt->seconds : 0);
	ts->req = (hearth_http_req){
	    .url = ts->url,
	    .ho = {.timeout_s = timeout,
		   .max_size = j->body_size_limit ? j->body_size_limit : (size_t)64 << 20},
	    .user = ts};
	ts->inflight = true;
	ts->start_ns = wall_ns();
	ts->t->inflight++;
	s->inflight++;
	hearth_http_multi_add(s->m, &ts->req, NULL, 0);
}

/* A name fit for a directory: letters, digits, . - _ ; others become _. */
static void safe_name(char *dst, size_t n, const char *src)
{
	size_t i = 0;
	for (; *src && i + 1 < n; src++)
		dst[i++] = isalnum((unsigned char)*src) || *src == '.' || *src == '-' ? *src : '_';
	dst[i] = 0;
}

static void save_raw(hearth_scraper *s, tstate *ts, const uint8_t *body, size_t n)
{
	char job[128], inst[128], path[1024];
	safe_name(job, sizeof(job), ts->t->job->job_name);
	safe_name(inst, sizeof(inst), ts->t->instance);
	const char *parts[] = {s->o.save_dir, job, inst, ts->pt->name};
	size_t off = 0;
	for (int i = 0; i < 4; i++) {
		off += (size_t)snprintf(path + off, sizeof(path) - off, "%s%s", i ? "/" : "",
					parts[i]);
		if (off >= sizeof(path))
			return;
		mkdir(path, 0755);
	}
	snprintf(path + off, sizeof(path) - off, "/%06llu.%s", (unsigned long long)++ts->seq,
		 strcmp(ts->pt->name, "memstats") ? "pb.gz" : "txt");
	hearth_errbuf eb;
	hearth_write_bytes(path, body, n, &eb);
}

static void enqueue(hearth_scraper *s, tstate *ts, const uint8_t *body, size_t n)
{
	if (!s->o.push_url)
		return;
	char id[128];
	snprintf(id, sizeof(id), "%s-%s-%lld", ts->t->idhash, ts->pt->name,
		 (long long)ts->start_ns);
	hearth_errbuf eb = {{0}};
	if (hearth_spool_put(s->spool, ts->t->service, ts->pt->name, ts->t->push_labels, id,
			     ts->start_ns, body, n, &eb))
		record_error(ts, "spool: %s", eb.msg);
}

/* The GC statistics of a MemStats as the lines of POST /api/v1/metrics,
 * queued like a profile (type "@metrics" in the spool). */
static void enqueue_memstats(hearth_scraper *s, tstate *ts, const hearth_memstats *ms)
{
	if (!s->o.push_url)
		return;
	hearth_buf b = {0};
	hearth_buf_printf(
	    &b,
	    "gc_count %llu\ngc_forced_count %llu\n"
	    "gc_cpu_fraction %.9g\ngc_pause_p50_seconds %.9f\n"
	    "gc_pause_p99_seconds %.9f\ngc_pause_max_seconds %.9f\n"
	    "heap_alloc_bytes %llu\nheap_inuse_bytes %llu\nheap_goal_bytes %llu\n"
	    "heap_objects %llu\nheap_sys_bytes %llu\nsys_bytes %llu\n"
	    "total_alloc_bytes %llu\nmallocs %llu\nfrees %llu\n",
	    (unsigned long long)ms->num_gc, (unsigned long long)ms->num_forced_gc,
	    ms->gc_cpu_fraction, (double)hearth_memstats_pause_quantile(ms, 0.5) / 1e9,
	    (double)hearth_memstats_pause_quantile(ms, 0.99) / 1e9,
	    (double)hearth_memstats_pause_quantile(ms, 1) / 1e9, (unsigned long long)ms->heap_alloc,
	    (unsigned long long)ms->heap_inuse, (unsigned long long)ms->next_gc,
	    (unsigned long long)ms->heap_objects, (unsigned long long)ms->heap_sys,
	    (unsigned long long)ms->sys, (unsigned long long)ms->total_alloc,
	    (unsigned long long)ms->mallocs, (unsigned long long)ms->frees);
	uint64_t total;
	if (hearth_memstats_pause_total(ms, &total))
		hearth_buf_printf(&b, "gc_pause_total_seconds %.9f\n", (double)total / 1e9);
	if (!b.oom) {
		char id[128];
		snprintf(id, sizeof(id), "%s-memstats-%lld", ts->t->idhash,
			 (long long)ts->start_ns);
		hearth_errbuf eb = {{0}};
		if (hearth_spool_put(s->spool, ts->t->service, "@metrics", ts->t->push_labels, id,
				     ts->start_ns, (const uint8_t *)b.data, b.len, &eb))
			record_error(ts, "spool: %s", eb.msg);
	}
	hearth_buf_free(&b);
}

/* A finished scrape: counted, checked, turned into a delta where the type
 * is cumulative, and queued for the server. */
static void scrape_done(hearth_scraper *s, tstate *ts)
{
	hearth_http_req *r = &ts->req;
	target *t = ts->t;
	pthread_mutex_lock(&s->mu);
	ts->inflight = false;
	t->inflight--;
	s->inflight--;
	ts->scrapes++;
	ts->bytes += r->n;
	ts->last_duration = r->seconds;
	ts->duration_sum += r->seconds;
	ts->last_ns = wall_ns();
	ts->ok = true;
	ts->err[0] = 0;
	if (t->gone)
		goto out;
	if (r->err) {
		record_error(ts, "%s", r->eb.msg);
		goto out;
	}
	if (s->o.save_dir)
		save_raw(s, ts, r->body, r->n);
	hearth_errbuf eb = {{0}};
	if (!strcmp(ts->pt->name, "memstats")) {
		hearth_memstats ms;
		if (hearth_memstats_parse((const char *)r->body, r->n, &ms, &eb)) {
			record_error(ts, "%s", eb.msg);
		} else {
			t->ms = ms;
			t->has_ms = true;
			enqueue_memstats(s, ts, &ms);
		}
		goto out;
	}
	/* Garbage is caught here, not by the server. */
	hearth_read_opts ro = {.max_size = t->job->body_size_limit ? t->job->body_size_limit * 4
								   : (size_t)256 << 20};
	hearth_profile *p = NULL;
	if (hearth_parse(r->body, r->n, &ro, &p, &eb)) {
		record_error(ts, "not a profile: %s", eb.msg);
		goto out;
	}
	if (!ts->delta) {
		enqueue(s, ts, r->body, r->n);
		hearth_profile_free(p);
		goto out;
	}
	hearth_profile *d = NULL;
	hearth_delta_kind kind;
	if (hearth_delta_next(ts->delta, p, &d, &kind, &eb)) {
		record_error(ts, "%s", eb.msg);
	} else if (kind == HEARTH_DELTA_BASE) {
		ts->bases++;
	} else {
		if (kind == HEARTH_DELTA_RESTART)
			ts->restarts++;
		hearth_buf pb = {0};
		uint8_t *gz = NULL;
		size_t gzn = 0;
		if (hearth_proto_encode(d, &pb) || pb.oom ||
		    hearth_gzip((const uint8_t *)pb.data, pb.len, &gz, &gzn))
			record_error(ts, "delta: cannot encode the profile");
		else {
			enqueue(s, ts, gz, gzn);
			ts->pushed_deltas++;
		}
		free(gz);
		hearth_buf_free(&pb);
	}
	hearth_profile_free(d);
	hearth_profile_free(p);
out:
	free(r->body);
	r->body = NULL;
	if (t->round_open && t->inflight == 0) {
		t->round_open = false;
		t->rounds++;
	}
	pthread_mutex_unlock(&s->mu);
}

/* ---- Pushing ---------------------------------------------------------- */

static void start_push(hearth_scraper *s)
{
	bool found = false;
	hearth_errbuf eb = {{0}};
	if (hearth_spool_peek(s->spool, &s->item, &found, &eb) || !found)
		return;
	hearth_buf u = {0};
	bool metrics = !strcmp(s->item.type, "@metrics");
	hearth_buf_printf(&u, "%s/api/v1/%s?service=", s->push_url, metrics ? "metrics" : "push");
	put_escaped(&u, s->item.service);
	if (!metrics) {
		hearth_buf_puts(&u, "&type=");
		put_escaped(&u, s->item.type);
	}
	if (s->item.labels[0]) {
		hearth_buf_puts(&u, "&labels=");
		put_escaped(&u, s->item.labels);
	}
	if (!metrics) {
		hearth_buf_puts(&u, "&id=");
		put_escaped(&u, s->item.id);
	}
	hearth_buf_printf(&u, "&time=%lld", (long long)s->item.time_nanos);
	if (u.oom) {
		hearth_buf_free(&u);
		hearth_spool_item_free(&s->item);
		return;
	}
	s->push = (hearth_http_req){.url = u.data,
				    .ho = {.timeout_s = 30,
					   .max_size = 1 << 20,
					   .authorization = s->auth,
					   .content_type = "application/octet-stream"}};
	s->pushing = true;
	hearth_http_multi_add(s->m, &s->push, (const char *)s->item.body, s->item.n);
}

static void push_done(hearth_scraper *s)
{
	hearth_http_req *r = &s->push;
	double now = mono();
	pthread_mutex_lock(&s->mu);
	long st = r->status;
	if (!r->err && st >= 200 && st < 300) {
		s->pushes++;
		s->push_bytes += s->item.n;
		hearth_spool_pop(s->spool, s->item.seq);
		s->backoff = 0;
		s->next_push = now;
	} else if (st == 400 || st == 413 || st == 415 || st == 422 ||
		   (st == 404 && !strcmp(s->item.type, "@metrics"))) {
		/* (A server without /api/v1/metrics answers 404: its GC
		 * statistics are dropped, the profiles behind them go on.) */
		/* The server will never take this one: retrying cannot help. */
		s->push_rejected++;
		snprintf(s->push_err, sizeof(s->push_err), "refused %s/%s: %s", s->item.service,
			 s->item.type, r->eb.msg);
		hearth_spool_pop(s->spool, s->item.seq);
		s->next_push = now;
	} else {
		/* Down, overloaded, or not letting us in (yet): back off with
		 * jitter, so that many scrapers do not come back at once. */
		s->push_failures++;
		snprintf(s->push_err, sizeof(s->push_err), "%s", r->eb.msg);
		s->backoff = s->backoff ? s->backoff * 2 : 0.25;
		if (s->backoff > 15)
			s->backoff = 15;
		s->next_push = now + s->backoff * (0.5 + 0.5 * drand48());
	}
	pthread_mutex_unlock(&s->mu);
	free((char *)r->url);
	free(r->body);
	r->body = NULL;
	r->url = NULL;
	hearth_spool_item_free(&s->item);
	s->pushing = false;
}

static void on_done(void *ctx, hearth_http_req *r)
{
	hearth_scraper *s = ctx;
	if (r == &s->push)
		push_done(s);
	else
		scrape_done(s, (tstate *)r->user);
}

/* ---- The loop --------------------------------------------------------- */

hearth_err hearth_scraper_new(const hearth_scraper_opts *o, hearth_scraper **out, hearth_errbuf *eb)
{
	*out = NULL;
	hearth_scraper *s = calloc(1, sizeof(*s));
	if (!s)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	s->o = *o;
	if (!s->o.max_concurrency)
		s->o.max_concurrency = 1000;
	pthread_mutex_init(&s->mu, NULL);
	srand48((long)wall_ns());
	hearth_err err = hearth_scrape_config_read(o->config_path, &s->cfg, eb);
	if (err)
		goto fail;
	if (o->push_url) {
		size_t l = strlen(o->push_url);
		while (l && o->push_url[l - 1] == '/')
			l--;
		if (!(s->push_url = strndup(o->push_url, l)))
			goto oom;
		s->o.push_url = s->push_url;
		if (o->token && asprintf(&s->auth, "Bearer %s", o->token) < 0) {
			s->auth = NULL;
			goto oom;
		}
	}
	struct sockaddr_in dns_server;
	if (o->dns_server && (err = parse_dns_server(o->dns_server, &dns_server, eb)))
		goto fail;
	if ((err = hearth_spool_open(o->spool_dir, o->spool_max_bytes, &s->spool, eb)) ||
	    (err = hearth_http_multi_new(&s->m, eb)))
		goto fail;
	for (size_t ji = 0; ji < s->cfg.njobs; ji++)
		for (size_t ci = 0; ci < s->cfg.jobs[ji].ndns; ci++)
			for (size_t ni = 0; ni < s->cfg.jobs[ji].dns[ci].nnames; ni++) {
				dns_state *nd = realloc(s->dns, (s->ndns + 1) * sizeof(*nd));
				if (!nd)
					goto oom;
				s->dns = nd;
				s->dns[s->ndns++] = (dns_state){.job = ji, .cfgi = ci, .namei = ni};
			}
	if (s->ndns && (err = dns_start(s, o->dns_server ? &dns_server : NULL, eb)))
		goto fail;
	*out = s;
	return HEARTH_OK;
oom:
	err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
fail:
	hearth_scraper_free(s);
	return err;
}

void hearth_scraper_free(hearth_scraper *s)
{
	if (!s)
		return;
	/* The transfers first: they point into the targets. */
	hearth_http_multi_free(s->m);
	for (size_t i = 0; i < s->ntargets; i++)
		target_free(s->targets[i]);
	free(s->targets);
	for (size_t i = 0; i < s->ngone; i++)
		target_free(s->gone[i]);
	free(s->gone);
	free(s->wait);
	for (size_t i = 0; i < s->nfiles; i++)
		sd_file_clear(&s->files[i]);
	free(s->files);
	if (s->dsh)
		dns_shared_unref(s->dsh);
	for (size_t i = 0; i < s->ndns; i++)
		hearth_target_groups_free(s->dns[i].groups, s->dns[i].ngroups);
	free(s->dns);
	free((char *)s->push.url);
	hearth_spool_item_free(&s->item);
	hearth_spool_close(s->spool);
	hearth_scrape_config_free(&s->cfg);
	free(s->push_url);
	free(s->auth);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static bool all_rounds_done(hearth_scraper *s, int rounds)
{
	for (size_t i = 0; i < s->ntargets; i++)
		if (s->targets[i]->rounds < rounds)
			return false;
	return true;
}

hearth_err hearth_scraper_run(hearth_scraper *s, const volatile bool *stop, int rounds,
			      hearth_errbuf *eb)
{
	hearth_err err = HEARTH_OK;
	s->rebuild = true;
	check_files(s);
	check_dns(s, mono());
	/* Room to park every target that discovery removes in one go. */
	bool drain = false;
	while (!(stop && *stop)) {
		double now = mono();
		if (now >= s->next_file_check) {
			check_files(s);
			s->next_file_check = now + 2;
		}
		check_dns(s, now);
		if (s->rebuild) {
			s->rebuild = false;
			target **ng = realloc(s->gone, (s->ngone + s->ntargets + 1) * sizeof(*ng));
			if (!ng)
				return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			s->gone = ng;
			if ((err = rebuild_targets(s, eb)))
				return err;
			if (rounds > 0)
				for (size_t i = 0; i < s->ntargets; i++)
					if (!s->targets[i]->rounds && !s->targets[i]->round_open)
						s->targets[i]->next_due = now;
		}
		/* Targets removed by discovery go once their scrapes are back. */
		pthread_mutex_lock(&s->mu);
		for (size_t i = 0; i < s->ngone;) {
			if (s->gone[i]->inflight) {
				i++;
				continue;
			}
			target_free(s->gone[i]);
			s->gone[i] = s->gone[--s->ngone];
		}
		pthread_mutex_unlock(&s->mu);
		/* Due scrapes. */
		/* (With -rounds, not before every DNS name has answered once:
		 * its targets would be missed.) */
		drain = rounds > 0 && dns_first_done(s) && all_rounds_done(s, rounds);
		double next_wake = now + 0.5;
		for (size_t i = 0; i < s->ntargets && !drain; i++) {
			target *t = s->targets[i];
			if (rounds > 0 && t->rounds + (t->round_open ? 1 : 0) >= rounds)
				continue;
			if (now < t->next_due) {
				if (t->next_due < next_wake)
					next_wake = t->next_due;
				continue;
			}
			double iv = (double)t->job->interval_ms / 1000.0;
			t->next_due += iv;
			if (t->next_due < now)
				t->next_due = now + iv; /* fell behind: skip, do not burst */
			if (t->round_open)
				continue; /* the last round is still out */
			t->round_open = true;
			for (size_t k = 0; k < t->nts; k++) {
				tstate *ts = &t->ts[k];
				if (ts->inflight || ts->waiting)
					continue;
				if (s->nwait == s->capwait) {
					size_t nc = s->capwait ? s->capwait * 2 : 256;
					tstate **nw = realloc(s->wait, nc * sizeof(*nw));
					if (!nw)
						return hearth_seterr(eb, HEARTH_ENOMEM,
								     "out of memory");
					s->wait = nw;
					s->capwait = nc;
				}
				ts->waiting = true;
				t->inflight++; /* counts toward the round while it waits */
				s->wait[s->nwait++] = ts;
			}
			if (t->inflight == 0) {
				t->round_open = false;
				t->rounds++;
			}
		}
		/* Start what the concurrency cap allows, oldest first. */
		size_t started = 0;
		while (started < s->nwait && s->inflight < s->o.max_concurrency) {
			tstate *ts = s->wait[started++];
			ts->waiting = false;
			ts->t->inflight--;
			if (ts->t->gone)
				continue; /* removed by discovery while it waited */
			start_scrape(s, ts);
		}
		if (started) {
			memmove(s->wait, s->wait + started,
				(s->nwait - started) * sizeof(*s->wait));
			s->nwait -= started;
		}
		/* The push side. */
		if (s->o.push_url && !s->pushing && now >= s->next_push)
			start_push(s);
		if (drain && s->inflight == 0 && !s->pushing) {
			hearth_spool_stats st;
			hearth_spool_stats_get(s->spool, &st);
			if (!s->o.push_url || st.items == 0)
				break;
		}
		double wait = next_wake - mono();
		if (s->o.push_url && !s->pushing && s->next_push > mono() &&
		    s->next_push - mono() < wait)
			wait = s->next_push - mono();
		if (s->nwait && s->inflight < s->o.max_concurrency)
			wait = 0;
		int wait_ms = wait <= 0 ? 0 : wait > 0.5 ? 500 : (int)(wait * 1000) + 1;
		if ((err = hearth_http_multi_step(s->m, wait_ms, on_done, s, eb)))
			return err;
	}
	return HEARTH_OK;
}

/* ---- Reports ---------------------------------------------------------- */

/* A Prometheus label value: \ " and newline escaped. */
static void prom_value(hearth_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			hearth_buf_printf(b, "\\%c", *s);
		else if (*s == '\n')
			hearth_buf_puts(b, "\\n");
		else
			hearth_buf_put(b, s, 1);
	}
}

static void prom_target(hearth_buf *b, const char *metric, const target *t, const char *type,
			const char *extra)
{
	hearth_buf_printf(b, "%s{job=\"", metric);
	prom_value(b, t->job->job_name);
	hearth_buf_puts(b, "\",instance=\"");
	prom_value(b, t->instance);
	hearth_buf_puts(b, "\"");
	if (type)
		hearth_buf_printf(b, ",type=\"%s\"", type);
	if (extra)
		hearth_buf_printf(b, ",%s", extra);
	hearth_buf_puts(b, "} ");
}

void hearth_scraper_metrics(hearth_scraper *s, hearth_buf *b)
{
	pthread_mutex_lock(&s->mu);
	hearth_spool_stats sp;
	hearth_spool_stats_get(s->spool, &sp);
	static const struct {
		const char *name, *kind, *help;
	} per_type[] = {
	    {"hearth_scrape_scrapes_total", "counter", "Scrapes finished, failed ones too."},
	    {"hearth_scrape_failures_total", "counter",
	     "Scrapes that failed: no answer, an error status, a timeout, a body over the cap, "
	     "or not a profile."},
	    {"hearth_scrape_bytes_total", "counter", "Bytes of the bodies received."},
	    {"hearth_scrape_duration_seconds_total", "counter", "Time spent in scrapes."},
	    {"hearth_scrape_last_duration_seconds", "gauge", "How long the last scrape took."},
	    {"hearth_scrape_delta_bases_total", "counter",
	     "Scrapes of cumulative profiles kept as the base of the next delta, not sent."},
	    {"hearth_scrape_delta_restarts_total", "counter",
	     "Cumulative counters that went down: the program restarted."},
	};
	for (size_t m = 0; m < sizeof(per_type) / sizeof(per_type[0]); m++) {
		hearth_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", per_type[m].name,
				  per_type[m].help, per_type[m].name, per_type[m].kind);
		for (size_t i = 0; i < s->ntargets; i++) {
			const target *t = s->targets[i];
			for (size_t k = 0; k < t->nts; k++) {
				const tstate *ts = &t->ts[k];
				prom_target(b, per_type[m].name, t, ts->pt->name, NULL);
				switch (m) {
				case 0:
					hearth_buf_printf(b, "%llu\n",
							  (unsigned long long)ts->scrapes);
					break;
				case 1:
					hearth_buf_printf(b, "%llu\n",
							  (unsigned long long)ts->failures);
					break;
				case 2:
					hearth_buf_printf(b, "%llu\n",
							  (unsigned long long)ts->bytes);
					break;
				case 3:
					hearth_buf_printf(b, "%.6f\n", ts->duration_sum);
					break;
				case 4:
					hearth_buf_printf(b, "%.6f\n", ts->last_duration);
					break;
				case 5:
					hearth_buf_printf(b, "%llu\n",
							  (unsigned long long)ts->bases);
					break;
				default:
					hearth_buf_printf(b, "%llu\n",
							  (unsigned long long)ts->restarts);
					break;
				}
			}
		}
	}
	hearth_buf_puts(b, "# HELP hearth_scrape_up Whether the last scrape of every type of the "
			   "target succeeded.\n# TYPE hearth_scrape_up gauge\n");
	for (size_t i = 0; i < s->ntargets; i++) {
		const target *t = s->targets[i];
		bool up = true, any = false;
		for (size_t k = 0; k < t->nts; k++) {
			any |= t->ts[k].scrapes > 0;
			up &= t->ts[k].scrapes == 0 || t->ts[k].ok;
		}
		prom_target(b, "hearth_scrape_up", t, NULL, NULL);
		hearth_buf_printf(b, "%d\n", any && up);
	}
	/* GC statistics from each target's MemStats. */
	static const char *const gc[] = {
	    "hearth_target_gc_count",	      "hearth_target_gc_pause_total_seconds",
	    "hearth_target_gc_cpu_fraction",  "hearth_target_heap_alloc_bytes",
	    "hearth_target_heap_inuse_bytes", "hearth_target_heap_goal_bytes",
	    "hearth_target_gc_pause_seconds"};
	for (size_t m = 0; m < sizeof(gc) / sizeof(gc[0]); m++) {
		hearth_buf_printf(b, "# TYPE %s %s\n", gc[m],
				  m == 0 || m == 1 ? "counter"
				  : m == 6	   ? "summary"
						   : "gauge");
		for (size_t i = 0; i < s->ntargets; i++) {
			const target *t = s->targets[i];
			const hearth_memstats *ms = &t->ms;
			if (!t->has_ms)
				continue;
			if (m == 6) {
				static const double qs[] = {0, 0.5, 0.9, 0.99, 1};
				for (size_t q = 0; q < 5; q++) {
					char ex[32];
					snprintf(ex, sizeof(ex), "quantile=\"%g\"", qs[q]);
					prom_target(b, gc[m], t, NULL, ex);
					hearth_buf_printf(
					    b, "%.9f\n",
					    (double)hearth_memstats_pause_quantile(ms, qs[q]) /
						1e9);
				}
				continue;
			}
			prom_target(b, gc[m], t, NULL, NULL);
			switch (m) {
			case 0:
				hearth_buf_printf(b, "%llu\n", (unsigned long long)ms->num_gc);
				break;
			case 1: {
				uint64_t tot = 0;
				hearth_memstats_pause_total(ms, &tot);
				hearth_buf_printf(b, "%.9f\n", (double)tot / 1e9);
				break;
			}
			case 2:
				hearth_buf_printf(b, "%.9g\n", ms->gc_cpu_fraction);
				break;
			case 3:
				hearth_buf_printf(b, "%llu\n", (unsigned long long)ms->heap_alloc);
				break;
			case 4:
				hearth_buf_printf(b, "%llu\n", (unsigned long long)ms->heap_inuse);
				break;
			default:
				hearth_buf_printf(b, "%llu\n", (unsigned long long)ms->next_gc);
				break;
			}
		}
	}
	hearth_buf_printf(
	    b,
	    "# TYPE hearth_scrape_targets gauge\nhearth_scrape_targets %zu\n"
	    "# TYPE hearth_scrape_scrapes_in_flight gauge\n"
	    "hearth_scrape_scrapes_in_flight %zu\n"
	    "# TYPE hearth_scrape_pushes_total counter\nhearth_scrape_pushes_total %llu\n"
	    "# TYPE hearth_scrape_push_bytes_total counter\n"
	    "hearth_scrape_push_bytes_total %llu\n"
	    "# TYPE hearth_scrape_push_failures_total counter\n"
	    "hearth_scrape_push_failures_total %llu\n"
	    "# TYPE hearth_scrape_push_rejected_total counter\n"
	    "hearth_scrape_push_rejected_total %llu\n"
	    "# TYPE hearth_scrape_spool_items gauge\nhearth_scrape_spool_items %zu\n"
	    "# TYPE hearth_scrape_spool_bytes gauge\nhearth_scrape_spool_bytes %zu\n"
	    "# TYPE hearth_scrape_spool_evicted_items_total counter\n"
	    "hearth_scrape_spool_evicted_items_total %llu\n"
	    "# TYPE hearth_scrape_spool_evicted_bytes_total counter\n"
	    "hearth_scrape_spool_evicted_bytes_total %llu\n"
	    "# TYPE hearth_scrape_spool_damaged_items_total counter\n"
	    "hearth_scrape_spool_damaged_items_total %llu\n"
	    "# TYPE hearth_scrape_discovery_errors_total counter\n"
	    "hearth_scrape_discovery_errors_total %llu\n",
	    s->ntargets, s->inflight, (unsigned long long)s->pushes,
	    (unsigned long long)s->push_bytes, (unsigned long long)s->push_failures,
	    (unsigned long long)s->push_rejected, sp.items, sp.bytes,
	    (unsigned long long)sp.evicted_items, (unsigned long long)sp.evicted_bytes,
	    (unsigned long long)sp.damaged_items, (unsigned long long)s->discovery_errors);
	pthread_mutex_unlock(&s->mu);
}

static void json_str(hearth_buf *b, const char *s)
{
	hearth_buf_puts(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			hearth_buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			hearth_buf_printf(b, "\\u%04x", c);
		else
			hearth_buf_put(b, s, 1);
	}
	hearth_buf_puts(b, "\"");
}

/* The target's health: "up" when the last scrape of every type worked,
 * "down" (and the first error) when one failed, "unknown" before any. */
static const char *health(const target *t, const tstate **bad, int64_t *last, double *dur)
{
	bool any = false, down = false;
	*bad = NULL;
	*last = 0;
	*dur = 0;
	for (size_t k = 0; k < t->nts; k++) {
		const tstate *ts = &t->ts[k];
		if (!ts->scrapes)
			continue;
		any = true;
		if (ts->last_ns > *last)
			*last = ts->last_ns;
		/* cpu takes its seconds by design: the others say how fast the
		 * target answers. */
		if (ts->pt->seconds <= 0 && ts->last_duration > *dur)
			*dur = ts->last_duration;
		if (!ts->ok && !down) {
			down = true;
			*bad = ts;
		}
	}
	return !any ? "unknown" : down ? "down" : "up";
}

void hearth_scraper_targets(hearth_scraper *s, hearth_buf *b, bool json)
{
	pthread_mutex_lock(&s->mu);
	if (json)
		hearth_buf_puts(b, "{\"targets\": [");
	else
		hearth_buf_printf(b, "%-16s %-24s %-7s %-20s %9s  %s\n", "JOB", "INSTANCE",
				  "HEALTH", "LAST SCRAPE", "DURATION", "LABELS / ERROR");
	for (size_t i = 0; i < s->ntargets; i++) {
		const target *t = s->targets[i];
		const tstate *bad;
		int64_t last;
		double dur;
		const char *h = health(t, &bad, &last, &dur);
		char when[32] = "-";
		if (last) {
			time_t sec = (time_t)(last / 1000000000);
			struct tm tm;
			gmtime_r(&sec, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		}
		char err[720] = "";
		if (bad)
			snprintf(err, sizeof(err), "%s: %s", bad->pt->name, bad->err);
		if (json) {
			hearth_buf_puts(b, i ? ",\n {" : "\n {");
			hearth_buf_puts(b, "\"job\": ");
			json_str(b, t->job->job_name);
			hearth_buf_puts(b, ", \"instance\": ");
			json_str(b, t->instance);
			hearth_buf_puts(b, ", \"service\": ");
			json_str(b, t->service);
			hearth_buf_puts(b, ", \"labels\": {");
			for (size_t k = 0; k < t->labels.n; k++) {
				if (k)
					hearth_buf_puts(b, ", ");
				json_str(b, t->labels.v[k].name);
				hearth_buf_puts(b, ": ");
				json_str(b, t->labels.v[k].value);
			}
			hearth_buf_printf(b,
					  "}, \"health\": \"%s\", \"last_scrape\": %lld, "
					  "\"duration_seconds\": %.6f, \"error\": ",
					  h, (long long)last, dur);
			json_str(b, err);
			hearth_buf_puts(b, ", \"types\": [");
			for (size_t k = 0; k < t->nts; k++) {
				const tstate *ts = &t->ts[k];
				hearth_buf_printf(b,
						  "%s{\"type\": \"%s\", \"url\": ", k ? ", " : "",
						  ts->pt->name);
				json_str(b, ts->url);
				hearth_buf_printf(
				    b,
				    ", \"scrapes\": %llu, \"failures\": %llu, "
				    "\"last_scrape\": %lld, \"duration_seconds\": %.6f, "
				    "\"error\": ",
				    (unsigned long long)ts->scrapes,
				    (unsigned long long)ts->failures, (long long)ts->last_ns,
				    ts->last_duration);
				json_str(b, ts->ok ? "" : ts->err);
				hearth_buf_puts(b, "}");
			}
			hearth_buf_puts(b, "]}");
		} else {
			char ds[32] = "-";
			if (last)
				snprintf(ds, sizeof(ds), "%.3fs", dur);
			hearth_buf_printf(b, "%-16s %-24s %-7s %-20s %9s  ", t->job->job_name,
					  t->instance, h, when, ds);
			for (size_t k = 0; k < t->labels.n; k++)
				hearth_buf_printf(b, "%s%s=%s", k ? "," : "", t->labels.v[k].name,
						  t->labels.v[k].value);
			hearth_buf_puts(b, "\n");
			if (err[0])
				hearth_buf_printf(b, "%-16s   error: %s\n", "", err);
		}
	}
	if (json) {
		hearth_spool_stats sp;
		hearth_spool_stats_get(s->spool, &sp);
		hearth_buf_printf(b, "\n], \"push_error\": ");
		json_str(b, s->push_err);
		hearth_buf_printf(b, ", \"discovery_error\": ");
		json_str(b, s->discovery_err);
		hearth_buf_printf(b, ", \"spool_items\": %zu}\n", sp.items);
	}
	pthread_mutex_unlock(&s->mu);
}
