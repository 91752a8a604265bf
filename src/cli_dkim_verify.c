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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "dkim.h"
#include "util.h"

/* "SELECTOR-ALG" -> the key file's public record; NULL after printing why. */
static char *
our_public_txt(const struct cli *cli, const struct dkim_sig_id *t, char *why, size_t whylen)
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
	struct dkim_sig_id	 tags[16];
	char			*msg, *crlf, *txt, why[512];
	size_t			 len, clen, n, i, good = 0;
	time_t			 now = time(NULL);
	int			 found;

	if (cli_load_config(cli) == -1 || cli_drop_privileges(cli) == -1)
		return CLI_EXIT_ERROR;
	if ((msg = cli_dkim_read_stdin(cli->cfg.max_message_size, &len)) == NULL)
		return CLI_EXIT_ERROR;
	crlf = dkim_crlf(msg, len, &clen);
	free(msg);
	found = dkim_signature_ids(crlf, clen, tags, sizeof(tags) / sizeof(tags[0]),
	    why, sizeof(why));
	if (found <= 0) {
		if (found == 0)
			cli_error("the message has no DKIM-Signature");
		else
			cli_error("cannot read the message header: %s", why);
		free(crlf);
		return CLI_EXIT_ERROR;
	}
	n = (size_t)found < sizeof(tags) / sizeof(tags[0]) ? (size_t)found :
	    sizeof(tags) / sizeof(tags[0]);
	for (i = 0; i < n; i++)
		str_lower(tags[i].d);
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
