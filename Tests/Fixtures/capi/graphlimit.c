/*
 * graphlimit.c — the graph size limit of the C API: weft_graph_load stops
 * reading past weft_engine_set_max_graph_bytes (a device that never ends,
 * a pipe that never ends, a regular file too big) and refuses with
 * WEFT_ERR_INVALID and a message naming the file and the limit, instead of
 * allocating until the process dies; weft_graph_parse refuses a longer
 * length; 0 restores the 1 GiB default.
 *
 *   cc -std=c99 -Wall -Wextra -Werror graphlimit.c \
 *      $(pkg-config --cflags --libs weft) -o graphlimit
 *   ./graphlimit SCRATCH_DIR
 *
 * Prints one `FAIL line N: ...` line per failed check and, at the end,
 * `graphlimit: N checks, F failures`; exits 1 if F > 0.
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L

#include <weft/weft.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int checks, failures;

static void check(int line, weft_status_t got, weft_status_t want, const char *needle1, const char *needle2) {
    const char *err = weft_last_error();
    checks++;
    if (got != want || (needle1 && !strstr(err, needle1)) || (needle2 && !strstr(err, needle2))) {
        failures++;
        printf("FAIL line %d: expected %s got %s (want \"%s\", \"%s\" in last error: %s)\n", line,
               weft_status_name(want), weft_status_name(got), needle1 ? needle1 : "", needle2 ? needle2 : "", err);
    }
}
#define CHECK(call, want, n1, n2) check(__LINE__, (call), (want), (n1), (n2))

/* A valid graph of `size` bytes: one std.const node, padded with spaces. */
static char *padded_graph(size_t size) {
    const char *g = "{\"weft\": 1, \"nodes\": [{\"id\": \"c\", \"type\": \"std.const\", \"params\": {\"value\": 7}}],"
                    " \"outputs\": {\"v\": \"c.value\"}}";
    char *text = malloc(size + 1);
    if (!text) exit(2);
    memset(text, ' ', size);
    memcpy(text, g, strlen(g));
    text[size] = '\0';
    return text;
}

int main(int argc, char **argv) {
    weft_engine_t *e = NULL;
    weft_graph_t *g = NULL;
    char path[4096], fdpath[64];
    int fds[2];
    pid_t child;
    FILE *f;
    char *text;

    if (argc < 2) {
        fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    if (weft_engine_create(&e) != WEFT_OK || weft_engine_load_default_plugins(e) != WEFT_OK) {
        fprintf(stderr, "setup: %s\n", weft_last_error());
        return 2;
    }
    CHECK(weft_engine_set_max_graph_bytes(NULL, 1), WEFT_ERR_INVALID, "weft_engine_set_max_graph_bytes", NULL);
    CHECK(weft_engine_set_max_graph_bytes(e, 4096), WEFT_OK, NULL, NULL);

    /* An endless device. */
    CHECK(weft_graph_load(e, "/dev/zero", &g, NULL), WEFT_ERR_INVALID, "/dev/zero: the graph file is too big",
          "more than the limit of 4096 bytes (4 KiB); reading stopped there; raise the limit with weft_engine_set_max_graph_bytes");

    /* An endless pipe: a child writes until the pipe breaks. */
    if (pipe(fds) != 0) return 2;
    child = fork();
    if (child == 0) {
        char buf[4096];
        close(fds[0]);
        signal(SIGPIPE, SIG_DFL);
        memset(buf, 'y', sizeof buf);
        for (;;)
            if (write(fds[1], buf, sizeof buf) < 0) _exit(0);
    }
    close(fds[1]);
    snprintf(fdpath, sizeof fdpath, "/dev/fd/%d", fds[0]);
    CHECK(weft_graph_load(e, fdpath, &g, NULL), WEFT_ERR_INVALID, fdpath, "more than the limit of 4096 bytes");
    close(fds[0]);
    waitpid(child, NULL, 0);

    /* A regular file one byte too big, then at the limit. */
    snprintf(path, sizeof path, "%s/big.json", argv[1]);
    text = padded_graph(4097);
    f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) return 2;
    CHECK(weft_graph_load(e, path, &g, NULL), WEFT_ERR_INVALID, path,
          "it is 4097 bytes, more than the limit of 4096 bytes (4 KiB)");
    CHECK(weft_graph_parse(e, text, 4097, &g, NULL), WEFT_ERR_INVALID, "weft_graph_parse: the graph text is too big", NULL);
    CHECK(weft_graph_parse(e, text, 4096, &g, NULL), WEFT_OK, NULL, NULL);
    weft_graph_destroy(g);
    g = NULL;

    /* 0: back to the default (1 GiB). */
    CHECK(weft_engine_set_max_graph_bytes(e, 0), WEFT_OK, NULL, NULL);
    CHECK(weft_graph_load(e, path, &g, NULL), WEFT_OK, NULL, NULL);
    weft_graph_destroy(g);
    free(text);
    weft_engine_destroy(e);

    printf("graphlimit: %d checks, %d failures\n", checks, failures);
    return failures > 0;
}
