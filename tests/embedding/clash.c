/*
 * clash.c - test helper: a program with functions of its own named like
 * Airlock's internal ones (reader, writer, allocation, store, engine). It
 * must link against libairlock.a and libairlock.so alike (no multiple
 * definition), and each side must keep calling its own: the program its
 * functions, the library its internals.
 */
#include <stdio.h>
#include <string.h>

#include <airlock/airlock.h>

int rd_u8(void);
int wr_init(void);
int base_alloc(void);
int base_wipe(void);
int store_open(void);
int engine_emit(void);
int gate_render(void);
int rd_u8(void) { return 1; }
int wr_init(void) { return 2; }
int base_alloc(void) { return 3; }
int base_wipe(void) { return 4; }
int store_open(void) { return 5; }
int engine_emit(void) { return 6; }
int gate_render(void) { return 7; }

int main(void)
{
    static const char in[] = "*bold* and https://example.org/x";
    airlock_model *m = NULL;
    const airlock_span *sp;
    int mine;

    mine = rd_u8() + wr_init() + base_alloc() + base_wipe() + store_open() +
           engine_emit() + gate_render();
    if (mine != 28) {
        fprintf(stderr, "clash: the program's own functions were replaced\n");
        return 1;
    }
    if (airlock_render((const uint8_t *)in, sizeof in - 1,
                       AIRLOCK_TRUST_ACCEPTED, AIRLOCK_INPUT_BODY, NULL,
                       &m) != AIRLOCK_OK)
        return 1;
    sp = airlock_model_span(m, 0);
    if (airlock_model_span_count(m) != 3 || sp == NULL ||
        sp->style != AIRLOCK_STYLE_BOLD || strcmp(sp->text, "*bold*") != 0 ||
        (sp = airlock_model_span(m, 2)) == NULL ||
        !(sp->style & AIRLOCK_STYLE_LINK) || sp->href == NULL ||
        strcmp(sp->href, "https://example.org/x") != 0) {
        fprintf(stderr, "clash: the library rendered wrongly\n");
        airlock_model_free(m);
        return 1;
    }
    airlock_model_free(m);
    puts("clash: ok");
    return 0;
}
