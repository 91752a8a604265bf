/* outbound.c: (being written) */
#include <stddef.h>
