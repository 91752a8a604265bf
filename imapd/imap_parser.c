/*
 * imap_parser.c: the incremental IMAP command parser (see imap_parser.h).
 *
 * Two stages. The gatherer (imap_parser_read) pulls bytes out of the
 * connection's input buffer and assembles one command: the text of its
 * lines (a line ending with a literal marker keeps its "\r\n", the others
 * lose theirs) plus its literals, each in its own buffer. It knows just
 * enough syntax to see a literal marker at the end of a line that is not
 * inside a quoted string, and it applies every size limit as bytes arrive.
 * The grammar stage (command_parse) then walks the complete text and builds
 * the imap_arg tree (RFC 3501 section 9: tag, command name, atoms, quoted
 * strings, literals, parenthesized lists).
 *
 * It does not interpret arguments (an astring versus an nstring, a
 * sequence set, a section spec): the commands do.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "imap.h"
#include "imap_parser.h"
#include "log.h"
#include "util.h"

#define LITERAL_DIGITS_MAX	20
#define LITERAL_INITIAL_ALLOC	(64 * 1024)	/* whatever size the client announces */
#define SKIP_TAIL		32		/* kept of a skipped line: its literal marker */
#define SKIP_EXTRA		(64ULL * 1024 * 1024)	/* non-sync literal bytes we read to discard */

enum parser_state {
	PS_LINE = 0,		/* reading the text of a line */
	PS_LITERAL,		/* reading literal bytes */
	PS_SKIP_LINE,		/* discarding a refused command's line up to LF */
	PS_SKIP_LITERAL		/* discarding a refused non-synchronizing literal */
};

struct imap_literal {
	char		*data;
	size_t		 len;
	size_t		 cap;
	unsigned	 flags;		/* IMAP_ARGF_* */
};

/* Per-command memory, hung on imap_cmd.priv. */
struct arena_block {
	struct arena_block	*next;
	size_t			 used, size;
	/* data follows, aligned */
	max_align_t		 data[];
};

struct imap_cmd_mem {
	struct arena_block	*blocks;
	struct imap_literal	*lits;
	size_t			 n_lits;
};

struct imap_parser {
	struct imap_parser_limits lim;
	enum parser_state	 state;

	/* reset per command */
	char			*buf;		/* the command text */
	size_t			 len, cap;
	size_t			 line_start;	/* where the current line starts in buf */
	int			 in_quote, escape;
	uint64_t		 total;		/* bytes counted against command_max */
	struct imap_literal	*lits;
	size_t			 n_lits, cap_lits;
	uint64_t		 lit_left;	/* PS_LITERAL, PS_SKIP_LITERAL */
	int			 skip_after;	/* PS_SKIP_LITERAL: then skip the rest of the line */
	char			 tail[SKIP_TAIL];	/* PS_SKIP_LINE: the line's last bytes */
	size_t			 tail_len;

	/* results */
	struct imap_parse_error	 err;
	struct imap_cmd		 done;		/* the command for imap_parser_take */
	int			 have_done;
};

/* The grammar stage's cursor over one command text. */
struct cursor {
	const char		*s;
	size_t			 len, pos;
	struct imap_literal	*lits;
	size_t			 n_lits, next_lit;
	struct imap_cmd_mem	*mem;
	size_t			 n_args;	/* all levels, against IMAP_ARGS_MAX */
	const char		*why;
};

static void	 parser_reset_command(struct imap_parser *p);
static void	 parser_set_error(struct imap_parser *p, const char *status,
		    const char *code, const char *text, int fatal);
static enum imap_parse_status parser_line_end(struct imap_parser *p);
static enum imap_parse_status parser_skip_line_end(struct imap_parser *p);
static int	 literal_marker(const char *line, size_t len, uint64_t *size_r,
		    unsigned *flags_r);
static void	 buf_append(struct imap_parser *p, const char *data, size_t n);
static int	 tag_char(int ch);
static void	 command_head(const char *buf, size_t len, char *tag, size_t tagsize,
		    char *name, size_t namesize);
static int	 command_parse(const char *text, size_t len, struct imap_literal *lits,
		    size_t n_lits, struct imap_cmd *cmd, const char **why_r);
static int	 parse_args(struct cursor *c, int depth, int in_list,
		    struct imap_arg **args_r, size_t *n_r);
static void	*arena_alloc(struct imap_cmd_mem *mem, size_t size);
static void	 mem_free(struct imap_cmd_mem *mem);

/* ---------------------------------------------------------------- limits */

void
imap_parser_limits_default(struct imap_parser_limits *lim, int preauth,
    uint64_t append_max)
{
	lim->preauth = preauth;
	lim->line_max = preauth ? IMAP_PREAUTH_MAX : IMAP_LINE_MAX;
	lim->command_max = preauth ? IMAP_PREAUTH_MAX : IMAP_COMMAND_MAX;
	lim->literal_max = preauth ? IMAP_PREAUTH_MAX : IMAP_LITERAL_MAX;
	lim->append_max = preauth ? 0 : append_max;
}

struct imap_parser *
imap_parser_new(void)
{
	struct imap_parser *p = xcalloc(1, sizeof(*p));

	imap_parser_limits_default(&p->lim, 1, 0);
	return p;
}

void
imap_parser_set_limits(struct imap_parser *p, const struct imap_parser_limits *lim)
{
	p->lim = *lim;
}

static void
literals_free(struct imap_literal *lits, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (lits[i].data != NULL)
			explicit_bzero(lits[i].data, lits[i].len);
		free(lits[i].data);
	}
	free(lits);
}

/* Forget the command being gathered (its text may hold a password). */
static void
parser_reset_command(struct imap_parser *p)
{
	if (p->buf != NULL)
		explicit_bzero(p->buf, p->len);
	p->len = 0;
	p->line_start = 0;
	p->in_quote = p->escape = 0;
	p->total = 0;
	/* n_lits + 1: a literal being filled is not counted yet */
	literals_free(p->lits, p->n_lits + (p->state == PS_LITERAL ? 1 : 0));
	p->lits = NULL;
	p->n_lits = p->cap_lits = 0;
	p->lit_left = 0;
	/* A long command's text buffer is not kept around (idle sessions stay small). */
	if (p->cap > 4096) {
		free(p->buf);
		p->buf = NULL;
		p->cap = 0;
	}
}

void
imap_parser_free(struct imap_parser **pp)
{
	struct imap_parser *p = *pp;

	if (p == NULL)
		return;
	parser_reset_command(p);
	free(p->buf);
	if (p->have_done)
		imap_cmd_free_args(&p->done);
	free(p);
	*pp = NULL;
}

int
imap_parser_busy(const struct imap_parser *p)
{
	return p->len > 0 || p->state != PS_LINE || p->n_lits > 0;
}

const struct imap_parse_error *
imap_parser_error(const struct imap_parser *p)
{
	return &p->err;
}

/* The error goes to the command's tag when its head is readable. */
static void
parser_set_error(struct imap_parser *p, const char *status, const char *code,
    const char *text, int fatal)
{
	char name[IMAP_NAME_MAX + 1];

	command_head(p->buf, p->len, p->err.tag, sizeof(p->err.tag), name,
	    sizeof(name));
	p->err.status = status;
	p->err.code = code;
	p->err.text = text;
	p->err.fatal = fatal;
}

/* ------------------------------------------------------------- gathering */

static void
buf_append(struct imap_parser *p, const char *data, size_t n)
{
	if (p->len + n + 1 > p->cap) {
		size_t cap = p->cap ? p->cap : 1024;

		while (cap < p->len + n + 1)
			cap *= 2;
		p->buf = xrealloc(p->buf, cap);
		p->cap = cap;
	}
	memcpy(p->buf + p->len, data, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

/* Track whether the line is inside a quoted string (a "{5}" there is text). */
static void
lex_byte(struct imap_parser *p, unsigned char ch)
{
	if (p->in_quote) {
		if (p->escape)
			p->escape = 0;
		else if (ch == '\\')
			p->escape = 1;
		else if (ch == '"')
			p->in_quote = 0;
	} else if (ch == '"')
		p->in_quote = 1;
}

/*
 * A line ending "{123}", "{123+}" or "~{123}" announces a literal. Even
 * where the grammar will refuse it, its bytes must be taken as a literal
 * so they cannot be read as commands (command injection). Returns 1 and the size, 0 when the line has no marker, -1 when
 * the marker's number is unusable.
 */
static int
literal_marker(const char *line, size_t len, uint64_t *size_r, unsigned *flags_r)
{
	size_t end, i, digits;
	uint64_t v = 0;
	unsigned flags = 0;

	if (len < 3 || line[len - 1] != '}')
		return 0;
	end = len - 1;
	if (line[end - 1] == '+') {
		flags |= IMAP_ARGF_NONSYNC;
		end--;
	}
	i = end;
	while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9')
		i--;
	digits = end - i;
	if (i == 0 || line[i - 1] != '{' || digits == 0)
		return 0;
	i--;				/* at '{' */
	if (i > 0 && line[i - 1] == '~') {
		flags |= IMAP_ARGF_LITERAL8;
		i--;
	}
	if (digits > LITERAL_DIGITS_MAX)
		return -1;
	for (i = end - digits; i < end; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(line[i] - '0');
	}
	*size_r = v;
	*flags_r = flags;
	return 1;
}

/*
 * Read the tag and command name from the start of buf as far as they go
 * ("*" when there is no usable tag). Used for error replies and to learn
 * whether a literal belongs to APPEND.
 */
static void
command_head(const char *buf, size_t len, char *tag, size_t tagsize,
    char *name, size_t namesize)
{
	size_t i = 0, n = 0, k;
	int word;

	name[0] = '\0';
	while (i < len && tag_char((unsigned char)buf[i]) && n + 1 < tagsize)
		tag[n++] = buf[i++];
	tag[n] = '\0';
	if (n == 0 || (i < len && buf[i] != ' ')) {
		str_copy(tag, "*", tagsize);
		return;
	}
	/* The name, and after "UID" the name that follows. */
	for (word = 0; word < 2 && i < len && buf[i] == ' '; word++) {
		i++;
		for (k = 0; i < len && buf[i] != ' ' && buf[i] != '\r' &&
		    k + 1 < namesize; k++, i++)
			name[k] = (buf[i] >= 'a' && buf[i] <= 'z') ?
			    (char)(buf[i] - 32) : buf[i];
		name[k] = '\0';
		if (strcmp(name, "UID") != 0)
			break;
	}
}

static uint64_t
skip_cap(const struct imap_parser *p)
{
	uint64_t m = p->lim.append_max > p->lim.literal_max ?
	    p->lim.append_max : p->lim.literal_max;

	return m + SKIP_EXTRA;
}

/*
 * A line of the command is complete (its LF consumed, text in buf from
 * line_start). Either a literal follows or the command is complete.
 */
static enum imap_parse_status
parser_line_end(struct imap_parser *p)
{
	char tag[IMAP_TAG_MAX + 1], name[IMAP_NAME_MAX + 1];
	struct imap_literal *lit;
	uint64_t size, limit;
	unsigned flags;
	int r, is_append;

	if (p->len > p->line_start && p->buf[p->len - 1] == '\r')
		p->buf[--p->len] = '\0';
	r = p->in_quote ? 0 : literal_marker(p->buf + p->line_start,
	    p->len - p->line_start, &size, &flags);
	if (r < 0) {
		/* The client will send bytes we cannot count: resync is impossible. */
		parser_set_error(p, "BAD", NULL, "Invalid literal size.", 1);
		parser_reset_command(p);
		return IMAP_PARSE_ERROR;
	}
	if (r == 0) {
		struct imap_cmd cmd;
		const char *why;

		memset(&cmd, 0, sizeof(cmd));
		if (command_parse(p->buf, p->len, p->lits, p->n_lits, &cmd, &why) < 0) {
			parser_set_error(p, "BAD", NULL, why, 0);
			parser_reset_command(p);
			return IMAP_PARSE_ERROR;
		}
		/* The literals now belong to the command. */
		p->lits = NULL;
		p->n_lits = p->cap_lits = 0;
		p->done = cmd;
		p->have_done = 1;
		parser_reset_command(p);
		return IMAP_PARSE_COMMAND;
	}

	buf_append(p, "\r\n", 2);
	command_head(p->buf, p->len, tag, sizeof(tag), name, sizeof(name));
	is_append = !p->lim.preauth && strcmp(name, "APPEND") == 0;
	limit = is_append ? p->lim.append_max : p->lim.literal_max;
	if (!is_append && p->total + size > p->lim.command_max)
		limit = 0;
	/* RFC 7888 4: before login, non-synchronizing literals as LITERAL- allows. */
	if (p->lim.preauth && (flags & IMAP_ARGF_NONSYNC) &&
	    limit > IMAP_LITERAL_MINUS_MAX)
		limit = IMAP_LITERAL_MINUS_MAX;
	if (size > limit || (is_append && size > p->lim.append_max)) {
		int nonsync = (flags & IMAP_ARGF_NONSYNC) != 0;

		/*
		 * RFC 7888 4: a non-synchronizing literal we will not take
		 * is refused and its bytes are read and discarded, unless
		 * that is unreasonable (before login: LITERAL- allows 4096
		 * at most; or absurdly large), when we close.
		 */
		if (nonsync && (p->lim.preauth || size > skip_cap(p))) {
			parser_set_error(p, "BAD", "TOOBIG", "Literal too big.", 1);
			parser_reset_command(p);
			return IMAP_PARSE_ERROR;
		}
		if (is_append)
			parser_set_error(p, "NO", "TOOBIG",
			    "Message too big (see APPENDLIMIT).", 0);
		else
			parser_set_error(p, "BAD", "TOOBIG", "Literal too big.", 0);
		parser_reset_command(p);
		if (nonsync) {
			p->state = PS_SKIP_LITERAL;
			p->lit_left = size;
			p->skip_after = 1;
		}
		/* A refused synchronizing literal ends the command (RFC 3501 7.5). */
		return IMAP_PARSE_ERROR;
	}
	if (!is_append)
		p->total += size;
	if (p->n_lits == p->cap_lits) {
		p->cap_lits = p->cap_lits ? p->cap_lits * 2 : 4;
		p->lits = xreallocarray(p->lits, p->cap_lits, sizeof(*p->lits));
	}
	lit = &p->lits[p->n_lits];
	memset(lit, 0, sizeof(*lit));
	lit->flags = flags;
	/* Never trust the announced size for the first allocation. */
	lit->cap = (size < LITERAL_INITIAL_ALLOC ? size : LITERAL_INITIAL_ALLOC) + 1;
	lit->data = xmalloc(lit->cap);
	lit->data[0] = '\0';
	p->lit_left = size;
	p->state = PS_LITERAL;
	if (size == 0) {
		p->n_lits++;
		p->state = PS_LINE;
		p->line_start = p->len;
	}
	return (flags & IMAP_ARGF_NONSYNC) ? IMAP_PARSE_MORE : IMAP_PARSE_CONTINUE;
}

/* The LF of a skipped line: a non-synchronizing literal at its end is skipped too. */
static enum imap_parse_status
parser_skip_line_end(struct imap_parser *p)
{
	uint64_t size;
	unsigned flags;
	size_t n = p->tail_len;
	int r;

	if (n > 0 && p->tail[n - 1] == '\r')
		n--;
	r = p->in_quote ? 0 : literal_marker(p->tail, n, &size, &flags);
	p->tail_len = 0;
	p->in_quote = p->escape = 0;
	if (r < 0 || (r == 1 && (flags & IMAP_ARGF_NONSYNC) &&
	    (p->lim.preauth || size > skip_cap(p)))) {
		parser_set_error(p, "BAD", NULL, "Unreasonable literal in a refused command.", 1);
		p->state = PS_LINE;
		return IMAP_PARSE_ERROR;
	}
	if (r == 1 && (flags & IMAP_ARGF_NONSYNC)) {
		p->state = PS_SKIP_LITERAL;
		p->lit_left = size;
		p->skip_after = 1;
		return IMAP_PARSE_MORE;
	}
	/* No literal, or a synchronizing one we never answer with "+". */
	p->state = PS_LINE;
	return IMAP_PARSE_MORE;
}

static void
skip_tail_add(struct imap_parser *p, char ch)
{
	if (p->tail_len == sizeof(p->tail)) {
		memmove(p->tail, p->tail + 1, sizeof(p->tail) - 1);
		p->tail_len--;
	}
	p->tail[p->tail_len++] = ch;
}

/* Scan line bytes of one contiguous chunk; stops after an event. */
static enum imap_parse_status
parser_scan(struct imap_parser *p, const unsigned char *data, size_t n,
    size_t *used_r)
{
	size_t i, start = 0;
	enum imap_parse_status st = IMAP_PARSE_MORE;

	for (i = 0; i < n; i++) {
		unsigned char ch = data[i];

		if (ch == '\n') {
			if (p->state == PS_LINE) {
				buf_append(p, (const char *)data + start, i - start);
				*used_r = i + 1;
				return parser_line_end(p);
			}
			*used_r = i + 1;
			return parser_skip_line_end(p);
		}
		lex_byte(p, ch);
		if (p->state == PS_SKIP_LINE) {
			skip_tail_add(p, (char)ch);
			continue;
		}
		if (p->len + (i - start) - p->line_start >= p->lim.line_max ||
		    p->total + 1 > p->lim.command_max) {
			int q = p->in_quote, e = p->escape;

			buf_append(p, (const char *)data + start, i - start);
			parser_set_error(p, "BAD", NULL,
			    p->total + 1 > p->lim.command_max ?
			    "Command too long." : "Line too long.", 0);
			parser_reset_command(p);
			/* Keep the quoting state: the skipped line's end matters. */
			p->in_quote = q;
			p->escape = e;
			p->state = PS_SKIP_LINE;
			p->tail_len = 0;
			skip_tail_add(p, (char)ch);
			*used_r = i + 1;
			return IMAP_PARSE_ERROR;
		}
		p->total++;
	}
	if (p->state == PS_LINE)
		buf_append(p, (const char *)data + start, n - start);
	*used_r = n;
	return st;
}

enum imap_parse_status
imap_parser_read(struct imap_parser *p, struct evbuffer *in)
{
	struct evbuffer_iovec v;
	enum imap_parse_status st;
	size_t used;

	if (p->have_done) {
		/* The caller did not take the previous command: drop it. */
		imap_cmd_free_args(&p->done);
		p->have_done = 0;
	}
	while (evbuffer_get_length(in) > 0) {
		switch (p->state) {
		case PS_LITERAL: {
			struct imap_literal *lit = &p->lits[p->n_lits];
			size_t want = evbuffer_get_length(in);

			if (want > p->lit_left)
				want = (size_t)p->lit_left;
			if (lit->len + want + 1 > lit->cap) {
				size_t cap = lit->cap;

				while (cap < lit->len + want + 1)
					cap = cap * 2 < lit->len + p->lit_left + 1 ?
					    cap * 2 : lit->len + (size_t)p->lit_left + 1;
				lit->data = xrealloc(lit->data, cap);
				lit->cap = cap;
			}
			if (evbuffer_remove(in, lit->data + lit->len, want) != (int)want)
				return IMAP_PARSE_MORE;
			lit->len += want;
			lit->data[lit->len] = '\0';
			p->lit_left -= want;
			if (p->lit_left == 0) {
				p->n_lits++;
				p->state = PS_LINE;
				p->line_start = p->len;
				p->in_quote = p->escape = 0;
			}
			continue;
		}
		case PS_SKIP_LITERAL: {
			size_t want = evbuffer_get_length(in);

			if (want > p->lit_left)
				want = (size_t)p->lit_left;
			evbuffer_drain(in, want);
			p->lit_left -= want;
			if (p->lit_left == 0) {
				p->state = p->skip_after ? PS_SKIP_LINE : PS_LINE;
				p->tail_len = 0;
				p->in_quote = p->escape = 0;
			}
			continue;
		}
		case PS_LINE:
		case PS_SKIP_LINE:
			if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
				return IMAP_PARSE_MORE;
			st = parser_scan(p, v.iov_base, v.iov_len, &used);
			evbuffer_drain(in, used);
			if (st != IMAP_PARSE_MORE)
				return st;
			continue;
		}
	}
	return IMAP_PARSE_MORE;
}

void
imap_parser_take(struct imap_parser *p, struct imap_cmd *cmd)
{
	if (!p->have_done)
		return;
	str_copy(cmd->tag, p->done.tag, sizeof(cmd->tag));
	str_copy(cmd->name, p->done.name, sizeof(cmd->name));
	cmd->uid = p->done.uid;
	cmd->args = p->done.args;
	cmd->n_args = p->done.n_args;
	cmd->priv = p->done.priv;
	memset(&p->done, 0, sizeof(p->done));
	p->have_done = 0;
}

void
imap_cmd_free_args(struct imap_cmd *cmd)
{
	mem_free(cmd->priv);
	cmd->priv = NULL;
	cmd->args = NULL;
	cmd->n_args = 0;
}

int
imap_parse_command_text(const char *text, size_t len, struct imap_cmd *cmd,
    const char **why_r)
{
	struct imap_parser_limits lim;
	struct imap_parser *p = imap_parser_new();
	struct evbuffer *in = evbuffer_new();
	enum imap_parse_status st;
	int ret = -1;

	if (in == NULL)
		fatalx("imap: out of memory");
	imap_parser_limits_default(&lim, 0, 64 * 1024 * 1024);
	imap_parser_set_limits(p, &lim);
	evbuffer_add(in, text, len);
	if (len == 0 || text[len - 1] != '\n')
		evbuffer_add(in, "\r\n", 2);
	*why_r = "Incomplete command.";
	do {
		st = imap_parser_read(p, in);
	} while (st == IMAP_PARSE_CONTINUE);
	if (st == IMAP_PARSE_COMMAND) {
		imap_parser_take(p, cmd);
		ret = 0;
	} else if (st == IMAP_PARSE_ERROR)
		*why_r = p->err.text;
	evbuffer_free(in);
	imap_parser_free(&p);
	return ret;
}

/* ---------------------------------------------------------------- memory */

static void *
arena_alloc(struct imap_cmd_mem *mem, size_t size)
{
	struct arena_block *b = mem->blocks;
	size_t align = sizeof(max_align_t);
	void *ptr;

	size = (size + align - 1) / align * align;
	if (b == NULL || b->size - b->used < size) {
		size_t bsize = size > 4096 ? size : 4096;

		b = xmalloc(sizeof(*b) + bsize);
		b->size = bsize;
		b->used = 0;
		b->next = mem->blocks;
		mem->blocks = b;
	}
	ptr = (char *)b->data + b->used;
	b->used += size;
	return ptr;
}

static void
mem_free(struct imap_cmd_mem *mem)
{
	struct arena_block *b, *next;

	if (mem == NULL)
		return;
	for (b = mem->blocks; b != NULL; b = next) {
		next = b->next;
		explicit_bzero(b->data, b->used);
		free(b);
	}
	literals_free(mem->lits, mem->n_lits);
	free(mem);
}

/* ---------------------------------------------------------------- grammar */

static int
cur_eof(const struct cursor *c)
{
	return c->pos >= c->len;
}

static int
cur_peek(const struct cursor *c)
{
	return c->pos < c->len ? (unsigned char)c->s[c->pos] : -1;
}

static int
fail(struct cursor *c, const char *why)
{
	c->why = why;
	return -1;
}

static void
skip_spaces(struct cursor *c)
{
	while (cur_peek(c) == ' ')
		c->pos++;
}

/* RFC 3501 9: tag = 1*<any ASTRING-CHAR except "+"> */
static int
tag_char(int ch)
{
	return ch > 0x20 && ch < 0x7f && strchr("(){%*\"\\+", ch) == NULL;
}

/* Characters that end an atom here (or are never allowed in one). */
static int
atom_end(int ch)
{
	return ch == -1 || ch == ' ' || ch == '(' || ch == ')' || ch == '\r' ||
	    ch == '\n';
}

static char *
arena_strndup(struct cursor *c, const char *s, size_t n)
{
	char *d = arena_alloc(c->mem, n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static int
parse_atom(struct cursor *c, struct imap_arg *a)
{
	size_t start = c->pos;
	int ch;

	while (!atom_end(ch = cur_peek(c))) {
		if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '{')
			return fail(c, "Invalid characters in atom.");
		if (ch == '[') {
			int in_quote = 0, esc = 0;

			/* A section spec: BODY[HEADER.FIELDS (A B)] is one atom. */
			c->pos++;
			for (;;) {
				ch = cur_peek(c);
				if (ch == -1 || ch == '\r' || ch == '\n' || ch == 0)
					return fail(c, "Missing ']'.");
				c->pos++;
				if (in_quote) {
					if (esc)
						esc = 0;
					else if (ch == '\\')
						esc = 1;
					else if (ch == '"')
						in_quote = 0;
				} else if (ch == '"')
					in_quote = 1;
				else if (ch == ']')
					break;
				else if (ch == '[')
					return fail(c, "Nested '['.");
			}
			continue;
		}
		c->pos++;
	}
	if (c->pos == start)
		return fail(c, "Empty argument.");
	a->type = IMAP_ARG_ATOM;
	a->len = c->pos - start;
	a->str = arena_strndup(c, c->s + start, a->len);
	return 0;
}

static int
parse_quoted(struct cursor *c, struct imap_arg *a)
{
	size_t start, n = 0;
	char *d;
	int ch;

	c->pos++;			/* the opening '"' */
	start = c->pos;
	/* Unescaping only shrinks: the span is enough room. */
	for (;;) {
		ch = cur_peek(c);
		if (ch == -1 || ch == '\r' || ch == '\n')
			return fail(c, "Missing '\"'.");
		if (ch == 0)
			return fail(c, "NUL in quoted string.");
		c->pos++;
		if (ch == '"')
			break;
		if (ch == '\\') {
			ch = cur_peek(c);
			if (ch != '"' && ch != '\\')
				return fail(c, "Invalid escape in quoted string.");
			c->pos++;
		}
	}
	d = arena_alloc(c->mem, c->pos - start);
	for (size_t i = start; i < c->pos - 1; i++) {
		if (c->s[i] == '\\')
			i++;
		d[n++] = c->s[i];
	}
	d[n] = '\0';
	a->type = IMAP_ARG_QUOTED;
	a->str = d;
	a->len = n;
	return 0;
}

static int
parse_literal(struct cursor *c, struct imap_arg *a)
{
	struct imap_literal *lit;

	/* The gatherer checked the marker; here it is only skipped. */
	if (cur_peek(c) == '~')
		c->pos++;
	while (!cur_eof(c) && c->s[c->pos] != '}')
		c->pos++;
	c->pos++;
	if (c->pos + 2 > c->len || c->s[c->pos] != '\r' || c->s[c->pos + 1] != '\n')
		return fail(c, "A literal must end the line.");
	c->pos += 2;
	if (c->next_lit >= c->n_lits)
		return fail(c, "Missing literal.");
	lit = &c->lits[c->next_lit++];
	a->type = IMAP_ARG_LITERAL;
	a->flags = lit->flags;
	a->str = lit->data;
	a->len = lit->len;
	return 0;
}

static int
parse_one(struct cursor *c, int depth, struct imap_arg *a)
{
	int ch = cur_peek(c);

	memset(a, 0, sizeof(*a));
	if (++c->n_args > IMAP_ARGS_MAX)
		return fail(c, "Too many arguments.");
	switch (ch) {
	case '(':
		if (depth >= IMAP_LIST_DEPTH_MAX)
			return fail(c, "Lists nested too deeply.");
		c->pos++;
		a->type = IMAP_ARG_LIST;
		if (parse_args(c, depth + 1, 1, &a->list, &a->list_n) < 0)
			return -1;
		if (cur_peek(c) != ')')
			return fail(c, "Missing ')'.");
		c->pos++;
		return 0;
	case ')':
		return fail(c, "Unexpected ')'.");
	case '"':
		return parse_quoted(c, a);
	case '{':
		return parse_literal(c, a);
	case '~':
		if (c->pos + 1 < c->len && c->s[c->pos + 1] == '{')
			return parse_literal(c, a);
		return parse_atom(c, a);
	default:
		return parse_atom(c, a);
	}
}

/*
 * Arguments up to the end of the text (or the ')' of a list, left for the
 * caller), separated by spaces.
 */
static int
parse_args(struct cursor *c, int depth, int in_list, struct imap_arg **args_r,
    size_t *n_r)
{
	struct imap_arg *v = NULL, *out;
	size_t n = 0, cap = 0;
	int ch;

	*args_r = NULL;
	*n_r = 0;
	for (;;) {
		skip_spaces(c);
		ch = cur_peek(c);
		if (ch == -1 || (in_list && ch == ')'))
			break;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		if (parse_one(c, depth, &v[n]) < 0) {
			free(v);
			return -1;
		}
		n++;
		ch = cur_peek(c);
		if (ch != -1 && ch != ' ' && !(in_list && ch == ')')) {
			free(v);
			return fail(c, ch == '(' ? "Missing space before '('." :
			    ch == ')' ? "Unexpected ')'." : "Missing space.");
		}
	}
	if (n > 0) {
		out = arena_alloc(c->mem, n * sizeof(*out));
		memcpy(out, v, n * sizeof(*out));
		*args_r = out;
		*n_r = n;
	}
	free(v);
	return 0;
}

static int
parse_name(struct cursor *c, char *name, size_t size)
{
	size_t n = 0;
	int ch;

	while ((ch = cur_peek(c)) != -1 && ch != ' ') {
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.'))
			return fail(c, "Invalid command name.");
		if (n + 1 >= size)
			return fail(c, "Unknown command.");
		name[n++] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : (char)ch;
		c->pos++;
	}
	name[n] = '\0';
	if (n == 0)
		return fail(c, "Missing command name.");
	return 0;
}

static int
command_parse(const char *text, size_t len, struct imap_literal *lits,
    size_t n_lits, struct imap_cmd *cmd, const char **why_r)
{
	struct cursor c;
	size_t n = 0;

	memset(&c, 0, sizeof(c));
	c.s = text;
	c.len = len;
	c.lits = lits;
	c.n_lits = n_lits;
	c.mem = xcalloc(1, sizeof(*c.mem));
	/* The memory owns the literals from here on, success or not. */
	c.mem->lits = lits;
	c.mem->n_lits = n_lits;
	cmd->priv = c.mem;

	while (tag_char(cur_peek(&c))) {
		if (n >= IMAP_TAG_MAX) {
			fail(&c, "Tag too long.");
			goto bad;
		}
		cmd->tag[n++] = c.s[c.pos++];
	}
	cmd->tag[n] = '\0';
	if (n == 0) {
		fail(&c, cur_eof(&c) ? "Empty command line." : "Invalid tag.");
		goto bad;
	}
	if (cur_peek(&c) != ' ') {
		fail(&c, cur_eof(&c) ? "Missing command name." : "Invalid tag.");
		goto bad;
	}
	c.pos++;
	if (parse_name(&c, cmd->name, sizeof(cmd->name)) < 0)
		goto bad;
	if (strcmp(cmd->name, "UID") == 0) {
		cmd->uid = 1;
		if (cur_peek(&c) != ' ') {
			fail(&c, "Missing command after UID.");
			goto bad;
		}
		c.pos++;
		if (parse_name(&c, cmd->name, sizeof(cmd->name)) < 0)
			goto bad;
	}
	if (!cur_eof(&c) && cur_peek(&c) != ' ') {
		fail(&c, "Missing space.");
		goto bad;
	}
	if (parse_args(&c, 0, 0, &cmd->args, &cmd->n_args) < 0)
		goto bad;
	if (!cur_eof(&c)) {
		fail(&c, "Unexpected ')'.");
		goto bad;
	}
	return 0;
bad:
	*why_r = c.why;
	/* The caller still owns the literal array (it frees it on reset). */
	c.mem->lits = NULL;
	c.mem->n_lits = 0;
	mem_free(c.mem);
	cmd->priv = NULL;
	cmd->args = NULL;
	cmd->n_args = 0;
	return -1;
}
