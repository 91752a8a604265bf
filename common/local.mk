noinst_LIBRARIES += common/libcommon.a
common_libcommon_a_SOURCES = \
	common/config.c common/config.h \
	common/fd_wait.c \
	common/linereader.c common/linereader.h \
	common/log.c common/log.h \
	common/net.c common/net.h \
	common/server.c common/server.h \
	common/tls.c common/tls.h \
	common/util.c common/util.h \
	common/worker.c
