sbin_PROGRAMS += posthornd posthorn
posthornd_SOURCES = src/posthornd.c
posthornd_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/outbound -I$(top_srcdir)/dkim -I$(top_srcdir)/smtpd -I$(top_srcdir)/pop3d -I$(top_srcdir)/imapd -I$(top_srcdir)/auth
posthornd_LDADD = smtpd/libsmtpd.a outbound/liboutbound.a dkim/libdkim.a pop3d/libpop3d.a imapd/libimapd.a mime/libmime.a auth/libauth.a store/libstore.a common/libcommon.a $(DEPS_LIBS)
# The admin CLI: see src/cli_*.c (one file per command family).
posthorn_SOURCES = src/posthorn.c src/cli.h src/cli_common.c \
	src/cli_password.c src/cli_domain.c src/cli_user.c src/cli_alias.c \
	src/cli_mailbox.c src/cli_deliver.c src/cli_check.c src/cli_cert.c \
	src/cli_dkim.c src/cli_dkim_verify.c src/cli_dns.c src/cli_queue.c
posthorn_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/dkim
posthorn_LDADD = dkim/libdkim.a store/libstore.a common/libcommon.a $(DEPS_LIBS)
# Shipped with the tarball and installed as documentation; scripts/ holds the
# two commands of the README (demo.sh, test.sh).
dist_doc_DATA = README.md
examplesdir = $(docdir)/examples
dist_examples_DATA = etc/posthorn.conf etc/posthornd.service
EXTRA_DIST += scripts/demo.sh scripts/test.sh
