/* tutil.h - small helpers shared by the engine tests (header only). */
#ifndef AIRLOCK_TESTS_CORE_TUTIL_H
#define AIRLOCK_TESTS_CORE_TUTIL_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* rm -rf of a test's own temporary directory. */
static inline void rm_rf(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;

    if (d == NULL) {
        (void)unlink(path);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        char sub[4096 + 256 + 2];

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) >=
            (int)sizeof sub)
            continue;
        rm_rf(sub);
    }
    closedir(d);
    (void)rmdir(path);
}

#endif
