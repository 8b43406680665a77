// What a fuzz target asserts beyond "no crash": a failed check aborts, so libFuzzer keeps the
// input.
#pragma once

#include <cstdio>
#include <cstdlib>

#define PARLEY_FUZZ_CHECK(cond)                                                                    \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);         \
            std::abort();                                                                          \
        }                                                                                          \
    } while (0)
