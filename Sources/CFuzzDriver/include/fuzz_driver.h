#ifndef CARDCHECK_FUZZ_DRIVER_H
#define CARDCHECK_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>

typedef int (*cardcheck_fuzz_callback)(const uint8_t *data, size_t size);

/// Runs libFuzzer with `callback` when the binary is built with -sanitize=fuzzer (LLVMFuzzerRunDriver
/// is then linked in); returns -1 at once otherwise. SwiftPM gives executables their own main, so the
/// fuzzer is driven from it instead of from libFuzzer's main.
int cardcheck_run_fuzzer(int argc, char **argv, cardcheck_fuzz_callback callback);

#endif
