/*
 * server.h: what posthornd hands every protocol front-end, and policy
 * shared by all of them (plaintext authentication, login log lines).
 */
#ifndef POSTHORN_SERVER_H
#define POSTHORN_SERVER_H

#include "config.h"

struct store;
struct conn;

/* The listener_arg of every conn_handler: one per configured listen address. */
struct listener_ctx {
	struct store		*store;
	enum listen_kind	 kind;
};

/*
 * The current configuration. SIGHUP replaces it; a session reads it when it
 * needs a limit, so new values apply to new commands. Never NULL once the
 * daemon runs. Old configurations stay valid until server_config_free_all().
 */
const struct config *server_config(void);
/* Install cfg (ownership passes) as the current configuration. Thread-safe. */
void	server_config_set(struct config *cfg);
void	server_config_free_all(void);

/*
 * May this connection use a password mechanism (USER/PASS, LOGIN, PLAIN)?
 * plaintext_auth = loopback|never|always decides without TLS; with TLS always.
 */
int	server_plaintext_auth_allowed(const struct conn *c);

/*
 * The one login log line, shared by all protocols so fail2ban needs one
 * filter: "login: proto=pop3 user=<a@b> rip=1.2.3.4 result=ok|fail reason=..."
 */
void	server_log_login(const char *proto, const struct conn *c,
	    const char *user, int ok, const char *reason);

/*
 * Mail was added to the outbound queue: wake the runner. posthornd sets
 * the hook (outbound_wakeup) so front-ends need not link the runner;
 * without a hook the runner still finds it at its next poll.
 */
void	server_set_queue_hook(void (*fn)(void));
void	server_queue_changed(void);

#endif
