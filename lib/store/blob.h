/* Blob storage: where a store keeps its profile and rollup blocks.
 *
 * A blob store maps a key (a path-like string) to bytes.  The metadata
 * backends (sqlite.c, postgres.c) keep the index, series and totals in
 * their database and the blocks either inline in it or in a blob store
 * given by `hearth serve -objects=URL`:
 *
 *   s3://BUCKET[/PREFIX]?endpoint=URL&region=NAME   an S3-compatible object
 *       store (AWS S3, Ceph radosgw, MinIO...), path-style requests signed
 *       with AWS SigV4 by libcurl; credentials as AWS tools read them
 *       (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, else
 *       AWS_PROFILE's section of ~/.aws/credentials).  lib/store/objects.c.
 *   sqlite:FILE   a table in a SQLite file: the blocks "inline in a
 *       database", for tests and one-machine setups.  lib/store/blob.c.
 *
 * Keys are laid out by tenant and time (hearth_blob_key_*), so retention
 * deletes a whole day of a tenant by prefix (hearth_blob_sweep_days).
 *
 * Errors say what and where ("objects: PUT s3://b/t/1/...: 503 SlowDown:
 * ..."): an object that does not exist is HEARTH_EINVAL with "not found"
 * in the message; a store that cannot be reached or refuses is HEARTH_EIO.
 * Every call may be made from many threads at once. */
#ifndef HEARTH_STORE_BLOB_H
#define HEARTH_STORE_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearth/error.h"

typedef struct hearth_blob hearth_blob;

/* Keys: 1..1024 bytes of printable ASCII without '\\'; no "//", no leading
 * '/', no "." or ".." segment. */
#define HEARTH_BLOB_KEY_MAX 1024
bool hearth_blob_key_valid(const char *key);

/* One page of a listing: the keys (with their sizes) under a prefix, and,
 * when a delimiter was given, the distinct prefixes up to and including
 * the next delimiter ("directories"), each in key order. */
typedef struct {
	char **keys;
	int64_t *sizes;
	size_t nkeys;
	char **prefixes;
	size_t nprefixes;
	/* Pass to the next call as cursor; NULL when the listing is done. */
	char *next;
} hearth_blob_page;
void hearth_blob_page_free(hearth_blob_page *pg);

/* What an implementation provides (hearth_blob_new wraps it). */
typedef struct {
	const char *name;
	/* Replaces the object key with data (atomically: a reader sees the
	 * old or the new bytes, never a part). */
	hearth_err (*put)(void *be, const char *key, const void *data, size_t n, hearth_errbuf *eb);
	/* The whole object, malloc'ed, into *data (a NUL follows the bytes);
	 * larger than max: HEARTH_ETOOBIG. */
	hearth_err (*get)(void *be, const char *key, size_t max, uint8_t **data, size_t *n,
			  hearth_errbuf *eb);
	/* Deleting a key that does not exist succeeds. */
	hearth_err (*del)(void *be, const char *key, hearth_errbuf *eb);
	/* Deletes up to nkeys keys; NULL: one del per key. */
	hearth_err (*del_many)(void *be, const char *const *keys, size_t nkeys, hearth_errbuf *eb);
	/* At most 1000 entries a page; cursor NULL starts. */
	hearth_err (*list)(void *be, const char *prefix, const char *delim, const char *cursor,
			   hearth_blob_page *out, hearth_errbuf *eb);
	void (*close)(void *be);
} hearth_blob_ops;

/* Opens url (above).  HEARTH_EINVAL for a URL it cannot read, with the
 * reason; nothing is contacted yet (the first call says if the store is
 * unreachable). */
hearth_err hearth_blob_open(const char *url, hearth_blob **out, hearth_errbuf *eb);
/* Wraps an implementation (a backend's own table, a test double); be is
 * closed with ops->close by hearth_blob_close. */
hearth_err hearth_blob_new(const hearth_blob_ops *ops, void *be, hearth_blob **out,
			   hearth_errbuf *eb);
void hearth_blob_close(hearth_blob *b);
/* The URL it was opened with, without credentials ("inline" for _new). */
const char *hearth_blob_url(const hearth_blob *b);

hearth_err hearth_blob_put(hearth_blob *b, const char *key, const void *data, size_t n,
			   hearth_errbuf *eb);
hearth_err hearth_blob_get(hearth_blob *b, const char *key, size_t max, uint8_t **data, size_t *n,
			   hearth_errbuf *eb);
/* Several objects at once (up to 8 requests in flight): data[i] and n[i]
 * receive key i's bytes.  On an error, the first one is returned and
 * nothing is left allocated. */
hearth_err hearth_blob_get_many(hearth_blob *b, const char *const *keys, size_t nkeys, size_t max,
				uint8_t **data, size_t *n, hearth_errbuf *eb);
hearth_err hearth_blob_delete(hearth_blob *b, const char *key, hearth_errbuf *eb);
/* delim: NULL or "/"; cursor: NULL or a page's next. */
hearth_err hearth_blob_list(hearth_blob *b, const char *prefix, const char *delim,
			    const char *cursor, hearth_blob_page *out, hearth_errbuf *eb);
/* Deletes every key that starts with prefix (at least 1 byte), a page at a
 * time; *deleted (may be NULL) receives how many. */
hearth_err hearth_blob_delete_prefix(hearth_blob *b, const char *prefix, size_t *deleted,
				     hearth_errbuf *eb);

/* Counters since open, for the benchmarks and SCALING.md; b NULL: the sum
 * over every blob store the process opened (a store's own is inside its
 * backend). */
typedef struct {
	uint64_t puts, gets, deletes, lists, failures;
	uint64_t bytes_put, bytes_got;
} hearth_blob_stats;
void hearth_blob_stats_get(const hearth_blob *b, hearth_blob_stats *out);

/* ---- Key layout ---------------------------------------------------------
 *
 *   t/<tenant>/<YYYY-MM-DD>/p<HH>-<time>-<unique>    a profile's block
 *   t/<tenant>/<YYYY-MM-DD>/r<level>-<series>-<bucket>-<unique>  a rollup's
 *
 * The day is the UTC day of the profile's time (of the rollup's bucket
 * start).  <unique> is 16 random hex digits: a key is never written twice,
 * so a reader never sees a block change under the metadata that names it,
 * and an object written by a put that then failed (an orphan) is never
 * named by metadata; orphans go with their day, by prefix. */
#define HEARTH_BLOB_KEYLEN 128
hearth_err hearth_blob_key_profile(char out[HEARTH_BLOB_KEYLEN], int64_t tenant, int64_t time_nanos,
				   hearth_errbuf *eb);
hearth_err hearth_blob_key_rollup(char out[HEARTH_BLOB_KEYLEN], int64_t tenant, int level,
				  int64_t series, int64_t bucket_nanos, hearth_errbuf *eb);
/* Deletes, by prefix, every day of tenant that ended at or before cutoff
 * (Unix nanoseconds): the caller has deleted the metadata that named
 * them.  *deleted (may be NULL) receives the objects deleted. */
hearth_err hearth_blob_sweep_days(hearth_blob *b, int64_t tenant, int64_t cutoff_nanos,
				  size_t *deleted, hearth_errbuf *eb);

#endif
