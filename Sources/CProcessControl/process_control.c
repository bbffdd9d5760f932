#include "process_control.h"
#include <malloc.h>
#include <sys/prctl.h>

int cardcheck_set_non_dumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }

int cardcheck_get_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }

int cardcheck_release_free_memory(void) { return malloc_trim(0); }

int cardcheck_set_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }
