/*
 * fuzz_imap_search.c: libFuzzer target for the argument parsers of
 * imap-fetch: SEARCH programs (parsed, bound and evaluated against a
 * small multipart message, so the decoders run too), FETCH data items and
 * modifiers, and sequence sets. The input is one command line after the
 * tag; the first byte picks which command it is for:
 *   'S' SEARCH, 'F' FETCH, anything else: a sequence set.
 * Invariants checked: a parsed set resolves to sorted, disjoint ranges;
 * a SEARCH evaluates to 0 or 1 (the message always loads).
 *
 * Seeds (corpus/fuzz_imap_search/): the tables of check_imap_search.c,
 * check_imap_fetch.c and check_imap_seqset.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_fetch.h"
#include "imap_parser.h"
#include "imap_search.h"
#include "imap_seqset.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_msg[] =
	"From: =?UTF-8?Q?J=C3=B6rg?= <joerg@example.de>\r\n"
	"Subject: =?ISO-8859-1?Q?caf=E9?=\r\n"
	"Date: Wed, 1 Jan 2020 00:30:00 +0100\r\n"
	"Content-Type: multipart/mixed; boundary=B\r\n"
	"\r\n"
	"--B\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"U2Now7ZuZSBHcsO8w59lCg==\r\n"
	"--B--\r\n";

static const char fuzz_kw[][STORE_KEYWORD_LEN] = { "$label1", "Old" };

static int
fuzz_load(void *arg, const char **data_r, size_t *len_r)
{
	(void)arg;
	*data_r = fuzz_msg;
	*len_r = sizeof(fuzz_msg) - 1;
	return 0;
}

static int
fuzz_command(const char *verb, const uint8_t *data, size_t size, struct imap_cmd *cmd)
{
	const char *why;
	char *text;
	size_t vlen = strlen(verb);
	int r;

	text = xmalloc(vlen + size + 1);
	memcpy(text, verb, vlen);
	memcpy(text + vlen, data, size);
	memset(cmd, 0, sizeof(*cmd));
	r = imap_parse_command_text(text, vlen + size, cmd, &why);
	free(text);
	return r;
}

static void
fuzz_search(const uint8_t *data, size_t size)
{
	struct imap_search_program prog;
	struct imap_search_msg m;
	struct imap_cmd cmd;
	char err[160];
	int r;

	if (fuzz_command("A SEARCH ", data, size, &cmd) < 0)
		return;
	if (imap_search_parse(cmd.args, cmd.n_args, &prog, err, sizeof(err)) == 0) {
		imap_search_bind(&prog, 7, 42, fuzz_kw, 2);
		memset(&m, 0, sizeof(m));
		m.msn = 3;
		m.uid = 17;
		m.flags = STORE_FLAG_SEEN;
		m.keywords = 2;
		m.size = sizeof(fuzz_msg) - 1;
		m.modseq = 9;
		m.internaldate = 1577835000;
		m.now = 1577836000;
		m.load = fuzz_load;
		r = imap_search_eval(&prog, &m);
		if (r != 0 && r != 1)
			abort();
		imap_search_msg_clear(&m);
	}
	imap_search_program_free(&prog);
	imap_cmd_free_args(&cmd);
}

static void
fuzz_fetch(const uint8_t *data, size_t size)
{
	struct imap_fetch_request req;
	struct imap_cmd cmd;
	char err[160];
	size_t i;

	if (fuzz_command("A FETCH 1 ", data, size, &cmd) < 0)
		return;
	if (cmd.n_args >= 1 && imap_fetch_parse(&cmd.args[0],
	    cmd.n_args > 1 ? &cmd.args[1] : NULL, &req, err, sizeof(err)) == 0) {
		if (req.n == 0)
			abort();
		for (i = 0; i < req.n; i++) {
			const struct imap_fetch_item *it = &req.items[i];
			const char *d;
			char *owned;
			size_t len;

			if (it->type != IMAP_FETCH_SECTION && it->type != IMAP_FETCH_BINARY &&
			    it->type != IMAP_FETCH_BINARY_SIZE)
				continue;
			if (it->name == NULL)
				abort();
			/* Without a part tree only [] exists; never a crash. */
			(void)imap_fetch_section_data(it, fuzz_msg, sizeof(fuzz_msg) - 1,
			    NULL, &d, &len, &owned);
			free(owned);
		}
		imap_fetch_request_free(&req);
	}
	imap_cmd_free_args(&cmd);
}

static void
fuzz_seqset(const uint8_t *data, size_t size)
{
	struct imap_seqset set;
	size_t i;

	imap_seqset_init(&set);
	if (imap_seqset_parse(&set, (const char *)data, size) == IMAP_SEQSET_OK) {
		imap_seqset_resolve(&set, size > 0 ? data[0] : 0);
		for (i = 0; i < set.n; i++) {
			if (set.r[i].lo > set.r[i].hi || set.r[i].lo == 0)
				abort();
			if (i > 0 && set.r[i].lo <= set.r[i - 1].hi + (uint64_t)1)
				abort();
		}
		free(imap_seqset_format(&set));
	}
	imap_seqset_free(&set);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0]) {
	case 'S':
		fuzz_search(data + 1, size - 1);
		break;
	case 'F':
		fuzz_fetch(data + 1, size - 1);
		break;
	default:
		fuzz_seqset(data + 1, size - 1);
		break;
	}
	return 0;
}
