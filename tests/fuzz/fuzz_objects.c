/* libFuzzer target: what the S3 blob store (lib/store/objects.c) reads
 * from outside -- the s3:// URL of -objects, an AWS credentials file, and
 * the object store's answers (ListObjectsV2 and error XML).
 *
 * The first byte picks the parser; the rest is its input.  A refused input
 * must come with a one-line message; an accepted URL must give a valid
 * bucket and an endpoint that starts http(s)://; an accepted list page must
 * hold at most 1000 entries, each a C string within the key length cap.
 *
 * Build and run: make fuzz; tests/fuzz/run.sh short|long. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/objects.h"

static char *env(const char *name)
{
	if (!strcmp(name, "AWS_ACCESS_KEY_ID"))
		return (char *)"AKIDEXAMPLE";
	if (!strcmp(name, "AWS_SECRET_ACCESS_KEY"))
		return (char *)"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	return NULL;
}

static void one_line(hearth_err err, const hearth_errbuf *eb, const char *what)
{
	size_t n = strnlen(eb->msg, sizeof(eb->msg));
	if (err != HEARTH_ENOMEM && (n == 0 || n == sizeof(eb->msg) || memchr(eb->msg, '\n', n))) {
		fprintf(stderr, "%s: error %d without a one-line message: %s\n", what, (int)err,
			eb->msg);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	int which = data[0] % 4;
	data++;
	size--;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	hearth_errbuf eb = {{0}};
	hearth_err err;
	switch (which) {
	case 0: {
		hearth_s3_config c;
		err = hearth_s3_config_parse(text, env, &c, &eb);
		if (err) {
			one_line(err, &eb, "s3 url");
			break;
		}
		if (!c.bucket || strlen(c.bucket) < 3 || strlen(c.bucket) > 63 ||
		    (strncmp(c.endpoint, "http://", 7) && strncmp(c.endpoint, "https://", 8)) ||
		    (*c.prefix && c.prefix[strlen(c.prefix) - 1] != '/'))
			abort();
		char *u = hearth_s3_config_url(&c);
		if (u && strstr(u, c.secret_key) && !strstr(text, c.secret_key))
			abort();
		free(u);
		hearth_s3_config_free(&c);
		break;
	}
	case 1: {
		char *k, *s, *t;
		err = hearth_s3_credentials_parse(text, size, "default", &k, &s, &t, &eb);
		if (err) {
			one_line(err, &eb, "credentials");
			break;
		}
		free(k);
		free(s);
		free(t);
		break;
	}
	case 2: {
		hearth_blob_page pg;
		err = hearth_s3_parse_list(text, size, "pre/", &pg, &eb);
		if (err) {
			one_line(err, &eb, "list");
			break;
		}
		if (pg.nkeys + pg.nprefixes > 1001)
			abort();
		for (size_t i = 0; i < pg.nkeys; i++)
			if (strlen(pg.keys[i]) > HEARTH_BLOB_KEY_MAX || pg.sizes[i] < 0)
				abort();
		hearth_blob_page_free(&pg);
		break;
	}
	default: {
		char code[64], msg[160];
		hearth_s3_parse_error(text, size, code, sizeof(code), msg, sizeof(msg));
		if (strlen(code) >= sizeof(code) || strchr(msg, '\n'))
			abort();
		break;
	}
	}
	free(text);
	return 0;
}
