/* The steps between a loaded profile and a report, shared by every report:
 * pprof's filters, aggregation by granularity, and the call graph.
 * Internal to libhearth; front ends use hearth/report.h. */
#ifndef HEARTH_ENGINE_H
#define HEARTH_ENGINE_H

#include "hearth/buf.h"
#include "hearth/options.h"
#include "hearth/profile.h"

/* A label as pprof's model sees it: string labels have str != 0, the
 * others are numeric.  A numeric label may be 0 with no unit (the bytes of
 * an empty record of a legacy heap profile); a proto's empty labels are
 * dropped as it is read, as pprof's decoder drops them. */
static inline bool hearth_label_is_str(const hearth_label *l)
{
	return l->str != 0;
}
static inline bool hearth_label_is_num(const hearth_label *l)
{
	return l->str == 0;
}

/* Per label key (string index), the unit its numeric values carry, as
 * pprof's NumLabelUnits infers it; returns a table of nstrs entries holding
 * string indices (0 where the key has no numeric label), or NULL on OOM.
 * Keys whose unit is inferred from their name get that name interned. */
uint32_t *hearth_num_label_units(hearth_profile *p);

/* focus, ignore, hide, show, show_from, tagfocus, tagignore, tagshow,
 * taghide, prune_from, in pprof's order.  pprof's name filter also drops
 * samples without frames even when no name option is set; lossless skips
 * that step then (for `proto`, which must keep every sample).  Warnings ("Focus expression
 * matched no samples") are appended to warn, one per line. */
hearth_err hearth_apply_filters(hearth_profile *p, const hearth_opts *o, const uint32_t *units,
				bool lossless, hearth_buf *warn, hearth_errbuf *eb);
/* The profile's own drop_frames / keep_frames (pprof's RemoveUninteresting). */
hearth_err hearth_remove_uninteresting(hearth_profile *p, hearth_errbuf *eb);
/* Forgets what the granularity does not show (pprof's Aggregate). */
void hearth_aggregate(hearth_profile *p, hearth_granularity g, bool inlines);

/* ---- the call graph ---- */

typedef struct {
	uint32_t name, orig_name, file, objfile; /* string indices */
	uint64_t address;
	int64_t start_line, line;
} hearth_nodeinfo;

typedef struct {
	hearth_nodeinfo info;
	uint32_t id; /* index in the nodeset */
	int64_t flat, flat_div, cum, cum_div;
	uint32_t in0, nin; /* edges into the node: in_edges[in0 .. in0+nin) */
	uint32_t out0, nout;
} hearth_node;

typedef struct {
	uint32_t src, dst; /* nodeset indices */
	int64_t weight, weight_div;
	bool residual, inl;
	bool trimmed; /* removed by TrimLowFrequencyEdges */
} hearth_edge;

/* All nodes a profile can produce (pprof's CreateNodes): one per distinct
 * NodeInfo, and for each location the nodes of its lines, innermost first. */
typedef struct {
	hearth_nodeinfo *infos;
	uint32_t ninfos;
	uint32_t *loc0;   /* per location: first entry in locnodes */
	uint32_t *locn;   /* per location: how many */
	uint32_t *locnodes;
} hearth_nodeset;

hearth_err hearth_nodeset_build(hearth_profile *p, bool objnames, hearth_nodeset *ns);
void hearth_nodeset_free(hearth_nodeset *ns);
/* pprof's PrintableName. */
void hearth_node_name(const hearth_profile *p, const hearth_nodeinfo *ni, hearth_buf *out);

typedef struct {
	int vi;	    /* sample value index */
	int mean_i; /* value index of the divisor for -mean, or -1 */
	bool drop_negative;
} hearth_valuesel;

typedef struct hearth_graph {
	hearth_node *nodes; /* in report order once sorted */
	uint32_t nnodes;
	char **names;	  /* printable name of each node, parallel to nodes */
	hearth_edge *edges;
	size_t nedges;
	uint32_t *in_edges, *out_edges; /* edge indices grouped per node */
} hearth_graph;

/* Builds the graph over the nodes of ns for which kept[] is true (all when
 * kept is NULL), as pprof's newGraph. */
hearth_err hearth_graph_build(const hearth_profile *p, const hearth_nodeset *ns,
			      const hearth_valuesel *vs, const bool *kept, bool edges,
			      hearth_graph *g);

/* A location's frames as one graph build sees them: the kept nodes, outer
 * first, each saying whether dropped frames came just before it; and
 * whether dropped frames end the location (which leaves a residual).
 * fr[first .. first+n) are location l's (lib/graph.c). */
typedef struct {
	uint32_t node;
	uint8_t dropped_before, inl;
} hearth_keptframe;

typedef struct {
	uint32_t first, n;
	bool dropped_after;
} hearth_locframes;

/* Each location's kept frames (kept NULL: all); both malloc'd. */
hearth_err hearth_frames_build(const hearth_profile *p, const hearth_nodeset *ns, const bool *kept,
			       hearth_keptframe **fout, hearth_locframes **lout);

/* The same with more control, for reports that need only part of the graph. */
typedef struct {
	const bool *kept;     /* nodes to keep (NULL: all) */
	bool edges;           /* build edges at all */
	const bool *edge_dst; /* only edges into these nodes (NULL: all) */
	bool *inlined;        /* out, optional: nodes seen as an inlined frame */
	/* Optional: an earlier build over all the nodes kept here (or more),
	 * whose flat and cum the kept nodes take.  A kept node's frames are the
	 * same in both builds, and so are its sums (pprof's newGraph gives a
	 * node its cum once per sample and the flat of the samples it ends);
	 * the walk then builds only the edges (top's second pass). */
	const struct hearth_graph *sums;
} hearth_graph_opts;

hearth_err hearth_graph_build_opts(const hearth_profile *p, const hearth_nodeset *ns,
				   const hearth_valuesel *vs, const hearth_graph_opts *go,
				   hearth_graph *g);
void hearth_graph_free(hearth_graph *g);

static inline int64_t hearth_node_flat(const hearth_node *n)
{
	return n->flat_div ? n->flat / n->flat_div : n->flat;
}
static inline int64_t hearth_node_cum(const hearth_node *n)
{
	return n->cum_div ? n->cum / n->cum_div : n->cum;
}

/* pprof's node orders. */
typedef enum { HEARTH_ORDER_FLAT, HEARTH_ORDER_CUM } hearth_order;
void hearth_graph_sort(const hearth_profile *p, hearth_graph *g, hearth_order o);

/* ---- what the visual reports add (lib/graph_visual.c) ---- */

/* A tag of a node (pprof's LabelTags and NumericTags): the weight of the
 * samples through the node that carry a label set, or a "bytes" value.
 * Built only for dot, where they become nodelets. */
typedef struct {
	uint32_t node;	/* node id */
	uint32_t set;	/* string index of the sample's joined labels ("" for none) */
	uint32_t name;	/* numeric tag: string index of its formatted value;
			 * label tag: HEARTH_NONE (its name is the set) */
	uint32_t unit;	/* numeric tag: string index of the unit */
	int64_t value;	/* numeric tag: the first value that gave this name */
	int64_t flat, flat_div, cum, cum_div;
	bool trimmed;	/* removed by TrimLowFrequencyTags */
} hearth_tag;

typedef struct {
	hearth_tag *tags; /* grouped by node id */
	size_t ntags;
	uint32_t *first, *count; /* per node id: tags[first .. first+count) */
	uint32_t nids;
} hearth_tags;

/* Where numeric tags get their names: the unit of the "bytes" label key and
 * the report's output unit at graph time (pprof's formatTag). */
typedef struct {
	const uint32_t *units; /* hearth_num_label_units */
	const char *output_unit;
} hearth_tagfmt;

/* pprof's addSample tags over a graph built by hearth_graph_build with the
 * same kept set.  A node's tags do not depend on which other nodes are kept
 * (cum once per sample, flat on the innermost frame), so those collected for
 * a set of nodes serve any subset.  Tags that TrimLowFrequencyTags with cut
 * (> 0) would hide may be left out. */
hearth_err hearth_tags_collect(hearth_profile *p, const hearth_nodeset *ns,
			       const hearth_valuesel *vs, const bool *kept,
			       const hearth_tagfmt *tf, int64_t cut, hearth_tags *t);
void hearth_tags_free(hearth_tags *t);
/* TrimLowFrequencyTags over the nodes of g. */
void hearth_tags_trim(hearth_tags *t, const hearth_graph *g, int64_t cut);

/* pprof's call tree (newTree, -call_tree): a node per distinct path from
 * the root.  Node ids are tree node indices; infos[id] and parent[id]
 * (HEARTH_NONE for roots) describe them. */
typedef struct {
	hearth_nodeinfo *infos;
	uint32_t *parent;
	uint32_t n;
} hearth_tree;

hearth_err hearth_tree_build(hearth_profile *p, const hearth_nodeset *ns,
			     const hearth_valuesel *vs, const hearth_tagfmt *tf, hearth_tree *tr,
			     hearth_graph *g, hearth_tags *t);
void hearth_tree_free(hearth_tree *tr);
/* Printable names of node ids (infos[0 .. nids)), made on first use and
 * kept: the edge orders compare them over and over. */
typedef struct hearth_names hearth_names;
hearth_names *hearth_names_new(const hearth_profile *p, const hearth_nodeinfo *infos,
			       uint32_t nids);
const char *hearth_names_get(hearth_names *nc, uint32_t id);
void hearth_names_free(hearth_names *nc);

/* TrimTree: keeps the nodes whose id is marked in kept, linking each to its
 * nearest kept ancestor with a residual edge. */
hearth_err hearth_tree_trim(hearth_names *nc, uint32_t nids, hearth_graph *g, const bool *kept);

/* Edges removed from the graph (trimmed) are skipped by everything below.
 * Groups the live edges of g's nodes (in0/nin, out0/nout); ids < nids. */
hearth_err hearth_graph_index(hearth_graph *g, uint32_t nids);
/* TrimLowFrequencyEdges: removes the in-edges of g's nodes lighter than
 * cut; returns how many it removed now. */
int hearth_graph_trim_edges(hearth_graph *g, int64_t cut);
/* Sorts by pprof's EntropyOrder (needs an index). */
hearth_err hearth_graph_sort_entropy(const hearth_profile *p, hearth_graph *g, uint32_t nids);
/* The visual selectTopNodes: how many of the first nodes to keep when
 * every node also costs its tags (at most 4). */
uint32_t hearth_graph_visual_top(const hearth_graph *g, const hearth_tags *t, int max);
/* RemoveRedundantEdges (needs an index; re-indexes). */
hearth_err hearth_graph_remove_redundant(hearth_names *nc, uint32_t nids, hearth_graph *g);
/* The live in- or out-edges of g->nodes[i], in pprof's edge order (weight,
 * then source and destination names); returns how many, *out malloc'ed. */
hearth_err hearth_graph_sorted_edges(hearth_names *nc, const hearth_graph *g, uint32_t i, bool in,
				     uint32_t **out, uint32_t *n);
/* Sorts edge indices idx[0..n) in pprof's edge order. */
hearth_err hearth_edges_sort(hearth_names *nc, const hearth_graph *g, uint32_t *idx, size_t n);
/* Sorts g->nodes by score[id] as pprof's score orders (abs score, name,
 * abs flat, NodeInfo). */
void hearth_graph_sort_scores(const hearth_profile *p, hearth_graph *g, const int64_t *score);
/* Go's math.Log2, bit for bit (pprof's entropy scores depend on it). */
double hearth_go_log2(double x);

/* Go's filepath.Base of s[0..n): a pointer into s (or a static "." / "/")
 * and its length in *len. */
const char *hearth_path_base(const char *s, size_t n, size_t *len);
/* Path cleanup as Go's filepath.Clean, into out (n >= strlen(in) + 2). */
void hearth_path_clean(const char *in, char *out, size_t n);

#endif
