/*
 * fuzz_smtp_parse.c: libFuzzer target for the SMTP command line parser
 * (smtpd/smtp_parse.c). Every line of the input goes through the command
 * splitter and, whatever its verb, through the MAIL, RCPT and BDAT argument
 * parsers and the HELO sanitizer, checking the invariants the session
 * relies on: accepted addresses fit their buffers, are valid UTF-8, carry no
 * control bytes, and a sanitized HELO is printable ASCII.
 *
 * Seeds: tests/fuzz/corpus/fuzz_smtp_parse/ (lines from the unit tables).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_parse.h"

#define LINE_MAX_FUZZ	1024

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_path(const struct smtp_path *p)
{
	size_t	 len = strlen(p->addr), i;

	if (len >= SMTP_ADDR_MAX || strlen(p->local) > SMTP_LOCAL_MAX ||
	    strlen(p->domain) > SMTP_DOMAIN_MAX)
		abort();
	if (!smtp_utf8_valid(p->addr, len))
		abort();
	for (i = 0; i < len; i++)
		if ((unsigned char)p->addr[i] < 0x20 || p->addr[i] == 0x7f)
			abort();
	if (p->null && len != 0)
		abort();
	if (!p->null && !p->postmaster && strchr(p->addr, '@') == NULL)
		abort();
}

static void
fuzz_line(char *line, size_t len)
{
	struct smtp_command	 cmd;
	struct smtp_mail_args	 ma;
	struct smtp_path	 path;
	char			 copy[LINE_MAX_FUZZ + 1], helo[SMTP_HELO_MAX + 1];
	const char		*err;
	uint64_t		 size;
	int			 last, i;

	memcpy(copy, line, len + 1);
	if (smtp_parse_mail(copy, &ma, &err) == SMTP_PARSE_OK) {
		check_path(&ma.path);
		if (ma.path.utf8 && !ma.smtputf8)
			abort();
	}
	for (i = 0; i < 2; i++)
		if (smtp_parse_rcpt(copy, i, &path, &err) == SMTP_PARSE_OK) {
			check_path(&path);
			if (path.null || (path.utf8 && !i))
				abort();
		}
	(void)smtp_parse_bdat(copy, &size, &last);
	smtp_helo_sanitize(helo, copy, len);
	for (i = 0; helo[i] != '\0'; i++)
		if ((unsigned char)helo[i] <= 0x20 || (unsigned char)helo[i] >= 0x7f)
			abort();

	if (smtp_parse_command(line, len, &cmd) != SMTP_PARSE_OK)
		return;
	if (cmd.verb < SMTP_CMD_UNKNOWN || cmd.verb >= SMTP_CMD_COUNT)
		abort();
	if (strlen(cmd.args) != cmd.args_len || cmd.args_len > len)
		abort();
	if (cmd.args_len > 0 && (cmd.args[0] == ' ' || cmd.args[cmd.args_len - 1] == ' '))
		abort();
	if (cmd.verb == SMTP_CMD_MAIL && smtp_parse_mail(cmd.args, &ma, &err) == SMTP_PARSE_OK)
		check_path(&ma.path);
	if (cmd.verb == SMTP_CMD_RCPT && smtp_parse_rcpt(cmd.args, 1, &path, &err) == SMTP_PARSE_OK)
		check_path(&path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*p = (const char *)data, *end = p + size, *nl;
	char		 line[LINE_MAX_FUZZ + 1];
	size_t		 len;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		len = (size_t)(nl - p);
		if (len > LINE_MAX_FUZZ)
			len = LINE_MAX_FUZZ;
		memcpy(line, p, len);
		line[len] = '\0';
		/* The line reader strips CRLF; a NUL inside stays (the parser refuses it). */
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		fuzz_line(line, len);
		p = nl + 1;
	}
	return 0;
}
