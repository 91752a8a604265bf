noinst_LIBRARIES += pop3d/libpop3d.a
pop3d_libpop3d_a_SOURCES = pop3d/pop3d.h
