#ifndef T2_FUZZ_DRIVER_H
#define T2_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/// libFuzzer's driver (compiler-rt, linked by -sanitize=fuzzer): parses libFuzzer's flags from
/// argv and calls `callback` once per input.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
