/*
 * check_auth.c: unit tests of auth/: SASL PLAIN and LOGIN decoding (valid,
 * bad base64, missing NULs, overlong fields, authzid), the brute-force
 * throttle driven by a fake clock, and the credentials cache against a
 * real temporary store (hit, miss, expiry, password change, aliases).
 */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "auth.h"
#include "util.h"

#define PW	"s3cret pass"

/* ------------------------------------------------------------- helpers */

/* base64 of len raw bytes (may contain NULs) into out. */
static void
b64(const char *raw, size_t len, char *out, size_t outsize)
{
	ck_assert(sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL) <= outsize);
	sodium_bin2base64(out, outsize, (const unsigned char *)raw, len,
	    sodium_base64_VARIANT_ORIGINAL);
}

/* ---------------------------------------------------------------- SASL */

struct plain_case {
	const char	*raw;		/* the decoded PLAIN message */
	size_t		 len;
	int		 rc;
	const char	*login;
	const char	*password;
};

#define RAW(s)	s, sizeof(s) - 1

static const struct plain_case plain_cases[] = {
	{ RAW("\0alice@example.test\0" PW), AUTH_SASL_DONE, "alice@example.test", PW },
	/* mutt: authzid = authcid; case differs: still the same address */
	{ RAW("alice@example.test\0alice@example.test\0" PW), AUTH_SASL_DONE,
	    "alice@example.test", PW },
	{ RAW("Alice@Example.TEST\0alice@example.test\0x"), AUTH_SASL_DONE,
	    "alice@example.test", "x" },
	{ RAW("bob@example.test\0alice@example.test\0" PW), AUTH_SASL_EAUTHZID, "", "" },
	{ RAW("alice@example.test\0" PW), AUTH_SASL_EMALFORMED, "", "" },	/* one NUL */
	{ RAW("alice@example.test" PW), AUTH_SASL_EMALFORMED, "", "" },		/* none */
	{ RAW("\0\0" PW), AUTH_SASL_EMALFORMED, "", "" },			/* empty authcid */
	{ RAW("\0alice@example.test\0"), AUTH_SASL_EMALFORMED, "", "" },	/* empty passwd */
	{ RAW("\0alice@example.test\0pa\0ss"), AUTH_SASL_EMALFORMED, "", "" },	/* third NUL */
	{ RAW(""), AUTH_SASL_EMALFORMED, "", "" },
	{ RAW("\0"), AUTH_SASL_EMALFORMED, "", "" },
	/* UTF-8 passwords pass through untouched */
	{ RAW("\0alice@example.test\0p\xc3\xa4ss"), AUTH_SASL_DONE,
	    "alice@example.test", "p\xc3\xa4ss" },
};

START_TEST(test_plain_table)
{
	const struct plain_case *pc = &plain_cases[_i];
	char enc[2048], login[AUTH_LOGIN_MAX], pw[AUTH_PASSWORD_MAX];
	int rc;

	b64(pc->raw, pc->len, enc, sizeof(enc));
	rc = auth_sasl_plain_decode(enc, strlen(enc), login, pw);
	ck_assert_msg(rc == pc->rc, "case %d: rc %d, want %d", _i, rc, pc->rc);
	ck_assert_str_eq(login, pc->login);
	ck_assert_str_eq(pw, pc->password);
}
END_TEST

START_TEST(test_plain_bad_base64)
{
	static const char *const bad[] = {
		"AGFsaWNlAHB3",		/* fine: control below */
		"AGFsaWNlAHB3=",	/* not a multiple of 4 */
		"AGFsaWNlAHB",		/* missing padding */
		"AGFsaWNl AHB3",	/* space */
		"AGFsaWNlAHB3\r",	/* CR */
		"AGFs!WNlAHB3",		/* not in the alphabet */
		"AGFsaWNlAHB3YR==",	/* non-zero pad bits */
		"====",
		"AGFsaWNlAHB3AA==AA==",	/* data after padding */
		"AGFs-WNlAHB3",		/* URL-safe alphabet */
	};
	char login[AUTH_LOGIN_MAX], pw[AUTH_PASSWORD_MAX];
	size_t i;

	/* "\0alice\0pw" is fine. */
	ck_assert_int_eq(auth_sasl_plain_decode(bad[0], strlen(bad[0]), login, pw), 0);
	ck_assert_str_eq(login, "alice");
	ck_assert_str_eq(pw, "pw");
	for (i = 1; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(auth_sasl_plain_decode(bad[i], strlen(bad[i]), login, pw) ==
		    AUTH_SASL_EBASE64, "%s", bad[i]);
}
END_TEST

START_TEST(test_plain_limits)
{
	char raw[4096], enc[8192], login[AUTH_LOGIN_MAX], pw[AUTH_PASSWORD_MAX];
	size_t n;

	/* The longest password that fits: 255 octets. */
	raw[0] = '\0';
	memcpy(raw + 1, "a@b", 3);
	raw[4] = '\0';
	memset(raw + 5, 'p', AUTH_PASSWORD_MAX - 1);
	n = 5 + AUTH_PASSWORD_MAX - 1;
	b64(raw, n, enc, sizeof(enc));
	ck_assert_int_eq(auth_sasl_plain_decode(enc, strlen(enc), login, pw), 0);
	ck_assert_uint_eq(strlen(pw), AUTH_PASSWORD_MAX - 1);
	/* One more octet is refused. */
	raw[n++] = 'p';
	b64(raw, n, enc, sizeof(enc));
	ck_assert_int_eq(auth_sasl_plain_decode(enc, strlen(enc), login, pw),
	    AUTH_SASL_ETOOLONG);
	ck_assert_str_eq(pw, "");

	/* An overlong login. */
	memset(raw, 'l', sizeof(raw));
	raw[0] = '\0';
	raw[1 + AUTH_LOGIN_MAX] = '\0';
	memcpy(raw + 2 + AUTH_LOGIN_MAX, "pw", 2);
	b64(raw, 4 + AUTH_LOGIN_MAX, enc, sizeof(enc));
	ck_assert_int_eq(auth_sasl_plain_decode(enc, strlen(enc), login, pw),
	    AUTH_SASL_ETOOLONG);

	/* A line longer than any message: refused before decoding. */
	memset(enc, 'A', AUTH_BASE64_MAX + 4);
	enc[AUTH_BASE64_MAX + 4] = '\0';
	ck_assert_int_eq(auth_sasl_plain_decode(enc, strlen(enc), login, pw),
	    AUTH_SASL_ETOOLONG);
}
END_TEST

START_TEST(test_base64_decode)
{
	char out[8];
	size_t n;

	ck_assert_int_eq(auth_base64_decode("YQ==", 4, out, sizeof(out), &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(out, "a");
	ck_assert_int_eq(auth_base64_decode("", 0, out, sizeof(out), &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(auth_base64_decode("YWJjZGVmZ2g=", 12, out, sizeof(out), &n),
	    AUTH_SASL_ETOOLONG);	/* 8 bytes + NUL do not fit in 8 */
	ck_assert_int_eq(auth_base64_decode("YWJjZGVmZw==", 12, out, sizeof(out), &n), 0);
	ck_assert_str_eq(out, "abcdefg");
	ck_assert_int_eq(auth_base64_decode("YR==", 4, out, sizeof(out), &n),
	    AUTH_SASL_EBASE64);
	ck_assert_int_eq(auth_base64_decode("YQ", 2, out, sizeof(out), &n),
	    AUTH_SASL_EBASE64);
}
END_TEST

START_TEST(test_sasl_plain_exchange)
{
	struct auth_sasl sa;
	const char *ch;
	char enc[256];

	memset(&sa, 0, sizeof(sa));
	b64("\0alice@example.test\0" PW, sizeof("\0alice@example.test\0" PW) - 1,
	    enc, sizeof(enc));
	/* Thunderbird, curl: no initial response, "334 " with nothing. */
	ck_assert_int_eq(auth_sasl_start(&sa, AUTH_MECH_PLAIN, NULL, &ch),
	    AUTH_SASL_CONTINUE);
	ck_assert_str_eq(ch, "");
	ck_assert_int_eq(auth_sasl_step(&sa, enc, strlen(enc), &ch), AUTH_SASL_DONE);
	ck_assert_str_eq(sa.login, "alice@example.test");
	ck_assert_str_eq(sa.password, PW);
	/* swaks, smtplib, mutt: initial response. */
	ck_assert_int_eq(auth_sasl_start(&sa, AUTH_MECH_PLAIN, enc, &ch), AUTH_SASL_DONE);
	ck_assert_str_eq(sa.password, PW);
	auth_sasl_clear(&sa);
	ck_assert_str_eq(sa.password, "");
	/* "=" is an empty initial response: not a PLAIN message. */
	ck_assert_int_eq(auth_sasl_start(&sa, AUTH_MECH_PLAIN, "=", &ch),
	    AUTH_SASL_EMALFORMED);
	/* "*" cancels, and wipes. */
	ck_assert_int_eq(auth_sasl_start(&sa, AUTH_MECH_PLAIN, NULL, &ch),
	    AUTH_SASL_CONTINUE);
	ck_assert_int_eq(auth_sasl_step(&sa, "*", 1, &ch), AUTH_SASL_ECANCEL);
	ck_assert_int_eq(sa.mech, AUTH_MECH_NONE);
	/* An empty line is an empty (malformed) message, not a cancel. */
	ck_assert_int_eq(auth_sasl_start(&sa, AUTH_MECH_PLAIN, NULL, &ch),
	    AUTH_SASL_CONTINUE);
	ck_assert_int_eq(auth_sasl_step(&sa, "", 0, &ch), AUTH_SASL_EMALFORMED);
	ck_assert_int_eq(auth_sasl_step(&sa, "!", 1, &ch), AUTH_SASL_EMECH); /* over */
}
END_TEST

START_TEST(test_sasl_login_exchange)
{
	struct auth_sasl sa;
	const char *ch;

	memset(&sa, 0, sizeof(sa));
	/* swaks: the standard prompts (base64 "Username:" / "Password:"). */
	ck_assert_int_eq(auth_sasl_start(&sa, AUTH_MECH_LOGIN, NULL, &ch),
	    AUTH_SASL_CONTINUE);
	ck_assert_str_eq(ch, "VXNlcm5hbWU6");
	ck_assert_int_eq(auth_sasl_step(&sa, "dXNlckBleGFtcGxlLnRlc3Q=", 24, &ch),
	    AUTH_SASL_CONTINUE);
	ck_assert_str_eq(ch, "UGFzc3dvcmQ6");
	ck_assert_int_eq(auth_sasl_step(&sa, "cGFzcw==", 8, &ch), AUTH_SASL_DONE);
	ck_assert_str_eq(sa.login, "user@example.test");
	ck_assert_str_eq(sa.password, "pass");

	/* Outlook, printers: "AUTH LOGIN dXNlcg==", then only the password. */
	ck_assert_int_eq(auth_sasl_start(&sa, AUTH_MECH_LOGIN, "dXNlcg==", &ch),
	    AUTH_SASL_CONTINUE);
	ck_assert_str_eq(ch, "UGFzc3dvcmQ6");
	ck_assert_str_eq(sa.login, "user");
	ck_assert_int_eq(auth_sasl_step(&sa, "*", 1, &ch), AUTH_SASL_ECANCEL);
	ck_assert_str_eq(sa.login, "");

	/* Bad base64, empty and NUL-holding names. */
	ck_assert_int_eq(auth_sasl_start(&sa, AUTH_MECH_LOGIN, "dXNlcg", &ch),
	    AUTH_SASL_EBASE64);
	ck_assert_int_eq(auth_sasl_start(&sa, AUTH_MECH_LOGIN, "=", &ch),
	    AUTH_SASL_EMALFORMED);
	ck_assert_int_eq(auth_sasl_start(&sa, AUTH_MECH_LOGIN, "dQB4", &ch),
	    AUTH_SASL_EMALFORMED);	/* "u\0x" */
	ck_assert_int_eq(auth_sasl_start(&sa, AUTH_MECH_LOGIN, NULL, &ch),
	    AUTH_SASL_CONTINUE);
	ck_assert_int_eq(auth_sasl_step(&sa, "dQ==", 4, &ch), AUTH_SASL_CONTINUE);
	ck_assert_int_eq(auth_sasl_step(&sa, "", 0, &ch), AUTH_SASL_EMALFORMED);
}
END_TEST

START_TEST(test_sasl_mech)
{
	const char *ch;
	struct auth_sasl sa;

	ck_assert_int_eq(auth_sasl_mech("PLAIN"), AUTH_MECH_PLAIN);
	ck_assert_int_eq(auth_sasl_mech("plain"), AUTH_MECH_PLAIN);
	ck_assert_int_eq(auth_sasl_mech("Login"), AUTH_MECH_LOGIN);
	ck_assert_int_eq(auth_sasl_mech("CRAM-MD5"), AUTH_MECH_NONE);
	ck_assert_int_eq(auth_sasl_mech(""), AUTH_MECH_NONE);
	ck_assert_int_eq(auth_sasl_start(&sa, AUTH_MECH_NONE, NULL, &ch), AUTH_SASL_EMECH);
	ck_assert_str_ne(auth_sasl_strerror(AUTH_SASL_EAUTHZID), "unknown SASL error");
}
END_TEST

/* ------------------------------------------------------------- throttle */

static const struct auth_throttle_limits limits = {
	.addr_threshold = 3,
	.account_threshold = 6,
	.window_ms = 15 * 60 * 1000,
	.lockout_ms = 2000,
	.lockout_max_ms = 8000,
};

#define T0	1000000		/* the fake clock starts here (ms) */

START_TEST(test_throttle_lock_and_expiry)
{
	struct auth_throttle *t = auth_throttle_new(100);
	uint64_t wait = 0, now = T0;
	int i;

	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(auth_throttle_check(t, &limits, "192.0.2.1", "a@x", now, &wait), 0);
		auth_throttle_failure(t, &limits, "192.0.2.1", "a@x", now);
	}
	ck_assert_int_eq(auth_throttle_check(t, &limits, "192.0.2.1", "a@x", now, NULL), 0);
	auth_throttle_failure(t, &limits, "192.0.2.1", "a@x", now);	/* the 3rd */
	ck_assert_int_eq(auth_throttle_check(t, &limits, "192.0.2.1", "a@x", now, &wait), 1);
	ck_assert_uint_eq(wait, 2000);
	/* Any account from that address, while locked. */
	ck_assert_int_eq(auth_throttle_check(t, &limits, "192.0.2.1", "b@x", now + 1999, &wait), 1);
	ck_assert_uint_eq(wait, 1);
	/* Other addresses are not affected. */
	ck_assert_int_eq(auth_throttle_check(t, &limits, "192.0.2.2", "a@x", now, NULL), 0);
	/* The lock expires. */
	ck_assert_int_eq(auth_throttle_check(t, &limits, "192.0.2.1", "a@x", now + 2000, &wait), 0);
	ck_assert_uint_eq(wait, 0);
	auth_throttle_free(&t);
	ck_assert_ptr_null(t);
}
END_TEST

START_TEST(test_throttle_doubling)
{
	struct auth_throttle *t = auth_throttle_new(100);
	static const uint64_t expect[] = { 2000, 4000, 8000, 8000, 8000 };
	uint64_t wait, now = T0;
	size_t i;

	for (i = 0; i < 3; i++)
		auth_throttle_failure(t, &limits, "192.0.2.1", "a@x", now);
	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		ck_assert_int_eq(auth_throttle_check(t, &limits, "192.0.2.1", "a@x", now, &wait), 1);
		ck_assert_msg(wait == expect[i], "lock %zu: %llu ms", i, (unsigned long long)wait);
		/* Retrying while locked is refused and does not extend the lock. */
		ck_assert_int_eq(auth_throttle_check(t, &limits, "192.0.2.1", "a@x",
		    now + wait - 1, NULL), 1);
		now += wait;
		ck_assert_int_eq(auth_throttle_check(t, &limits, "192.0.2.1", "a@x", now, NULL), 0);
		/* One relapse right after the lock locks again, twice as long. */
		auth_throttle_failure(t, &limits, "192.0.2.1", "a@x", now);
	}
	auth_throttle_free(&t);
}
END_TEST

START_TEST(test_throttle_success_and_window)
{
	struct auth_throttle *t = auth_throttle_new(100);
	uint64_t now = T0;
	int i;

	/* Two failures, a success: the count starts again. */
	auth_throttle_failure(t, &limits, "192.0.2.1", "a@x", now);
	auth_throttle_failure(t, &limits, "192.0.2.1", "a@x", now);
	auth_throttle_success(t, &limits, "192.0.2.1", "a@x", now);
	auth_throttle_failure(t, &limits, "192.0.2.1", "a@x", now);
	auth_throttle_failure(t, &limits, "192.0.2.1", "a@x", now);
	ck_assert_int_eq(auth_throttle_check(t, &limits, "192.0.2.1", "a@x", now, NULL), 0);

	/* Failures further apart than the window never add up. */
	for (i = 0; i < 10; i++) {
		now += limits.window_ms + 1;
		auth_throttle_failure(t, &limits, "192.0.2.9", "c@x", now);
		ck_assert_int_eq(auth_throttle_check(t, &limits, "192.0.2.9", "c@x", now, NULL), 0);
	}
	auth_throttle_free(&t);
}
END_TEST

START_TEST(test_throttle_account)
{
	struct auth_throttle *t = auth_throttle_new(100);
	uint64_t wait, now = T0;
	char addr[32];
	int i;

	/* A botnet: six addresses, one guess each, at one account. */
	for (i = 1; i <= 6; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		ck_assert_int_eq(auth_throttle_check(t, &limits, addr, "victim@x", now, NULL), 0);
		auth_throttle_failure(t, &limits, addr, "victim@x", now);
	}
	/* Every address that guessed is now refused for this account... */
	for (i = 1; i <= 6; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		ck_assert_int_eq(auth_throttle_check(t, &limits, addr, "victim@x", now, &wait), 1);
		ck_assert_uint_eq(wait, 2000);
		/* ...but not for other accounts (below its own threshold). */
		ck_assert_int_eq(auth_throttle_check(t, &limits, addr, "other@x", now, NULL), 0);
	}
	/* The owner, from a clean address, still gets in. */
	ck_assert_int_eq(auth_throttle_check(t, &limits, "203.0.113.7", "victim@x", now, NULL), 0);
	/* The account lock expires too. */
	ck_assert_int_eq(auth_throttle_check(t, &limits, "198.51.100.1", "victim@x", now + 2000, NULL), 0);
	auth_throttle_free(&t);
}
END_TEST

START_TEST(test_throttle_bounded)
{
	struct auth_throttle *t = auth_throttle_new(8);
	uint64_t now = T0;
	char addr[32], acct[32];
	int i;

	for (i = 0; i < 100; i++) {
		snprintf(addr, sizeof(addr), "10.0.%d.%d", i / 256, i % 256);
		snprintf(acct, sizeof(acct), "u%d@x", i);
		auth_throttle_failure(t, &limits, addr, acct, now + (uint64_t)i);
		ck_assert_uint_le(auth_throttle_size(t), 16);
	}
	/* The newest survived the evictions, with its count. */
	auth_throttle_failure(t, &limits, "10.0.0.99", "u99@x", now + 100);
	auth_throttle_failure(t, &limits, "10.0.0.99", "u99@x", now + 100);
	ck_assert_int_eq(auth_throttle_check(t, &limits, "10.0.0.99", "u99@x", now + 100, NULL), 1);
	/* Stale records are swept when room is needed. */
	now += limits.window_ms + 100000;
	auth_throttle_failure(t, &limits, "10.9.9.9", "new@x", now);
	ck_assert_uint_le(auth_throttle_size(t), 4);
	auth_throttle_free(&t);
}
END_TEST

START_TEST(test_throttle_off)
{
	struct auth_throttle_limits off = limits;
	struct auth_throttle *t = auth_throttle_new(100);
	int i;

	off.addr_threshold = 0;
	off.account_threshold = 0;
	for (i = 0; i < 50; i++)
		auth_throttle_failure(t, &off, "192.0.2.1", "a@x", T0);
	ck_assert_int_eq(auth_throttle_check(t, &off, "192.0.2.1", "a@x", T0, NULL), 0);
	auth_throttle_free(&t);
}
END_TEST

START_TEST(test_peer_key)
{
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	char key[64];

	memset(&in4, 0, sizeof(in4));
	in4.sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, "192.0.2.77", &in4.sin_addr), 1);
	auth_peer_key((struct sockaddr *)&in4, key, sizeof(key));
	ck_assert_str_eq(key, "192.0.2.77");

	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8:1:2:aaaa:bbbb:cccc:dddd",
	    &in6.sin6_addr), 1);
	auth_peer_key((struct sockaddr *)&in6, key, sizeof(key));
	ck_assert_str_eq(key, "2001:db8:1:2::/64");

	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:198.51.100.3", &in6.sin6_addr), 1);
	auth_peer_key((struct sockaddr *)&in6, key, sizeof(key));
	ck_assert_str_eq(key, "198.51.100.3");
}
END_TEST

/* --------------------------------------------------------------- cache */

static char		*tdir;
static struct store	*tstore;

#define ALICE	"alice@example.test"
#define TTL	60000

static void
store_setup(void)
{
	char tmpl[] = "/tmp/posthorn-auth-XXXXXX", err[256];

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	tdir = xstrdup(tmpl);
	ck_assert_msg(store_open(&tstore, tdir, 64 << 20, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(store_domain_add(tstore, "example.test"), 0);
	ck_assert_int_eq(store_user_add(tstore, ALICE, PW), 0);
	ck_assert_int_eq(store_alias_add(tstore, "al@example.test", ALICE), 0);
}

static void
store_teardown(void)
{
	char path[512];

	store_close(&tstore);
	snprintf(path, sizeof(path), "%s/data.mdb", tdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", tdir);
	unlink(path);
	rmdir(tdir);
	free(tdir);
}

START_TEST(test_cache_hit_miss)
{
	struct auth_cache *c = auth_cache_new(100);
	struct store_user u, v;

	/* Nothing cached yet. */
	ck_assert_int_eq(auth_cache_check(c, tstore, ALICE, PW, T0, &u), 0);
	/* A wrong password is neither accepted nor cached. */
	ck_assert_int_eq(auth_check_password(tstore, c, ALICE, "wrong", T0, TTL, &u), 0);
	ck_assert_uint_eq(auth_cache_size(c), 0);
	/* The right one is, and then answers from the cache. */
	ck_assert_int_eq(auth_check_password(tstore, c, ALICE, PW, T0, TTL, &u), 1);
	ck_assert_str_eq(u.address, ALICE);
	ck_assert_uint_eq(auth_cache_size(c), 1);
	ck_assert_int_eq(auth_cache_check(c, tstore, ALICE, PW, T0 + 1, &v), 1);
	ck_assert_uint_eq(v.id, u.id);
	ck_assert_str_eq(v.address, ALICE);
	/* Logins are addresses: folded. */
	ck_assert_int_eq(auth_cache_check(c, tstore, "Alice@Example.TEST", PW, T0 + 1, &v), 1);
	/* A wrong password misses, and does not drop the good entry. */
	ck_assert_int_eq(auth_cache_check(c, tstore, ALICE, PW "x", T0 + 1, &v), 0);
	ck_assert_int_eq(auth_cache_check(c, tstore, ALICE, "", T0 + 1, &v), 0);
	ck_assert_int_eq(auth_cache_check(c, tstore, ALICE, PW, T0 + 2, &v), 1);
	/* Unknown logins. */
	ck_assert_int_eq(auth_check_password(tstore, c, "nobody@example.test", PW, T0, TTL, &u), 0);
	ck_assert_int_eq(auth_check_password(tstore, c, "not an address", PW, T0, TTL, &u), 0);
	ck_assert_uint_eq(auth_cache_size(c), 1);
	auth_cache_free(&c);
	ck_assert_ptr_null(c);
}
END_TEST

START_TEST(test_cache_expiry)
{
	struct auth_cache *c = auth_cache_new(100);
	struct store_user u;

	ck_assert_int_eq(auth_check_password(tstore, c, ALICE, PW, T0, TTL, &u), 1);
	ck_assert_int_eq(auth_cache_check(c, tstore, ALICE, PW, T0 + TTL - 1, &u), 1);
	ck_assert_int_eq(auth_cache_check(c, tstore, ALICE, PW, T0 + TTL, &u), 0);
	ck_assert_uint_eq(auth_cache_size(c), 0);
	/* ttl 0: nothing is cached. */
	ck_assert_int_eq(auth_check_password(tstore, c, ALICE, PW, T0, 0, &u), 1);
	ck_assert_uint_eq(auth_cache_size(c), 0);
	auth_cache_free(&c);
}
END_TEST

START_TEST(test_cache_password_change)
{
	struct auth_cache *c = auth_cache_new(100);
	struct store_user u;

	ck_assert_int_eq(auth_check_password(tstore, c, ALICE, PW, T0, TTL, &u), 1);
	/* Even "changed" to the same password: a new salt, a new hash string. */
	ck_assert_int_eq(store_user_passwd(tstore, ALICE, PW), 0);
	ck_assert_int_eq(auth_cache_check(c, tstore, ALICE, PW, T0 + 1, &u), 0);
	ck_assert_uint_eq(auth_cache_size(c), 0);
	/* A real change: the old password stops working at once. */
	ck_assert_int_eq(auth_check_password(tstore, c, ALICE, PW, T0, TTL, &u), 1);
	ck_assert_int_eq(store_user_passwd(tstore, ALICE, "new password"), 0);
	ck_assert_int_eq(auth_cache_check(c, tstore, ALICE, PW, T0 + 1, &u), 0);
	ck_assert_int_eq(auth_check_password(tstore, c, ALICE, PW, T0 + 1, TTL, &u), 0);
	ck_assert_int_eq(auth_check_password(tstore, c, ALICE, "new password", T0 + 1, TTL, &u), 1);
	/* A deleted user is no longer served from the cache. */
	ck_assert_int_eq(store_user_del(tstore, ALICE), 0);
	ck_assert_int_eq(auth_cache_check(c, tstore, ALICE, "new password", T0 + 2, &u), 0);
	auth_cache_free(&c);
}
END_TEST

START_TEST(test_cache_alias_login)
{
	struct auth_cache *c = auth_cache_new(100);
	struct store_user u;
	char hash[STORE_PASSWORD_HASH_MAX];

	/* An alias login resolves to its user. */
	ck_assert_int_eq(auth_check_password(tstore, c, "al@example.test", PW, T0, TTL, &u), 1);
	ck_assert_str_eq(u.address, ALICE);
	memset(&u, 0, sizeof(u));
	ck_assert_int_eq(auth_cache_check(c, tstore, "al@example.test", PW, T0 + 1, &u), 1);
	ck_assert_str_eq(u.address, ALICE);
	/* store_user_password_hash: the same resolution. */
	ck_assert_int_eq(store_user_password_hash(tstore, "AL@example.test", hash,
	    sizeof(hash), &u), 0);
	ck_assert(strncmp(hash, "$argon2id$", 10) == 0);
	ck_assert_int_eq(store_user_password_hash(tstore, "nobody@example.test", hash,
	    sizeof(hash), &u), STORE_ENOTFOUND);
	ck_assert_str_eq(hash, "");
	/* Re-pointing the alias invalidates its cached login. */
	ck_assert_int_eq(store_user_add(tstore, "bob@example.test", PW), 0);
	ck_assert_int_eq(store_alias_del(tstore, "al@example.test"), 0);
	ck_assert_int_eq(store_alias_add(tstore, "al@example.test", "bob@example.test"), 0);
	ck_assert_int_eq(auth_cache_check(c, tstore, "al@example.test", PW, T0 + 2, &u), 0);
	auth_cache_free(&c);
}
END_TEST

START_TEST(test_cache_bounded)
{
	struct auth_cache *c = auth_cache_new(2);
	struct store_user u = { 7, "x@example.test" }, v;
	char hash[STORE_PASSWORD_HASH_MAX];

	auth_cache_add(c, "a@x", "p", "$h1", &u, T0, TTL);
	auth_cache_add(c, "b@x", "p", "$h2", &u, T0 + 1, TTL);
	auth_cache_add(c, "c@x", "p", "$h3", &u, T0 + 2, TTL);
	ck_assert_uint_eq(auth_cache_size(c), 2);
	/* The entry that expires first made room. */
	ck_assert_int_eq(auth_cache_lookup(c, "a@x", "p", T0 + 3, hash, sizeof(hash), &v), 0);
	ck_assert_int_eq(auth_cache_lookup(c, "c@x", "p", T0 + 3, hash, sizeof(hash), &v), 1);
	ck_assert_str_eq(hash, "$h3");
	ck_assert_uint_eq(v.id, 7);
	/* Re-adding a login replaces its entry. */
	auth_cache_add(c, "c@x", "q", "$h4", &u, T0 + 4, TTL);
	ck_assert_uint_eq(auth_cache_size(c), 2);
	ck_assert_int_eq(auth_cache_lookup(c, "c@x", "p", T0 + 5, hash, sizeof(hash), &v), 0);
	ck_assert_int_eq(auth_cache_lookup(c, "c@x", "q", T0 + 5, hash, sizeof(hash), &v), 1);
	auth_cache_forget(c, "C@X");
	ck_assert_uint_eq(auth_cache_size(c), 1);
	auth_cache_free(&c);
}
END_TEST

static Suite *
auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc;

	tc = tcase_create("sasl");
	tcase_add_loop_test(tc, test_plain_table, 0,
	    (int)(sizeof(plain_cases) / sizeof(plain_cases[0])));
	tcase_add_test(tc, test_plain_bad_base64);
	tcase_add_test(tc, test_plain_limits);
	tcase_add_test(tc, test_base64_decode);
	tcase_add_test(tc, test_sasl_plain_exchange);
	tcase_add_test(tc, test_sasl_login_exchange);
	tcase_add_test(tc, test_sasl_mech);
	suite_add_tcase(s, tc);

	tc = tcase_create("throttle");
	tcase_add_test(tc, test_throttle_lock_and_expiry);
	tcase_add_test(tc, test_throttle_doubling);
	tcase_add_test(tc, test_throttle_success_and_window);
	tcase_add_test(tc, test_throttle_account);
	tcase_add_test(tc, test_throttle_bounded);
	tcase_add_test(tc, test_throttle_off);
	tcase_add_test(tc, test_peer_key);
	suite_add_tcase(s, tc);

	tc = tcase_create("cache");
	/* Each test opens its own store in the forked child. */
	tcase_add_checked_fixture(tc, store_setup, store_teardown);
	tcase_set_timeout(tc, 60);	/* argon2id */
	tcase_add_test(tc, test_cache_hit_miss);
	tcase_add_test(tc, test_cache_expiry);
	tcase_add_test(tc, test_cache_password_change);
	tcase_add_test(tc, test_cache_alias_login);
	tcase_add_test(tc, test_cache_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(auth_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
