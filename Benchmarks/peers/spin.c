/* The CPU-bound work of scenario "cpu": the same C function for every peer
 * (Weft calls it through an ffi node, TBB and the C floor link it, the
 * Python peers through ctypes, which releases the GIL during the call).
 * Returns a value that depends on every iteration, so nothing is optimised
 * away; spin(n) for the same n always returns the same value. */
#include <stdint.h>

double spin(int64_t iterations)
{
    double x = 0.5;
    for (int64_t i = 0; i < iterations; i++)
        x = x * 3.9 * (1.0 - x) + 1e-12; /* logistic map: stays in (0, 1) */
    return x;
}
