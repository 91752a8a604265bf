/*
 * pop3_parse.c: split a POP3 command line into keyword and arguments.
 *
 * It checks syntax only: which keywords exist, in which state, and how many
 * arguments each takes is the command table's business (pop3_commands.c).
 * It never allocates and never reads past len, so it is safe on any bytes.
 */
#include "config.h"

#include <string.h>

#include "pop3_parse.h"

static int	pop3_is_alpha(unsigned char ch);
static int	pop3_arg_byte_ok(unsigned char ch, int spaces_ok);

static int
pop3_is_alpha(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

/* Control bytes never belong in a command; 8-bit bytes may (UTF-8 names). */
static int
pop3_arg_byte_ok(unsigned char ch, int spaces_ok)
{
	if (ch == ' ')
		return spaces_ok;
	return ch > ' ' && ch != 0x7f;
}

int
pop3_parse(const char *line, size_t len, struct pop3_request *req)
{
	size_t i, n;
	char *p, *end;

	memset(req->verb, 0, sizeof(req->verb));
	req->argc = 0;
	req->argv[0] = req->argv[1] = NULL;
	req->buf[0] = '\0';
	if (len > POP3_LINE_MAX - 2)
		return POP3_PARSE_TOO_LONG;
	memcpy(req->buf, line, len);
	req->buf[len] = '\0';

	/* Keyword: leading spaces are tolerated, then 1-4 letters. */
	for (i = 0; i < len && req->buf[i] == ' '; i++)
		;
	if (i == len)
		return POP3_PARSE_EMPTY;
	for (n = 0; i + n < len && req->buf[i + n] != ' '; n++) {
		unsigned char ch = (unsigned char)req->buf[i + n];

		if (!pop3_is_alpha(ch))
			return ch < ' ' || ch == 0x7f ? POP3_PARSE_BAD_CHAR :
			    POP3_PARSE_BAD_VERB;
		if (n >= POP3_VERB_MAX)
			return POP3_PARSE_BAD_VERB;
		req->verb[n] = (char)(ch & ~0x20);	/* ASCII upper case */
	}
	i += n;
	p = req->buf + i;
	end = req->buf + len;

	/* RFC 1939 section 7: the PASS argument is the rest of the line. */
	if (strcmp(req->verb, "PASS") == 0) {
		if (p < end)
			p++;		/* the one separating space */
		for (char *q = p; q < end; q++)
			if (!pop3_arg_byte_ok((unsigned char)*q, 1))
				return POP3_PARSE_BAD_CHAR;
		if (p < end) {
			req->argv[0] = p;
			req->argc = 1;
		}
		return POP3_PARSE_OK;
	}

	while (p < end) {
		char *start;

		while (p < end && *p == ' ')
			*p++ = '\0';
		if (p == end)
			break;
		start = p;
		while (p < end && *p != ' ') {
			if (!pop3_arg_byte_ok((unsigned char)*p, 0))
				return POP3_PARSE_BAD_CHAR;
			p++;
		}
		if (req->argc == POP3_ARGS_MAX)
			return POP3_PARSE_TOO_MANY_ARGS;
		req->argv[req->argc++] = start;
	}
	return POP3_PARSE_OK;
}

const char *
pop3_parse_strerror(int result)
{
	switch (result) {
	case POP3_PARSE_OK:
		return "OK";
	case POP3_PARSE_EMPTY:
		return "Empty command";
	case POP3_PARSE_BAD_VERB:
		return "Unknown command";
	case POP3_PARSE_BAD_CHAR:
		return "Invalid character in command";
	case POP3_PARSE_TOO_MANY_ARGS:
		return "Too many arguments";
	case POP3_PARSE_TOO_LONG:
		return "Line too long";
	default:
		return "Syntax error";
	}
}

int
pop3_parse_number(const char *s, uint64_t min, uint64_t max, uint64_t *val_r)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -1;
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return -1;
	*val_r = v;
	return 0;
}
