/*
 * pop3_commands.c: the POP3 command table and the simple commands
 * (RFC 1939 sections 4-7, RFC 2449 CAPA).
 *
 * The dispatcher checks the keyword, the state and the argument count from
 * the table, so handlers never re-check them. Handlers that wait for other
 * threads live in their own files: USER/PASS/AUTH in pop3_auth.c, RETR/TOP
 * bodies in pop3_retr.c, QUIT's UPDATE state in pop3_update.c.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "log.h"
#include "net.h"
#include "pop3_maildrop.h"
#include "pop3_output.h"
#include "pop3_parse.h"
#include "pop3_session.h"
#include "server.h"
#include "tls.h"

#define ST_AUTH		(1u << POP3_STATE_AUTHORIZATION)
#define ST_TRANS	(1u << POP3_STATE_TRANSACTION)

typedef void (*pop3_cmd_fn)(struct pop3_session *, const struct pop3_request *);

struct pop3_command {
	const char	*verb;
	unsigned	 states;	/* ST_* where it is allowed */
	int		 min_args;
	int		 max_args;
	pop3_cmd_fn	 fn;
};

static void	pop3_cmd_quit(struct pop3_session *, const struct pop3_request *);
static void	pop3_cmd_capa(struct pop3_session *, const struct pop3_request *);
static void	pop3_cmd_stls(struct pop3_session *, const struct pop3_request *);
static void	pop3_cmd_stat(struct pop3_session *, const struct pop3_request *);
static void	pop3_cmd_list(struct pop3_session *, const struct pop3_request *);
static void	pop3_cmd_uidl(struct pop3_session *, const struct pop3_request *);
static void	pop3_cmd_retr(struct pop3_session *, const struct pop3_request *);
static void	pop3_cmd_top(struct pop3_session *, const struct pop3_request *);
static void	pop3_cmd_dele(struct pop3_session *, const struct pop3_request *);
static void	pop3_cmd_rset(struct pop3_session *, const struct pop3_request *);
static void	pop3_cmd_noop(struct pop3_session *, const struct pop3_request *);
static struct pop3_message *pop3_message_arg(struct pop3_session *s,
		    const char *arg, uint64_t *msgno_r);

static const struct pop3_command pop3_commands[] = {
	{ "USER", ST_AUTH,		1, 1, pop3_cmd_user },
	{ "PASS", ST_AUTH,		1, 1, pop3_cmd_pass },
	{ "AUTH", ST_AUTH,		0, 2, pop3_cmd_auth },
	{ "STLS", ST_AUTH,		0, 0, pop3_cmd_stls },
	{ "QUIT", ST_AUTH | ST_TRANS,	0, 0, pop3_cmd_quit },
	{ "CAPA", ST_AUTH | ST_TRANS,	0, 0, pop3_cmd_capa },
	{ "STAT", ST_TRANS,		0, 0, pop3_cmd_stat },
	{ "LIST", ST_TRANS,		0, 1, pop3_cmd_list },
	{ "UIDL", ST_TRANS,		0, 1, pop3_cmd_uidl },
	{ "RETR", ST_TRANS,		1, 1, pop3_cmd_retr },
	{ "TOP",  ST_TRANS,		2, 2, pop3_cmd_top },
	{ "DELE", ST_TRANS,		1, 1, pop3_cmd_dele },
	{ "RSET", ST_TRANS,		0, 0, pop3_cmd_rset },
	{ "NOOP", ST_TRANS,		0, 0, pop3_cmd_noop },
};

void
pop3_command_dispatch(struct pop3_session *s, const char *line, size_t len)
{
	const struct pop3_command *cmd = NULL;
	struct pop3_request req;
	size_t i;
	int r;

	r = pop3_parse(line, len, &req);
	if (r == POP3_PARSE_OK) {
		for (i = 0; i < sizeof(pop3_commands) / sizeof(pop3_commands[0]); i++)
			if (strcmp(pop3_commands[i].verb, req.verb) == 0)
				cmd = &pop3_commands[i];
	}
	if (r != POP3_PARSE_OK)
		pop3_bad_command(s, pop3_parse_strerror(r));
	else if (cmd == NULL)
		pop3_bad_command(s, "Unknown command.");
	else if (!(cmd->states & (1u << s->state)))
		pop3_bad_command(s, s->state == POP3_STATE_AUTHORIZATION ?
		    "Not logged in." : "Already logged in.");
	else if (req.argc < cmd->min_args)
		pop3_bad_command(s, cmd->fn == pop3_cmd_pass ?
		    "No password given." : "Missing argument.");
	else if (req.argc > cmd->max_args)
		pop3_bad_command(s, "Too many arguments.");
	else {
		/* RFC 1939 7: PASS only right after a successful USER. */
		if (cmd->fn != pop3_cmd_pass)
			s->flags &= ~POP3_F_HAVE_USER;
		cmd->fn(s, &req);
	}
	explicit_bzero(&req, sizeof(req));
}

/*
 * A "msg" argument: an existing message not marked deleted. Answers -ERR
 * itself and returns NULL otherwise (RFC 1939 5: a deleted message may not
 * be referred to).
 */
static struct pop3_message *
pop3_message_arg(struct pop3_session *s, const char *arg, uint64_t *msgno_r)
{
	struct pop3_message *m;
	uint64_t msgno;
	int deleted;

	if (pop3_parse_number(arg, 1, UINT32_MAX, &msgno) < 0) {
		pop3_err(s, "Invalid message number.");
		return NULL;
	}
	m = pop3_maildrop_get(s->maildrop, msgno, &deleted);
	if (m == NULL) {
		if (deleted)
			pop3_err(s, "Message %llu is deleted.",
			    (unsigned long long)msgno);
		else
			pop3_err(s, "No such message, only %zu messages in maildrop.",
			    s->maildrop->count);
		return NULL;
	}
	*msgno_r = msgno;
	return m;
}

static void
pop3_cmd_quit(struct pop3_session *s, const struct pop3_request *req)
{
	(void)req;
	if (s->state == POP3_STATE_TRANSACTION) {
		pop3_update_begin(s);
		return;
	}
	pop3_ok(s, "Logging out.");
	pop3_session_close(s, "quit");
}

/* RFC 2449 5: CAPA works in every state and is never required. */
static void
pop3_cmd_capa(struct pop3_session *s, const struct pop3_request *req)
{
	(void)req;
	pop3_ok(s, "Capability list follows");
	pop3_ml_line(s, "CAPA");
	pop3_ml_line(s, "TOP");
	pop3_ml_line(s, "UIDL");
	pop3_ml_line(s, "RESP-CODES");
	pop3_ml_line(s, "PIPELINING");
	pop3_ml_line(s, "AUTH-RESP-CODE");
	if (s->state == POP3_STATE_AUTHORIZATION) {
		/* RFC 2595 4: STLS only while it can still be used. */
		if (!conn_is_tls(s->conn) && tls_available())
			pop3_ml_line(s, "STLS");
		/* Before TLS these would only invite a refused password. */
		if (server_plaintext_auth_allowed(s->conn)) {
			pop3_ml_line(s, "USER");
			pop3_ml_line(s, "SASL %s", pop3_sasl_mechanisms);
		}
	}
	pop3_ml_line(s, "IMPLEMENTATION Posthorn");
	pop3_ml_end(s);
}

/* RFC 2595 4: STLS, in AUTHORIZATION only (the table sees to that). */
static void
pop3_cmd_stls(struct pop3_session *s, const struct pop3_request *req)
{
	(void)req;
	if (conn_is_tls(s->conn)) {
		pop3_err(s, "Command not permitted when TLS active.");
		return;
	}
	if (!tls_available()) {
		pop3_err(s, "TLS is not available on this server.");
		return;
	}
	pop3_ok(s, "Begin TLS negotiation now.");
	pop3_session_starttls(s);
}

static void
pop3_cmd_stat(struct pop3_session *s, const struct pop3_request *req)
{
	(void)req;
	pop3_ok(s, "%zu %llu", pop3_maildrop_visible(s->maildrop),
	    (unsigned long long)pop3_maildrop_visible_size(s->maildrop));
}

static void
pop3_cmd_list(struct pop3_session *s, const struct pop3_request *req)
{
	struct pop3_maildrop *md = s->maildrop;
	struct pop3_message *m;
	uint64_t msgno;
	size_t i;

	if (req->argc == 1) {
		if ((m = pop3_message_arg(s, req->argv[0], &msgno)) != NULL)
			pop3_ok(s, "%llu %llu", (unsigned long long)msgno,
			    (unsigned long long)m->size);
		return;
	}
	pop3_ok(s, "%zu messages (%llu octets)", pop3_maildrop_visible(md),
	    (unsigned long long)pop3_maildrop_visible_size(md));
	for (i = 0; i < md->count; i++)
		if (!md->msgs[i].deleted)
			pop3_ml_line(s, "%zu %llu", i + 1,
			    (unsigned long long)md->msgs[i].size);
	pop3_ml_end(s);
}

static void
pop3_cmd_uidl(struct pop3_session *s, const struct pop3_request *req)
{
	struct pop3_maildrop *md = s->maildrop;
	struct pop3_message *m;
	char uidl[POP3_UIDL_MAX];
	uint64_t msgno;
	size_t i;

	if (req->argc == 1) {
		if ((m = pop3_message_arg(s, req->argv[0], &msgno)) != NULL) {
			pop3_uidl_format(uidl, sizeof(uidl), md->uidvalidity, m->uid);
			pop3_ok(s, "%llu %s", (unsigned long long)msgno, uidl);
		}
		return;
	}
	pop3_ok(s, "Unique-ID listing follows");
	for (i = 0; i < md->count; i++) {
		if (md->msgs[i].deleted)
			continue;
		pop3_uidl_format(uidl, sizeof(uidl), md->uidvalidity,
		    md->msgs[i].uid);
		pop3_ml_line(s, "%zu %s", i + 1, uidl);
	}
	pop3_ml_end(s);
}

static void
pop3_cmd_retr(struct pop3_session *s, const struct pop3_request *req)
{
	struct pop3_message *m;
	uint64_t msgno;

	if ((m = pop3_message_arg(s, req->argv[0], &msgno)) != NULL)
		pop3_retr_start(s, m, POP3_LINES_ALL, 1);
}

static void
pop3_cmd_top(struct pop3_session *s, const struct pop3_request *req)
{
	struct pop3_message *m;
	uint64_t msgno, lines;

	/* RFC 1939 7: "n" is non-negative; a huge n simply means all lines. */
	if (pop3_parse_number(req->argv[1], 0, UINT64_MAX, &lines) < 0) {
		pop3_err(s, "Invalid number of lines.");
		return;
	}
	if ((m = pop3_message_arg(s, req->argv[0], &msgno)) != NULL)
		pop3_retr_start(s, m, lines, 0);
}

static void
pop3_cmd_dele(struct pop3_session *s, const struct pop3_request *req)
{
	struct pop3_message *m;
	uint64_t msgno;

	if ((m = pop3_message_arg(s, req->argv[0], &msgno)) == NULL)
		return;
	pop3_maildrop_delete(s->maildrop, m);
	pop3_ok(s, "Message %llu deleted.", (unsigned long long)msgno);
}

static void
pop3_cmd_rset(struct pop3_session *s, const struct pop3_request *req)
{
	(void)req;
	pop3_maildrop_reset(s->maildrop);
	pop3_ok(s, "Maildrop has %zu messages (%llu octets).",
	    pop3_maildrop_visible(s->maildrop),
	    (unsigned long long)pop3_maildrop_visible_size(s->maildrop));
}

static void
pop3_cmd_noop(struct pop3_session *s, const struct pop3_request *req)
{
	(void)req;
	pop3_ok(s, "%s", "");
}
