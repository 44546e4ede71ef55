/*
 * session_redirect_test.c: native/mod/session_redirect.c against live Django's redirect_to_login.
 *
 * Reads cases from stdin, one a line: the login URL, the next value and the Location Django wrote, each as
 * "x" and its bytes in hex, and the case's id; tabs between them. test/integration/session-redirect-c.test.ts
 * asks Django 3.2 (Debian's python3-django) for the Locations and writes the lines. Prints TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_redirect.h"
#include "test_hex.h"

static int checks;
static int failed;

/* Hex into a NUL-terminated string; the length, or -1 when the text is not hex. */
static long unhex(const char *hex, char *out)
{
    long n = anp_test_unhex(hex, strlen(hex), out);
    if (n >= 0) {
        out[n] = '\0';
    }
    return n;
}

static void case_line(char *line)
{
    static char login[8192], next[8192], expected[65536];
    char *fields[4], *save = NULL, *f, *out;
    long next_len, expected_len;
    size_t len;
    int n = 0, ok;

    for (f = strtok_r(line, "\t\n", &save); f && n < 4; f = strtok_r(NULL, "\t\n", &save)) {
        fields[n++] = f;
    }
    checks++;
    if (n != 4 || strlen(fields[0]) / 2 >= sizeof(login) || strlen(fields[1]) / 2 >= sizeof(next)
        || strlen(fields[2]) / 2 >= sizeof(expected) || unhex(fields[0] + 1, login) < 0
        || (next_len = unhex(fields[1] + 1, next)) < 0 || (expected_len = unhex(fields[2] + 1, expected)) < 0) {
        failed++;
        printf("not ok %d - a readable case line\n", checks);
        return;
    }
    out = malloc(anp_login_location_cap(strlen(login), (size_t)next_len));
    len = anp_login_location(login, next, (size_t)next_len, out);
    ok = len == (size_t)expected_len && !memcmp(out, expected, len) && out[len] == '\0';
    if (!ok) {
        failed++;
        printf("# expected %s\n# got      %s\n", expected, out);
    }
    printf("%s %d - %s\n", ok ? "ok" : "not ok", checks, fields[3]);
    free(out);
}

int main(void)
{
    static char line[100000];
    while (fgets(line, sizeof(line), stdin)) {
        case_line(line);
    }
    printf("1..%d\n", checks);
    return failed ? 1 : 0;
}
