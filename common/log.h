/*
 * log.h: the daemon's and the CLI's one logging facility.
 *
 * Lines go to stderr (foreground, the default) or syslog (mail facility).
 * Every line is one event; protocol code logs one line per SMTP transaction
 * and per login attempt in a stable "key=value" shape so an administrator can
 * follow a message and fail2ban can match failures. Thread-safe.
 */
#ifndef POSTHORN_LOG_H
#define POSTHORN_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

/* Set the program name, minimum level and destination (syslog when use_syslog). */
void	log_init(const char *progname, enum log_level level, int use_syslog);
void	log_set_level(enum log_level level);
enum log_level log_get_level(void);

void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_vmsg(enum log_level level, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));

/*
 * fatal() logs the message with strerror(errno) appended, fatalx() without,
 * and both exit(1). Only for broken invariants and startup failures: input
 * from the network must never reach them (one process serves everyone).
 */
void	fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Copy at most max bytes of untrusted text into dst (size dstlen) so it is
 * safe to log: control bytes and non-ASCII become '?'. Returns dst.
 */
char	*log_sanitize(char *dst, size_t dstlen, const char *src, size_t len);

#endif
