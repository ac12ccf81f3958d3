/* The crash reporter of the weft CLI: a SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGABRT
 * handler that says, in one line on stderr, which node (or which plugin's
 * init) was running on the crashing thread, then lets the signal kill the
 * process as it would have (the exit status stays the signal's).
 *
 * Everything in the handler is async-signal-safe: write(2), sigaction,
 * raise, thread-local loads, and the host's describe callback, which
 * promises the same (no allocation, no locks; see CrashReporter.swift).
 * libweft never installs it on its own: the host program owns its signals. */
#define _GNU_SOURCE
#include "CWeftShims.h"
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const int weft_crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
#define WEFT_CRASH_SIGNAL_COUNT ((int)(sizeof weft_crash_signals / sizeof weft_crash_signals[0]))
static struct sigaction weft_crash_previous[WEFT_CRASH_SIGNAL_COUNT];
static weft_shim_crash_describe_fn weft_crash_describe;
static int weft_crash_chain;
static int weft_crash_installed;
static __attribute__((tls_model("initial-exec"))) _Thread_local const char *weft_crash_init_label;

const char *weft_shim_crash_set_plugin_init(const char *label) {
    const char *previous = weft_crash_init_label;
    weft_crash_init_label = label;
    return previous;
}

static void weft_crash_put(const char *s, size_t n) {
    while (n > 0) {
        ssize_t w = write(2, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

static void weft_crash_puts(const char *s) { weft_crash_put(s, strlen(s)); }

/* strsignal is not async-signal-safe: the names and glibc's texts. */
static const char *weft_crash_name(int sig) {
    switch (sig) {
    case SIGSEGV: return "SIGSEGV (Segmentation fault)";
    case SIGBUS: return "SIGBUS (Bus error)";
    case SIGILL: return "SIGILL (Illegal instruction)";
    case SIGFPE: return "SIGFPE (Floating point exception)";
    case SIGABRT: return "SIGABRT (Aborted)";
    default: return "a signal";
    }
}

static void weft_crash_handler(int sig, siginfo_t *info, void *uctx) {
    (void)uctx;
    int saved_errno = errno;
    weft_shim_frame_t *frame = weft_shim_tls_frame;
    const char *init = weft_crash_init_label;
    weft_crash_puts("weft: crashed with ");
    weft_crash_puts(weft_crash_name(sig));
    if (frame && frame->instance && frame->phase != WEFT_SHIM_PHASE_IDLE && weft_crash_describe) {
        char text[1024];
        weft_crash_puts(" in ");
        long n = weft_crash_describe(frame->instance, frame->phase, text, (long)sizeof text);
        if (n > 0) weft_crash_put(text, (size_t)n);
        weft_crash_puts("\n");
    } else if (init) {
        weft_crash_puts(" in the init function of ");
        weft_crash_puts(init);
        weft_crash_puts(", while loading it; fix that plugin, or move it out of the plugin folders "
                        "(--plugins, WEFT_PLUGIN_PATH) so that weft does not load it\n");
    } else {
        weft_crash_puts(" outside any node's call\n");
    }
    /* Back to what was there before (the Swift runtime's backtracer, when
     * asked for) or the default action, and let the signal happen again:
     * a fault returns to the faulting instruction, which faults again; a
     * sent or raised signal (abort) is sent again, delivered as this
     * handler returns (it is blocked until then). */
    for (int i = 0; i < WEFT_CRASH_SIGNAL_COUNT; i++) {
        if (weft_crash_signals[i] != sig) continue;
        if (weft_crash_chain) {
            sigaction(sig, &weft_crash_previous[i], NULL);
        } else {
            struct sigaction dfl;
            memset(&dfl, 0, sizeof dfl);
            dfl.sa_handler = SIG_DFL;
            sigemptyset(&dfl.sa_mask);
            sigaction(sig, &dfl, NULL);
        }
    }
    if (!info || info->si_code <= 0 || sig == SIGABRT) raise(sig);
    errno = saved_errno;
}

void *weft_shim_thread_altstack_begin(void) {
    if (!weft_crash_installed) return NULL;
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_size = 64 * 1024;
    ss.ss_sp = malloc(ss.ss_size);
    if (!ss.ss_sp) return NULL;
    if (sigaltstack(&ss, NULL) != 0) {
        free(ss.ss_sp);
        return NULL;
    }
    return ss.ss_sp;
}

void weft_shim_thread_altstack_end(void *stack) {
    if (!stack) return;
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    free(stack);
}

int weft_shim_crash_install(weft_shim_crash_describe_fn describe, int chain_previous) {
    if (weft_crash_installed) return 0;
    weft_crash_describe = describe;
    weft_crash_chain = chain_previous;
    /* A stack for the handler, so a stack overflow on this thread can be
     * reported too (other threads use their own stack). */
    size_t size = 64 * 1024;
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_sp = malloc(size);
    ss.ss_size = size;
    if (ss.ss_sp && sigaltstack(&ss, NULL) != 0) free(ss.ss_sp);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = weft_crash_handler;
    sigemptyset(&sa.sa_mask);
    /* SA_RESETHAND: a fault inside the handler itself kills at once. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    for (int i = 0; i < WEFT_CRASH_SIGNAL_COUNT; i++) {
        if (sigaction(weft_crash_signals[i], &sa, &weft_crash_previous[i]) != 0) return errno;
    }
    weft_crash_installed = 1;
    return 0;
}
