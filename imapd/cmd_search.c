/*
 * cmd_search.c: SEARCH and UID SEARCH (RFC 3501 6.4.4, RFC 9051 6.4.4,
 * RFC 4731 ESEARCH, RFC 7162 MODSEQ).
 *
 * The program is parsed and bound to the session's view (MSNs, UIDs,
 * keyword bits), then each message of the view is evaluated. A program
 * that only looks at flags, sets and MODSEQ runs at once from the view; one
 * that needs sizes or dates reads the mailbox's records once; one that
 * needs message contents (HEADER, BODY, TEXT, SENT*) runs on a worker
 * thread, reading one message at a time, so a body search of a big
 * mailbox does not stall the loop. The reply is "* SEARCH ..." or, with
 * RETURN (or IMAP4rev2 enabled), "* ESEARCH (TAG ...) ...".
 *
 * SEARCHRES (RFC 5182, required by IMAP4rev2): RETURN (SAVE) keeps the
 * result as UIDs in the session (s->searchres, forgotten when the mailbox
 * is closed), and "$" in a later SEARCH, FETCH, STORE, COPY or MOVE names
 * those messages that still exist.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imap.h"
#include "imap_search.h"
#include "log.h"
#include "mime.h"
#include "net.h"
#include "store.h"
#include "util.h"

/* One message as the search sees it, copied from the view. */
struct search_meta {
	uint32_t		 msn;
	uint32_t		 uid;
	uint32_t		 flags;
	uint64_t		 keywords;
	uint64_t		 modseq;
};

struct search_job {
	struct imap_cmd		*cmd;
	struct conn		*conn;
	struct store		*store;
	uint64_t		 mailbox_id;
	struct imap_search_program prog;
	int			 needs_records;
	int64_t			 now;
	struct search_meta	*msgs;
	size_t			 n;
	/* results */
	uint32_t		*hits;		/* indexes into msgs */
	size_t			 n_hits;
	uint64_t		 max_modseq;
	int			 failed;
	/* the message being evaluated (loader) */
	uint64_t		 blob_id;
	char			*blob;
	size_t			 blob_len;
};

static void	 search_job_free(void *arg);
static int	 search_key_needs_record(const struct imap_search_key *k);
static int	 search_load(void *arg, const char **data_r, size_t *len_r);
static void	 search_run(struct search_job *job);
static void	 search_work(void *arg);
static void	 search_work_done(void *arg);
static void	 search_reply(struct imap_cmd *cmd, struct search_job *job);
static int	 search_record_cmp(const void *key, const void *elem);

static void
search_job_free(void *arg)
{
	struct search_job *job = arg;

	if (job == NULL)
		return;
	imap_search_program_free(&job->prog);
	free(job->msgs);
	free(job->hits);
	free(job->blob);
	free(job);
}

/* Keys answered from the store record (size, internal date, blob). */
static int
search_key_needs_record(const struct imap_search_key *k)
{
	const struct imap_search_key *c;

	switch (k->type) {
	case IMAP_SK_BEFORE:
	case IMAP_SK_ON:
	case IMAP_SK_SINCE:
	case IMAP_SK_LARGER:
	case IMAP_SK_SMALLER:
	case IMAP_SK_OLDER:
	case IMAP_SK_YOUNGER:
		return 1;
	default:
		break;
	}
	if (k->needs_content)
		return 1;
	for (c = k->child; c != NULL; c = c->next)
		if (search_key_needs_record(c))
			return 1;
	return 0;
}

/* The evaluator's loader: the current message's bytes, read once. */
static int
search_load(void *arg, const char **data_r, size_t *len_r)
{
	struct search_job *job = arg;
	int r;

	free(job->blob);
	job->blob = NULL;
	r = store_blob_read(job->store, job->blob_id, &job->blob, &job->blob_len);
	if (r < 0)
		return -1;
	*data_r = job->blob;
	*len_r = job->blob_len;
	return 0;
}

static int
search_record_cmp(const void *key, const void *elem)
{
	uint32_t uid = *(const uint32_t *)key;
	const struct store_message *m = elem;

	return uid < m->uid ? -1 : uid > m->uid;
}

/*
 * Evaluate every message (on the loop or a worker thread: it touches only
 * the job and store reads). A message that cannot be read any more
 * (expunged meanwhile) does not match.
 */
static void
search_run(struct search_job *job)
{
	struct store_message *records = NULL, *rec;
	struct imap_search_msg m;
	size_t i;
	int n_records = 0, r;

	if (job->needs_records) {
		n_records = store_message_list(job->store, job->mailbox_id, &records);
		if (n_records < 0) {
			job->failed = 1;
			return;
		}
	}
	job->hits = xreallocarray(NULL, job->n > 0 ? job->n : 1, sizeof(*job->hits));
	for (i = 0; i < job->n; i++) {
		const struct search_meta *sm = &job->msgs[i];

		memset(&m, 0, sizeof(m));
		m.msn = sm->msn;
		m.uid = sm->uid;
		m.flags = sm->flags;
		m.keywords = sm->keywords;
		m.modseq = sm->modseq;
		m.now = job->now;
		if (job->needs_records) {
			rec = bsearch(&sm->uid, records, (size_t)n_records,
			    sizeof(*records), search_record_cmp);
			if (rec == NULL)
				continue;	/* gone from the store */
			m.size = rec->size;
			m.internaldate = rec->internaldate;
			job->blob_id = rec->blob_id;
			m.load = search_load;
			m.load_arg = job;
		}
		r = imap_search_eval(&job->prog, &m);
		imap_search_msg_clear(&m);
		free(job->blob);
		job->blob = NULL;
		if (r == 1) {
			job->hits[job->n_hits++] = (uint32_t)i;
			if (sm->modseq > job->max_modseq)
				job->max_modseq = sm->modseq;
		}
	}
	free(records);
}

static void
search_work(void *arg)
{
	search_run(arg);
}

static void
search_work_done(void *arg)
{
	struct search_job *job = arg;
	struct imap_cmd *cmd = job->cmd;
	struct conn *c = job->conn;

	if (!imap_cmd_is_closed(cmd))
		search_reply(cmd, job);
	imap_cmd_finish(cmd);		/* frees job (cmd->ctx) */
	conn_unref(c);
}

int
cmd_search(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->s;
	struct imap_selected *sel = s->sel;
	struct search_job *job;
	char err[160];
	uint32_t i;
	int r;

	job = xcalloc(1, sizeof(*job));
	cmd->ctx = job;
	cmd->ctx_free = search_job_free;
	r = imap_search_parse(cmd->args, cmd->n_args, &job->prog, err, sizeof(err));
	if (r == IMAP_SEARCH_BADCHARSET) {
		imap_send_tagged(cmd, "NO", "BADCHARSET (UTF-8 US-ASCII)",
		    "Unsupported charset.");
		return 1;
	}
	if (r != IMAP_SEARCH_OK) {
		imap_send_tagged(cmd, "BAD", NULL, "%s.", err);
		return 1;
	}
	if (job->prog.uses_last_result)
		imap_search_bind_last_result(&job->prog, s->searchres, s->n_searchres);
	if (job->prog.has_modseq)
		imap_condstore_enable(s);
	imap_search_bind(&job->prog, sel->count,
	    sel->count > 0 ? sel->msgs[sel->count - 1].uid : 0,
	    (const char (*)[STORE_KEYWORD_LEN])sel->keywords, sel->n_keywords);
	job->store = s->store;
	job->mailbox_id = sel->mailbox_id;
	job->now = (int64_t)time(NULL);
	job->needs_records = search_key_needs_record(job->prog.root);
	job->msgs = xreallocarray(NULL, sel->count > 0 ? sel->count : 1,
	    sizeof(*job->msgs));
	for (i = 0; i < sel->count; i++) {
		const struct imap_view_msg *v = &sel->msgs[i];

		job->msgs[job->n].msn = i + 1;
		job->msgs[job->n].uid = v->uid;
		job->msgs[job->n].flags = v->flags;
		job->msgs[job->n].keywords = v->keywords;
		job->msgs[job->n].modseq = v->modseq;
		job->n++;
	}
	if (!job->prog.needs_content || job->n == 0) {
		search_run(job);
		search_reply(cmd, job);
		return 1;
	}
	job->cmd = cmd;
	job->conn = s->conn;
	conn_ref(s->conn);
	worker_submit(conn_loop(s->conn), search_work, search_work_done, job);
	return 0;
}

/*
 * RFC 5182 2.1: with MIN and/or MAX but neither ALL nor COUNT, only those
 * are saved; otherwise every match. A failed search saves the empty set.
 */
static void
search_save_result(struct imap_session *s, struct search_job *job)
{
	unsigned ret = job->prog.ret;
	size_t i, n = 0;

	free(s->searchres);
	s->searchres = NULL;
	s->n_searchres = 0;
	if (job->failed || job->n_hits == 0)
		return;
	s->searchres = xreallocarray(NULL, job->n_hits, sizeof(*s->searchres));
	if ((ret & (IMAP_SEARCH_RET_MIN | IMAP_SEARCH_RET_MAX)) &&
	    !(ret & (IMAP_SEARCH_RET_ALL | IMAP_SEARCH_RET_COUNT))) {
		if (ret & IMAP_SEARCH_RET_MIN)
			s->searchres[n++] = job->msgs[job->hits[0]].uid;
		if ((ret & IMAP_SEARCH_RET_MAX) &&
		    (n == 0 || job->msgs[job->hits[job->n_hits - 1]].uid != s->searchres[0]))
			s->searchres[n++] = job->msgs[job->hits[job->n_hits - 1]].uid;
	} else {
		/* Hits are in view order, so UIDs are ascending. */
		for (i = 0; i < job->n_hits; i++)
			s->searchres[n++] = job->msgs[job->hits[i]].uid;
	}
	s->n_searchres = n;
}

/*
 * "* SEARCH 2 5 9 [(MODSEQ m)]" (RFC 3501 7.2.5, RFC 7162 3.1.5), or
 * "* ESEARCH (TAG "t") [UID] MIN a MAX b COUNT n ALL set [MODSEQ m]"
 * (RFC 4731 3.1; IMAP4rev2 answers a plain SEARCH with ALL, RFC 9051 6.4.4).
 */
static void
search_reply(struct imap_cmd *cmd, struct search_job *job)
{
	struct imap_session *s = cmd->s;
	unsigned ret = job->prog.ret;
	struct mime_buf b;
	size_t i;

	if (ret & IMAP_SEARCH_RET_SAVE)
		search_save_result(s, job);
	if (job->failed) {
		imap_send_tagged(cmd, "NO", "SERVERBUG", "Cannot read the mailbox, try again.");
		return;
	}
	/* RFC 5182 2.1: SAVE alone gives no ESEARCH response. */
	if (ret == IMAP_SEARCH_RET_SAVE) {
		imap_send_tagged(cmd, "OK", NULL, "Search completed, result saved.");
		return;
	}
	mime_buf_init(&b);
	if (!job->prog.esearch && !(s->enabled & IMAP_ENABLED_REV2)) {
		mime_buf_adds(&b, "* SEARCH");
		for (i = 0; i < job->n_hits; i++) {
			const struct search_meta *sm = &job->msgs[job->hits[i]];

			mime_buf_addf(&b, " %lu", (unsigned long)(cmd->uid ? sm->uid : sm->msn));
		}
		if (job->prog.has_modseq && job->n_hits > 0)
			mime_buf_addf(&b, " (MODSEQ %llu)", (unsigned long long)job->max_modseq);
	} else {
		if (!job->prog.esearch)
			ret = IMAP_SEARCH_RET_ALL;
		mime_buf_adds(&b, "* ESEARCH (TAG ");
		mime_imap_string(&b, cmd->tag, strlen(cmd->tag));
		mime_buf_addc(&b, ')');
		if (cmd->uid)
			mime_buf_adds(&b, " UID");
		if (job->n_hits > 0) {
			const struct search_meta *lo = &job->msgs[job->hits[0]];
			const struct search_meta *hi = &job->msgs[job->hits[job->n_hits - 1]];

			if (ret & IMAP_SEARCH_RET_MIN)
				mime_buf_addf(&b, " MIN %lu",
				    (unsigned long)(cmd->uid ? lo->uid : lo->msn));
			if (ret & IMAP_SEARCH_RET_MAX)
				mime_buf_addf(&b, " MAX %lu",
				    (unsigned long)(cmd->uid ? hi->uid : hi->msn));
		}
		if (ret & IMAP_SEARCH_RET_COUNT)
			mime_buf_addf(&b, " COUNT %zu", job->n_hits);
		if ((ret & IMAP_SEARCH_RET_ALL) && job->n_hits > 0) {
			uint32_t *list = xreallocarray(NULL, job->n_hits, sizeof(*list));
			char *set;

			for (i = 0; i < job->n_hits; i++) {
				const struct search_meta *sm = &job->msgs[job->hits[i]];

				list[i] = cmd->uid ? sm->uid : sm->msn;
			}
			set = imap_seqset_format_list(list, job->n_hits);
			mime_buf_adds(&b, " ALL ");
			mime_buf_adds(&b, set);
			free(set);
			free(list);
		}
		if (job->prog.has_modseq && job->n_hits > 0)
			mime_buf_addf(&b, " MODSEQ %llu", (unsigned long long)job->max_modseq);
	}
	imap_out_write(s, b.data, b.len);
	imap_out_crlf(s);
	mime_buf_free(&b);
	imap_send_tagged(cmd, "OK", NULL, "Search completed.");
}
