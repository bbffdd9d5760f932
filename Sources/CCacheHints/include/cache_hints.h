#ifndef CARDCHECK_CACHE_HINTS_H
#define CARDCHECK_CACHE_HINTS_H

/// A hint that `address` will be read soon: the CPU starts bringing its cache line in and goes on (no
/// fault, no result; a no-op where the target has no prefetch instruction). Swift has no prefetch of its
/// own; static inline, so that the call compiles to the one instruction in the caller.
static inline void cardcheck_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#endif
