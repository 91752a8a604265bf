/*
 * dkim_keyring.c: the daemon's DKIM signing keys, loaded once from
 * DATA_DIR/dkim (files DOMAIN.SELECTOR.ALG.key as `posthorn dkim
 * generate` writes them), and signing a message with every key of the
 * domain of its From: address (RFC 7489 3.1: the d= a DMARC check aligns
 * with), ed25519 first, then rsa.
 *
 * It deliberately does not decide which messages are signed (the queue
 * signs mail from local domains), does not reload itself (the daemon
 * loads a new keyring on SIGHUP), and ignores files whose names are not
 * key names. Read-only after loading, so any thread may sign with it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "dkim_internal.h"
#include "util.h"

#define KEYRING_SUFFIX	".key"
#define KEYRING_MAX	1024	/* key files we load; more is a mistake */

struct dkim_keyring {
	struct dkim_key	**keys;		/* sorted: domain, ed25519 first, selector */
	size_t		  n;
};

/* The parts of a key file name. */
struct keyring_name {
	char		 domain[DKIM_DOMAIN_MAX + 1];
	char		 selector[DKIM_SELECTOR_MAX + 1];
	enum dkim_alg	 alg;
};

static void	 keyring_warn(void (*warn)(void *, const char *), void *arg,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int	 keyring_check_domain(const char *d, size_t len);
static int	 keyring_parse_name(const char *name, struct keyring_name *kn);
static int	 keyring_cmp(const void *a, const void *b);
static void	 from_domain(const char *value, size_t len, char *buf,
		    size_t bufsize);

static void
keyring_warn(void (*warn)(void *, const char *), void *arg, const char *fmt,
    ...)
{
	char	 msg[1024];
	va_list	 ap;

	if (warn == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);	/* truncation is fine */
	va_end(ap);
	warn(arg, msg);
}

/* A DNS name of letters, digits, '-', '_' and inner dots. 0 or -1. */
static int
keyring_check_domain(const char *d, size_t len)
{
	size_t	i;

	if (len == 0 || len > DKIM_DOMAIN_MAX || d[0] == '.' ||
	    d[len - 1] == '.')
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char	c = (unsigned char)d[i];

		if (c == '.' && d[i + 1] == '.')
			return -1;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return -1;
	}
	return 0;
}

/*
 * "DOMAIN.SELECTOR.ALG.key": the algorithm is the last dotted component,
 * the selector the one before (selectors have no dots), the domain the
 * rest (it has dots). 0, or -1 when name is not a key file name.
 */
static int
keyring_parse_name(const char *name, struct keyring_name *kn)
{
	size_t		 len = strlen(name), slen = strlen(KEYRING_SUFFIX);
	const char	*alg_dot, *sel_dot, *end;
	char		 alg[16];
	int		 a;

	if (len <= slen || strcmp(name + len - slen, KEYRING_SUFFIX) != 0)
		return -1;
	end = name + len - slen;
	for (alg_dot = end; alg_dot > name && alg_dot[-1] != '.'; alg_dot--)
		;
	if (alg_dot <= name + 1 || (size_t)(end - alg_dot) >= sizeof(alg))
		return -1;
	memcpy(alg, alg_dot, (size_t)(end - alg_dot));
	alg[end - alg_dot] = '\0';
	for (a = 0; a < DKIM_ALG_COUNT; a++)
		if (strcmp(alg, dkim_alg_name((enum dkim_alg)a)) == 0)
			break;
	if (a == DKIM_ALG_COUNT)
		return -1;
	kn->alg = (enum dkim_alg)a;
	alg_dot--;		/* the dot before ALG */
	for (sel_dot = alg_dot; sel_dot > name && sel_dot[-1] != '.'; sel_dot--)
		;
	if (sel_dot <= name + 1 ||
	    (size_t)(alg_dot - sel_dot) >= sizeof(kn->selector))
		return -1;
	memcpy(kn->selector, sel_dot, (size_t)(alg_dot - sel_dot));
	kn->selector[alg_dot - sel_dot] = '\0';
	if (dkim_check_selector(kn->selector) == -1)
		return -1;
	sel_dot--;		/* the dot before SELECTOR */
	if (keyring_check_domain(name, (size_t)(sel_dot - name)) == -1)
		return -1;
	memcpy(kn->domain, name, (size_t)(sel_dot - name));
	kn->domain[sel_dot - name] = '\0';
	str_lower(kn->domain);
	return 0;
}

static int
keyring_cmp(const void *a, const void *b)
{
	const struct dkim_key	*ka = *(const struct dkim_key *const *)a;
	const struct dkim_key	*kb = *(const struct dkim_key *const *)b;
	int			 c;

	if ((c = strcmp(ka->domain, kb->domain)) != 0)
		return c;
	/* ed25519 before rsa: receivers that know it check it first */
	if (ka->alg != kb->alg)
		return ka->alg == DKIM_ALG_ED25519 ? -1 : 1;
	return strcmp(ka->selector, kb->selector);
}

struct dkim_keyring *
dkim_keyring_load(const char *data_dir,
    void (*warn)(void *arg, const char *msg), void *arg, char *err,
    size_t errlen)
{
	struct dkim_keyring	*kr;
	struct keyring_name	 kn;
	struct dirent		*de;
	struct stat		 st;
	struct dkim_key		*key;
	char			 dir[4096], path[4096 + 512], kerr[512];
	DIR			*d;

	if (str_format(dir, sizeof(dir), "%s/dkim", data_dir) == -1) {
		(void)str_format(err, errlen, "%s: data_dir too long", data_dir);
		return NULL;
	}
	kr = xcalloc(1, sizeof(*kr));
	if ((d = opendir(dir)) == NULL) {
		/* No keys generated yet: nothing to sign with. */
		if (errno != ENOENT)
			keyring_warn(warn, arg, "%s: %s; not signing", dir,
			    strerror(errno));
		return kr;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (keyring_parse_name(de->d_name, &kn) == -1) {
			/* A .key file we cannot name is worth a word; others
			 * (editor backups, READMEs) are not. */
			size_t l = strlen(de->d_name);

			if (l > 4 && strcmp(de->d_name + l - 4, ".key") == 0)
				keyring_warn(warn, arg, "%s/%s: not a "
				    "DOMAIN.SELECTOR.ALG.key name; skipped",
				    dir, de->d_name);
			continue;
		}
		if (str_format(path, sizeof(path), "%s/%s", dir,
		    de->d_name) == -1)
			continue;
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
			keyring_warn(warn, arg, "%s: not a regular file; skipped",
			    path);
			continue;
		}
		if (kr->n == KEYRING_MAX) {
			keyring_warn(warn, arg, "%s: more than %d keys; the rest "
			    "skipped", dir, KEYRING_MAX);
			break;
		}
		kerr[0] = '\0';
		key = dkim_key_load(path, kn.alg, kn.domain, kn.selector, kerr,
		    sizeof(kerr));
		if (key == NULL) {
			keyring_warn(warn, arg, "%s; skipped", kerr);
			continue;
		}
		if (kr->n % 16 == 0)
			kr->keys = xreallocarray(kr->keys, kr->n + 16,
			    sizeof(*kr->keys));
		kr->keys[kr->n++] = key;
	}
	closedir(d);
	if (kr->n > 1)
		qsort(kr->keys, kr->n, sizeof(*kr->keys), keyring_cmp);
	return kr;
}

void
dkim_keyring_free(struct dkim_keyring *kr)
{
	size_t	i;

	if (kr == NULL)
		return;
	for (i = 0; i < kr->n; i++)
		dkim_key_free(kr->keys[i]);
	free(kr->keys);
	free(kr);
}

size_t
dkim_keyring_count(const struct dkim_keyring *kr)
{
	return kr != NULL ? kr->n : 0;
}

/*
 * The lower-cased domain of the first address in a From: value (RFC 5322
 * 3.4: mailbox-list, name-addr or addr-spec, comments, quoted strings,
 * groups, folding) into buf; "" when there is none or it is too long.
 * Comments go, quoted strings become a placeholder (they hold no domain
 * but may hold '@', '<', ',' or ':'), then the angle-addr or the first
 * addr-spec of the list is taken and the domain is what follows its last
 * '@' (a source route "<@a,@b:u@d>" ends with the real one).
 */
static void
from_domain(const char *value, size_t len, char *buf, size_t bufsize)
{
	char		*c = xmalloc(len + 1), *s, *e, *at;
	size_t		 i, n = 0;
	int		 depth = 0, quoted = 0;

	buf[0] = '\0';
	for (i = 0; i < len; i++) {
		char	ch = value[i];

		if (ch == '\r' || ch == '\n')
			continue;	/* unfold */
		if ((quoted || depth > 0) && ch == '\\') {
			i++;		/* quoted-pair */
			continue;
		}
		if (quoted) {
			if (ch == '"') {
				quoted = 0;
				c[n++] = 'q';
			}
			continue;
		}
		if (ch == '(') {
			depth++;
			continue;
		}
		if (depth > 0) {
			if (ch == ')')
				depth--;
			continue;
		}
		if (ch == '"') {
			quoted = 1;
			continue;
		}
		c[n++] = ch;
	}
	c[n] = '\0';

	s = c;
	if ((e = strchr(s, '<')) != NULL && (e == s ||
	    strcspn(s, ",") > (size_t)(e - s))) {
		/* the first mailbox is a name-addr: its angle-addr */
		s = e + 1;
		s[strcspn(s, ">")] = '\0';
	} else {
		/* group "display-name:" before the list (RFC 5322 3.4) */
		if ((e = strchr(s, ':')) != NULL && strcspn(s, "@") > (size_t)(e - s))
			s = e + 1;
		s[strcspn(s, ",;")] = '\0';
	}
	if ((at = strrchr(s, '@')) != NULL) {
		s = str_trim(at + 1);
		n = strlen(s);
		while (n > 0 && s[n - 1] == '.')
			s[--n] = '\0';	/* a trailing root dot */
		if (str_copy(buf, s, bufsize) >= bufsize)
			buf[0] = '\0';
		str_lower(buf);
	}
	free(c);
}

char *
dkim_keyring_sign(const struct dkim_keyring *kr, const char *msg, size_t len,
    time_t now, size_t *len_r, char *err, size_t errlen)
{
	struct dkim_msg	 m;
	char		 domain[DKIM_DOMAIN_MAX + 1], *sig, *out = NULL;
	const char	*v;
	size_t		 i, vlen, sl, total = 0;

	*len_r = 0;
	if (errlen > 0)
		err[0] = '\0';
	if (kr == NULL || kr->n == 0)
		return NULL;
	if (dkim_msg_parse(&m, msg, len, err, errlen) == -1)
		return NULL;
	domain[0] = '\0';
	for (i = 0; i < m.nfields; i++) {
		if (!dkim_field_is(&m, i, "From", 4))
			continue;
		/* dkim_msg_parse made sure the field has its colon */
		v = (const char *)memchr(msg + m.fields[i].start, ':',
		    m.fields[i].len) + 1;
		vlen = m.fields[i].len - (size_t)(v - (msg + m.fields[i].start));
		from_domain(v, vlen, domain, sizeof(domain));
		break;
	}
	dkim_msg_free(&m);
	if (domain[0] == '\0')
		return NULL;	/* no From: address: not ours to sign */

	/* Keys are sorted by domain, ed25519 first. */
	for (i = 0; i < kr->n; i++) {
		if (strcmp(kr->keys[i]->domain, domain) != 0)
			continue;
		if ((sig = dkim_sign(kr->keys[i], msg, len, now, err,
		    errlen)) == NULL) {
			free(out);
			*len_r = 0;
			if (errlen > 0 && err[0] == '\0')
				(void)str_copy(err, "signing failed", errlen);
			return NULL;
		}
		sl = strlen(sig);
		out = xrealloc(out, total + sl + 1);
		memcpy(out + total, sig, sl + 1);
		total += sl;
		free(sig);
	}
	*len_r = total;
	return out;
}
