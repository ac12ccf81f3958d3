/* The steps of a compiled program (see CWeftShims.h): a loop pass or a
 * graph's top level. Each step does
 * what the host's NodeInstance.run(context:slots:boxed:) and the
 * scheduler's delivery do for a node whose inputs and outputs are plain
 * numbers and whose call succeeds — lend the input slots, clear the
 * outputs, enter the call through the thread's frame, call, leave, check
 * the required outputs, copy the outputs into the slots that read them —
 * and stops, saying where, at anything else, which the host then does its
 * own way (so every message and every boxed value stays with the host). */
#include "CWeftShims.h"
#include <stddef.h>

static int inputs_fit(const weft_shim_call_t *c, const weft_shim_number_t *in)
{
    for (int32_t p = 0; p < c->input_count; p++) {
        int32_t kind = in[p].kind;
        if (kind < 0 || kind > 7 || !(c->input_accept[p] & (1u << kind))) return 0;
    }
    return 1;
}

int32_t weft_shim_run_steps(weft_shim_frame_t *f, const weft_shim_program_t *program, int32_t first, int32_t count,
                            weft_shim_number_t *slots, char *boxed, long boxed_stride, const _Bool *inline_types,
                            int64_t *budget, int32_t *at, int32_t *status)
{
    const weft_shim_step_t *steps = program->steps;
    const weft_shim_write_t *writes = program->writes;
    int32_t w0 = first == 0 ? program->carry_writes : steps[first - 1].writes_end;
    for (int32_t i = first; i < count; i++) {
        const weft_shim_step_t *s = &steps[i];
        const weft_shim_call_t *c = &program->calls[s->type_index];
        weft_shim_number_t *in = slots + s->slot_base;
        weft_shim_number_t *out = f->outputs;
        *at = i;
        if (*budget <= 0 || f->dirty || weft_shim_raised(f->stop) || (inline_types && !inline_types[s->type_index])
            || !inputs_fit(c, in))
            return WEFT_SHIM_STEPS_BEFORE_CALL;
        for (int32_t o = 0; o < c->output_count; o++) {
            if (out[o].kind == WEFT_SHIM_BOXED) return WEFT_SHIM_STEPS_BEFORE_CALL;
            out[o] = (weft_shim_number_t){0, 0, 0};
        }
        /* The call, entered and left as every call is. */
        f->inputs = in;
        f->input_count = c->input_count;
        f->boxed_inputs = boxed + (long)s->slot_base * boxed_stride;
        f->output_count = c->output_count;
        f->accept = c->output_accept;
        f->instance = s->instance;
        f->phase = WEFT_SHIM_PHASE_RUN;
        weft_shim_frame_t *previous = weft_shim_enter(f);
        int32_t st = c->run((struct weft_ctx *)f->ctx, s->state);
        weft_shim_leave(f, previous);
        (*budget)--;
        *status = st;
        if (st != 0 || f->dirty) return WEFT_SHIM_STEPS_AFTER_CALL;
        for (int32_t r = 0; r < c->required_count; r++)
            if (!out[c->required[r]].taken) return WEFT_SHIM_STEPS_AFTER_CALL;
        /* Checked and written in one go: stopping at a boxed value leaves
         * the writes before it made (numbers, into slots that held no
         * boxed value), which the host then makes again its own way. */
        int32_t w1 = s->writes_end;
        for (int32_t w = w0; w < w1; w++) {
            const weft_shim_number_t *n = &out[writes[w].port];
            weft_shim_number_t *slot = &slots[writes[w].slot];
            if (n->kind == WEFT_SHIM_BOXED || slot->kind == WEFT_SHIM_BOXED) return WEFT_SHIM_STEPS_AFTER_CALL;
            if (n->taken)
                weft_shim_store_number(slot, n->bits, n->kind, 0);
            else
                weft_shim_store_number(slot, 0, WEFT_SHIM_DEAD, 0);
        }
        w0 = w1;
    }
    *at = count;
    return WEFT_SHIM_STEPS_DONE;
}

int32_t weft_shim_run_passes(weft_shim_frame_t *f, const weft_shim_pass_t *pass, int32_t max_rounds,
                             weft_shim_number_t *slots, char *boxed, long boxed_stride, int64_t *budget,
                             int32_t *rounds, int32_t *at, int32_t *status)
{
    const weft_shim_program_t *program = pass->program;
    const weft_shim_write_t *writes = program->writes;
    weft_shim_number_t *carry = pass->carry;
    *rounds = 0;
    while (*rounds < max_rounds) {
        /* (As a step's writes: stopping leaves harmless copies made.) */
        for (int32_t w = 0; w < program->carry_writes; w++) {
            weft_shim_number_t *slot = &slots[writes[w].slot];
            if (carry[writes[w].port].kind == WEFT_SHIM_BOXED || slot->kind == WEFT_SHIM_BOXED) return WEFT_SHIM_PASSES_CARRY;
            *slot = carry[writes[w].port];
        }
        int32_t how = weft_shim_run_steps(f, program, 0, program->step_count, slots, boxed, boxed_stride, NULL, budget,
                                          at, status);
        if (how != WEFT_SHIM_STEPS_DONE) return how;
        const weft_shim_number_t *go = &slots[pass->continue_slot];
        if (go->kind != WEFT_SHIM_BOOL || go->bits == 0) return WEFT_SHIM_PASSES_END;
        const weft_shim_number_t *next = &slots[pass->next_slot];
        for (int32_t v = 0; v < pass->carry_count; v++) {
            int32_t kind = next[v].kind;
            if (kind < WEFT_SHIM_INT || kind > WEFT_SHIM_BOOL || carry[v].kind == WEFT_SHIM_BOXED
                || !(pass->carry_accept[v] & (1u << kind)))
                return WEFT_SHIM_PASSES_END;
        }
        for (int32_t v = 0; v < pass->carry_count; v++) carry[v] = next[v];
        (*rounds)++;
    }
    return WEFT_SHIM_PASSES_AGAIN;
}
