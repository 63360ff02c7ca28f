#ifndef C_CRYPT_SHIM_H
#define C_CRYPT_SHIM_H
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <crypt.h>

/* Lowers the scheduling priority of the calling thread only (Linux applies setpriority to a thread id; `gettid`
 * needs _GNU_SOURCE, which Swift's import does not set), so that the threads running bcrypt lose the CPU to the
 * threads serving requests. Returns setpriority's result. */
static inline int ccrypt_lower_thread_priority(int niceness) {
#ifdef __linux__
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), niceness);
#else
    (void)niceness;
    return -1;
#endif
}

#endif
