/*
 * fuzz_imap_parser.c: libFuzzer target for IMAP's network-facing parser:
 * the input is a client's byte stream, fed to the incremental command
 * parser in pieces whose sizes the first bytes choose (so literals and
 * lines are split everywhere), under pre-login or logged-in limits. Every
 * parsed argument goes through the typed accessors and the mailbox name
 * checks (modified UTF-7 decoding); names that pass must round-trip.
 * Invariants: tags and names are within their limits, a fatal error stops
 * the stream, nothing leaks or reads out of bounds (sanitizers).
 *
 * Seeds: tests/fuzz/corpus/fuzz_imap_parser/ (commands of the client
 * transcripts, literals, LITERAL+, bad syntax).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "imap.h"
#include "imap_core.h"
#include "imap_parser.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_args(struct imap_session *s, const struct imap_arg *a, size_t n, int depth)
{
	char name[STORE_MAILBOX_NAME_MAX], ext[STORE_MAILBOX_NAME_MAX * 3];
	char back[STORE_MAILBOX_NAME_MAX];
	const char *why, *str;
	uint64_t v;
	size_t i, len;
	int nil;

	if (depth > IMAP_LIST_DEPTH_MAX + 1)
		abort();
	for (i = 0; i < n; i++) {
		if (a[i].type == IMAP_ARG_LIST) {
			check_args(s, a[i].list, a[i].list_n, depth + 1);
			continue;
		}
		if (a[i].str == NULL || a[i].str[a[i].len] != '\0')
			abort();
		(void)imap_arg_number(&a[i], UINT64_MAX, &v);
		(void)imap_arg_nstring(&a[i], &len, &nil);
		str = imap_arg_astring(&a[i], &len);
		if (str == NULL)
			continue;
		if (imap_mailbox_arg(s, &a[i], name, sizeof(name), &why) == 0) {
			if (!imap_mailbox_name_valid(name))
				abort();
			/* What we accept we can say back, and read again. */
			if (imap_mailbox_external(s, name, ext, sizeof(ext)) < 0)
				abort();
			if (s->enabled & IMAP_ENABLED_UTF8) {
				if (strcmp(ext, name) != 0)
					abort();
			} else if (imap_utf7_to_utf8(ext, strlen(ext), back,
			    sizeof(back)) < 0 || strcmp(back, name) != 0)
				abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_parser_limits lim;
	struct imap_session s;
	struct imap_parser *p;
	struct evbuffer *in;
	size_t pos = 2, step;
	int fatal = 0;

	if (size < 2)
		return 0;
	memset(&s, 0, sizeof(s));
	p = imap_parser_new();
	in = evbuffer_new();
	/* Small limits so the fuzzer reaches them. */
	imap_parser_limits_default(&lim, data[0] & 1, 4096);
	lim.line_max = 300;
	lim.command_max = 2000;
	lim.literal_max = 500;
	imap_parser_set_limits(p, &lim);
	step = (size_t)(data[1] % 17) + 1;
	while (pos < size && !fatal) {
		size_t n = size - pos < step ? size - pos : step;

		evbuffer_add(in, data + pos, n);
		pos += n;
		for (;;) {
			enum imap_parse_status st = imap_parser_read(p, in);

			if (st == IMAP_PARSE_MORE)
				break;
			if (st == IMAP_PARSE_COMMAND) {
				struct imap_cmd cmd;

				memset(&cmd, 0, sizeof(cmd));
				imap_parser_take(p, &cmd);
				if (strlen(cmd.tag) == 0 || strlen(cmd.tag) > IMAP_TAG_MAX ||
				    strlen(cmd.name) == 0 || strlen(cmd.name) > IMAP_NAME_MAX)
					abort();
				s.enabled = (data[0] & 2) ? IMAP_ENABLED_UTF8 : 0;
				check_args(&s, cmd.args, cmd.n_args, 0);
				imap_cmd_free_args(&cmd);
			} else if (st == IMAP_PARSE_ERROR) {
				const struct imap_parse_error *e = imap_parser_error(p);

				if (e->tag[0] == '\0' || e->text == NULL)
					abort();
				if (e->fatal) {
					fatal = 1;
					break;
				}
			}
		}
	}
	evbuffer_free(in);
	imap_parser_free(&p);
	return 0;
}
