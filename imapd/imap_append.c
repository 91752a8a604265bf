/*
 * imap_append.c: APPEND (RFC 3501 6.3.11, RFC 9051 6.3.12) with UIDPLUS
 * APPENDUID (RFC 4315), APPENDLIMIT (RFC 7889, enforced by the parser
 * before the literal is read), BINARY literal8 (RFC 3516) and [TRYCREATE].
 *
 * The message arrives as the command's literal (the parser gathered it,
 * bounded by max_message_size). A worker builds the MIME cache
 * (mime_cache_build: ENVELOPE, BODYSTRUCTURE and part offsets, so FETCH
 * never re-parses), then the store writes message and cache in one
 * asynchronous commit. The new message reaches the client's view through
 * imap_sync() like any other. Line ends are stored as given: RFC 3501
 * asks clients for CRLF.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "imap.h"
#include "imap_core.h"
#include "log.h"
#include "mime.h"
#include "net.h"
#include "util.h"

struct append_job {
	struct conn		*conn;
	struct loop		*loop;
	struct store		*store;
	struct imap_cmd		*cmd;
	uint64_t		 mailbox_id;
	const char		*data;		/* the command's literal */
	size_t			 len;
	int64_t			 internaldate;
	uint32_t		 flags;
	const char		*keywords[STORE_KEYWORDS_MAX];
	size_t			 n_keywords;
	char			*cache;
	size_t			 cache_len;
	uint32_t		 uid, uidvalidity;
	int			 status;
};

static void	append_cache_work(void *arg);
static void	append_cache_done(void *arg);
static void	append_committed(void *arg, int status);
static void	append_done_loop(void *arg);

/* ------------------------------------------------------------ date-time */

static int
digits(const char *s, int n, int *v_r)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*v_r = v;
	return 0;
}

/*
 * RFC 3501 9 date-time: "dd-Mon-yyyy hh:mm:ss +zzzz", the day possibly
 * space-padded or one digit. Returns seconds since the epoch, or -1.
 */
static int64_t
parse_date_time(const char *s, size_t len)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char buf[32];
	struct tm tm;
	int day, mon, year, hh, mm, ss, zh, zm, sign;
	const char *p;
	int64_t t;

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	p = buf;
	if (p[0] == ' ')
		p++;
	if (p[1] == '-') {
		if (digits(p, 1, &day) < 0)
			return -1;
		p += 2;
	} else {
		if (digits(p, 2, &day) < 0 || p[2] != '-')
			return -1;
		p += 3;
	}
	if (strlen(p) != 3 + 1 + 4 + 1 + 8 + 1 + 5 || p[3] != '-')
		return -1;
	for (mon = 0; mon < 12; mon++)
		if (strncasecmp(p, months + mon * 3, 3) == 0)
			break;
	if (mon == 12 || digits(p + 4, 4, &year) < 0 || p[8] != ' ' ||
	    digits(p + 9, 2, &hh) < 0 || p[11] != ':' || digits(p + 12, 2, &mm) < 0 ||
	    p[14] != ':' || digits(p + 15, 2, &ss) < 0 || p[17] != ' ' ||
	    (p[18] != '+' && p[18] != '-') || digits(p + 19, 2, &zh) < 0 ||
	    digits(p + 21, 2, &zm) < 0)
		return -1;
	if (day < 1 || day > 31 || year < 1970 || hh > 23 || mm > 59 || ss > 60 ||
	    zm > 59)
		return -1;
	sign = p[18] == '-' ? -1 : 1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_mday = day;
	tm.tm_mon = mon;
	tm.tm_year = year - 1900;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	t = (int64_t)timegm(&tm);
	if (t < 0)
		return -1;
	return t - sign * (int64_t)(zh * 3600 + zm * 60);
}

/* ----------------------------------------------------------------- flags */

/* RFC 3501 flag-list: system flags and keywords (atoms); no \Recent, no \*. */
static int
append_flags(const struct imap_arg *list, struct append_job *job)
{
	size_t i;

	for (i = 0; i < list->list_n; i++) {
		const struct imap_arg *f = &list->list[i];
		uint32_t bit;

		if (f->type != IMAP_ARG_ATOM)
			return -1;
		if (f->str[0] == '\\') {
			bit = imap_flag_from_name(f->str);
			if (bit == 0)
				return -1;
			if (bit != STORE_FLAG_RECENT)
				job->flags |= bit;
			continue;
		}
		if (f->len >= STORE_KEYWORD_LEN || strpbrk(f->str, "[]%*") != NULL)
			return -1;
		if (job->n_keywords < STORE_KEYWORDS_MAX)
			job->keywords[job->n_keywords++] = f->str;
	}
	return 0;
}

/* ---------------------------------------------------------------- APPEND */

int
cmd_append(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->s;
	char name[STORE_MAILBOX_NAME_MAX];
	struct store_mailbox mb;
	struct append_job *job;
	const struct imap_arg *msg;
	const char *why;
	size_t i = 1;
	int r;

	if (cmd->n_args < 2 || cmd->n_args > 5) {
		imap_send_tagged(cmd, "BAD", NULL, "APPEND wants a mailbox and a message.");
		return 1;
	}
	job = xcalloc(1, sizeof(*job));
	if (cmd->args[i].type == IMAP_ARG_LIST) {
		if (append_flags(&cmd->args[i], job) < 0) {
			free(job);
			imap_send_tagged(cmd, "BAD", NULL, "Invalid flags.");
			return 1;
		}
		i++;
	}
	if (i + 1 < cmd->n_args && !imap_arg_atom_is(&cmd->args[i], "UTF8")) {
		const char *d;
		size_t dlen;

		d = imap_arg_string(&cmd->args[i], &dlen);
		if (d == NULL || (job->internaldate = parse_date_time(d, dlen)) < 0) {
			free(job);
			imap_send_tagged(cmd, "BAD", NULL, "Invalid date-time.");
			return 1;
		}
		i++;
	}
	msg = &cmd->args[i];
	/* RFC 6855 4: "UTF8 (~{n}...)" carries a message with UTF-8 headers. */
	if (i + 2 == cmd->n_args && imap_arg_atom_is(msg, "UTF8") &&
	    cmd->args[i + 1].type == IMAP_ARG_LIST && cmd->args[i + 1].list_n == 1 &&
	    imap_utf8_enabled(s)) {
		msg = &cmd->args[i + 1].list[0];
		i++;
	}
	if (i + 1 != cmd->n_args || imap_arg_string(msg, NULL) == NULL) {
		free(job);
		imap_send_tagged(cmd, "BAD", NULL, "APPEND wants the message as a literal.");
		return 1;
	}
	if (msg->len == 0) {
		free(job);
		imap_send_tagged(cmd, "NO", NULL, "Empty messages are not stored.");
		return 1;
	}
	if (imap_mailbox_arg(s, &cmd->args[0], name, sizeof(name), &why) < 0) {
		free(job);
		imap_send_tagged(cmd, "NO", "CANNOT", "%s", why);
		return 1;
	}
	r = store_mailbox_get(s->store, s->user.id, name, &mb);
	if (r < 0) {
		free(job);
		/* RFC 3501 6.3.11: the client may CREATE and retry. */
		if (r == STORE_ENOTFOUND)
			imap_send_tagged(cmd, "NO", "TRYCREATE", "No such mailbox.");
		else
			imap_send_store_error(cmd, r, "APPEND");
		return 1;
	}
	job->conn = s->conn;
	job->loop = conn_loop(s->conn);
	job->store = s->store;
	job->cmd = cmd;
	job->mailbox_id = mb.id;
	job->data = msg->str;
	job->len = msg->len;
	conn_ref(s->conn);
	worker_submit(job->loop, append_cache_work, append_cache_done, job);
	return 0;
}

/* On a worker: parse the message once, for every later FETCH. */
static void
append_cache_work(void *arg)
{
	struct append_job *job = arg;

	if (mime_cache_build(job->data, job->len, &job->cache, &job->cache_len) < 0) {
		job->cache = NULL;
		job->cache_len = 0;
	}
}

static void
append_cache_done(void *arg)
{
	struct append_job *job = arg;
	struct store_append a;

	if (imap_cmd_is_closed(job->cmd)) {
		job->status = STORE_ESHUTDOWN;
		append_done_loop(job);
		return;
	}
	memset(&a, 0, sizeof(a));
	a.mailbox_id = job->mailbox_id;
	a.data = job->data;
	a.len = job->len;
	a.internaldate = job->internaldate;
	a.flags = job->flags;
	a.keywords = job->keywords;
	a.n_keywords = job->n_keywords;
	a.uid_r = &job->uid;
	a.uidvalidity_r = &job->uidvalidity;
	a.cache = job->cache;
	a.cache_len = job->cache_len;
	/* data and cache are copied before store_append returns. */
	store_append(job->store, &a, append_committed, job);
	free(job->cache);
	job->cache = NULL;
}

/* On the writer thread. */
static void
append_committed(void *arg, int status)
{
	struct append_job *job = arg;

	job->status = status;
	loop_post(job->loop, append_done_loop, job);
}

static void
append_done_loop(void *arg)
{
	struct append_job *job = arg;
	struct imap_cmd *cmd = job->cmd;
	struct conn *c = job->conn;

	if (!imap_cmd_is_closed(cmd)) {
		if (job->status == 0) {
			char code[64];

			(void)str_format(code, sizeof(code), "APPENDUID %u %u",
			    job->uidvalidity, job->uid);
			imap_send_tagged(cmd, "OK", code, "Append completed.");
		} else if (job->status == STORE_ENOTFOUND)
			imap_send_tagged(cmd, "NO", "TRYCREATE", "No such mailbox.");
		else if (job->status == STORE_ETOOBIG)
			imap_send_tagged(cmd, "NO", "TOOBIG", "Message too big.");
		else
			imap_send_store_error(cmd, job->status, "APPEND");
	}
	free(job->cache);
	free(job);
	imap_cmd_finish(cmd);
	conn_unref(c);
}
