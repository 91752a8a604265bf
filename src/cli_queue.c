/* cli_queue.c: (being written) */
#include <stddef.h>
