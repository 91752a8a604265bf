/*
 * pop3_parse.h: the POP3 command-line parser (RFC 1939 section 3,
 * RFC 2449 section 4). Pure: no I/O, no session, no allocation; the
 * session reads lines with common/linereader and hands them here, the
 * fuzzer and the unit tests call it directly.
 */
#ifndef POSTHORN_POP3_PARSE_H
#define POSTHORN_POP3_PARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * RFC 2449 section 4: a command line is at most 255 octets including the
 * CRLF. The line reader's buffer is POP3_LINE_MAX - 1 bytes, which takes
 * 253 octets of command plus CRLF.
 */
#define POP3_LINE_MAX		255
#define POP3_VERB_MAX		4	/* RFC 1939: keywords are 3 or 4 characters */
#define POP3_ARGS_MAX		2	/* TOP msg n has the most */

enum pop3_parse_result {
	POP3_PARSE_OK = 0,
	POP3_PARSE_EMPTY = -1,		/* nothing but spaces */
	POP3_PARSE_BAD_VERB = -2,	/* keyword not 1-4 ASCII letters */
	POP3_PARSE_BAD_CHAR = -3,	/* NUL, CR, TAB or another control byte */
	POP3_PARSE_TOO_MANY_ARGS = -4,	/* more than POP3_ARGS_MAX arguments */
	POP3_PARSE_TOO_LONG = -5	/* over POP3_LINE_MAX - 2 octets */
};

/*
 * One parsed command. argv[] points into buf, a private copy of the line,
 * so the request stays valid while the caller's line buffer is reused.
 */
struct pop3_request {
	char		 verb[POP3_VERB_MAX + 1];	/* upper-cased */
	int		 argc;
	const char	*argv[POP3_ARGS_MAX];
	char		 buf[POP3_LINE_MAX];
};

/*
 * Parse one command line (without its CRLF) of len bytes into req.
 * Arguments are separated by one or more spaces; trailing spaces are
 * ignored. PASS is special (RFC 1939 section 7): everything after the
 * single space that follows the keyword is its one argument, spaces
 * included, so passphrases work. Argument bytes must be 0x21..0xFF except
 * DEL (0x80..0xFF pass so UTF-8 user names work); PASS also allows spaces.
 * No per-argument length limit beyond the line's: RFC 1939's 40 characters
 * would refuse ordinary e-mail addresses as user names.
 * Returns POP3_PARSE_OK or a negative enum pop3_parse_result; req->verb is
 * filled whenever the keyword itself was valid (for error messages).
 */
int	 pop3_parse(const char *line, size_t len, struct pop3_request *req);

/* A short human text for a parse error, for the -ERR line. */
const char *pop3_parse_strerror(int result);

/*
 * Parse a message number (RFC 1939: "msg") or a line count: decimal
 * digits only, no sign, value in [min, max]. Returns 0 or -1.
 */
int	 pop3_parse_number(const char *s, uint64_t min, uint64_t max,
	    uint64_t *val_r);

#endif
