/*
 * server.c: the current configuration (swapped on SIGHUP) and policy that
 * every protocol shares: when password authentication is allowed, and the
 * one login log line that fail2ban reads.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "net.h"
#include "server.h"
#include "util.h"

/* Every config ever installed; old ones stay valid for sessions using them. */
struct config_node {
	struct config_node	*next;
	struct config		*cfg;
};

static pthread_mutex_t		 server_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct config_node	*server_configs;
static const struct config	*server_current;

const struct config *
server_config(void)
{
	const struct config *cfg;

	pthread_mutex_lock(&server_mutex);
	cfg = server_current;
	pthread_mutex_unlock(&server_mutex);
	return cfg;
}

void
server_config_set(struct config *cfg)
{
	struct config_node *n = xmalloc(sizeof(*n));

	n->cfg = cfg;
	pthread_mutex_lock(&server_mutex);
	n->next = server_configs;
	server_configs = n;
	server_current = cfg;
	pthread_mutex_unlock(&server_mutex);
}

void
server_config_free_all(void)
{
	struct config_node *n;

	pthread_mutex_lock(&server_mutex);
	while ((n = server_configs) != NULL) {
		server_configs = n->next;
		free(n->cfg);
		free(n);
	}
	server_current = NULL;
	pthread_mutex_unlock(&server_mutex);
}

int
server_plaintext_auth_allowed(const struct conn *c)
{
	const struct config *cfg = server_config();

	if (conn_is_tls(c))
		return 1;
	switch (cfg != NULL ? cfg->plaintext_auth : PLAINTEXT_AUTH_LOOPBACK) {
	case PLAINTEXT_AUTH_ALWAYS:
		return 1;
	case PLAINTEXT_AUTH_NEVER:
		return 0;
	case PLAINTEXT_AUTH_LOOPBACK:
	default:
		return conn_is_loopback(c);
	}
}

void
server_log_login(const char *proto, const struct conn *c, const char *user,
    int ok, const char *reason)
{
	char safe[128];

	log_sanitize(safe, sizeof(safe), user, strlen(user));
	if (ok)
		log_info("login: proto=%s user=<%s> rip=%s result=ok", proto,
		    safe, conn_peer(c));
	else
		log_info("login: proto=%s user=<%s> rip=%s result=fail reason=\"%s\"",
		    proto, safe, conn_peer(c), reason != NULL ? reason : "");
}

static void (*server_queue_hook)(void);

void
server_set_queue_hook(void (*fn)(void))
{
	server_queue_hook = fn;		/* set once at start, before any session */
}

void
server_queue_changed(void)
{
	if (server_queue_hook != NULL)
		server_queue_hook();
}
