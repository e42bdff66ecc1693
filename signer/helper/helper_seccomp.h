/* helper_seccomp.h: the helper's system-call allow-list (helper_seccomp.c). */
#ifndef HM_HELPER_SECCOMP_H
#define HM_HELPER_SECCOMP_H

#include <hm/common.h>

/* mode 1: a call off the list kills the process (SCMP_ACT_KILL_PROCESS); mode 2: it
 * raises SIGSYS, whose handler writes the call's number to stderr and exits with
 * HM_PS_EXIT_SECCOMP.  The filter covers every thread (TSYNC). */
HM_MUST_CHECK hm_err hm_helper_seccomp(int mode);

#endif /* HM_HELPER_SECCOMP_H */
