/*
 * session_cookie_test.c: native/mod/session_cookie.c against Django's parse_cookie.
 *
 * Reads cases from stdin, one a line: the Cookie header, the cookie name and the value Django found, each
 * as "x" and its bytes in hex, the value "-" when Django found no such cookie, and the case's id; tabs
 * between them. test/integration/
 * session-cookie-c.test.ts writes them from the parse_cookie sections of test/vectors/django-sessions-*.json.
 * Then it runs its own cases (the length bound, Python's white space, escapes) and prints TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_cookie.h"
#include "test_hex.h"

static int checks;
static int failed;

static void report(int ok, const char *what)
{
    checks++;
    if (!ok) {
        failed++;
    }
    printf("%s %d - %s\n", ok ? "ok" : "not ok", checks, what);
}

/* Finds `name` in `header` and compares with expected (NULL: no such cookie; TOO_LONG given as expected_len -1). */
static void check(const char *what, const char *header, size_t header_len, const char *name, const char *expected,
                  long expected_len)
{
    char *scratch = malloc(anp_session_cookie_scratch(header_len));
    char out[ANP_SESSION_COOKIE_MAX];
    size_t out_len = 0;
    anp_cookie_result res = anp_session_cookie_find(header, header_len, name, strlen(name), scratch, out, &out_len);
    int ok;

    if (!expected) {
        ok = res == ANP_COOKIE_NONE;
    }
    else if (expected_len < 0) {
        ok = res == ANP_COOKIE_TOO_LONG;
    }
    else {
        ok = res == ANP_COOKIE_FOUND && out_len == (size_t)expected_len && !memcmp(out, expected, out_len);
    }
    if (!ok) {
        printf("# %s: result %d, got '%.*s' (%zu bytes)\n", what, (int)res, (int)out_len, out, out_len);
    }
    report(ok, what);
    free(scratch);
}

/* One line of stdin (see the top of the file). */
static void vector_line(char *line)
{
    char *fields[4], *save = NULL, *f;
    static char header[65536], name[1024], value[8192];
    long hl, nl, vl = 0;
    int n = 0;

    for (f = strtok_r(line, "\t\n", &save); f && n < 4; f = strtok_r(NULL, "\t\n", &save)) {
        fields[n++] = f;
    }
    if (n != 4 || strlen(fields[0]) / 2 >= sizeof(header) || strlen(fields[1]) / 2 >= sizeof(name)
        || strlen(fields[2]) / 2 >= sizeof(value)) {
        report(0, "a readable vector line");
        return;
    }
    hl = anp_test_unhex(fields[0] + 1, strlen(fields[0]) - 1, header);
    nl = anp_test_unhex(fields[1] + 1, strlen(fields[1]) - 1, name);
    if (strcmp(fields[2], "-")) {
        vl = anp_test_unhex(fields[2] + 1, strlen(fields[2]) - 1, value);
    }
    if (hl < 0 || nl < 0 || vl < 0) {
        report(0, "a hex vector line");
        return;
    }
    name[nl] = '\0';
    check(fields[3], header, (size_t)hl, name, strcmp(fields[2], "-") ? value : NULL, vl);
}

static void own_cases(void)
{
    static char big[ANP_SESSION_COOKIE_MAX + 64];
    size_t i;

    memcpy(big, "sessionid=", 10);
    for (i = 10; i < 10 + ANP_SESSION_COOKIE_MAX; i++) {
        big[i] = 'a';
    }
    check("a value of exactly 4096 bytes is found", big, 10 + ANP_SESSION_COOKIE_MAX, "sessionid", big + 10,
          ANP_SESSION_COOKIE_MAX);
    big[10 + ANP_SESSION_COOKIE_MAX] = 'a';
    check("a value of 4097 bytes is too long", big, 11 + ANP_SESSION_COOKIE_MAX, "sessionid", "", -1);
    big[10] = '"';
    big[11] = '\\';
    /* "\aaa...a" of 4097 bytes inside its quotes is 4096 a's: the bound is on the unquoted value. */
    big[10 + ANP_SESSION_COOKIE_MAX + 1] = 'a';
    big[10 + ANP_SESSION_COOKIE_MAX + 2] = '"';
    check("a quoted value that unquotes to 4096 bytes is found", big, 13 + ANP_SESSION_COOKIE_MAX, "sessionid",
          big + 12, ANP_SESSION_COOKIE_MAX);
    check("Python's white space is stripped (U+00A0, U+2003, U+3000, U+0085, \\x1f)",
          "sessionid=\xc2\xa0\xe2\x80\x83key\xe3\x80\x80\xc2\x85\x1f; x=1", 29, "sessionid", "key", 3);
    check("U+200B and U+FEFF are not white space to Python", "sessionid=\xe2\x80\x8bk\xef\xbb\xbf", 17,
          "sessionid", "\xe2\x80\x8bk\xef\xbb\xbf", 7);
    check("\\377 is U+00FF, \\000 a NUL byte", "sessionid=\"\\377\\000x\"", 21, "sessionid", "\xc3\xbf\0x", 4);
    check("\\ before a multi-byte character keeps it whole", "sessionid=\"\\\xc3\xa4\"", 15, "sessionid", "\xc3\xa4", 2);
    check("\\ before a line feed stays", "sessionid=\"a\\\nb\"", 16, "sessionid", "a\\\nb", 4);
    check("\\4 is no octal escape", "sessionid=\"\\401\"", 16, "sessionid", "401", 3);
    check("a truncated sequence is one U+FFFD", "sessionid=\xe2\x82", 12, "sessionid", "\xef\xbf\xbd", 3);
    check("a surrogate's bytes are three U+FFFD", "sessionid=\xed\xa0\x80", 13, "sessionid",
          "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 9);
    check("a name not sent is none", "other=1", 7, "sessionid", NULL, 0);
    check("a name that is only a prefix is none", "sessionidx=1; xsessionid=2", 26, "sessionid", NULL, 0);
}

int main(void)
{
    static char line[200000];

    while (fgets(line, sizeof(line), stdin)) {
        vector_line(line);
    }
    own_cases();
    printf("1..%d\n", checks);
    return failed ? 1 : 0;
}
