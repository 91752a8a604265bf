/*
 * smtp_client_send.c: one mail transaction on an open SMTP client
 * connection (RFC 5321 3.3): MAIL FROM with SIZE (RFC 1870), BODY=8BITMIME
 * (RFC 6152) and SMTPUTF8 (RFC 6531) as needed and offered, RCPT TO for
 * each recipient, DATA, the message dot-stuffed with CRLF line ends, and
 * the final ".". With PIPELINING (RFC 2920) MAIL, the RCPTs and DATA go
 * out in one write and their replies are read in order.
 *
 * It records every reply and maps them to a status; it does not decide
 * what to retry or bounce, and it never changes the message's bytes
 * beyond the transparency rules (dot-stuffing, CRLF).
 */
#include <stdlib.h>
#include <string.h>

#include "smtp_client_int.h"
#include "util.h"

/* Pipelined commands per write: more waits for the replies first (no deadlock). */
#define TX_BATCH_MAX		(8 * 1024)
#define TX_DATA_CHUNK		(64 * 1024)

struct tx {
	struct smtpc			*c;
	const struct smtpc_envelope	*env;
	struct smtpc_reply		*rcpt_r;	/* env->n_rcpts entries */
	struct smtpc_reply		 mail_r;
	struct smtpc_reply		 data_r;	/* code 0: DATA not sent */
	size_t				 accepted;	/* RCPTs answered 2xx */
	int				 smtputf8;	/* SMTPUTF8 on MAIL */
};

static int	 tx_check_addr(const char *addr, int *utf8_r);
static int	 tx_check(struct tx *t, struct smtpc_reply *reply_r);
static int	 tx_format(const struct tx *t, size_t i, char *buf, size_t size);
static const char *tx_stage(const struct tx *t, size_t i);
static void	 tx_record(struct tx *t, size_t i, const struct smtpc_reply *r);
static int	 tx_commands(struct tx *t, struct smtpc_reply *reply_r);
static int	 tx_rcpt_status(const struct tx *t, struct smtpc_reply *reply_r);
static int	 tx_data(struct tx *t, struct smtpc_reply *reply_r);
static int	 tx_abort(struct tx *t, int status);

/*
 * An address we can put between <> (they came from our own queue, but
 * a CR or LF here would inject commands). Sets *utf8_r for 8-bit bytes.
 */
static int
tx_check_addr(const char *addr, int *utf8_r)
{
	const unsigned char *p;

	for (p = (const unsigned char *)addr; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '<' || *p == '>')
			return -1;
		if (*p >= 0x80)
			*utf8_r = 1;
	}
	return p - (const unsigned char *)addr > 512 ? -1 : 0;
}

/* What can be refused before sending anything. Returns SMTPC_* status. */
static int
tx_check(struct tx *t, struct smtpc_reply *reply_r)
{
	const struct smtpc_envelope *env = t->env;
	int utf8 = env->need_smtputf8;
	size_t i;

	if (env->n_rcpts == 0) {
		smtpc_reply_local(reply_r, 0, "no recipients");
		return SMTPC_PERM;
	}
	if (tx_check_addr(env->sender, &utf8) < 0) {
		smtpc_reply_local(reply_r, 0, "5.1.7 invalid sender address");
		return SMTPC_PERM;
	}
	for (i = 0; i < env->n_rcpts; i++)
		if (tx_check_addr(env->rcpts[i], &utf8) < 0) {
			smtpc_reply_local(reply_r, 0, "5.1.3 invalid recipient address");
			return SMTPC_PERM;
		}
	/* RFC 6531 3.2 and RFC 6152 3: never send what the server cannot take. */
	if (utf8 && !(t->c->ext & SMTPC_EXT_SMTPUTF8)) {
		smtpc_reply_local(reply_r, 0,
		    "5.6.7 UTF-8 addresses or headers, server does not support SMTPUTF8");
		return SMTPC_PERM;
	}
	if (env->need_8bitmime && !(t->c->ext & SMTPC_EXT_8BITMIME)) {
		smtpc_reply_local(reply_r, 0,
		    "5.6.3 8-bit message, server does not support 8BITMIME");
		return SMTPC_PERM;
	}
	/* RFC 1870 6.1: a message over the announced limit is not sent. */
	if ((t->c->ext & SMTPC_EXT_SIZE) && t->c->size_max > 0 &&
	    env->len > t->c->size_max) {
		smtpc_reply_local(reply_r, 0, "5.3.4 message size %zu exceeds the server's "
		    "fixed maximum message size (%llu)", env->len,
		    (unsigned long long)t->c->size_max);
		return SMTPC_PERM;
	}
	t->smtputf8 = utf8;
	return SMTPC_OK;
}

/* Command i: 0 is MAIL, 1..n the RCPTs, n+1 DATA; with CRLF. */
static int
tx_format(const struct tx *t, size_t i, char *buf, size_t size)
{
	const struct smtpc_envelope *env = t->env;
	char size_param[32] = "";

	if (i == 0) {
		if (t->c->ext & SMTPC_EXT_SIZE)
			(void)str_format(size_param, sizeof(size_param), " SIZE=%zu", env->len);
		return str_format(buf, size, "MAIL FROM:<%s>%s%s%s\r\n", env->sender,
		    size_param, env->need_8bitmime ? " BODY=8BITMIME" : "",
		    t->smtputf8 ? " SMTPUTF8" : "");
	}
	if (i <= env->n_rcpts)
		return str_format(buf, size, "RCPT TO:<%s>\r\n", env->rcpts[i - 1]);
	return str_format(buf, size, "DATA\r\n");
}

static const char *
tx_stage(const struct tx *t, size_t i)
{
	if (i == 0)
		return "MAIL FROM";
	return i <= t->env->n_rcpts ? "RCPT TO" : "DATA";
}

static void
tx_record(struct tx *t, size_t i, const struct smtpc_reply *r)
{
	if (i == 0)
		t->mail_r = *r;
	else if (i <= t->env->n_rcpts) {
		t->rcpt_r[i - 1] = *r;
		if (smtpc_status_of(r->code) == SMTPC_OK)
			t->accepted++;
	} else
		t->data_r = *r;
}

/*
 * Send MAIL, the RCPTs and DATA, and read their replies. Pipelined, the
 * commands go out in groups of up to TX_BATCH_MAX bytes, so a long list
 * of recipients cannot fill both directions' buffers; unpipelined, one
 * at a time. Returns 0, or -1 on a network failure or a 421 (reply_r).
 */
static int
tx_commands(struct tx *t, struct smtpc_reply *reply_r)
{
	size_t ncmds = t->env->n_rcpts + 2, sent = 0, done = 0;
	int pipelining = (t->c->ext & SMTPC_EXT_PIPELINING) != 0;
	char *buf = xmalloc(TX_BATCH_MAX + SMTPC_CMD_MAX + 8);
	int ret = -1;

	while (done < ncmds) {
		struct smtpc_reply r;
		char what[64];

		if (sent == done) {
			size_t len = 0;

			/* Nothing in flight: stop when the rest would be refused anyway. */
			if (done > 0 && smtpc_status_of(t->mail_r.code) != SMTPC_OK)
				break;
			if (done == ncmds - 1 && t->accepted == 0)
				break;
			do {
				if (tx_format(t, sent, buf + len, SMTPC_CMD_MAX + 8) < 0) {
					smtpc_reply_local(reply_r, 0, "%s command too long",
					    tx_stage(t, sent));
					t->c->usable = 0;
					goto out;
				}
				len += strlen(buf + len);
				sent++;
			} while (pipelining && sent < ncmds && len < TX_BATCH_MAX);
			if (smtpc_io_write(t->c, buf, len, t->c->command_timeout,
			    tx_stage(t, done), reply_r) < 0)
				goto out;
		}
		(void)str_format(what, sizeof(what), "the reply to %s", tx_stage(t, done));
		if (smtpc_io_read_reply(t->c, t->c->command_timeout, what, &r, NULL) < 0) {
			*reply_r = r;
			goto out;
		}
		/* RFC 5321 3.8: 421 means the server is closing the channel. */
		if (r.code == 421) {
			t->c->usable = 0;
			*reply_r = r;
			goto out;
		}
		tx_record(t, done++, &r);
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

/*
 * Every RCPT refused: PERM when all were 5xx, else TEMP (RFC 5321 4.2.5),
 * with the first refusal of that kind as the reason.
 */
static int
tx_rcpt_status(const struct tx *t, struct smtpc_reply *reply_r)
{
	const struct smtpc_reply *first_temp = NULL;
	size_t i;

	for (i = 0; i < t->env->n_rcpts && first_temp == NULL; i++)
		if (smtpc_status_of(t->rcpt_r[i].code) != SMTPC_PERM)
			first_temp = &t->rcpt_r[i];
	*reply_r = first_temp != NULL ? *first_temp : t->rcpt_r[0];
	return first_temp != NULL ? SMTPC_TEMP : SMTPC_PERM;
}

/*
 * The message: dot-stuffed (RFC 5321 4.5.2), every line ending in CRLF
 * (a bare LF or CR becomes CRLF, 2.3.8), a last CRLF when missing, then
 * ".". Written in chunks of TX_DATA_CHUNK. Returns 0 with the final reply
 * in reply_r, or -1 on a network failure.
 */
static int
tx_data(struct tx *t, struct smtpc_reply *reply_r)
{
	const char *p = t->env->data, *end = p + t->env->len;
	char *buf = xmalloc(TX_DATA_CHUNK + 8);
	size_t len = 0;
	int bol = 1, ret = -1;

	for (; p < end; p++) {
		if (len >= TX_DATA_CHUNK) {
			if (smtpc_io_write(t->c, buf, len, t->c->command_timeout,
			    "the message", reply_r) < 0)
				goto out;
			len = 0;
		}
		if (*p == '\r' || *p == '\n') {
			if (*p == '\r' && p + 1 < end && p[1] == '\n')
				p++;
			buf[len++] = '\r';
			buf[len++] = '\n';
			bol = 1;
			continue;
		}
		if (bol && *p == '.')
			buf[len++] = '.';
		buf[len++] = *p;
		bol = 0;
	}
	if (!bol) {
		buf[len++] = '\r';
		buf[len++] = '\n';
	}
	memcpy(buf + len, ".\r\n", 3);
	len += 3;
	if (smtpc_io_write(t->c, buf, len, t->c->command_timeout, "the message", reply_r) < 0)
		goto out;
	ret = smtpc_io_read_reply(t->c, t->c->data_timeout, "the reply to the end of data",
	    reply_r, NULL);
out:
	free(buf);
	return ret;
}

/*
 * The transaction was refused before the message: end a DATA that was
 * accepted anyway (RFC 2920 3.1) and RSET, so the connection can carry
 * the next one. Returns status.
 */
static int
tx_abort(struct tx *t, int status)
{
	struct smtpc_reply r;

	if (t->data_r.code == 354) {
		if (smtpc_io_write(t->c, ".\r\n", 3, t->c->command_timeout, "end of data", &r) < 0 ||
		    smtpc_io_read_reply(t->c, t->c->data_timeout, "the reply to the end of data",
		    &r, NULL) < 0)
			return status;
	}
	if (t->c->usable && (smtpc_io_command(t->c, "RSET", "RSET", &r) < 0 || r.code != 250))
		t->c->usable = 0;
	return status;
}

int
smtpc_send(struct smtpc *c, const struct smtpc_envelope *env,
    struct smtpc_reply *rcpt_r, struct smtpc_reply *reply_r)
{
	struct tx t;
	size_t i;
	int st;

	memset(&t, 0, sizeof(t));
	t.c = c;
	t.env = env;
	t.rcpt_r = rcpt_r;
	memset(reply_r, 0, sizeof(*reply_r));
	if (env->n_rcpts > 0)
		memset(rcpt_r, 0, env->n_rcpts * sizeof(*rcpt_r));
	if (!c->usable) {
		smtpc_reply_local(reply_r, 0, "connection not usable");
		return SMTPC_TEMP;
	}
	if ((st = tx_check(&t, reply_r)) != SMTPC_OK)
		goto all_rcpts;
	if (tx_commands(&t, reply_r) < 0)
		return SMTPC_TEMP;
	if ((st = smtpc_status_of(t.mail_r.code)) != SMTPC_OK) {
		*reply_r = t.mail_r;
		st = tx_abort(&t, st);
		goto all_rcpts;
	}
	if (t.accepted == 0)
		return tx_abort(&t, tx_rcpt_status(&t, reply_r));
	if (t.data_r.code != 354) {
		*reply_r = t.data_r;
		st = smtpc_status_of(t.data_r.code);
		return tx_abort(&t, st == SMTPC_OK ? SMTPC_TEMP : st);
	}
	if (tx_data(&t, reply_r) < 0)
		return SMTPC_TEMP;
	if (reply_r->code == 421)
		c->usable = 0;
	return smtpc_status_of(reply_r->code);
all_rcpts:
	/* The reason applies to each recipient alike. */
	for (i = 0; i < env->n_rcpts; i++)
		rcpt_r[i] = *reply_r;
	return st;
}
