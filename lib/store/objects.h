/* The S3 blob store (objects.c): its URL, credentials and the parsers of
 * its answers, apart so that the fuzz targets and unit tests reach them. */
#ifndef HEARTH_STORE_OBJECTS_H
#define HEARTH_STORE_OBJECTS_H

#include "store/blob.h"

typedef struct {
	char *bucket;	/* 3..63 bytes of [a-z0-9.-] */
	char *prefix;	/* "" or a key prefix ending in '/' */
	char *endpoint; /* "https://host[:port][/path]" without a trailing '/' */
	char *region;
	char *access_key, *secret_key, *session_token; /* token may be NULL */
	long timeout_ms;			       /* per request; 0: 60 s */
} hearth_s3_config;

/* Reads s3://BUCKET[/PREFIX][?endpoint=URL&region=NAME&timeout=SECONDS]
 * (values percent-decoded; at most 4096 bytes) and the credentials through
 * env (getenv, or a stand-in in tests): AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; without them the section
 * AWS_PROFILE ("default") of AWS_SHARED_CREDENTIALS_FILE or
 * $HOME/.aws/credentials.  The region: the URL's, else AWS_REGION, else
 * AWS_DEFAULT_REGION, else us-east-1; the endpoint: the URL's, else
 * https://s3.REGION.amazonaws.com. */
hearth_err hearth_s3_config_parse(const char *url, char *(*env)(const char *),
				  hearth_s3_config *cfg, hearth_errbuf *eb);
void hearth_s3_config_free(hearth_s3_config *cfg);
/* The URL to show (no credentials), malloc'ed. */
char *hearth_s3_config_url(const hearth_s3_config *cfg);

/* An AWS credentials file (INI: [profile] sections of key = value):
 * profile's aws_access_key_id, aws_secret_access_key and
 * aws_session_token (each malloc'ed or NULL).  At most 1 MB of text. */
hearth_err hearth_s3_credentials_parse(const char *text, size_t n, const char *profile, char **key,
				       char **secret, char **token, hearth_errbuf *eb);

/* A ListObjectsV2 answer into a page; keys and prefixes must start with
 * strip, which is removed.  At most 1000 entries. */
hearth_err hearth_s3_parse_list(const char *xml, size_t n, const char *strip, hearth_blob_page *out,
				hearth_errbuf *eb);
/* An error answer's Code and Message (empty when absent). */
void hearth_s3_parse_error(const char *xml, size_t n, char *code, size_t ncode, char *msg,
			   size_t nmsg);

/* Takes cfg (freed on failure too). */
hearth_err hearth_s3_open(hearth_s3_config *cfg, void **be, hearth_errbuf *eb);
extern const hearth_blob_ops hearth_s3_blob_ops;

#endif
