#ifndef CARDCHECK_PROCESS_CONTROL_H
#define CARDCHECK_PROCESS_CONTROL_H

/// prctl(PR_SET_DUMPABLE, 0): no core dump, no ptrace or /proc/PID/mem by the same user.
/// (prctl is variadic, so Swift cannot call it directly.) Returns 0, or -1 with errno set.
int cardcheck_set_non_dumpable(void);

/// prctl(PR_GET_DUMPABLE): 0 or 1, or -1 with errno set.
int cardcheck_get_dumpable(void);

#endif
