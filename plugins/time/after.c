/*
 * after.c — time.after, an async sleep (plugin ABI v4).
 *
 * `run` puts the call's deadline into a min-heap and returns WEFT_PENDING;
 * ONE timer thread of the plugin (started on first use, joined in deinit)
 * ends each call when its deadline passes. So 10,000 pending time.after
 * calls hold no host thread and one thread of ours.
 *
 * Ownership: each heap entry holds the call's token (the host's) until the
 * timer thread or `cancel` takes it out and ends it; whoever takes an entry
 * out of the heap ends its token, exactly once.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <weft/plugin.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "after.h"

typedef struct {
    int64_t deadline_ns; /* CLOCK_MONOTONIC */
    int64_t start_ns;
    weft_token_t *token;
} entry_t;

static const weft_host_t *AH;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake; /* on CLOCK_MONOTONIC, made with the thread */
static entry_t *heap;
static size_t count, capacity;
static int running;   /* the timer thread runs */
static int stopping;  /* deinit asked it to end */
static pthread_t thread;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Heap on deadline_ns, smallest first. Called with `lock` held. */
static void sift_up(size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (heap[p].deadline_ns <= heap[i].deadline_ns) break;
        entry_t t = heap[p]; heap[p] = heap[i]; heap[i] = t;
        i = p;
    }
}

static void sift_down(size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < count && heap[l].deadline_ns < heap[m].deadline_ns) m = l;
        if (r < count && heap[r].deadline_ns < heap[m].deadline_ns) m = r;
        if (m == i) return;
        entry_t t = heap[m]; heap[m] = heap[i]; heap[i] = t;
        i = m;
    }
}

/* Removes entry i. Called with `lock` held. */
static void remove_at(size_t i)
{
    count--;
    if (i == count) return;
    heap[i] = heap[count];
    sift_down(i);
    sift_up(i);
}

/* Ends a call whose time has come: output `waited_ms`. */
static void fire(entry_t e, int64_t now)
{
    weft_ctx_t *ctx = AH->resume_call(e.token);
    if (ctx == NULL) return; /* the host refused it (logged): nothing to end */
    if (AH->output_int(ctx, 0, (now - e.start_ns) / 1000000) != WEFT_OK) {
        AH->fail_call(e.token, "time.after: could not write waited_ms");
        return;
    }
    AH->complete_call(e.token);
}

static void *timer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (!stopping) {
        if (count == 0) {
            pthread_cond_wait(&wake, &lock);
            continue;
        }
        int64_t now = now_ns();
        if (heap[0].deadline_ns > now) {
            struct timespec until;
            until.tv_sec = (time_t)(heap[0].deadline_ns / 1000000000);
            until.tv_nsec = (long)(heap[0].deadline_ns % 1000000000);
            pthread_cond_timedwait(&wake, &lock, &until);
            continue;
        }
        entry_t e = heap[0];
        remove_at(0);
        pthread_mutex_unlock(&lock);
        fire(e, now);
        pthread_mutex_lock(&lock);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* Starts the timer thread if it is not running. Called with `lock` held.
 * Returns 0 or an errno value. */
static int ensure_thread(void)
{
    if (running) return 0;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&wake, &attr);
    pthread_condattr_destroy(&attr);
    stopping = 0;
    int err = pthread_create(&thread, NULL, timer_main, NULL);
    if (err != 0) {
        pthread_cond_destroy(&wake);
        return err;
    }
    running = 1;
    return 0;
}

static weft_status_t run_after(weft_ctx_t *ctx, void *state)
{
    (void)state;
    int64_t ms = 0;
    char msg[160];
    if (AH->input_int(ctx, 0, &ms) != WEFT_OK) return AH->fail(ctx, "time.after: input 'ms' must be an int");
    if (ms < 0 || ms > 86400000) {
        snprintf(msg, sizeof msg, "time.after: ms must be from 0 to 86400000 (one day), got %" PRId64, ms);
        return AH->fail(ctx, msg);
    }
    weft_token_t *token = AH->defer_call(ctx);
    if (token == NULL) {
        snprintf(msg, sizeof msg, "time.after: cannot wait here: %s", AH->error_message(ctx));
        return AH->fail(ctx, msg);
    }
    int64_t now = now_ns();
    pthread_mutex_lock(&lock);
    int err = ensure_thread();
    if (err == 0 && count == capacity) {
        size_t more = capacity ? capacity * 2 : 64;
        entry_t *grown = realloc(heap, more * sizeof *grown);
        if (grown == NULL) {
            err = ENOMEM;
        } else {
            heap = grown;
            capacity = more;
        }
    }
    if (err != 0) {
        pthread_mutex_unlock(&lock);
        AH->fail_call(token, "time.after: could not start its timer (out of memory or threads)");
        return WEFT_PENDING;
    }
    heap[count].deadline_ns = now + ms * 1000000;
    heap[count].start_ns = now;
    heap[count].token = token;
    count++;
    sift_up(count - 1);
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    return WEFT_PENDING;
}

/* The run is stopping: a call still waiting is taken out and failed. */
static void cancel_after(void *state, weft_token_t *token)
{
    (void)state;
    int found = 0;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < count; i++) {
        if (heap[i].token == token) {
            remove_at(i);
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    if (found) AH->fail_call(token, "time.after: cancelled");
}

static const weft_port_t after_in[] = {
    {"ms", WEFT_TYPE_INT, 0, NULL, "milliseconds to wait (0 to 86400000)"},
    {"trigger", WEFT_TYPE_ANY, WEFT_PORT_OPTIONAL, NULL, "ignored; connect what the wait comes after"},
    WEFT_PORTS_END};
static const weft_port_t after_out[] = {
    {"waited_ms", WEFT_TYPE_INT, 0, NULL, "milliseconds actually waited"},
    WEFT_PORTS_END};

weft_status_t time_after_register(const weft_host_t *host, weft_registry_t *reg)
{
    weft_node_desc_t d;
    if (host->struct_size < WEFT_HOST_HAS(should_stop)) return WEFT_OK; /* an older host: no time.after */
    if (AH != host) AH = host;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.name = "after";
    d.summary = "waits ms milliseconds without holding a thread (async), then fires waited_ms";
    d.inputs = after_in;
    d.outputs = after_out;
    d.flags = WEFT_NODE_THREAD_SAFE | WEFT_NODE_ASYNC;
    d.run = run_after;
    d.cancel = cancel_after;
    return host->register_node(reg, &d);
}

void time_after_deinit(void)
{
    pthread_mutex_lock(&lock);
    if (!running) {
        pthread_mutex_unlock(&lock);
        return;
    }
    stopping = 1;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    pthread_mutex_lock(&lock);
    running = 0;
    pthread_cond_destroy(&wake);
    /* Calls still waiting belong to runs that ended: fail them so the host
     * lets go of their tokens. */
    while (count > 0) {
        entry_t e = heap[--count];
        pthread_mutex_unlock(&lock);
        AH->fail_call(e.token, "time.after: the plugin was unloaded");
        pthread_mutex_lock(&lock);
    }
    free(heap);
    heap = NULL;
    capacity = 0;
    pthread_mutex_unlock(&lock);
}
