#include "store/store_int.h"
static int x(void) { char b[4]; return sprintf(b, "x") + atoi("1"); }
