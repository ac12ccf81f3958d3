#ifndef WEFT_CSQLITE_SHIM_H
#define WEFT_CSQLITE_SHIM_H
/* The system SQLite (Debian: libsqlite3-dev) for the run store
 * (Sources/WeftStore). SQLITE_TRANSIENT is a cast of -1 to a function
 * pointer, which Swift cannot import: an accessor gives it. */
#include <sqlite3.h>

static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }
#endif
