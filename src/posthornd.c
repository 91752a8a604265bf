/*
 * posthornd.c: the Posthorn daemon's main: configuration, listeners,
 * privilege drop, the store, signals, and an orderly shutdown.
 *
 * Order matters: listeners are bound while still root (ports 25/110/...),
 * then privileges drop to `user`, and only then is the store opened, so
 * every file in data_dir belongs to the unprivileged user. On SIGTERM the
 * listeners close, sessions finish the commits they started (nothing that
 * was acknowledged is lost), then the store drains its writer and closes.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <event2/event.h>

#include "auth.h"
#include "config.h"
#include "imapd.h"
#include "log.h"
#include "net.h"
#include "outbound.h"
#include "pop3d.h"
#include "server.h"
#include "smtpd.h"
#include "store.h"
#include "tls.h"
#include "util.h"

#define POSTHORND_DEFAULT_CONFIG	SYSCONFDIR "/posthorn.conf"

struct daemon_state {
	const char		*config_path;
	struct store		*store;
	struct outbound		*outbound;	/* the queue runner */
	struct listener_ctx	 ctx[LISTEN_KIND_COUNT];
	struct event		*sig_term, *sig_int, *sig_hup;
};

static void
usage(void)
{
	fprintf(stderr, "usage: posthornd [-c config-file]\n");
	exit(1);
}

/* Ports where TLS starts before the protocol (RFC 8314). */
static int
daemon_implicit_tls(enum listen_kind kind)
{
	return kind == LISTEN_SUBMISSIONS || kind == LISTEN_POP3S || kind == LISTEN_IMAPS;
}

/* The protocol served on each listen_* key, or NULL while it is not built. */
static const struct conn_handler *
daemon_handler(enum listen_kind kind)
{
	switch (kind) {
	case LISTEN_SMTP:
	case LISTEN_SUBMISSION:
	case LISTEN_SUBMISSIONS:
		/* smtpd tells them apart by listener_ctx.kind */
		return &smtp_conn_handler;
	case LISTEN_POP3:
	case LISTEN_POP3S:
		return &pop3_conn_handler;
	case LISTEN_IMAP:
	case LISTEN_IMAPS:
		return &imap_conn_handler;
	default:
		return NULL;
	}
}

static int
daemon_listen(struct daemon_state *st, const struct config *cfg)
{
	char err[256];
	int kind, i;

	for (kind = 0; kind < LISTEN_KIND_COUNT; kind++) {
		const struct conn_handler *h = daemon_handler(kind);

		if (cfg->listen_count[kind] == 0)
			continue;
		if (h == NULL) {
			/* Refusing to start would break configs written for a
			 * later version; ignoring silently would hide it. */
			log_warn("%s: this protocol is not available in this version; not listening",
			    config_listen_key(kind));
			continue;
		}
		if (daemon_implicit_tls(kind) && !tls_available()) {
			log_error("%s needs a certificate: set tls_cert and tls_key",
			    config_listen_key(kind));
			return -1;
		}
		st->ctx[kind].kind = kind;
		for (i = 0; i < cfg->listen_count[kind]; i++)
			if (net_listen(cfg->listen[kind][i], h, &st->ctx[kind],
			    daemon_implicit_tls(kind) ? NET_LISTEN_TLS : 0,
			    err, sizeof(err)) < 0) {
				log_error("%s", err);
				return -1;
			}
	}
	return 0;
}

/* Make data_dir exist and belong to pw, so the store can be opened after the drop. */
static int
daemon_prepare_data_dir(const struct config *cfg, const struct passwd *pw)
{
	char path[CONFIG_PATH_MAX + 32];
	static const char *const files[] = { "data.mdb", "lock.mdb" };
	size_t i;

	if (mkdir(cfg->data_dir, 0700) < 0 && errno != EEXIST) {
		log_error("cannot create data_dir %s: %s", cfg->data_dir, strerror(errno));
		return -1;
	}
	if (pw == NULL)
		return 0;
	if (chown(cfg->data_dir, pw->pw_uid, pw->pw_gid) < 0) {
		log_error("cannot chown data_dir %s: %s", cfg->data_dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (str_format(path, sizeof(path), "%s/%s", cfg->data_dir, files[i]) == 0 &&
		    chown(path, pw->pw_uid, pw->pw_gid) < 0 && errno != ENOENT) {
			log_error("cannot chown %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int
daemon_drop_privileges(const struct config *cfg)
{
	struct passwd *pw = NULL;

	if (cfg->user[0] != '\0') {
		if ((pw = getpwnam(cfg->user)) == NULL) {
			log_error("user %s: no such user (create it, or remove the user key)", cfg->user);
			return -1;
		}
	}
	if (geteuid() == 0 && pw == NULL)
		log_warn("running as root: set user = posthorn in the config to drop privileges");
	if (daemon_prepare_data_dir(cfg, geteuid() == 0 ? pw : NULL) < 0)
		return -1;
	if (pw == NULL || geteuid() != 0)
		return 0;
	if (setgroups(1, &pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		log_error("cannot drop privileges to %s: %s", cfg->user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		log_error("privilege drop to %s did not stick", cfg->user);
		return -1;
	}
	log_info("running as user %s", cfg->user);
	return 0;
}

static void
daemon_on_term(evutil_socket_t sig, short what, void *arg)
{
	(void)what; (void)arg;
	log_info("signal %d: shutting down", (int)sig);
	net_stop();
}

/*
 * SIGHUP: re-read the file. Limits and log level apply at once; listeners,
 * data_dir and user need a restart (the ports may need root we gave up).
 */
static void
daemon_on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct daemon_state *st = arg;
	const struct config *old = server_config();
	struct config *cfg = xmalloc(sizeof(*cfg));
	char err[512];

	(void)sig; (void)what;
	if (config_load(st->config_path, cfg, err, sizeof(err)) < 0) {
		log_error("reload failed, keeping the running configuration: %s", err);
		free(cfg);
		return;
	}
	if (memcmp(cfg->listen, old->listen, sizeof(cfg->listen)) != 0 ||
	    strcmp(cfg->data_dir, old->data_dir) != 0 || strcmp(cfg->user, old->user) != 0)
		log_warn("reload: listen_*, data_dir and user changes take effect after a restart");
	if (cfg->tls_cert[0] != '\0' || cfg->tls_key[0] != '\0') {
		/* New connections get the new certificate; established ones
		 * keep theirs (each SSL holds its own context reference). */
		if (tls_load(cfg->tls_cert, cfg->tls_key, err, sizeof(err)) < 0)
			log_error("reload: keeping the current certificate: %s", err);
		else
			log_info("reload: certificate loaded from %s", cfg->tls_cert);
	}
	log_set_level((enum log_level)cfg->log_level);
	outbound_reload(st->outbound, cfg);
	server_config_set(cfg);
	log_info("configuration reloaded from %s", st->config_path);
}

static int
daemon_signals(struct daemon_state *st)
{
	struct event_base *base = net_main_base();

	signal(SIGPIPE, SIG_IGN);
	st->sig_term = evsignal_new(base, SIGTERM, daemon_on_term, st);
	st->sig_int = evsignal_new(base, SIGINT, daemon_on_term, st);
	st->sig_hup = evsignal_new(base, SIGHUP, daemon_on_hup, st);
	if (st->sig_term == NULL || st->sig_int == NULL || st->sig_hup == NULL ||
	    evsignal_add(st->sig_term, NULL) < 0 || evsignal_add(st->sig_int, NULL) < 0 ||
	    evsignal_add(st->sig_hup, NULL) < 0)
		return -1;
	return 0;
}

static int
daemon_threads(int configured)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (configured > 0)
		return configured;
	return n > 0 ? (int)n : 1;
}

int
main(int argc, char *argv[])
{
	struct daemon_state st;
	struct config *cfg;
	char err[512];
	int ch, kind, rc = 1;

	memset(&st, 0, sizeof(st));
	st.config_path = POSTHORND_DEFAULT_CONFIG;
	while ((ch = getopt(argc, argv, "c:")) != -1) {
		switch (ch) {
		case 'c':
			st.config_path = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("posthornd", LOG_LEVEL_INFO, 0);
	cfg = xmalloc(sizeof(*cfg));
	if (config_load(st.config_path, cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "posthornd: %s\n", err);
		free(cfg);
		return 1;
	}
	log_init("posthornd", (enum log_level)cfg->log_level, cfg->syslog);
	server_config_set(cfg);

	if (net_init(daemon_threads(cfg->io_threads), cfg->max_connections,
	    cfg->max_connections_per_ip) < 0 || daemon_signals(&st) < 0) {
		log_error("cannot initialise the event loops");
		goto out;
	}
	/* Certificates are read as root (they are often root-only), before the drop. */
	if ((cfg->tls_cert[0] != '\0' || cfg->tls_key[0] != '\0') &&
	    tls_load(cfg->tls_cert, cfg->tls_key, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	if (daemon_listen(&st, cfg) < 0 || daemon_drop_privileges(cfg) < 0)
		goto out;
	if (store_open(&st.store, cfg->data_dir, cfg->map_size, err, sizeof(err)) < 0) {
		log_error("cannot open the store in %s: %s", cfg->data_dir, err);
		goto out;
	}
	for (kind = 0; kind < LISTEN_KIND_COUNT; kind++)
		st.ctx[kind].store = st.store;
	if (worker_init(daemon_threads(cfg->worker_threads)) < 0)
		goto out;
	if (outbound_start(&st.outbound, st.store, cfg, err, sizeof(err)) < 0) {
		log_error("cannot start outbound delivery: %s", err);
		goto out;
	}
	server_set_queue_hook(outbound_wakeup);
	log_info("posthornd %s started (hostname %s, data_dir %s)", PACKAGE_VERSION,
	    cfg->hostname, cfg->data_dir);
	net_run();
	rc = 0;
out:
	/* Sessions finish their commits, workers their jobs, the writer its queue. */
	net_shutdown();
	worker_shutdown();
	outbound_stop(&st.outbound);	/* its last records go through the store */
	if (st.store != NULL)
		store_close(&st.store);
	if (st.sig_term != NULL) event_free(st.sig_term);
	if (st.sig_int != NULL) event_free(st.sig_int);
	if (st.sig_hup != NULL) event_free(st.sig_hup);
	net_free();
	auth_shutdown();	/* after net_free: late completions use it */
	tls_free();
	if (rc == 0)
		log_info("posthornd stopped");
	server_config_free_all();
	return rc;
}
