/*
 * hallmark-hsm-helper: the process that holds the token and the PIN for hallmarkd
 * (docs/privsep.md).  hallmarkd starts it; it is not meant to be run by hand.
 */
#include <hm/privsep.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper_seccomp.h"

int
main(int argc, char **argv)
{
    int rc = hm_ps_helper_main(argc, argv, hm_helper_seccomp);

    /* exit_group at once: exit()'s handlers (OpenSSL, SoftHSM2's destructors, a
     * sanitizer's leak check) may make calls the seccomp filter forbids */
    fflush(stderr);
    (void)syscall(SYS_exit_group, rc);
    return rc;
}
