#ifndef CARDCHECK_PROCESS_CONTROL_H
#define CARDCHECK_PROCESS_CONTROL_H

/// prctl(PR_SET_DUMPABLE, 0): no core dump, no ptrace or /proc/PID/mem by the same user.
/// (prctl is variadic, so Swift cannot call it directly.) Returns 0, or -1 with errno set.
int cardcheck_set_non_dumpable(void);

/// prctl(PR_GET_DUMPABLE): 0 or 1, or -1 with errno set.
int cardcheck_get_dumpable(void);

/// malloc_trim(0): gives the heap's free pages back to the system (glibc). Returns 1 if any was released.
int cardcheck_release_free_memory(void);

/// mallopt(M_MMAP_THRESHOLD, bytes): allocations of at least `bytes` get pages of their own, returned to
/// the system when freed. Setting it also stops glibc raising the threshold after large frees (up to
/// 32 MiB), which would put a reload's large tables on the heap, where freeing them cannot shrink it.
/// Returns 1 on success.
int cardcheck_set_mmap_threshold(int bytes);

#endif
