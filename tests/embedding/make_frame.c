/*
 * make_frame.c - test helper built against the installed library: writes a
 * content frame v1 with BODY and one attachment (MIME, NAME, SIZE) to
 * standard output, for render_to_html's attachment checks.
 *
 *   make_frame BODY MIME NAME SIZE > frame
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <airlock/airlock.h>

int main(int argc, char **argv)
{
    airlock_frame_attachment att;
    uint8_t *frame = NULL;
    size_t n = 0;
    airlock_err err;
    int status = 0;

    if (argc != 5) {
        fprintf(stderr, "usage: make_frame BODY MIME NAME SIZE\n");
        return 2;
    }
    memset(&att, 0, sizeof att);
    att.mime = argv[2];
    att.name = argv[3];
    att.size = strtoull(argv[4], NULL, 10);
    err = airlock_frame_encode(argv[1], strlen(argv[1]), NULL, &att, 1,
                               &frame, &n);
    if (err != AIRLOCK_OK) {
        fprintf(stderr, "make_frame: %s\n", airlock_strerror(err));
        return 1;
    }
    if (fwrite(frame, 1, n, stdout) != n || fflush(stdout) != 0)
        status = 1;
    airlock_free(frame);
    return status;
}
