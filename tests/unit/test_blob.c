/* Blob storage (lib/store/blob.h): the same checks on every implementation
 * -- the SQLite one always, and an S3 endpoint when HEARTH_TEST_S3_URL
 * names one (tests/cli/objects.sh starts Ceph's radosgw for it) -- plus the
 * parsers of objects.c (s3:// URLs, credentials files, list answers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/blob.h"
#include "store/objects.h"

#define SEC 1000000000LL
#define DAY (86400LL * SEC)
#define T0 (1700006400LL * SEC) /* 2023-11-15 00:00 UTC */

static char tmpdir[256];

static hearth_blob *open_blob(const char *url)
{
	hearth_blob *b = NULL;
	hearth_errbuf eb = {{0}};
	if (hearth_blob_open(url, &b, &eb))
		fail_msg("open %s: %s", url, eb.msg);
	return b;
}

static size_t count_prefix(hearth_blob *b, const char *prefix, const char *delim, size_t *nprefixes)
{
	size_t n = 0, np = 0;
	char *cursor = NULL;
	for (;;) {
		hearth_blob_page pg;
		hearth_errbuf eb = {{0}};
		if (hearth_blob_list(b, prefix, delim, cursor, &pg, &eb))
			fail_msg("list %s: %s", prefix, eb.msg);
		for (size_t i = 0; i < pg.nkeys; i++)
			assert_int_equal(strncmp(pg.keys[i], prefix, strlen(prefix)), 0);
		n += pg.nkeys;
		np += pg.nprefixes;
		free(cursor);
		cursor = pg.next;
		pg.next = NULL;
		hearth_blob_page_free(&pg);
		if (!cursor)
			break;
	}
	if (nprefixes)
		*nprefixes = np;
	return n;
}

/* What every implementation must do. */
static void check_impl(hearth_blob *b)
{
	hearth_errbuf eb = {{0}};
	uint8_t *data;
	size_t n;
	/* put, get (bytes with NULs and every value), replace, delete. */
	uint8_t bin[3000];
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(i * 7 + 3);
	if (hearth_blob_put(b, "x/one", bin, sizeof(bin), &eb))
		fail_msg("put: %s", eb.msg);
	if (hearth_blob_get(b, "x/one", 1 << 20, &data, &n, &eb))
		fail_msg("get: %s", eb.msg);
	assert_int_equal(n, sizeof(bin));
	assert_memory_equal(data, bin, n);
	free(data);
	/* A cap smaller than the object. */
	assert_int_equal(hearth_blob_get(b, "x/one", 100, &data, &n, &eb), HEARTH_ETOOBIG);
	assert_null(data);
	assert_int_equal(hearth_blob_put(b, "x/one", "new", 3, &eb), HEARTH_OK);
	assert_int_equal(hearth_blob_get(b, "x/one", 1 << 20, &data, &n, &eb), HEARTH_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(data, "new", 3);
	free(data);
	/* Empty objects exist. */
	assert_int_equal(hearth_blob_put(b, "x/empty", "", 0, &eb), HEARTH_OK);
	assert_int_equal(hearth_blob_get(b, "x/empty", 10, &data, &n, &eb), HEARTH_OK);
	assert_int_equal(n, 0);
	free(data);
	assert_int_equal(hearth_blob_delete(b, "x/one", &eb), HEARTH_OK);
	eb.msg[0] = 0;
	assert_int_equal(hearth_blob_get(b, "x/one", 1 << 20, &data, &n, &eb), HEARTH_EINVAL);
	assert_non_null(strstr(eb.msg, "not found"));
	assert_non_null(strstr(eb.msg, "x/one"));
	/* Deleting what is not there succeeds. */
	assert_int_equal(hearth_blob_delete(b, "x/one", &eb), HEARTH_OK);
	/* Bad keys never reach the store. */
	assert_int_equal(hearth_blob_put(b, "../etc", "a", 1, &eb), HEARTH_EINVAL);
	assert_int_equal(hearth_blob_put(b, "/abs", "a", 1, &eb), HEARTH_EINVAL);
	assert_int_equal(hearth_blob_put(b, "a//b", "a", 1, &eb), HEARTH_EINVAL);
	assert_int_equal(hearth_blob_put(b, "a b", "a", 1, &eb), HEARTH_EINVAL);
	assert_int_equal(hearth_blob_delete(b, "x/empty", &eb), HEARTH_OK);
	/* Several at once, in their order; one missing fails them all. */
	char kbuf[20][32];
	const char *keys[20];
	for (int i = 0; i < 20; i++) {
		snprintf(kbuf[i], sizeof(kbuf[i]), "many-get/k%02d", i);
		keys[i] = kbuf[i];
		assert_int_equal(hearth_blob_put(b, kbuf[i], kbuf[i], (size_t)(i + 3), &eb),
				 HEARTH_OK);
	}
	uint8_t *dv[20];
	size_t dn[20];
	assert_int_equal(hearth_blob_get_many(b, keys, 20, 1024, dv, dn, &eb), HEARTH_OK);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(dn[i], (size_t)(i + 3));
		assert_memory_equal(dv[i], kbuf[i], dn[i]);
		free(dv[i]);
	}
	keys[7] = "many-get/none";
	eb.msg[0] = 0;
	assert_int_equal(hearth_blob_get_many(b, keys, 20, 1024, dv, dn, &eb), HEARTH_EINVAL);
	assert_non_null(strstr(eb.msg, "many-get/none"));
	for (int i = 0; i < 20; i++)
		assert_null(dv[i]);
	size_t ndel = 0;
	assert_int_equal(hearth_blob_delete_prefix(b, "many-get/", &ndel, &eb), HEARTH_OK);
	assert_int_equal(ndel, 20);

	/* Keys laid out by tenant and day; listing by "directory", paging
	 * past 1000 entries, retention by prefix. */
	char key[HEARTH_BLOB_KEYLEN];
	for (int d = 0; d < 3; d++)
		for (int i = 0; i < 5; i++) {
			if (hearth_blob_key_profile(key, 7, T0 + d * DAY + i * 3600 * SEC, &eb))
				fail_msg("key: %s", eb.msg);
			assert_int_equal(hearth_blob_put(b, key, "p", 1, &eb), HEARTH_OK);
		}
	if (hearth_blob_key_rollup(key, 7, 2, 12, T0 + DAY, &eb))
		fail_msg("key: %s", eb.msg);
	assert_non_null(strstr(key, "t/7/2023-11-16/r2-12-"));
	assert_int_equal(hearth_blob_put(b, key, "r", 1, &eb), HEARTH_OK);
	/* Another tenant, whose days are not the sweep's business. */
	assert_int_equal(hearth_blob_key_profile(key, 8, T0, &eb), HEARTH_OK);
	assert_non_null(strstr(key, "t/8/2023-11-15/p00-"));
	assert_int_equal(hearth_blob_put(b, key, "o", 1, &eb), HEARTH_OK);
	size_t np;
	assert_int_equal(count_prefix(b, "t/7/", "/", &np), 0);
	assert_int_equal(np, 3);
	assert_int_equal(count_prefix(b, "t/7/", NULL, NULL), 16);
	assert_int_equal(count_prefix(b, "t/7/2023-11-16/", NULL, NULL), 6);
	/* A cutoff inside the third day removes the first two days only. */
	size_t deleted = 0;
	if (hearth_blob_sweep_days(b, 7, T0 + 2 * DAY + 3600 * SEC, &deleted, &eb))
		fail_msg("sweep: %s", eb.msg);
	assert_int_equal(deleted, 11);
	assert_int_equal(count_prefix(b, "t/7/", NULL, NULL), 5);
	assert_int_equal(count_prefix(b, "t/8/", NULL, NULL), 1);
	/* Pages: 1203 keys under one prefix and 1100 "directories". */
	for (int i = 0; i < 1203; i++) {
		snprintf(key, sizeof(key), "many/k%05d", i);
		assert_int_equal(hearth_blob_put(b, key, "m", 1, &eb), HEARTH_OK);
	}
	assert_int_equal(count_prefix(b, "many/", NULL, NULL), 1203);
	assert_int_equal(count_prefix(b, "many/k00", NULL, NULL), 1000);
	assert_int_equal(count_prefix(b, "", "/", &np), 0);
	assert_int_equal(np, 2); /* many/ and t/ */
	if (hearth_blob_delete_prefix(b, "many/", &deleted, &eb))
		fail_msg("delete prefix: %s", eb.msg);
	assert_int_equal(deleted, 1203);
	assert_int_equal(count_prefix(b, "many/", NULL, NULL), 0);
	assert_int_equal(hearth_blob_delete_prefix(b, "t/", &deleted, &eb), HEARTH_OK);
	assert_int_equal(deleted, 6);
	hearth_blob_stats st;
	hearth_blob_stats_get(b, &st);
	assert_true(st.puts >= 1203 + 18);
	assert_true(st.gets >= 3);
}

static void test_sqlite(void **state)
{
	char url[512];
	snprintf(url, sizeof(url), "sqlite:%s/objects.db", tmpdir);
	hearth_blob *b = open_blob(url);
	check_impl(b);
	hearth_blob_close(b);
}

static void test_s3(void **state)
{
	const char *url = getenv("HEARTH_TEST_S3_URL");
	hearth_blob *b = open_blob(url);
	check_impl(b);
	hearth_blob_close(b);
	/* An unreachable endpoint is an error naming it, quickly. */
	hearth_errbuf eb = {{0}};
	b = open_blob("s3://nothere/p?endpoint=http://127.0.0.1:1&region=x");
	assert_int_equal(hearth_blob_put(b, "a/b", "x", 1, &eb), HEARTH_EIO);
	assert_non_null(strstr(eb.msg, "127.0.0.1:1"));
	assert_non_null(strstr(eb.msg, "PUT"));
	hearth_blob_close(b);
}

/* ---- parsers ---- */

static const char *fake_env_vals[16][2];
static char *fake_env(const char *name)
{
	for (int i = 0; i < 16 && fake_env_vals[i][0]; i++)
		if (!strcmp(fake_env_vals[i][0], name))
			return (char *)fake_env_vals[i][1];
	return NULL;
}

static void test_s3_url(void **state)
{
	hearth_s3_config c;
	hearth_errbuf eb = {{0}};
	memset(fake_env_vals, 0, sizeof(fake_env_vals));
	fake_env_vals[0][0] = "AWS_ACCESS_KEY_ID";
	fake_env_vals[0][1] = "AK";
	fake_env_vals[1][0] = "AWS_SECRET_ACCESS_KEY";
	fake_env_vals[1][1] = "SK";
	assert_int_equal(
	    hearth_s3_config_parse("s3://my-bucket/a/b/?endpoint=http%3A%2F%2F127.0.0.1"
				   "%3A7480/&region=eu-west-3",
				   fake_env, &c, &eb),
	    HEARTH_OK);
	assert_string_equal(c.bucket, "my-bucket");
	assert_string_equal(c.prefix, "a/b/");
	assert_string_equal(c.endpoint, "http://127.0.0.1:7480");
	assert_string_equal(c.region, "eu-west-3");
	assert_string_equal(c.access_key, "AK");
	assert_null(c.session_token);
	hearth_s3_config_free(&c);
	assert_int_equal(
	    hearth_s3_config_parse("s3://bkt?endpoint=http://[::1]:7480", fake_env, &c, &eb),
	    HEARTH_OK);
	assert_string_equal(c.endpoint, "http://[::1]:7480");
	hearth_s3_config_free(&c);
	/* Defaults: AWS's endpoint for the region from the environment. */
	fake_env_vals[2][0] = "AWS_REGION";
	fake_env_vals[2][1] = "ap-south-1";
	assert_int_equal(hearth_s3_config_parse("s3://bkt", fake_env, &c, &eb), HEARTH_OK);
	assert_string_equal(c.endpoint, "https://s3.ap-south-1.amazonaws.com");
	assert_string_equal(c.prefix, "");
	hearth_s3_config_free(&c);
	const char *bad[] = {
	    "s3://",
	    "s3://UPPER",
	    "s3://ab",
	    "s3://bkt?endpoint=ftp://x",
	    "s3://bkt?endpoint=http://u@host",
	    "s3://bkt?endpoint=http://127.0.0.1:",
	    "s3://bkt?endpoint=http://127.0.0.1:/x",
	    "s3://bkt?region=a/b",
	    "s3://bkt?nope=1",
	    "s3://bkt?endpoint",
	    "s3://bkt?endpoint=%zz",
	    "s3://bkt?region=a&region=b",
	    "s3://bkt/../x",
	    "s3://bkt?timeout=0",
	    "http://bkt",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		eb.msg[0] = 0;
		if (hearth_s3_config_parse(bad[i], fake_env, &c, &eb) != HEARTH_EINVAL)
			fail_msg("accepted %s", bad[i]);
		assert_true(eb.msg[0] != 0);
	}
	/* No credentials anywhere: an error that says where they are read. */
	memset(fake_env_vals, 0, sizeof(fake_env_vals));
	fake_env_vals[0][0] = "HOME";
	fake_env_vals[0][1] = "/nonexistent";
	assert_int_equal(hearth_s3_config_parse("s3://bkt", fake_env, &c, &eb), HEARTH_EINVAL);
	assert_non_null(strstr(eb.msg, "AWS_ACCESS_KEY_ID"));
	/* A credentials file, as the AWS CLI writes it. */
	char path[512];
	snprintf(path, sizeof(path), "%s/credentials", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"# comment\n[default]\naws_access_key_id = DEF\naws_secret_access_key=defsecret\n\n"
		"[ci]\r\naws_access_key_id=CIKEY\r\naws_secret_access_key = ci/secret+x\r\n"
		"aws_session_token = tok\r\n");
	fclose(f);
	fake_env_vals[1][0] = "AWS_SHARED_CREDENTIALS_FILE";
	fake_env_vals[1][1] = path;
	assert_int_equal(hearth_s3_config_parse("s3://bkt", fake_env, &c, &eb), HEARTH_OK);
	assert_string_equal(c.access_key, "DEF");
	assert_string_equal(c.secret_key, "defsecret");
	hearth_s3_config_free(&c);
	fake_env_vals[2][0] = "AWS_PROFILE";
	fake_env_vals[2][1] = "ci";
	assert_int_equal(hearth_s3_config_parse("s3://bkt", fake_env, &c, &eb), HEARTH_OK);
	assert_string_equal(c.access_key, "CIKEY");
	assert_string_equal(c.secret_key, "ci/secret+x");
	assert_string_equal(c.session_token, "tok");
	char *shown = hearth_s3_config_url(&c);
	assert_null(strstr(shown, "ci/secret"));
	free(shown);
	hearth_s3_config_free(&c);
}

static void test_s3_list_xml(void **state)
{
	const char *xml =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	    "<Name>b</Name><Prefix>pre/t/</Prefix><KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys>"
	    "<IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/"
	    "wm36Hy4vbOwM=</NextContinuationToken>"
	    "<Contents><Key>pre/t/a&amp;b</Key><Size>12</Size><ETag>\"x\"</ETag></Contents>"
	    "<Contents><Key>pre/t/c</Key><Size>0</Size></Contents>"
	    "<CommonPrefixes><Prefix>pre/t/7/</Prefix></CommonPrefixes>"
	    "</ListBucketResult>";
	hearth_blob_page pg;
	hearth_errbuf eb = {{0}};
	assert_int_equal(hearth_s3_parse_list(xml, strlen(xml), "pre/", &pg, &eb), HEARTH_OK);
	assert_int_equal(pg.nkeys, 2);
	assert_string_equal(pg.keys[0], "t/a&b");
	assert_int_equal(pg.sizes[0], 12);
	assert_string_equal(pg.keys[1], "t/c");
	assert_int_equal(pg.nprefixes, 1);
	assert_string_equal(pg.prefixes[0], "t/7/");
	assert_string_equal(pg.next, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
	hearth_blob_page_free(&pg);
	/* A key outside the prefix, an entry without size, not XML, an
	 * entity bomb: errors, no crash. */
	const char *bad[] = {
	    "<ListBucketResult><Contents><Key>other/x</Key><Size>1</Size></Contents>"
	    "</ListBucketResult>",
	    "<ListBucketResult><Contents><Key>pre/x</Key></Contents></ListBucketResult>",
	    "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
	    "not xml",
	    "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
	    "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
	    "<ListBucketResult><Contents><Key>pre/&c;</Key><Size>1</Size></Contents>"
	    "</ListBucketResult>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		int e = hearth_s3_parse_list(bad[i], strlen(bad[i]), "pre/", &pg, &eb);
		if (i < 4)
			assert_int_equal(e, HEARTH_ECORRUPT);
		else if (!e) {
			/* Entities are not expanded: the key stays literal. */
			for (size_t k = 0; k < pg.nkeys; k++)
				assert_true(strlen(pg.keys[k]) < 1000);
			hearth_blob_page_free(&pg);
		}
	}
	char code[64], msg[128];
	const char *er = "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code>"
			 "<Message>The bucket\nis gone</Message></Error>";
	hearth_s3_parse_error(er, strlen(er), code, sizeof(code), msg, sizeof(msg));
	assert_string_equal(code, "NoSuchBucket");
	assert_string_equal(msg, "The bucket?is gone");
}

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hearth-blob-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_s3_url),
	    cmocka_unit_test(test_s3_list_xml),
	    cmocka_unit_test(test_sqlite),
	    cmocka_unit_test(test_s3),
	};
	/* The S3 case needs an endpoint: tests/cli/objects.sh starts Ceph's
	 * radosgw and runs it (and fails when Ceph cannot start). */
	const char *url = getenv("HEARTH_TEST_S3_URL");
	bool s3 = url && *url;
	if (!s3)
		print_message("HEARTH_TEST_S3_URL not set: the S3 case runs in "
			      "tests/cli/objects.sh\n");
	return _cmocka_run_group_tests("test_blob", tests, s3 ? 4 : 3, setup, teardown);
}
