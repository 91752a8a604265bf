/* dsn.c: (being written) */
#include <stddef.h>
