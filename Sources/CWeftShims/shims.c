#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include "CWeftShims.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
static __attribute__((tls_model("initial-exec"))) _Thread_local void *weft_current_registry;
void *weft_shim_current_registry(void) { return weft_current_registry; }

static char weft_no_state_marker;
void *weft_shim_no_state(void) { return &weft_no_state_marker; }
void weft_shim_set_current_registry(void *reg) { weft_current_registry = reg; }

static pthread_key_t weft_last_error_key;
static pthread_once_t weft_last_error_once = PTHREAD_ONCE_INIT;
static void weft_last_error_make_key(void) { pthread_key_create(&weft_last_error_key, free); }

void weft_shim_set_last_error(const char *message) {
    pthread_once(&weft_last_error_once, weft_last_error_make_key);
    char *copy = strdup(message ? message : "");
    free(pthread_getspecific(weft_last_error_key));
    pthread_setspecific(weft_last_error_key, copy);
}

const char *weft_shim_last_error(void) {
    pthread_once(&weft_last_error_once, weft_last_error_make_key);
    const char *m = pthread_getspecific(weft_last_error_key);
    return m ? m : "";
}

/* The file this code was linked into (libweft.so for the embedding API, the
 * program itself for the CLI), or NULL. */
const char *weft_shim_own_path(void) {
    Dl_info info;
    if (dladdr((void *)&weft_shim_own_path, &info) == 0) return NULL;
    return info.dli_fname;
}

void weft_shim_keep_freed_memory(long mmap_max, long trim) {
    mallopt(M_MMAP_THRESHOLD, (int)mmap_max);
    mallopt(M_TRIM_THRESHOLD, (int)trim);
}
