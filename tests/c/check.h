/*
 * The one assertion macro of the C test programs (tests/c/test_*.c): CHECK
 * counts a pass or prints the failure and counts it; each program ends by
 * printing "N passed, N failed", which tests/test_c_core.py reads.
 * Included once per program: each gets its own counters.
 */
#ifndef TRCAP_TEST_CHECK_H
#define TRCAP_TEST_CHECK_H

#include <stdio.h>

static int passed, failed;

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (cond) {                                                          \
            passed++;                                                        \
        }                                                                    \
        else {                                                               \
            failed++;                                                        \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);             \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

#endif
