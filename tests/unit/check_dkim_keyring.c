/*
 * check_dkim_keyring.c: unit tests of dkim/dkim_keyring.c. Keys are
 * generated into a temporary DATA_DIR/dkim (as `posthorn dkim generate`
 * writes them) next to files the keyring must skip; messages are signed
 * through the keyring and every signature is checked with dkim_verify
 * against dkim_public_txt of its key: both algorithms, ed25519 first,
 * the From: domain found through display names, comments, quoted local
 * parts, groups and folding, and nothing signed for other domains.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dkim.h"
#include "util.h"

#define NOW	1795000000

static char data_dir[256];
static char *txt_ed, *txt_rsa, *txt_sub;

/* ---- fixture: a data_dir with keys and junk ----------------------------- */

static void
write_key(enum dkim_alg alg, const char *domain, const char *sel, char **txt_r)
{
	char		 path[512], err[256];
	struct dkim_key	*k = dkim_key_generate(alg, domain, sel);

	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(dkim_key_path(path, sizeof(path), data_dir, domain, sel,
	    alg), 0);
	ck_assert_msg(dkim_key_write(k, path, err, sizeof(err)) == 0, "%s", err);
	if (txt_r != NULL)
		*txt_r = dkim_public_txt(k);
	dkim_key_free(k);
}

static void
write_file(const char *name, const char *content)
{
	char	 path[512];
	FILE	*f;

	ck_assert_int_eq(str_format(path, sizeof(path), "%s/dkim/%s", data_dir,
	    name), 0);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(content, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void
setup_keys(void)
{
	char	 dir[300], src[512], dst[512];

	str_copy(data_dir, "/tmp/check_dkim_keyring.XXXXXX", sizeof(data_dir));
	ck_assert_ptr_nonnull(mkdtemp(data_dir));
	str_format(dir, sizeof(dir), "%s/dkim", data_dir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	write_key(DKIM_ALG_RSA, "example.org", "mail", &txt_rsa);
	write_key(DKIM_ALG_ED25519, "example.org", "mail", &txt_ed);
	write_key(DKIM_ALG_ED25519, "sub.example.org", "s-1", &txt_sub);
	/* skipped with a warning: garbage, wrong key type, bad name */
	write_file("example.net.bad.rsa.key", "not a key\n");
	str_format(src, sizeof(src), "%s/dkim/sub.example.org.s-1.ed25519.key",
	    data_dir);
	str_format(dst, sizeof(dst), "%s/dkim/example.com.wrong.rsa.key",
	    data_dir);
	ck_assert_int_eq(link(src, dst), 0);
	write_file("example.com.bad_sel.rsa.key", "x\n");
	write_file("example.com.mail.dsa.key", "x\n");
	str_format(dir, sizeof(dir), "%s/dkim/dir.example.s.rsa.key", data_dir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	/* skipped silently: not key names */
	write_file("README", "keys live here\n");
	write_file(".example.org.mail.rsa.key.swp", "x\n");
}

static void
teardown_keys(void)
{
	char	cmd[512];

	free(txt_ed);
	free(txt_rsa);
	free(txt_sub);
	if (str_format(cmd, sizeof(cmd), "rm -rf '%s'", data_dir) == 0 &&
	    strncmp(data_dir, "/tmp/check_dkim_keyring.", 24) == 0)
		(void)system(cmd);
}

/* Warnings collected by the callback. */
struct warnings {
	char	 text[8192];
	int	 n;
};

static void
collect(void *arg, const char *msg)
{
	struct warnings	*w = arg;

	w->n++;
	str_append(w->text, msg, sizeof(w->text));
	str_append(w->text, "\n", sizeof(w->text));
}

static struct dkim_keyring *
load(struct warnings *w)
{
	struct dkim_keyring	*kr;
	char			 err[256] = "";

	memset(w, 0, sizeof(*w));
	kr = dkim_keyring_load(data_dir, collect, w, err, sizeof(err));
	ck_assert_msg(kr != NULL, "%s", err);
	return kr;
}

/* ---- loading ---------------------------------------------------------- */

START_TEST(test_load)
{
	struct warnings		 w;
	struct dkim_keyring	*kr = load(&w);

	ck_assert_uint_eq(dkim_keyring_count(kr), 3);
	ck_assert_int_eq(w.n, 5);
	ck_assert_ptr_nonnull(strstr(w.text, "example.net.bad.rsa.key: not a PEM"));
	ck_assert_ptr_nonnull(strstr(w.text, "example.com.wrong.rsa.key: not an RSA"));
	ck_assert_ptr_nonnull(strstr(w.text, "example.com.bad_sel.rsa.key: not a"));
	ck_assert_ptr_nonnull(strstr(w.text, "example.com.mail.dsa.key: not a"));
	ck_assert_ptr_nonnull(strstr(w.text, "dir.example.s.rsa.key: not a regular"));
	ck_assert_ptr_null(strstr(w.text, "README"));
	ck_assert_ptr_null(strstr(w.text, ".swp"));
	dkim_keyring_free(kr);
	/* warn may be NULL */
	{
		char	 err[64];

		kr = dkim_keyring_load(data_dir, NULL, NULL, err, sizeof(err));
		ck_assert_uint_eq(dkim_keyring_count(kr), 3);
		dkim_keyring_free(kr);
	}
}
END_TEST

START_TEST(test_missing_dir)
{
	struct dkim_keyring	*kr;
	struct warnings		 w = { .n = 0 };
	char			 err[64] = "", *sig;
	size_t			 len = 99;
	static const char	 msg[] = "From: a@example.org\r\n\r\nhi\r\n";

	kr = dkim_keyring_load("/nonexistent/posthorn", collect, &w, err,
	    sizeof(err));
	ck_assert_ptr_nonnull(kr);
	ck_assert_uint_eq(dkim_keyring_count(kr), 0);
	ck_assert_int_eq(w.n, 0);
	sig = dkim_keyring_sign(kr, msg, sizeof(msg) - 1, NOW, &len, err,
	    sizeof(err));
	ck_assert_ptr_null(sig);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(err, "");
	dkim_keyring_free(kr);
	dkim_keyring_free(NULL);
}
END_TEST

/* ---- signing ----------------------------------------------------------- */

/*
 * Sign msg through the keyring; when want is non-zero expect that many
 * signatures, check the first is ed25519 and verify them all against
 * txts (in order) over the signed message.
 */
static void
sign_and_verify(const char *msg, size_t want, char *const *txts)
{
	struct warnings		 w;
	struct dkim_keyring	*kr = load(&w);
	char			 err[256] = "x", *sig, *signed_msg;
	size_t			 len = 99, i, n = 0;
	const char		*p;

	sig = dkim_keyring_sign(kr, msg, strlen(msg), NOW, &len, err,
	    sizeof(err));
	if (want == 0) {
		ck_assert_ptr_null(sig);
		ck_assert_uint_eq(len, 0);
		ck_assert_str_eq(err, "");
		dkim_keyring_free(kr);
		return;
	}
	ck_assert_msg(sig != NULL, "%s", err);
	ck_assert_uint_eq(strlen(sig), len);
	for (p = sig; (p = strstr(p, "DKIM-Signature:")) != NULL; p++)
		n++;
	ck_assert_uint_eq(n, want);
	ck_assert_int_eq(strncmp(sig, "DKIM-Signature:", 15), 0);
	ck_assert_ptr_nonnull(strstr(sig, "a=ed25519-sha256"));
	ck_assert(strstr(sig, "a=ed25519-sha256") < strstr(sig, "DKIM-Signature:") +
	    200);
	ck_assert_str_eq(sig + len - 2, "\r\n");
	signed_msg = xmalloc(len + strlen(msg) + 1);
	memcpy(signed_msg, sig, len);
	memcpy(signed_msg + len, msg, strlen(msg) + 1);
	for (i = 0; i < want; i++)
		ck_assert_msg(dkim_verify(signed_msg, strlen(signed_msg), i,
		    txts[i], NOW + 5, err, sizeof(err)) == 0,
		    "signature %zu: %s", i, err);
	/* and each fails against the other's key */
	if (want == 2)
		ck_assert_int_eq(dkim_verify(signed_msg, strlen(signed_msg), 0,
		    txts[1], NOW + 5, err, sizeof(err)), -1);
	free(signed_msg);
	free(sig);
	dkim_keyring_free(kr);
}

START_TEST(test_sign_both)
{
	char	*txts[2] = { txt_ed, txt_rsa };

	sign_and_verify(
	    "From: a@example.org\r\n"
	    "To: b@remote.example\r\n"
	    "Subject: both keys\r\n"
	    "\r\n"
	    "Hello.\r\n", 2, txts);
}
END_TEST

START_TEST(test_sign_awkward)
{
	char	*txts[2] = { txt_ed, txt_rsa };

	/* 8-bit text, long folded headers, trailing blank lines, bare LF */
	sign_and_verify(
	    "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= and a very long subject that\r\n"
	    "\tgoes on and on over several folded lines of the header, well\r\n"
	    "    past the seventy-eight columns a line should keep to, and more\r\n"
	    "From: \"J\xc3\xb6rg M\xc3\xbcller\" <joerg@example.org>\r\n"
	    "To: b@remote.example\r\n"
	    "X-Long: " "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "\r\n"
	    "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln  \t \r\n"
	    "\r\n"
	    "\xe2\x82\xac 10\n"
	    "\r\n"
	    "\r\n"
	    "\r\n", 2, txts);
}
END_TEST

START_TEST(test_sign_subdomain)
{
	char	*txts[1] = { txt_sub };

	/* exact domain: sub.example.org has only its ed25519 key */
	sign_and_verify("From: x@Sub.Example.ORG\r\n\r\nhi\r\n", 1, txts);
}
END_TEST

/* From: values and whether the example.org keys sign them (2) or not (0). */
static const struct {
	const char	*from;
	size_t		 want;
} from_cases[] = {
	{ "a@example.org", 2 },
	{ "A@EXAMPLE.ORG", 2 },
	{ "Alice <a@example.org>", 2 },
	{ "\"Smith, Alice\" <a@example.org>", 2 },
	{ "\"a@other.example\" <a@example.org>", 2 },
	{ "\"quoted@local\"@example.org", 2 },
	{ "\"q\\\"uoted <x@y>\"@example.org", 2 },
	{ "a@example.org (Alice <x@other.example>)", 2 },
	{ "(comment with @ and <>) a@example.org", 2 },
	{ "Alice (the (nested) one) <a@example.org>", 2 },
	{ "Alice\r\n <a@example.org>", 2 },
	{ "\r\n Alice\r\n\t<a\r\n @example.org>", 2 },
	{ "<a@example.org.>", 2 },
	{ "<@relay.example:a@example.org>", 2 },
	{ "Team: Alice <a@example.org>, b@other.example;", 2 },
	{ "a@example.org, b@other.example", 2 },
	{ "\xc3\x84lice <a@example.org>", 2 },
	{ "=?utf-8?q?=C3=84lice?= <a@example.org>", 2 },
	{ "a@example.net", 0 },
	{ "a@other.example, b@example.org", 0 },
	{ "a@sub2.example.org", 0 },
	{ "a@example.org.evil.example", 0 },
	{ "a@xexample.org", 0 },
	{ "Alice <a@example.org.evil.example>", 0 },
	{ "\"a@example.org\" <b@other.example>", 0 },
	{ "undisclosed-recipients:;", 0 },
	{ "", 0 },
	{ "no address at all", 0 },
	{ "<>", 0 },
};

START_TEST(test_from_domain)
{
	char	 msg[1024];
	char	*txts[2] = { txt_ed, txt_rsa };

	ck_assert_int_eq(str_format(msg, sizeof(msg),
	    "Subject: s\r\nFrom: %s\r\nTo: b@remote.example\r\n\r\nbody\r\n",
	    from_cases[_i].from), 0);
	sign_and_verify(msg, from_cases[_i].want, txts);
}
END_TEST

START_TEST(test_first_from_counts)
{
	char	*txts[2] = { txt_ed, txt_rsa };

	sign_and_verify("from: a@example.org\r\nFrom: b@other.example\r\n\r\nx\r\n",
	    2, txts);
	sign_and_verify("From: b@other.example\r\nFrom: a@example.org\r\n\r\nx\r\n",
	    0, txts);
	/* no From: at all, and a From: only in the body */
	sign_and_verify("Subject: none\r\n\r\nFrom: a@example.org\r\n", 0, txts);
}
END_TEST

START_TEST(test_bad_header)
{
	struct warnings		 w;
	struct dkim_keyring	*kr = load(&w);
	static const char	 msg[] = "From: a@example.org\r\nno colon here\r\n\r\nx\r\n";
	char			 err[256] = "";
	size_t			 len = 99;

	ck_assert_ptr_null(dkim_keyring_sign(kr, msg, sizeof(msg) - 1, NOW, &len,
	    err, sizeof(err)));
	ck_assert_uint_eq(len, 0);
	ck_assert_str_ne(err, "");
	dkim_keyring_free(kr);
}
END_TEST

static Suite *
dkim_keyring_suite(void)
{
	Suite	*s = suite_create("dkim_keyring");
	TCase	*tc;

	tc = tcase_create("load");
	tcase_add_unchecked_fixture(tc, setup_keys, teardown_keys);
	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_missing_dir);
	suite_add_tcase(s, tc);

	tc = tcase_create("sign");
	tcase_add_unchecked_fixture(tc, setup_keys, teardown_keys);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sign_both);
	tcase_add_test(tc, test_sign_awkward);
	tcase_add_test(tc, test_sign_subdomain);
	tcase_add_loop_test(tc, test_from_domain, 0,
	    sizeof(from_cases) / sizeof(from_cases[0]));
	tcase_add_test(tc, test_first_from_counts);
	tcase_add_test(tc, test_bad_header);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(dkim_keyring_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
