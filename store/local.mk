# store/local.mk: the LMDB mailbox store (libstore.a) and its unit tests.
noinst_LIBRARIES += store/libstore.a
store_libstore_a_SOURCES = store/store.h store/store_internal.h \
	store/store_alias.c store/store_append.c store/store_auth.c \
	store/store_blob.c store/store_cache.c store/store_check.c \
	store/store_condstore.c store/store_copy.c store/store_deliver.c \
	store/store_domain.c store/store_env.c store/store_error.c \
	store/store_flags.c store/store_keyword.c store/store_mailbox.c \
	store/store_mailbox_ops.c store/store_message.c \
	store/store_message_read.c store/store_message_txn.c \
	store/store_meta.c store/store_name.c store/store_queue.c \
	store/store_queue_admin.c store/store_queue_record.c \
	store/store_queue_write.c store/store_recent.c \
	store/store_record.c store/store_rename.c store/store_resolve.c \
	store/store_schema.c store/store_subscribe.c store/store_user.c store/store_user_hash.c \
	store/store_watch.c store/store_writer.c

check_PROGRAMS += tests/unit/check_store
TESTS += tests/unit/check_store
tests_unit_check_store_SOURCES = tests/unit/check_store.c \
	tests/unit/check_store_util.c tests/unit/check_store_util.h \
	tests/unit/check_store_admin.c tests/unit/check_store_mail.c \
	tests/unit/check_store_writer.c tests/unit/check_store_schema.c
tests_unit_check_store_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_store_LDADD = store/libstore.a common/libcommon.a \
	$(DEPS_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/check_store_imap
TESTS += tests/unit/check_store_imap
tests_unit_check_store_imap_SOURCES = tests/unit/check_store_imap.c \
	tests/unit/check_store_imap.h tests/unit/check_store_imap_msg.c \
	tests/unit/check_store_imap_mbox.c tests/unit/check_store_util.c \
	tests/unit/check_store_util.h
tests_unit_check_store_imap_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_store_imap_LDADD = store/libstore.a common/libcommon.a \
	$(DEPS_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/check_store_queue
TESTS += tests/unit/check_store_queue
tests_unit_check_store_queue_SOURCES = tests/unit/check_store_queue.c \
	tests/unit/check_store_util.c tests/unit/check_store_util.h
tests_unit_check_store_queue_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_store_queue_LDADD = store/libstore.a common/libcommon.a \
	$(DEPS_LIBS) $(CHECK_LIBS)
