/*
 * libairlock.c - the shared library is the layers' archives linked whole;
 * this unit only anchors the target. The exported surface is
 * include/airlock/airlock.h and nothing else (libairlock.map).
 */
#include "airlock/airlock.h"

typedef int libairlock_anchor;
