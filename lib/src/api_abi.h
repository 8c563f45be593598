/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_abi.h - struct_size handling of the public structures (vhdx.h, the ABI note at its
 * top; README, "ABI and SOVERSION policy"). A caller's structure is used only up to its
 * struct_size: inputs are copied over the library's defaults into a full local structure,
 * outputs are filled in a full local structure and copied back as far as the caller knows.
 */
#ifndef VHDX_API_ABI_H
#define VHDX_API_ABI_H

#include <string.h>

#include "vhdx.h"

/* Bytes of a caller's structure that the library uses: struct_size; all of the library's
 * layout when struct_size is 0 (the first layout) or larger than it (a caller built
 * against a newer header: members unknown here are not read). */
static inline size_t abi_used(uint32_t struct_size, size_t lib_size)
{
    return struct_size == 0 || struct_size > lib_size ? lib_size : struct_size;
}

/* Input: *full holds the defaults; the caller's members from *p replace them. */
#define ABI_IN(full, p)                                                                   \
    do {                                                                                  \
        memcpy((full), (p), abi_used((p)->struct_size, sizeof *(full)));                  \
        (full)->struct_size = (uint32_t)sizeof *(full);                                   \
    } while (0)

/* Output: the members of *full that the caller's *p has; p->struct_size is kept. */
#define ABI_OUT(p, full)                                                                  \
    do {                                                                                  \
        uint32_t abi_ss_ = (p)->struct_size;                                              \
        memcpy((p), (full), abi_used(abi_ss_, sizeof *(full)));                           \
        (p)->struct_size = abi_ss_;                                                       \
    } while (0)

#endif /* VHDX_API_ABI_H */
