// The hints are static inline functions in include/cache_hints.h; a C target needs a source file.
#include "cache_hints.h"
