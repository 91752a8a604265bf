/*
 * check_dkim.c: unit tests of dkim/: relaxed canonicalization (the example
 * of RFC 6376 section 3.4.6 and more), sign + verify round trips for
 * rsa-sha256 and ed25519-sha256 over awkward messages, changes relaxed
 * canonicalization tolerates, tampering it must detect, and key files.
 *
 * The independent check (python3-dkim) is in test_dkim_cli.py.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dkim.h"
#include "util.h"

#define NOW	1795000000

static struct dkim_key *keys[DKIM_ALG_COUNT];
static char *txts[DKIM_ALG_COUNT];

/* ---- canonicalization ---------------------------------------------- */

static const struct {
	const char	*in, *out;
} header_cases[] = {
	/* RFC 6376 3.4.6 */
	{ "A: X\r\n", "a:X\r\n" },
	{ "B : Y\t\r\n\tZ  \r\n", "b:Y Z\r\n" },
	{ "Subject:   hello   world \r\n", "subject:hello world\r\n" },
	{ "SUBJECT:\r\n", "subject:\r\n" },
	{ "X-Long: a\r\n  b\r\n\t c\r\n", "x-long:a b c\r\n" },
	{ "To: caf\xc3\xa9 <a@b>\r\n", "to:caf\xc3\xa9 <a@b>\r\n" },
	/* WSP after a colon inside the value stays (one SP). */
	{ "h: a:\r\n\tb: c\r\n", "h:a: b: c\r\n" },
};

START_TEST(test_canon_header)
{
	size_t len;
	char *c = dkim_canon_header(header_cases[_i].in,
	    strlen(header_cases[_i].in), &len);

	ck_assert_str_eq(c, header_cases[_i].out);
	ck_assert_uint_eq(len, strlen(header_cases[_i].out));
	free(c);
}
END_TEST

static const struct {
	const char	*in, *out;
} body_cases[] = {
	/* RFC 6376 3.4.6 */
	{ " C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n" },
	{ "", "" },
	{ "\r\n\r\n", "" },
	{ "no final line end", "no final line end\r\n" },
	{ "a\r\n\r\nb\r\n\r\n \r\n\t\r\n", "a\r\n\r\nb\r\n" },
	{ "8bit \xe4\xf6\xfc  text\r\n", "8bit \xe4\xf6\xfc text\r\n" },
};

START_TEST(test_canon_body)
{
	size_t len;
	char *c = dkim_canon_body(body_cases[_i].in, strlen(body_cases[_i].in),
	    &len);

	ck_assert_str_eq(c, body_cases[_i].out);
	ck_assert_uint_eq(len, strlen(body_cases[_i].out));
	free(c);
}
END_TEST

START_TEST(test_crlf)
{
	static const struct {
		const char	*in, *out;
	} cases[] = {
		{ "a\nb\n", "a\r\nb\r\n" },
		{ "a\r\nb\r\n", "a\r\nb\r\n" },
		{ "a\rb", "a\r\nb" },
		{ "\n\r\n\r", "\r\n\r\n\r\n" },
	};
	size_t i, len;
	char *c;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = dkim_crlf(cases[i].in, strlen(cases[i].in), &len);
		ck_assert_str_eq(c, cases[i].out);
		ck_assert_uint_eq(len, strlen(cases[i].out));
		free(c);
	}
}
END_TEST

/* ---- sign and verify ------------------------------------------------- */

static const char *const messages[] = {
	"From: Alice <alice@example.org>\r\n"
	"To: bob@example.net\r\n"
	"Subject: plain\r\n"
	"Date: Sun, 22 Nov 2026 21:00:00 +0000\r\n"
	"Message-ID: <1@example.org>\r\n"
	"\r\n"
	"Hello Bob.\r\n",

	/* 8-bit text, LF line ends, trailing blank lines */
	"From: J\xc3\xb6rg <joerg@example.org>\n"
	"To: bob@example.net\n"
	"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\n"
	"MIME-Version: 1.0\n"
	"Content-Type: text/plain; charset=utf-8\n"
	"Content-Transfer-Encoding: 8bit\n"
	"\n"
	"Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln \t \n"
	"\n\n\n",

	/* long folded headers, several recipients, Cc twice */
	"From: alice@example.org\r\n"
	"To: one@example.net, two@example.net, three@example.net,\r\n"
	"\tfour@example.net, five@example.net, six@example.net,\r\n"
	"  seven@example.net\r\n"
	"Cc: a@example.net\r\n"
	"Cc: b@example.net\r\n"
	"References: <aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.org>\r\n"
	" <bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb@example.org>\r\n"
	" <ccccccccccccccccccccccccccccccccccc@example.org>\r\n"
	"In-Reply-To: <ccccccccccccccccccccccccccccccccccc@example.org>\r\n"
	"Subject: a subject that is long enough to be folded by some relay on\r\n"
	" the way to its destination\r\n"
	"\r\n"
	"body\r\n\r\n\r\n",

	/* empty body, no separator line */
	"From: alice@example.org\r\nSubject: empty\r\n",
};

static char *
sign_msg(enum dkim_alg alg, const char *msg)
{
	char err[256], *h, *out;
	size_t n;

	h = dkim_sign(keys[alg], msg, strlen(msg), NOW, err, sizeof(err));
	ck_assert_msg(h != NULL, "sign: %s", err);
	n = strlen(h) + strlen(msg) + 1;
	out = xmalloc(n);
	ck_assert_int_eq(str_format(out, n, "%s%s", h, msg), 0);
	free(h);
	return out;
}

static int
verify_msg(enum dkim_alg alg, const char *msg, char *err, size_t errlen)
{
	return dkim_verify(msg, strlen(msg), 0, txts[alg], NOW + 10, err,
	    errlen);
}

START_TEST(test_round_trip)
{
	enum dkim_alg alg;
	char err[256], *signed_msg;
	size_t m;

	for (alg = 0; alg < DKIM_ALG_COUNT; alg++)
		for (m = 0; m < sizeof(messages) / sizeof(messages[0]); m++) {
			signed_msg = sign_msg(alg, messages[m]);
			ck_assert_msg(verify_msg(alg, signed_msg, err,
			    sizeof(err)) == 0, "alg %d msg %zu: %s", alg, m,
			    err);
			free(signed_msg);
		}
}
END_TEST

START_TEST(test_signature_header)
{
	char err[256], *h, *line, *save = NULL;

	h = dkim_sign(keys[_i], messages[2], strlen(messages[2]), NOW, err,
	    sizeof(err));
	ck_assert_ptr_nonnull(h);
	ck_assert(strncmp(h, "DKIM-Signature: v=1; a=", 23) == 0);
	ck_assert_ptr_nonnull(strstr(h, _i == DKIM_ALG_RSA ? "a=rsa-sha256;" :
	    "a=ed25519-sha256;"));
	ck_assert_ptr_nonnull(strstr(h, "c=relaxed/relaxed;"));
	ck_assert_ptr_nonnull(strstr(h, "d=example.org;"));
	ck_assert_ptr_nonnull(strstr(h, _i == DKIM_ALG_RSA ? "s=sel-rsa;" :
	    "s=sel-ed25519;"));
	ck_assert_ptr_nonnull(strstr(h, "t=1795000000;"));
	/* From and both Cc over-signed; absent Sender not listed. */
	ck_assert_ptr_nonnull(strstr(h, "h=from:from:"));
	ck_assert_ptr_nonnull(strstr(h, "cc:cc:cc:"));
	ck_assert_ptr_null(strstr(h, "sender"));
	ck_assert(strlen(h) > 2 && strcmp(h + strlen(h) - 2, "\r\n") == 0);
	for (line = strtok_r(h, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		ck_assert_uint_le(strlen(line), 79);	/* 78 + CR */
	free(h);
}
END_TEST

/* Changes relaxed canonicalization is meant to survive. */
static const struct {
	const char	*from, *to;
} benign[] = {
	{ "Subject: plain\r\n", "subject:   plain  \r\n" },
	{ "To: bob@example.net\r\n", "To:\r\n bob@example.net\r\n" },
	{ "Hello Bob.\r\n", "Hello   Bob.  \r\n\r\n\r\n" },
	{ "Hello Bob.\r\n", "Hello Bob." },
	{ "Date:", "X-Added: by a relay\r\nDate:" },
};

/* Changes it must detect. */
static const struct {
	const char	*from, *to;
} tampered[] = {
	{ "Hello Bob.", "Hello Eve." },
	{ "Hello Bob.\r\n", "Hello Bob.\r\nP.S. pay me\r\n" },
	{ "Subject: plain", "Subject: plane" },
	{ "From: Alice", "From: Alice2" },
	{ "To: bob@example.net\r\n", "To: bob@example.net\r\nFrom: eve@evil.test\r\n" },
	{ "Date:", "Reply-To: x@y\r\nSubject: second\r\nDate:" },
	{ "Message-ID: <1@", "Message-ID: <2@" },
	{ "d=example.org", "d=example.com" },
	{ "t=1795000000", "t=1795000001" },
};

static char *
replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	size_t n = strlen(s) + strlen(to) + 1;
	char *out = xmalloc(n);

	ck_assert_msg(p != NULL, "%s not found", from);
	memcpy(out, s, (size_t)(p - s));
	out[p - s] = '\0';
	(void)str_append(out, to, n);
	(void)str_append(out, p + strlen(from), n);
	return out;
}

START_TEST(test_benign_changes)
{
	enum dkim_alg alg;
	char err[256], *s, *changed;

	for (alg = 0; alg < DKIM_ALG_COUNT; alg++) {
		s = sign_msg(alg, messages[0]);
		changed = replace(s, benign[_i].from, benign[_i].to);
		ck_assert_msg(verify_msg(alg, changed, err, sizeof(err)) == 0,
		    "case %d: %s", _i, err);
		free(changed);
		free(s);
	}
}
END_TEST

START_TEST(test_tampered)
{
	enum dkim_alg alg;
	char err[256], *s, *changed;

	for (alg = 0; alg < DKIM_ALG_COUNT; alg++) {
		s = sign_msg(alg, messages[0]);
		changed = replace(s, tampered[_i].from, tampered[_i].to);
		ck_assert_msg(verify_msg(alg, changed, err, sizeof(err)) == -1,
		    "case %d verified", _i);
		free(changed);
		free(s);
	}
}
END_TEST

START_TEST(test_wrong_key)
{
	struct dkim_key *other;
	char err[256], *s, *txt;

	s = sign_msg(_i, messages[0]);
	other = dkim_key_generate(_i, "example.org", "sel");
	ck_assert_ptr_nonnull(other);
	txt = dkim_public_txt(other);
	ck_assert_int_eq(dkim_verify(s, strlen(s), 0, txt, NOW, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "signature mismatch (b=)");
	/* The other algorithm's record does not fit a=. */
	ck_assert_int_eq(dkim_verify(s, strlen(s), 0, txts[1 - _i], NOW, err,
	    sizeof(err)), -1);
	/* A revoked key (empty p=). */
	ck_assert_int_eq(dkim_verify(s, strlen(s), 0, "v=DKIM1; p=", NOW, err,
	    sizeof(err)), -1);
	/* Only one signature: index 1 does not exist. */
	ck_assert_int_eq(dkim_verify(s, strlen(s), 1, txts[_i], NOW, err,
	    sizeof(err)), -1);
	free(txt);
	dkim_key_free(other);
	free(s);
}
END_TEST

START_TEST(test_two_signatures)
{
	char err[256], *one, *both;

	one = sign_msg(DKIM_ALG_RSA, messages[1]);
	both = sign_msg(DKIM_ALG_ED25519, one);
	ck_assert_int_eq(dkim_verify(both, strlen(both), 0,
	    txts[DKIM_ALG_ED25519], NOW, err, sizeof(err)), 0);
	ck_assert_int_eq(dkim_verify(both, strlen(both), 1,
	    txts[DKIM_ALG_RSA], NOW, err, sizeof(err)), 0);
	free(one);
	free(both);
}
END_TEST

/* dkim_signature_ids names each signature's key, in dkim_verify's order. */
START_TEST(test_signature_ids)
{
	static const char bad[] = "no colon here\r\n\r\nx\r\n";
	struct dkim_sig_id ids[1];
	char err[256], *one, *both;

	one = sign_msg(DKIM_ALG_RSA, messages[1]);
	both = sign_msg(DKIM_ALG_ED25519, one);
	ck_assert_int_eq(dkim_signature_ids(both, strlen(both), ids, 1, err, sizeof(err)), 2);
	ck_assert_str_eq(ids[0].d, "example.org");
	ck_assert_str_eq(ids[0].s, "sel-ed25519");
	ck_assert_int_eq(dkim_signature_ids(messages[1], strlen(messages[1]), ids, 1,
	    err, sizeof(err)), 0);
	ck_assert_int_eq(dkim_signature_ids(bad, strlen(bad), ids, 1, err, sizeof(err)), -1);
	free(one);
	free(both);
}
END_TEST

START_TEST(test_sign_refuses)
{
	static const char *const bad[] = {
		"Subject: no from\r\n\r\nbody\r\n",
		"From: a@b\r\nno colon here\r\n\r\nbody\r\n",
		" continuation first\r\nFrom: a@b\r\n\r\n",
	};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_ptr_null(dkim_sign(keys[0], bad[i], strlen(bad[i]),
		    NOW, err, sizeof(err)));
}
END_TEST

START_TEST(test_verify_rejects)
{
	static const char *const bad[] = {
		"DKIM-Signature: v=1; a=rsa-sha256; c=simple/simple; d=example.org; "
		"s=sel-rsa; h=from; bh=AAAA; b=AAAA\r\nFrom: a@b\r\n\r\n",
		"DKIM-Signature: v=1; a=rsa-sha1; c=relaxed/relaxed; d=example.org; "
		"s=sel-rsa; h=from; bh=AAAA; b=AAAA\r\nFrom: a@b\r\n\r\n",
		"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; "
		"s=sel-rsa; h=subject; bh=AAAA; b=AAAA\r\nFrom: a@b\r\n\r\n",
		"DKIM-Signature: v=1; v=1; a=rsa-sha256\r\nFrom: a@b\r\n\r\n",
		"DKIM-Signature: garbage\r\nFrom: a@b\r\n\r\n",
		"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; "
		"s=sel-rsa; h=from; l=0; bh=AAAA; b=AAAA\r\nFrom: a@b\r\n\r\n",
		"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; "
		"s=sel-rsa; h=from; x=1; bh=AAAA; b=AAAA\r\nFrom: a@b\r\n\r\n",
		"From: a@b\r\n\r\nno signature\r\n",
	};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(dkim_verify(bad[i], strlen(bad[i]), 0, txts[0],
		    NOW, err, sizeof(err)), -1);
}
END_TEST

/* ---- keys -------------------------------------------------------------- */

START_TEST(test_public_txt)
{
	ck_assert(strncmp(txts[DKIM_ALG_RSA], "v=DKIM1; k=rsa; p=MIIBIjAN", 26)
	    == 0);
	/* p= of an Ed25519 key is the raw 32 bytes: 44 base64 characters. */
	ck_assert(strncmp(txts[DKIM_ALG_ED25519], "v=DKIM1; k=ed25519; p=", 22)
	    == 0);
	ck_assert_uint_eq(strlen(txts[DKIM_ALG_ED25519]), 22 + 44);
}
END_TEST

START_TEST(test_key_files)
{
	char dir[] = "/tmp/check_dkim.XXXXXX", path[512], sub[512], err[256];
	struct dkim_key *loaded;
	struct stat st;
	char *txt;
	enum dkim_alg alg;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(str_format(sub, sizeof(sub), "%s/dkim", dir), 0);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	for (alg = 0; alg < DKIM_ALG_COUNT; alg++) {
		ck_assert_int_eq(dkim_key_path(path, sizeof(path), dir,
		    "example.org", "sel", alg), 0);
		ck_assert_ptr_nonnull(strstr(path, alg == DKIM_ALG_RSA ?
		    "/dkim/example.org.sel.rsa.key" :
		    "/dkim/example.org.sel.ed25519.key"));
		ck_assert_int_eq(dkim_key_write(keys[alg], path, err,
		    sizeof(err)), 0);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_int_eq(st.st_mode & 0777, 0600);
		/* Never overwritten. */
		ck_assert_int_eq(dkim_key_write(keys[alg], path, err,
		    sizeof(err)), -1);
		ck_assert_int_eq(errno, EEXIST);
		loaded = dkim_key_load(path, alg, "example.org", "sel", err,
		    sizeof(err));
		ck_assert_msg(loaded != NULL, "%s", err);
		txt = dkim_public_txt(loaded);
		ck_assert_str_eq(txt, txts[alg]);
		free(txt);
		dkim_key_free(loaded);
		/* The wrong type is refused. */
		ck_assert_ptr_null(dkim_key_load(path, 1 - alg, "example.org",
		    "sel", err, sizeof(err)));
		ck_assert_int_eq(unlink(path), 0);
	}
	ck_assert_ptr_null(dkim_key_load(path, 0, "example.org", "sel", err,
	    sizeof(err)));
	ck_assert_int_eq(rmdir(sub), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_selector_syntax)
{
	char buf[DKIM_SELECTOR_MAX + 16];

	ck_assert_int_eq(dkim_check_selector("ph202611"), 0);
	ck_assert_int_eq(dkim_check_selector("a-b-1"), 0);
	ck_assert_int_eq(dkim_check_selector(""), -1);
	ck_assert_int_eq(dkim_check_selector("-a"), -1);
	ck_assert_int_eq(dkim_check_selector("a.b"), -1);
	ck_assert_int_eq(dkim_check_selector("a/b"), -1);
	ck_assert_int_eq(dkim_key_dns_selector(buf, sizeof(buf), "ph",
	    DKIM_ALG_ED25519), 0);
	ck_assert_str_eq(buf, "ph-ed25519");
}
END_TEST

static Suite *
dkim_suite(void)
{
	Suite *s = suite_create("dkim");
	TCase *tc;

	tc = tcase_create("canonicalization");
	tcase_add_loop_test(tc, test_canon_header, 0,
	    sizeof(header_cases) / sizeof(header_cases[0]));
	tcase_add_loop_test(tc, test_canon_body, 0,
	    sizeof(body_cases) / sizeof(body_cases[0]));
	tcase_add_test(tc, test_crlf);
	suite_add_tcase(s, tc);

	tc = tcase_create("sign and verify");
	tcase_set_timeout(tc, 120);	/* RSA under valgrind */
	tcase_add_test(tc, test_round_trip);
	tcase_add_loop_test(tc, test_signature_header, 0, DKIM_ALG_COUNT);
	tcase_add_loop_test(tc, test_benign_changes, 0,
	    sizeof(benign) / sizeof(benign[0]));
	tcase_add_test(tc, test_two_signatures);
	tcase_add_test(tc, test_signature_ids);
	suite_add_tcase(s, tc);

	tc = tcase_create("detects tampering");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_tampered, 0,
	    sizeof(tampered) / sizeof(tampered[0]));
	tcase_add_loop_test(tc, test_wrong_key, 0, DKIM_ALG_COUNT);
	tcase_add_test(tc, test_sign_refuses);
	tcase_add_test(tc, test_verify_rejects);
	suite_add_tcase(s, tc);

	tc = tcase_create("keys");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_public_txt);
	tcase_add_test(tc, test_key_files);
	tcase_add_test(tc, test_selector_syntax);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	enum dkim_alg alg;
	int failed;

	/* Generated once; the forked tests inherit them (RSA takes time). */
	for (alg = 0; alg < DKIM_ALG_COUNT; alg++) {
		keys[alg] = dkim_key_generate(alg, "example.org", "sel");
		if (keys[alg] == NULL || (txts[alg] = dkim_public_txt(keys[alg]))
		    == NULL) {
			fprintf(stderr, "check_dkim: key generation failed\n");
			return 1;
		}
	}
	sr = srunner_create(dkim_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	for (alg = 0; alg < DKIM_ALG_COUNT; alg++) {
		dkim_key_free(keys[alg]);
		free(txts[alg]);
	}
	return failed == 0 ? 0 : 1;
}
