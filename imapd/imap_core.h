/*
 * imap_core.h: what the core files of imapd/ (session, registry,
 * capabilities, authentication, mailbox commands, sync) share among
 * themselves beyond imap.h. Command files of other helpers need only
 * imap.h.
 */
#ifndef POSTHORN_IMAP_CORE_H
#define POSTHORN_IMAP_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "imap.h"

struct imap_command {
	const char	*name;
	imap_cmd_fn	 fn;
	unsigned	 states;	/* IMAP_STATE_BIT()s where it is allowed */
	unsigned	 flags;		/* IMAP_CMDF_* */
};

/* Failed logins on one connection before it is closed. */
#define IMAP_MAX_AUTH_FAILURES	3
/* Bad commands (BAD replies) before the session is closed. */
#define IMAP_MAX_BAD_COMMANDS	20
/* IDLE keepalive ("* OK Still here"): clients and NATs expect < 29 min silence. */
#define IMAP_IDLE_KEEPALIVE_MS	(2 * 60 * 1000)
/* Input a client may queue while a command is in flight before we stop reading. */
#define IMAP_INPUT_BLOCKED_MAX	(256 * 1024)
/* Idle seconds allowed before login (imap_timeout applies after). */
#define IMAP_PREAUTH_TIMEOUT	180
/* A line while IDLE or in an AUTHENTICATE exchange. */
#define IMAP_AUX_LINE_MAX	8192

#define IMAP_SF_DISPATCHING	0x100	/* inside imap_dispatch: finish need not reschedule */
#define IMAP_SF_AUX_SKIPPING	0x200	/* discarding an overlong IDLE/AUTHENTICATE line */
#define IMAP_SF_AUTH_WAIT	0x400	/* auth_verify_async pending: never called back once closed */

/* imap_session.c */
void	 imap_session_close(struct imap_session *s, const char *reason);
void	 imap_session_free(struct imap_session *s);
void	 imap_session_process(struct imap_session *s);
/* The idle timeout for the session's state, in seconds. */
int	 imap_session_timeout(const struct imap_session *s);
/* Limits for the parser after a state change (login raises them). */
void	 imap_session_parser_limits(struct imap_session *s);
void	 imap_set_state(struct imap_session *s, enum imap_state st);
const char *imap_state_name(enum imap_state st);
/* Successful login: state AUTH, parser limits, reply with [CAPABILITY]. */
void	 imap_session_login(struct imap_cmd *cmd, const struct store_user *u);

/* imap_commands.c */
void	 imap_dispatch(struct imap_session *s, struct imap_cmd *cmd);
const struct imap_command *imap_command_find(const char *name);

/* imap_capability.c: the capability list for the session's state, space separated. */
void	 imap_capability_string(const struct imap_session *s, char *buf, size_t size);

/* imap_select.c */
void	 imap_unselect(struct imap_session *s);

/* imap_sync.c */
void	 imap_view_free(struct imap_selected **sel);
void	 imap_watch_start(struct imap_session *s);
void	 imap_watch_stop(struct imap_session *s);
/* A watcher or a recent claim noticed a change (runs on the loop). */
void	 imap_session_notified(struct imap_session *s);
/* Add claimed \Recent UIDs to the view (store_recent_claim result). */
void	 imap_view_add_recent(struct imap_selected *sel, const uint32_t *uids, size_t n);

/* imap_idle.c */
void	 imap_idle_push(struct imap_session *s);

/* imap_mailbox.c: name helpers */
int	 imap_mailbox_name_valid(const char *name);
/* The client's spelling of a store name (mUTF-7 unless UTF-8 is enabled). */
int	 imap_mailbox_external(const struct imap_session *s, const char *name,
	    char *out, size_t size);
int	 imap_utf8_enabled(const struct imap_session *s);

/* imap_reply.c */
void	 imap_send_tagged_raw(struct imap_cmd *cmd, const char *status,
	    const char *code, const char *text);
/* "OK"/"NO" replies for a STORE_E* status of a mailbox operation. */
void	 imap_send_store_error(struct imap_cmd *cmd, int status, const char *what);

/* imap_status.c: STATUS items for LIST-STATUS and STATUS. */
int	 imap_status_parse_items(const struct imap_arg *list, unsigned *items_r);
void	 imap_status_send(struct imap_session *s, const struct store_mailbox *mb,
	    unsigned items);

#endif
