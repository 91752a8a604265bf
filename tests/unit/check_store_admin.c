/*
 * check_store_admin.c: domains, users, aliases, recipient resolution and
 * login verification through the store API.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_store_util.h"
#include "util.h"

void	store_admin_tcases(Suite *s);

static char		*dir;
static struct store	*st;

static void
setup(void)
{
	dir = tmp_dir_create();
	st = open_store(dir);
}

static void
teardown(void)
{
	store_close(&st);
	tmp_dir_remove(dir);
}

struct strlist {
	char	 buf[1024];
	int	 n;
};

static int
collect_domain(void *arg, const char *domain)
{
	struct strlist *l = arg;

	str_append(l->buf, domain, sizeof(l->buf));
	str_append(l->buf, ";", sizeof(l->buf));
	l->n++;
	return 0;
}

static int
collect_user(void *arg, const struct store_user *u)
{
	return collect_domain(arg, u->address);
}

static int
collect_alias(void *arg, const char *address, const char *targets)
{
	struct strlist *l = arg;

	str_append(l->buf, address, sizeof(l->buf));
	str_append(l->buf, "=", sizeof(l->buf));
	return collect_domain(arg, targets);
}

static int
collect_mailbox(void *arg, const struct store_mailbox *mb)
{
	char item[64];

	ck_assert_int_eq(str_format(item, sizeof(item), "%s:%d:%d", mb->name,
	    mb->special_use, mb->subscribed), 0);
	ck_assert_uint_eq(mb->uidnext, 1);
	ck_assert_uint_eq(mb->messages, 0);
	ck_assert_uint_ne(mb->uidvalidity, 0);
	return collect_domain(arg, item);
}

START_TEST(test_domains)
{
	static const char *const bad[] = { "", "a b.org", "bad..org", ".x.org",
	    "x.org.", "a@b.org", "a,b.org", "tab\t.org" };
	struct strlist l;
	size_t i;

	ck_assert_int_eq(store_domain_add(st, "Example.ORG"), 0);
	ck_assert_int_eq(store_domain_add(st, "example.org"), STORE_EEXIST);
	ck_assert_int_eq(store_domain_add(st, "b.example"), 0);
	ck_assert_int_eq(store_domain_exists(st, "EXAMPLE.org"), 1);
	ck_assert_int_eq(store_domain_exists(st, "nope.org"), 0);
	ck_assert_int_eq(store_domain_exists(st, "[127.0.0.1]"), 0);
	ck_assert_int_eq(store_domain_exists(st, NULL), STORE_EINVAL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(store_domain_add(st, bad[i]) == STORE_EINVAL,
		    "domain '%s' accepted", bad[i]);
	ck_assert_int_eq(store_domain_add(st, NULL), STORE_EINVAL);

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(store_domain_list(st, collect_domain, &l), 0);
	ck_assert_str_eq(l.buf, "b.example;example.org;");

	/* A domain in use cannot go; an unused one can. */
	add_user(st, "alice@example.org");
	ck_assert_int_eq(store_domain_del(st, "example.org"), STORE_ENOTEMPTY);
	ck_assert_int_eq(store_alias_add(st, "@b.example", "alice@example.org"), 0);
	ck_assert_int_eq(store_domain_del(st, "b.example"), STORE_ENOTEMPTY);
	ck_assert_int_eq(store_alias_del(st, "@b.example"), 0);
	ck_assert_int_eq(store_domain_del(st, "B.Example"), 0);
	ck_assert_int_eq(store_domain_del(st, "b.example"), STORE_ENOTFOUND);
	ck_assert_int_eq(store_user_del(st, "alice@example.org"), 0);
	ck_assert_int_eq(store_domain_del(st, "example.org"), 0);
	ck_assert_int_eq(store_domain_exists(st, "example.org"), 0);
	ck_assert_str_ne(store_strerror(STORE_ENOTEMPTY),
	    store_strerror(-1000));
}
END_TEST

START_TEST(test_users)
{
	static const char *const bad[] = { "alice", "a b@example.org",
	    "@example.org", "alice@", "\"q\"@example.org", "a,b@example.org",
	    "x@@example.org" };
	char longaddr[STORE_ADDRESS_MAX + 10];
	struct store_user u;
	struct strlist l;
	uint64_t alice, bob, bob2;
	size_t i;

	alice = add_user(st, "Alice@Example.org");
	bob = add_user(st, "bob@example.org");
	ck_assert_uint_ne(alice, bob);
	ck_assert_int_eq(store_user_lookup(st, "ALICE@example.ORG", &u), 0);
	ck_assert_uint_eq(u.id, alice);
	ck_assert_str_eq(u.address, "alice@example.org");
	ck_assert_int_eq(store_user_lookup_id(st, bob, &u), 0);
	ck_assert_str_eq(u.address, "bob@example.org");
	ck_assert_int_eq(store_user_lookup_id(st, 999, &u), STORE_ENOTFOUND);
	ck_assert_int_eq(store_user_lookup(st, "carol@example.org", &u),
	    STORE_ENOTFOUND);

	ck_assert_int_eq(store_user_add(st, "alice@EXAMPLE.org", "x"),
	    STORE_EEXIST);
	ck_assert_int_eq(store_user_add(st, "x@unknown.org", "x"),
	    STORE_ENOTFOUND);
	ck_assert_int_eq(store_user_add(st, "carol@example.org", ""),
	    STORE_EINVAL);
	ck_assert_int_eq(store_user_add(st, "carol@example.org", NULL),
	    STORE_EINVAL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(store_user_add(st, bad[i], "x") == STORE_EINVAL,
		    "address '%s' accepted", bad[i]);
	memset(longaddr, 'a', sizeof(longaddr) - 1);
	longaddr[sizeof(longaddr) - 1] = '\0';
	memcpy(longaddr + sizeof(longaddr) - 13, "@example.org", 12);
	ck_assert_int_eq(store_user_add(st, longaddr, "x"), STORE_EINVAL);
	ck_assert_int_eq(store_user_lookup(st, longaddr, &u), STORE_EINVAL);

	/* Default mailboxes, subscribed, with their special-use. */
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(store_mailbox_list(st, alice, collect_mailbox, &l), 0);
	ck_assert_str_eq(l.buf, "Archive:5:1;Drafts:2:1;INBOX:0:1;Junk:4:1;"
	    "Sent:1:1;Trash:3:1;");
	ck_assert_int_eq(store_mailbox_list(st, 999, collect_mailbox, &l),
	    STORE_ENOTFOUND);

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(store_user_list(st, collect_user, &l), 0);
	ck_assert_str_eq(l.buf, "alice@example.org;bob@example.org;");

	/* Ids are never reused, even for the same address. */
	ck_assert_int_eq(store_user_del(st, "bob@example.org"), 0);
	ck_assert_int_eq(store_user_del(st, "bob@example.org"), STORE_ENOTFOUND);
	ck_assert_int_eq(store_user_lookup_id(st, bob, &u), STORE_ENOTFOUND);
	bob2 = add_user(st, "bob@example.org");
	ck_assert_uint_gt(bob2, bob);
	ck_assert_int_eq(check_problems(st), 0);
}
END_TEST

START_TEST(test_verify)
{
	struct store_user u;
	uint64_t alice;

	alice = add_user(st, "alice@example.org");
	add_user(st, "bob@example.org");
	ck_assert_int_eq(store_alias_add(st, "al@example.org",
	    "alice@example.org"), 0);
	ck_assert_int_eq(store_alias_add(st, "both@example.org",
	    "alice@example.org,bob@example.org"), 0);
	ck_assert_int_eq(store_alias_add(st, "@example.org",
	    "alice@example.org"), 0);

	memset(&u, 0, sizeof(u));
	ck_assert_int_eq(store_user_verify(st, "Alice@example.org",
	    TEST_PASSWORD, &u), 1);
	ck_assert_uint_eq(u.id, alice);
	ck_assert_str_eq(u.address, "alice@example.org");
	ck_assert_int_eq(store_user_verify(st, "alice@example.org", "wrong",
	    &u), 0);
	ck_assert_int_eq(store_user_verify(st, "nobody@nowhere.org",
	    TEST_PASSWORD, &u), 0);
	ck_assert_int_eq(store_user_verify(st, "not an address",
	    TEST_PASSWORD, &u), 0);

	/* An alias of exactly one user logs in as that user. */
	memset(&u, 0, sizeof(u));
	ck_assert_int_eq(store_user_verify(st, "al@example.org",
	    TEST_PASSWORD, &u), 1);
	ck_assert_uint_eq(u.id, alice);
	ck_assert_str_eq(u.address, "alice@example.org");
	ck_assert_int_eq(store_user_verify(st, "both@example.org",
	    TEST_PASSWORD, &u), 0);
	/* The catch-all delivers, but never logs in. */
	ck_assert_int_eq(store_user_verify(st, "random@example.org",
	    TEST_PASSWORD, &u), 0);

	ck_assert_int_eq(store_user_passwd(st, "alice@example.org", "n3w"), 0);
	ck_assert_int_eq(store_user_verify(st, "alice@example.org",
	    TEST_PASSWORD, &u), 0);
	ck_assert_int_eq(store_user_verify(st, "alice@example.org", "n3w",
	    &u), 1);
	ck_assert_int_eq(store_user_passwd(st, "carol@example.org", "x"),
	    STORE_ENOTFOUND);
}
END_TEST

START_TEST(test_aliases)
{
	struct strlist l;

	add_user(st, "alice@example.org");
	ck_assert_int_eq(store_domain_add(st, "other.org"), 0);
	ck_assert_int_eq(store_alias_add(st, "Team@Example.org",
	    " Alice@Example.ORG , bob@other.org,,"), 0);
	ck_assert_int_eq(store_alias_add(st, "team@example.org",
	    "alice@example.org"), STORE_EEXIST);
	ck_assert_int_eq(store_alias_add(st, "alice@example.org",
	    "bob@other.org"), STORE_EEXIST);
	ck_assert_int_eq(store_alias_add(st, "x@unknown.org",
	    "alice@example.org"), STORE_ENOTFOUND);
	ck_assert_int_eq(store_alias_add(st, "@other.org",
	    "alice@example.org"), 0);
	ck_assert_int_eq(store_alias_add(st, "y@example.org", ""), STORE_EINVAL);
	ck_assert_int_eq(store_alias_add(st, "y@example.org", " , "),
	    STORE_EINVAL);
	ck_assert_int_eq(store_alias_add(st, "y@example.org", "not an address"),
	    STORE_EINVAL);
	ck_assert_int_eq(store_alias_add(st, "y@example.org", "@example.org"),
	    STORE_EINVAL);
	ck_assert_int_eq(store_alias_add(st, "y@example.org", NULL),
	    STORE_EINVAL);
	/* An alias owns its address: no user may take it. */
	ck_assert_int_eq(store_user_add(st, "team@example.org", "x"),
	    STORE_EEXIST);

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(store_alias_list(st, collect_alias, &l), 0);
	ck_assert_str_eq(l.buf, "@other.org=alice@example.org;"
	    "team@example.org=alice@example.org,bob@other.org;");
	ck_assert_int_eq(store_alias_del(st, "TEAM@example.org"), 0);
	ck_assert_int_eq(store_alias_del(st, "team@example.org"),
	    STORE_ENOTFOUND);
	ck_assert_int_eq(store_alias_del(st, "garbage"), STORE_EINVAL);
}
END_TEST

/* Resolution table: users alice, bob (example.org), carol (other.org). */
static const struct {
	const char	*address;
	int		 rc;
	const char	*users;		/* expected, comma-separated names */
} resolve_cases[] = {
	{ "alice@example.org", 0, "alice" },
	{ "ALICE@Example.ORG", 0, "alice" },
	{ "team@example.org", 0, "alice,bob" },
	{ "all@example.org", 0, "alice,bob,carol" },
	{ "loop1@example.org", 0, "alice" },
	{ "loop2@example.org", 0, "alice" },
	{ "self@example.org", STORE_ENOTFOUND, "" },
	{ "nobody@example.org", STORE_ENOTFOUND, "" },
	{ "dangling@example.org", STORE_ENOTFOUND, "" },
	{ "forward@example.org", STORE_ENOTFOUND, "" },
	{ "carol@other.org", 0, "carol" },
	{ "anything@other.org", 0, "carol" },
	{ "Anything@OTHER.org", 0, "carol" },
	{ "via-catchall@example.org", STORE_ENOTFOUND, "" },
	{ "to-other@example.org", 0, "carol" },
	{ "x@foreign.net", 1, "" },
	{ "x@sub.example.org", 1, "" },
	{ "noatsign", STORE_EINVAL, "" },
	{ "", STORE_EINVAL, "" },
	{ "@example.org", STORE_EINVAL, "" },
	{ "ctl\001@example.org", STORE_EINVAL, "" },
};

static uint64_t
name_id(const char *name)
{
	char address[64];
	struct store_user u;

	ck_assert_int_eq(str_format(address, sizeof(address), "%s@%s", name,
	    strcmp(name, "carol") == 0 ? "other.org" : "example.org"), 0);
	ck_assert_int_eq(store_user_lookup(st, address, &u), 0);
	return u.id;
}

START_TEST(test_resolve)
{
	static const char *const aliases[][2] = {
		{ "team@example.org", "alice@example.org,bob@example.org" },
		{ "all@example.org", "team@example.org,carol@other.org,"
		    "ext@foreign.net,alice@example.org" },
		{ "loop1@example.org", "loop2@example.org" },
		{ "loop2@example.org", "loop1@example.org,alice@example.org" },
		{ "self@example.org", "self@example.org" },
		{ "dangling@example.org", "gone@example.org" },
		{ "forward@example.org", "someone@foreign.net" },
		{ "to-other@example.org", "whoever@other.org" },
		{ "@other.org", "carol@other.org" },
	};
	char longaddr[STORE_ADDRESS_MAX + 10], names[256], *tok, *save;
	uint64_t ids[8], want;
	size_t i, j, n;
	int rc, found;

	add_user(st, "alice@example.org");
	add_user(st, "bob@example.org");
	add_user(st, "carol@other.org");
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		ck_assert_int_eq(store_alias_add(st, aliases[i][0],
		    aliases[i][1]), 0);

	for (i = 0; i < sizeof(resolve_cases) / sizeof(resolve_cases[0]); i++) {
		rc = store_resolve_rcpt(st, resolve_cases[i].address, ids, 8, &n);
		ck_assert_msg(rc == resolve_cases[i].rc, "%s: %d, want %d",
		    resolve_cases[i].address, rc, resolve_cases[i].rc);
		str_copy(names, resolve_cases[i].users, sizeof(names));
		j = 0;
		for (tok = strtok_r(names, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save), j++) {
			want = name_id(tok);
			for (found = 0, rc = 0; (size_t)rc < n; rc++)
				found |= ids[rc] == want;
			ck_assert_msg(found, "%s: %s missing",
			    resolve_cases[i].address, tok);
		}
		ck_assert_msg(n == j, "%s: %zu ids, want %zu",
		    resolve_cases[i].address, n, j);
	}

	/* Over-long addresses are refused, not truncated. */
	memset(longaddr, 'a', sizeof(longaddr) - 1);
	longaddr[sizeof(longaddr) - 1] = '\0';
	memcpy(longaddr + sizeof(longaddr) - 13, "@example.org", 12);
	ck_assert_int_eq(store_resolve_rcpt(st, longaddr, ids, 8, &n),
	    STORE_EINVAL);
	/* Fewer slots than users: filled up to max. */
	ck_assert_int_eq(store_resolve_rcpt(st, "all@example.org", ids, 2, &n),
	    0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(store_resolve_rcpt(st, "all@example.org", ids, 0, &n),
	    STORE_EINVAL);
}
END_TEST

void
store_admin_tcases(Suite *s)
{
	TCase *tc;

	tc = tcase_create("domains and users");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_domains);
	tcase_add_test(tc, test_users);
	tcase_add_test(tc, test_verify);
	suite_add_tcase(s, tc);

	tc = tcase_create("aliases and resolution");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_aliases);
	tcase_add_test(tc, test_resolve);
	suite_add_tcase(s, tc);
}
