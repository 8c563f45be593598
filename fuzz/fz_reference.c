/* SPDX-License-Identifier: Apache-2.0 */
/* fz_reference.c - the reference BAT reader (see fz_reference.h). */
#include <string.h>

#include "fuzz_common.h"

FZ_NO_COVERAGE_BEGIN

int fz_reference_applies(const vhdx_info *info, uint64_t *bat_off)
{
    *bat_off = UINT64_MAX;
    for (unsigned i = 0; i < info->region_count && i < VHDX_MAX_INFO_REGIONS; i++)
        if (vhdx_guid_equal(&info->regions[i].guid, &VHDX_GUID_BAT_REGION)) *bat_off = info->regions[i].file_offset;
    return info->log_dirty == 0 && !info->has_parent && info->type != VHDX_TYPE_DIFFERENCING &&
           *bat_off != UINT64_MAX && info->chunk_ratio != 0;
}

int fz_reference_read(const fz_file *f, const vhdx_info *info, uint64_t bat_off,
                      uint64_t off, uint8_t *buf, size_t n)
{
    uint64_t bs = info->block_size, cr = info->chunk_ratio;
    while (n) {
        uint64_t b = off / bs, in_block = off % bs;
        size_t chunk = (size_t)(bs - in_block < n ? bs - in_block : n);
        uint64_t idx = fmt_bat_pb_index(b, cr), e = 0;
        uint8_t eb[8];
        fz_file_read(f, bat_off + idx * 8, eb, 8);
        e = vhdx_le64(eb);
        unsigned st = fmt_bat_state(e);
        if (st == VHDX_PB_FULLY_PRESENT)
            fz_file_read(f, fmt_bat_offset(e) + in_block, buf, chunk);
        else if (st <= VHDX_PB_UNMAPPED)
            memset(buf, 0, chunk);
        else
            return -1; /* open should have refused it; no reference */
        buf += chunk;
        off += chunk;
        n -= chunk;
    }
    return 0;
}

FZ_NO_COVERAGE_END
