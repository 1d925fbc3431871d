/*
 * render_to_html.c - draw a display model as HTML without ever treating
 * message text as markup: every character of every span is escaped, only a
 * fixed set of tags is written, and the only attribute is the href of a
 * link, which the library already limited to http, https, xmpp and mailto.
 *
 *   render_to_html unknown|accepted [frame|body] < message-bytes > out.html
 *
 * Build: cc render_to_html.c $(pkg-config --cflags --libs airlock)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <airlock/airlock.h>

/* Escape for text and for a double-quoted attribute value alike. */
static void put_escaped(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        switch (s[i]) {
        case '&': fputs("&amp;", stdout); break;
        case '<': fputs("&lt;", stdout); break;
        case '>': fputs("&gt;", stdout); break;
        case '"': fputs("&quot;", stdout); break;
        case '\'': fputs("&#39;", stdout); break;
        case '\n': fputs("<br>", stdout); break;
        default: fputc(s[i], stdout);
        }
    }
}

/* Opening and closing tags for the style bits, in a fixed nesting order. */
static const struct { unsigned bit; const char *open, *close; } tags[] = {
    { AIRLOCK_STYLE_QUOTE, "<blockquote>", "</blockquote>" },
    { AIRLOCK_STYLE_PRE, "<pre>", "</pre>" },
    { AIRLOCK_STYLE_BOLD, "<b>", "</b>" },
    { AIRLOCK_STYLE_ITALIC, "<i>", "</i>" },
    { AIRLOCK_STYLE_STRIKE, "<s>", "</s>" },
    { AIRLOCK_STYLE_MONO, "<code>", "</code>" },
    { AIRLOCK_STYLE_SPOILER, "<details><summary>spoiler</summary>",
      "</details>" },
};

static void put_span(const airlock_span *sp)
{
    size_t k, n = sizeof tags / sizeof tags[0];

    for (k = 0; k < n; k++)
        if (sp->style & tags[k].bit)
            fputs(tags[k].open, stdout);
    if ((sp->style & AIRLOCK_STYLE_LINK) && sp->href != NULL) {
        fputs("<a href=\"", stdout);
        put_escaped(sp->href, strlen(sp->href));
        fputs("\">", stdout);
        put_escaped(sp->text, sp->len);
        fputs("</a>", stdout);
    } else {
        put_escaped(sp->text, sp->len);
    }
    for (k = n; k > 0; k--)
        if (sp->style & tags[k - 1].bit)
            fputs(tags[k - 1].close, stdout);
}

int main(int argc, char **argv)
{
    static uint8_t buf[AIRLOCK_RENDER_MAX + 1];
    airlock_trust trust;
    airlock_input kind = AIRLOCK_INPUT_BODY;
    airlock_model *m = NULL;
    size_t n = 0, r, i;
    uint32_t wa = 0, wf = 0;
    airlock_err err;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: render_to_html unknown|accepted "
                "[frame|body] < bytes\n");
        return 2;
    }
    trust = strcmp(argv[1], "accepted") == 0 ? AIRLOCK_TRUST_ACCEPTED :
                                                AIRLOCK_TRUST_UNKNOWN;
    if (argc == 3 && strcmp(argv[2], "frame") == 0)
        kind = AIRLOCK_INPUT_FRAME;
    while ((r = fread(buf + n, 1, sizeof buf - n, stdin)) > 0)
        n += r;
    if ((err = airlock_render(buf, n, trust, kind, NULL, &m)) != AIRLOCK_OK) {
        fprintf(stderr, "render_to_html: %s\n", airlock_strerror(err));
        return 2;
    }
    fputs("<div>", stdout);
    for (i = 0; i < airlock_model_span_count(m); i++)
        put_span(airlock_model_span(m, i));
    for (i = 0; i < airlock_model_attachment_count(m); i++) {
        const airlock_attachment *a = airlock_model_attachment(m, i);

        fputs("<p>file: ", stdout);
        put_escaped(a->name, strlen(a->name));
        fputs(" (", stdout);
        put_escaped(a->mime, strlen(a->mime));
        printf(", %llu bytes)</p>", (unsigned long long)a->size);
    }
    airlock_model_withheld(m, &wa, &wf);
    if (wa + wf > 0)
        printf("<p><small>%u attachments and %u other fields withheld"
               "</small></p>", wa, wf);
    for (i = 0; i < airlock_model_notice_count(m); i++) {
        const char *nt = airlock_model_notice(m, i);

        fputs("<p><small>", stdout);
        put_escaped(nt, strlen(nt));
        fputs("</small></p>", stdout);
    }
    fputs("</div>\n", stdout);
    airlock_model_free(m);
    return 0;
}
