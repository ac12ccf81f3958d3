/* after.h — time.after (after.c), registered by time.c. */
#ifndef WEFT_TIME_AFTER_H
#define WEFT_TIME_AFTER_H

#include <weft/plugin.h>

/* Registers time.after when the host has ABI v4 (else nothing). */
weft_status_t time_after_register(const weft_host_t *host, weft_registry_t *reg);
/* Stops and joins the timer thread; fails calls still waiting. */
void time_after_deinit(void);

#endif
