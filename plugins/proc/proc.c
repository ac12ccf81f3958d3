/*
 * proc.c — the `proc` plugin: proc.run, an async node (plugin ABI v4) that
 * runs a program and ends its call when the program exits, with its exit
 * code, stdout and stderr.
 *
 * `run` copies argv (and stdin) and returns WEFT_PENDING at once; a thread
 * of this plugin per running program spawns it (posix_spawnp, no shell),
 * feeds its stdin, reads its stdout and stderr until both close, waits for
 * it and ends the call. No host thread waits meanwhile. `cancel` sends the
 * program SIGTERM (the call then ends with a failure). `deinit` kills what
 * is still running and waits for its threads.
 *
 * Ownership: a call's `job` (argv, stdin text, buffers) is the plugin's,
 * freed by its thread after the call ended; the token is the host's until
 * the thread ends it (exactly once).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2 */
#endif

#include <weft/plugin.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const weft_host_t *H;

typedef struct job {
    weft_token_t *token;
    char **argv;      /* NULL-terminated, each malloc'd */
    char *input;      /* stdin text, or NULL */
    size_t input_len;
    pid_t pid;        /* 0 until spawned; under `lock` */
    int cancelled;    /* under `lock` */
    struct job *next; /* the list of running jobs, under `lock` */
} job_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle = PTHREAD_COND_INITIALIZER;
static job_t *jobs;
static int threads; /* job threads still running */

typedef struct {
    char *data;
    size_t len, cap;
} buffer_t;

static int append(buffer_t *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        char *d = realloc(b->data, cap);
        if (d == NULL) return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static void free_job(job_t *j)
{
    for (char **a = j->argv; a && *a; a++) free(*a);
    free(j->argv);
    free(j->input);
    free(j);
}

static void unlist(job_t *j)
{
    pthread_mutex_lock(&lock);
    for (job_t **p = &jobs; *p; p = &(*p)->next) {
        if (*p == j) {
            *p = j->next;
            break;
        }
    }
    threads--;
    pthread_cond_broadcast(&idle);
    pthread_mutex_unlock(&lock);
}

/* Ends the call with the program's results. */
static void finish(job_t *j, int code, buffer_t *out, buffer_t *err)
{
    weft_ctx_t *ctx = H->resume_call(j->token);
    if (ctx == NULL) return;
    weft_value_t o = H->string_new(ctx, out->data ? out->data : "", out->len);
    weft_value_t e = H->string_new(ctx, err->data ? err->data : "", err->len);
    if (o == WEFT_NO_VALUE || e == WEFT_NO_VALUE) {
        /* A failure on a resumed call is ended on its thread, as here. */
        H->fail_call(j->token, "proc.run: the program's output is not UTF-8 text");
        return;
    }
    if (H->output_int(ctx, 0, code) != WEFT_OK || H->output(ctx, 1, o) != WEFT_OK || H->output(ctx, 2, e) != WEFT_OK) {
        H->fail_call(j->token, "proc.run: could not write its outputs");
        return;
    }
    H->complete_call(j->token);
}

static void *job_main(void *arg)
{
    job_t *j = arg;
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    buffer_t ob = {0}, eb = {0};
    char msg[512];
    posix_spawn_file_actions_t fa;
    pid_t pid = 0;
    int status = 0, rc;
    sigset_t all;
    /* Signals go to the host's threads, not this one; a SIGPIPE from a
     * program that does not read its stdin stays pending here (write then
     * fails with EPIPE) and is taken below. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);

    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
        snprintf(msg, sizeof msg, "proc.run: cannot make pipes: %s", strerror(errno));
        H->fail_call(j->token, msg);
        goto done;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    /* The program starts with no signal blocked (this thread blocks all)
     * and SIGPIPE at its default. */
    posix_spawnattr_t sa;
    sigset_t none, pipe_set;
    posix_spawnattr_init(&sa);
    sigemptyset(&none);
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    posix_spawnattr_setsigmask(&sa, &none);
    posix_spawnattr_setsigdefault(&sa, &pipe_set);
    posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pthread_mutex_lock(&lock);
    if (j->cancelled) {
        rc = ECANCELED;
    } else {
        rc = posix_spawnp(&pid, j->argv[0], &fa, &sa, j->argv, environ);
        if (rc == 0) j->pid = pid;
    }
    pthread_mutex_unlock(&lock);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&sa);
    close(in[0]); in[0] = -1;
    close(out[1]); out[1] = -1;
    close(err[1]); err[1] = -1;
    if (rc != 0) {
        snprintf(msg, sizeof msg, rc == ECANCELED ? "proc.run: cancelled" : "proc.run: cannot run '%s': %s",
                 j->argv[0], strerror(rc));
        H->fail_call(j->token, msg);
        goto done;
    }
    /* stdin, then the outputs until both close. */
    if (j->input) {
        size_t off = 0;
        while (off < j->input_len) {
            ssize_t n = write(in[1], j->input + off, j->input_len - off);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            off += (size_t)n;
        }
    }
    close(in[1]); in[1] = -1;
    struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_fds = 2, failed = 0;
    while (open_fds > 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int k = 0; k < 2; k++) {
            if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char chunk[65536];
            ssize_t n = read(fds[k].fd, chunk, sizeof chunk);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                close(fds[k].fd);
                if (k == 0) out[0] = -1; else err[0] = -1;
                fds[k].fd = -1;
                open_fds--;
            } else if (append(k == 0 ? &ob : &eb, chunk, (size_t)n) != 0) {
                failed = 1;
            }
        }
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    pthread_mutex_lock(&lock);
    int cancelled = j->cancelled;
    j->pid = 0;
    pthread_mutex_unlock(&lock);
    if (cancelled) {
        H->fail_call(j->token, "proc.run: cancelled (the program was sent SIGTERM)");
    } else if (failed) {
        H->fail_call(j->token, "proc.run: out of memory reading the program's output");
    } else {
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? -WTERMSIG(status) : -1;
        finish(j, code, &ob, &eb);
    }
done:
    {
        sigset_t pipe_only;
        struct timespec now = {0, 0};
        sigemptyset(&pipe_only);
        sigaddset(&pipe_only, SIGPIPE);
        while (sigtimedwait(&pipe_only, NULL, &now) == SIGPIPE) {}
    }
    for (int k = 0; k < 2; k++) {
        if (in[k] >= 0) close(in[k]);
        if (out[k] >= 0) close(out[k]);
        if (err[k] >= 0) close(err[k]);
    }
    free(ob.data);
    free(eb.data);
    unlist(j);
    free_job(j);
    return NULL;
}

static weft_status_t run_proc(weft_ctx_t *ctx, void *state)
{
    (void)state;
    char msg[256];
    weft_value_t argv = H->input(ctx, 0);
    int64_t n = H->length(ctx, argv);
    if (n < 1) return H->fail(ctx, "proc.run: argv must be a non-empty list of strings (the program, then its arguments)");
    job_t *j = calloc(1, sizeof *j);
    if (j == NULL) return H->fail(ctx, "proc.run: out of memory");
    j->argv = calloc((size_t)n + 1, sizeof *j->argv);
    if (j->argv == NULL) {
        free(j);
        return H->fail(ctx, "proc.run: out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        size_t len = 0;
        const char *s = H->get_string(ctx, H->list_get(ctx, argv, (size_t)i), &len);
        if (s == NULL || memchr(s, '\0', len) != NULL) {
            free_job(j);
            snprintf(msg, sizeof msg, "proc.run: argv[%lld] must be a string without NUL bytes", (long long)i);
            return H->fail(ctx, msg);
        }
        j->argv[i] = strdup(s);
        if (j->argv[i] == NULL) {
            free_job(j);
            return H->fail(ctx, "proc.run: out of memory");
        }
    }
    weft_value_t input = H->input(ctx, 1);
    if (input != WEFT_NO_VALUE) {
        size_t len = 0;
        const char *s = H->get_string(ctx, input, &len);
        if (s == NULL) {
            free_job(j);
            return H->fail(ctx, "proc.run: stdin must be a string");
        }
        j->input = malloc(len + 1);
        if (j->input == NULL) {
            free_job(j);
            return H->fail(ctx, "proc.run: out of memory");
        }
        memcpy(j->input, s, len);
        j->input_len = len;
    }
    j->token = H->defer_call(ctx);
    if (j->token == NULL) {
        free_job(j);
        snprintf(msg, sizeof msg, "proc.run: cannot wait here: %s", H->error_message(ctx));
        return H->fail(ctx, msg);
    }
    pthread_t t;
    pthread_mutex_lock(&lock);
    j->next = jobs;
    jobs = j;
    threads++;
    int rc = pthread_create(&t, NULL, job_main, j);
    if (rc == 0) pthread_detach(t);
    pthread_mutex_unlock(&lock);
    if (rc != 0) {
        weft_token_t *token = j->token;
        unlist(j);
        free_job(j);
        H->fail_call(token, "proc.run: cannot start a thread for the program");
    }
    return WEFT_PENDING;
}

/* The run is stopping: the program gets SIGTERM; its thread ends the call. */
static void cancel_proc(void *state, weft_token_t *token)
{
    (void)state;

    pthread_mutex_lock(&lock);
    for (job_t *j = jobs; j; j = j->next) {
        if (j->token == token) {
            j->cancelled = 1;
            if (j->pid > 0) kill(j->pid, SIGTERM);
        }
    }
    pthread_mutex_unlock(&lock);
}

static const weft_port_t run_in[] = {
    {"argv", WEFT_TYPE_LIST, 0, NULL, "the program and its arguments, strings (no shell: the program is found on PATH)"},
    {"stdin", WEFT_TYPE_STRING, WEFT_PORT_OPTIONAL, NULL, "text written to the program's standard input (none: it is closed)"},
    WEFT_PORTS_END};
static const weft_port_t run_out[] = {
    {"code", WEFT_TYPE_INT, 0, NULL, "exit status (0 = success); -N when killed by signal N"},
    {"stdout", WEFT_TYPE_STRING, 0, NULL, "everything it wrote to standard output"},
    {"stderr", WEFT_TYPE_STRING, 0, NULL, "everything it wrote to standard error"},
    WEFT_PORTS_END};

static weft_status_t proc_init(const weft_host_t *host, weft_registry_t *reg)
{
    if (host->struct_size < WEFT_HOST_HAS(should_stop))
        return host->registry_fail(reg, "proc needs a Weft with plugin ABI 4 (async nodes)");
    if (H != host) H = host;
    weft_node_desc_t d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.name = "run";
    d.summary = "runs a program (no shell) without holding a thread; ends with its exit code, stdout and stderr";
    d.inputs = run_in;
    d.outputs = run_out;
    d.flags = WEFT_NODE_THREAD_SAFE | WEFT_NODE_ASYNC;
    d.run = run_proc;
    d.cancel = cancel_proc;
    return host->register_node(reg, &d);
}

static void proc_deinit(void)
{
    pthread_mutex_lock(&lock);
    for (job_t *j = jobs; j; j = j->next) {
        j->cancelled = 1;
        if (j->pid > 0) kill(j->pid, SIGTERM);
    }
    while (threads > 0) pthread_cond_wait(&idle, &lock);
    pthread_mutex_unlock(&lock);
}

WEFT_PLUGIN("proc", "1.0.0", "Processes: run a program and wait for it without holding a thread (async)",
            proc_init, proc_deinit);
