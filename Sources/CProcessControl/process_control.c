#include "process_control.h"
#include <sys/prctl.h>

int cardcheck_set_non_dumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }

int cardcheck_get_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }
