/*
 * render_to_html.c - draw a display model as HTML without ever treating
 * message text as markup: every character of every span is escaped, only a
 * fixed set of tags is written (div p small br b i s code pre blockquote
 * details summary a), and the only attribute is the href of a link, whose
 * scheme (http, https, xmpp, mailto) the library limits and this program
 * checks again. The model does all the parsing; this only draws it.
 *
 *   render_to_html unknown|accepted|verified|blocked [frame|body]
 *       < message-bytes > out.html
 *
 * Build: cc render_to_html.c $(pkg-config --cflags --libs airlock)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <airlock/airlock.h>

/* The five characters HTML gives a meaning to are escaped and a line
 * break becomes `nl`; everything else is copied as the sanitized UTF-8 the
 * library made. */
static void put_escaped(const char *s, size_t n, const char *nl)
{
    size_t i;

    for (i = 0; i < n; i++) {
        switch (s[i]) {
        case '&': fputs("&amp;", stdout); break;
        case '<': fputs("&lt;", stdout); break;
        case '>': fputs("&gt;", stdout); break;
        case '"': fputs("&quot;", stdout); break;
        case '\'': fputs("&#39;", stdout); break;
        case '\n': fputs(nl, stdout); break;
        default: fputc(s[i], stdout);
        }
    }
}

/* Text content: a line break is <br>. */
static void put_text(const char *s, size_t n)
{
    put_escaped(s, n, "<br>");
}

/* A double-quoted attribute value: no tag ever, a line break stays one. */
static void put_attr(const char *s, size_t n)
{
    put_escaped(s, n, "&#10;");
}

/* The library gives links only with these schemes; a front end checks
 * again anyway, because an href is the one place where text becomes an
 * action. ASCII case-insensitive. */
static int href_allowed(const char *h)
{
    static const char *const schemes[] = { "http://", "https://", "xmpp:",
                                           "mailto:" };
    size_t k, i;

    for (k = 0; k < sizeof schemes / sizeof schemes[0]; k++) {
        for (i = 0; schemes[k][i] != '\0'; i++) {
            char c = h[i];

            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if (c != schemes[k][i])
                break;
        }
        if (schemes[k][i] == '\0')
            return 1;
    }
    return 0;
}

/* Opening and closing tags for the style bits, in a fixed nesting order.
 * A spoiler is a closed <details>: no attribute and no script needed. */
static const struct { unsigned bit; const char *open, *close; } tags[] = {
    { AIRLOCK_STYLE_PRE, "<pre>", "</pre>" },
    { AIRLOCK_STYLE_BOLD, "<b>", "</b>" },
    { AIRLOCK_STYLE_ITALIC, "<i>", "</i>" },
    { AIRLOCK_STYLE_STRIKE, "<s>", "</s>" },
    { AIRLOCK_STYLE_MONO, "<code>", "</code>" },
    { AIRLOCK_STYLE_SPOILER, "<details><summary>spoiler</summary>",
      "</details>" },
};
#define QUOTE_DEPTH_MAX 8   /* the header's range for quote_depth */

static void put_span(const airlock_span *sp)
{
    size_t k, n = sizeof tags / sizeof tags[0];
    uint32_t q, depth = 0;

    if (sp->style & AIRLOCK_STYLE_QUOTE)
        depth = sp->quote_depth < 1 ? 1 :
                sp->quote_depth > QUOTE_DEPTH_MAX ? QUOTE_DEPTH_MAX :
                                                    sp->quote_depth;
    for (q = 0; q < depth; q++)
        fputs("<blockquote>", stdout);
    for (k = 0; k < n; k++)
        if (sp->style & tags[k].bit)
            fputs(tags[k].open, stdout);
    if ((sp->style & AIRLOCK_STYLE_LINK) && sp->href != NULL &&
        href_allowed(sp->href)) {
        fputs("<a href=\"", stdout);
        put_attr(sp->href, strlen(sp->href));
        fputs("\">", stdout);
        put_text(sp->text, sp->len);
        fputs("</a>", stdout);
    } else {
        put_text(sp->text, sp->len);
    }
    for (k = n; k > 0; k--)
        if (sp->style & tags[k - 1].bit)
            fputs(tags[k - 1].close, stdout);
    for (q = 0; q < depth; q++)
        fputs("</blockquote>", stdout);
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
        fprintf(stderr, "usage: render_to_html unknown|accepted|verified|"
                "blocked [frame|body] < bytes\n");
        return 2;
    }
    if (strcmp(argv[1], "unknown") == 0)
        trust = AIRLOCK_TRUST_UNKNOWN;
    else if (strcmp(argv[1], "accepted") == 0)
        trust = AIRLOCK_TRUST_ACCEPTED;
    else if (strcmp(argv[1], "verified") == 0)
        trust = AIRLOCK_TRUST_VERIFIED;
    else if (strcmp(argv[1], "blocked") == 0)
        trust = AIRLOCK_TRUST_BLOCKED;
    else {
        fprintf(stderr, "render_to_html: unknown trust '%s'\n", argv[1]);
        return 2;
    }
    if (argc == 3 && strcmp(argv[2], "frame") == 0)
        kind = AIRLOCK_INPUT_FRAME;
    else if (argc == 3 && strcmp(argv[2], "body") != 0) {
        fprintf(stderr, "render_to_html: input is frame or body\n");
        return 2;
    }
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
        put_text(a->name, strlen(a->name));
        fputs(" (", stdout);
        put_text(a->mime, strlen(a->mime));
        printf(", %llu bytes)</p>", (unsigned long long)a->size);
    }
    airlock_model_withheld(m, &wa, &wf);
    if (wa + wf > 0)
        printf("<p><small>%u attachments and %u other fields withheld"
               "</small></p>", (unsigned)wa, (unsigned)wf);
    for (i = 0; i < airlock_model_notice_count(m); i++) {
        const char *nt = airlock_model_notice(m, i);

        fputs("<p><small>", stdout);
        put_text(nt, strlen(nt));
        fputs("</small></p>", stdout);
    }
    fputs("</div>\n", stdout);
    airlock_model_free(m);
    return 0;
}
