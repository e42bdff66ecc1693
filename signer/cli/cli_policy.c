/* cli_policy.c: placeholder until the policy engine lands; replaced by the policy work. */
#include <stdio.h>

#include "cli.h"

int
cli_policy(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "hallmark policy: the policy engine is not built yet\n");
    return CLI_USAGE;
}

int
cli_approve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "hallmark approve: the policy engine is not built yet\n");
    return CLI_USAGE;
}
