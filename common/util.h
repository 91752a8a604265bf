/*
 * util.h: small helpers every module shares: checked allocation, bounded
 * string copies, case folding, size and host:port parsing, monotonic time.
 *
 * Look here before writing a helper; there is one way to do each thing.
 */
#ifndef POSTHORN_UTIL_H
#define POSTHORN_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Allocation that cannot fail: on OOM they log and exit (an invariant, not input). */
void	*xmalloc(size_t size);
void	*xcalloc(size_t nmemb, size_t size);
void	*xrealloc(void *ptr, size_t size);
void	*xreallocarray(void *ptr, size_t nmemb, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
/* A copy of len bytes (binary safe, one spare NUL after them). */
char	*xmemdup(const void *p, size_t len);

/*
 * Copy src into dst of size dstsize, always NUL-terminated.
 * Returns strlen(src); the copy was truncated when the result >= dstsize.
 */
size_t	 str_copy(char *dst, const char *src, size_t dstsize);
/* Append src to the NUL-terminated dst; same return convention as str_copy. */
size_t	 str_append(char *dst, const char *src, size_t dstsize);
/* snprintf that reports truncation: returns 0 when it fitted, -1 otherwise. */
int	 str_format(char *dst, size_t dstsize, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* ASCII lower-casing in place (domains and local parts are compared folded). */
void	 str_lower(char *s);
/* Remove leading and trailing ASCII whitespace in place; returns s. */
char	*str_trim(char *s);
/* Case-insensitive ASCII prefix test; returns 1 when s starts with prefix. */
int	 str_has_prefix_ci(const char *s, const char *prefix);

/*
 * Parse a size with an optional K/M/G suffix (powers of 1024): "50M".
 * Returns 0 and sets *size_r, or -1 on bad syntax or overflow.
 */
int	 parse_size(const char *s, uint64_t *size_r);
/* "90", "90s", "5m", "2h", "5d": seconds. 0 or -1. */
int	 parse_duration(const char *s, uint64_t *secs_r);
/* Parse a decimal unsigned integer in [min, max]; returns 0 or -1. */
int	 parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *val_r);
/*
 * Parse "1.2.3.4:25", "[::1]:25" or "*:25" into a sockaddr (numeric only,
 * no DNS). Port 0 is refused. Returns 0 or -1.
 */
int	 parse_hostport(const char *s, struct sockaddr_storage *ss_r, socklen_t *len_r);
/*
 * "host:port", "[host]:port" (an IPv6 address, or any host) or a bare
 * "host" into host (without brackets) and *port_r (0 when absent). The
 * host is not resolved or checked further: a relayhost may be a name.
 * 0, or -1 when malformed (empty host, bad port, ':' in an unbracketed
 * host, host longer than hostsize - 1).
 */
int	 split_hostport(const char *s, char *host, size_t hostsize, uint16_t *port_r);
/* Format a peer address ("1.2.3.4" or "::1", no port) into buf. */
void	 sockaddr_ntop(const struct sockaddr *sa, char *buf, size_t buflen);
/* 1 when the address is 127.0.0.0/8 or ::1 (or a v4-mapped loopback). */
int	 sockaddr_is_loopback(const struct sockaddr *sa);

/*
 * RFC 5322 3.3 date-time of when ("Sun, 22 Nov 2026 19:02:25 +0100"), in
 * local time, or in UTC ("+0000") when utc. Dies if buf is too small
 * (64 bytes always suffice).
 */
void	 rfc5322_date(char *buf, size_t len, time_t when, int utc);

/* Milliseconds from CLOCK_MONOTONIC. */
uint64_t time_monotonic_ms(void);

/*
 * fd_wait.c: wait until fd is ready for events (POLLIN/POLLOUT) or the
 * deadline (time_monotonic_ms) passes: 1 ready, 0 timeout, -1 error, or
 * -1 with errno ECANCELED once fd_wait_cancel_all() was called. For
 * blocking I/O on worker threads, never on an I/O loop.
 */
int	 fd_wait(int fd, short events, uint64_t deadline);
/* The daemon is stopping: every fd_wait, in any thread, now and later, fails at once. */
void	 fd_wait_cancel_all(void);

/* A random 64-bit value (libsodium); used for transaction/session ids. */
uint64_t random_u64(void);

#endif
