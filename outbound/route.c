/* route.c: (being written) */
#include <stddef.h>
