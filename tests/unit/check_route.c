/* check_route.c: (being written) */
#include <stdlib.h>
int main(void) { return EXIT_SUCCESS; }
