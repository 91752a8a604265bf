/*
 * cli_dkim_verify.c: `posthorn dkim verify < MESSAGE` checks every
 * DKIM-Signature of a message against the keys of this server
 * (data_dir/dkim), without DNS: an administrator (or a test) can confirm
 * that mail as it left the server, e.g. a copy from a remote mailbox,
 * carries valid signatures. One line per signature; exit 0 when there is
 * at least one and all verify.
 *
 * It verifies our own signatures only: a d=/s= pair we have no key file
 * for is reported as such, not looked up in DNS.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "dkim.h"
#include "util.h"

/* The d= and s= tags of one signature (RFC 6376 3.5), as found. */
struct dkim_sig_tags {
	char	 d[DKIM_DOMAIN_MAX + 1];
	char	 s[DKIM_SELECTOR_MAX + 16];
};

/* Copy the value of tag name from a tag-list (whitespace/folding removed). */
static void
tag_value(const char *list, size_t len, const char *name, char *buf, size_t bufsize)
{
	size_t	 i = 0, o, nlen = strlen(name);

	buf[0] = '\0';
	while (i < len) {
		while (i < len && isspace((unsigned char)list[i]))
			i++;
		if (len - i > nlen && strncmp(list + i, name, nlen) == 0) {
			size_t j = i + nlen;

			while (j < len && isspace((unsigned char)list[j]))
				j++;
			if (j < len && list[j] == '=') {
				for (j++, o = 0; j < len && list[j] != ';'; j++)
					if (!isspace((unsigned char)list[j]) && o + 1 < bufsize)
						buf[o++] = list[j];
				buf[o] = '\0';
				return;
			}
		}
		while (i < len && list[i] != ';')
			i++;
		i++;
	}
}

/*
 * The tags of every DKIM-Signature in the header of msg (CRLF), top to
 * bottom: the order dkim_verify() counts them in. Returns the count.
 */
static size_t
find_signatures(const char *msg, size_t len, struct dkim_sig_tags *tags, size_t max)
{
	static const char	 name[] = "DKIM-Signature:";
	size_t			 off = 0, end, n = 0;
	const char		*nl;

	while (off < len && n < max && !(msg[off] == '\r' || msg[off] == '\n')) {
		end = off;
		do {	/* one field with its continuation lines */
			nl = memchr(msg + end, '\n', len - end);
			end = nl != NULL ? (size_t)(nl - msg) + 1 : len;
		} while (end < len && (msg[end] == ' ' || msg[end] == '\t'));
		if (end - off > sizeof(name) - 1 &&
		    strncasecmp(msg + off, name, sizeof(name) - 1) == 0) {
			const char *v = msg + off + sizeof(name) - 1;
			size_t vlen = end - off - (sizeof(name) - 1);

			tag_value(v, vlen, "d", tags[n].d, sizeof(tags[n].d));
			tag_value(v, vlen, "s", tags[n].s, sizeof(tags[n].s));
			str_lower(tags[n].d);
			n++;
		}
		off = end;
	}
	return n;
}

/* "SELECTOR-ALG" -> the key file's public record; NULL after printing why. */
static char *
our_public_txt(const struct cli *cli, const struct dkim_sig_tags *t, char *why, size_t whylen)
{
	char		 sel[DKIM_SELECTOR_MAX + 16], path[CONFIG_PATH_MAX + 400];
	char		*dash, *txt;
	struct dkim_key	*key;
	enum dkim_alg	 alg;

	str_copy(sel, t->s, sizeof(sel));
	if ((dash = strrchr(sel, '-')) == NULL) {
		str_format(why, whylen, "selector %s is not one of ours (SELECTOR-ALG)", t->s);
		return NULL;
	}
	*dash++ = '\0';
	for (alg = 0; alg < DKIM_ALG_COUNT; alg++)
		if (strcmp(dash, dkim_alg_name(alg)) == 0)
			break;
	if (alg == DKIM_ALG_COUNT || dkim_check_selector(sel) < 0 ||
	    strchr(t->d, '/') != NULL || t->d[0] == '.' ||
	    dkim_key_path(path, sizeof(path), cli->cfg.data_dir, t->d, sel, alg) < 0) {
		str_format(why, whylen, "selector %s is not one of ours", t->s);
		return NULL;
	}
	if ((key = dkim_key_load(path, alg, t->d, sel, why, whylen)) == NULL)
		return NULL;
	txt = dkim_public_txt(key);
	dkim_key_free(key);
	if (txt == NULL)
		str_copy(why, "cannot export the public key", whylen);
	return txt;
}

int
cli_dkim_verify(struct cli *cli)
{
	struct dkim_sig_tags	 tags[16];
	char			*msg, *crlf, *txt, why[512];
	size_t			 len, clen, n, i, good = 0;
	time_t			 now = time(NULL);

	if (cli_load_config(cli) == -1 || cli_drop_privileges(cli) == -1)
		return CLI_EXIT_ERROR;
	if ((msg = cli_dkim_read_stdin(cli->cfg.max_message_size, &len)) == NULL)
		return CLI_EXIT_ERROR;
	crlf = dkim_crlf(msg, len, &clen);
	free(msg);
	n = find_signatures(crlf, clen, tags, sizeof(tags) / sizeof(tags[0]));
	if (n == 0) {
		cli_error("the message has no DKIM-Signature");
		free(crlf);
		return CLI_EXIT_ERROR;
	}
	for (i = 0; i < n; i++) {
		why[0] = '\0';
		if ((txt = our_public_txt(cli, &tags[i], why, sizeof(why))) != NULL) {
			if (dkim_verify(crlf, clen, i, txt, now, why, sizeof(why)) == 0) {
				good++;
				why[0] = '\0';	/* err is only meaningful on failure */
			} else if (why[0] == '\0')
				str_copy(why, "does not verify", sizeof(why));
			free(txt);
		}
		printf("signature %zu: d=%s s=%s: %s%s\n", i + 1, tags[i].d, tags[i].s,
		    why[0] == '\0' ? "pass" : "fail: ", why);
	}
	free(crlf);
	if (fflush(stdout) != 0)
		return CLI_EXIT_ERROR;
	return good == n ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}
