/*
 * tui_hist.c - a window over one conversation's history: at most
 * TUI_WINDOW_PAGES pages of airlock_history, the newest first. Scrolling up
 * reads the next older page and, when the window is full, lets the newest
 * go; scrolling down reads it back with the cursor it was first read with.
 * So a conversation of a million messages opens with one page and scrolls
 * end to end holding a few pages, plus one cursor (8 bytes) per page seen.
 *
 * Pages below page 0 do not exist: new messages extend page 0. While the
 * window holds page 0 it is re-read from the newest; while it does not,
 * new messages only mark the window stale, and coming back down to page 0
 * starts again from the newest page (the boundary of page 0 moved).
 */
#include <stdlib.h>
#include <string.h>

#include "tui_int.h"

void tui_hist_init(tui_hist *h)
{
    memset(h, 0, sizeof *h);
}

static void drop_pages(tui_hist *h)
{
    size_t i;

    for (i = 0; i < h->count; i++) {
        airlock_message_list_free(h->pages[i]);
        h->pages[i] = NULL;
        h->rows[i] = 0;
    }
    h->count = 0;
}

void tui_hist_close(tui_hist *h)
{
    drop_pages(h);
    free(h->cursors);
    memset(h, 0, sizeof *h);
}

/* Remember that page `page` is read with `cursor`. */
static int set_cursor(tui_hist *h, size_t page, int64_t cursor)
{
    if (page >= h->capcursors) {
        size_t ncap = h->capcursors ? h->capcursors * 2 : 64;
        int64_t *nc;

        while (ncap <= page)
            ncap *= 2;
        if ((nc = realloc(h->cursors, ncap * sizeof *nc)) == NULL)
            return -1;
        h->cursors = nc;
        h->capcursors = ncap;
    }
    h->cursors[page] = cursor;
    if (page >= h->ncursors)
        h->ncursors = page + 1;
    return 0;
}

static airlock_err read_page(tui_hist *h, airlock_ctx *ctx, int64_t cursor,
                             airlock_message_list **out)
{
    return airlock_history(ctx, h->addr, cursor, h->limit, out);
}

/* Read pages from page `from` down the chain of cursors until the window
 * holds `want` pages or the history ends. */
static airlock_err read_chain(tui_hist *h, airlock_ctx *ctx, size_t from,
                              int64_t cursor, size_t want)
{
    airlock_err err = AIRLOCK_OK;

    drop_pages(h);
    h->first = from;
    h->at_end = 0;
    h->ncursors = from;
    while (h->count < want) {
        airlock_message_list *l = NULL;

        if (set_cursor(h, from + h->count, cursor) != 0)
            return AIRLOCK_ERR_NOMEM;
        if ((err = read_page(h, ctx, cursor, &l)) != AIRLOCK_OK)
            return err;
        h->pages[h->count++] = l;
        cursor = airlock_message_list_cursor(l);
        if (cursor == 0 || airlock_message_list_count(l) < h->limit) {
            h->at_end = 1;
            break;
        }
    }
    return err;
}

airlock_err tui_hist_open(tui_hist *h, airlock_ctx *ctx, const char *addr,
                          size_t limit)
{
    tui_hist_close(h);
    if (strlen(addr) >= sizeof h->addr)
        return AIRLOCK_ERR_ARG;
    memcpy(h->addr, addr, strlen(addr) + 1);
    h->limit = limit < TUI_PAGE_MIN ? TUI_PAGE_MIN :
               limit > TUI_PAGE_MAX ? TUI_PAGE_MAX : limit;
    return read_chain(h, ctx, 0, 0, 1);
}

int tui_hist_older(tui_hist *h, airlock_ctx *ctx, size_t *dropped_rows)
{
    airlock_message_list *l = NULL;
    size_t page;
    int64_t cursor;

    *dropped_rows = 0;
    if (h->count == 0 || h->at_end)
        return 0;
    cursor = airlock_message_list_cursor(h->pages[h->count - 1]);
    if (cursor == 0) {
        h->at_end = 1;
        return 0;
    }
    page = h->first + h->count;
    if (set_cursor(h, page, cursor) != 0 ||
        read_page(h, ctx, cursor, &l) != AIRLOCK_OK)
        return 0;
    if (airlock_message_list_count(l) == 0) {
        airlock_message_list_free(l);
        h->at_end = 1;
        return 0;
    }
    if (airlock_message_list_count(l) < h->limit ||
        airlock_message_list_cursor(l) == 0)
        h->at_end = 1;
    if (h->count == TUI_WINDOW_PAGES) {
        /* the newest page leaves the window */
        *dropped_rows = h->rows[0];
        airlock_message_list_free(h->pages[0]);
        memmove(&h->pages[0], &h->pages[1],
                (TUI_WINDOW_PAGES - 1) * sizeof h->pages[0]);
        memmove(&h->rows[0], &h->rows[1],
                (TUI_WINDOW_PAGES - 1) * sizeof h->rows[0]);
        h->count--;
        h->first++;
    }
    h->pages[h->count] = l;
    h->rows[h->count] = 0;
    h->count++;
    return 1;
}

int tui_hist_newer(tui_hist *h, airlock_ctx *ctx)
{
    airlock_message_list *l = NULL;
    size_t page;

    if (h->count == 0 || h->first == 0)
        return 0;
    page = h->first - 1;
    if (page == 0 && h->stale) {
        h->stale = 0;
        return read_chain(h, ctx, 0, 0, 1) == AIRLOCK_OK ? 2 : 0;
    }
    if (page >= h->ncursors ||
        read_page(h, ctx, h->cursors[page], &l) != AIRLOCK_OK)
        return 0;
    if (h->count == TUI_WINDOW_PAGES) {
        /* the oldest page leaves the window */
        airlock_message_list_free(h->pages[h->count - 1]);
        h->count--;
        h->at_end = 0;
    }
    memmove(&h->pages[1], &h->pages[0], h->count * sizeof h->pages[0]);
    memmove(&h->rows[1], &h->rows[0], h->count * sizeof h->rows[0]);
    h->pages[0] = l;
    h->rows[0] = 0;
    h->count++;
    h->first = page;
    return 1;
}

airlock_err tui_hist_reload(tui_hist *h, airlock_ctx *ctx)
{
    airlock_message_list *fresh[TUI_WINDOW_PAGES];
    size_t i, n;
    airlock_err err = AIRLOCK_OK;

    if (h->addr[0] == '\0')
        return AIRLOCK_OK;
    if (h->first == 0)
        return read_chain(h, ctx, 0, 0, h->count > 0 ? h->count : 1);
    /* scrolled away from the newest: the held pages keep their bounds */
    h->stale = 1;
    n = h->count;
    for (i = 0; i < n; i++) {
        fresh[i] = NULL;
        if (err == AIRLOCK_OK)
            err = read_page(h, ctx, h->cursors[h->first + i], &fresh[i]);
    }
    if (err != AIRLOCK_OK) {
        for (i = 0; i < n; i++)
            airlock_message_list_free(fresh[i]);
        return err;
    }
    for (i = 0; i < n; i++) {
        airlock_message_list_free(h->pages[i]);
        h->pages[i] = fresh[i];
    }
    return AIRLOCK_OK;
}

size_t tui_hist_messages(const tui_hist *h)
{
    size_t i, n = 0;

    for (i = 0; i < h->count; i++)
        n += airlock_message_list_count(h->pages[i]);
    return n;
}
