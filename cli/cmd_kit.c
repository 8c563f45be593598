/* cmd_kit.c - `vhdx kit` (being written). */
#include "cli.h"

#include <stdio.h>

int cmd_kit(int argc, char **argv)
{
    (void)argc; (void)argv;
    fputs("vhdx kit: not implemented yet\n", stderr);
    return 1;
}
