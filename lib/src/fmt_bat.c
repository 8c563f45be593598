/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmt_bat.c - BAT entries (MS-VHDX 2.5): static per-entry checks.
 *
 * Entry (u64 LE): bits 0-2 State | bits 3-19 Reserved | bits 20-63 FileOffsetMB.
 * Payload entries and sector bitmap entries interleave: after every CR payload entries
 * comes the SB entry of that chunk (fmt_bat_is_sb_slot).
 */
#include "fmt.h"

int fmt_bat_entry_validate(uint64_t entry, uint64_t index, const fmt_geometry *g,
                           vhdx_sink *sink, uint64_t base)
{
    unsigned state = fmt_bat_state(entry);
    uint64_t off = fmt_bat_offset(entry);

    if (!g || g->chunk_ratio == 0) return VHDX_E_MISUSE;
    /* [MS-VHDX 2.5.1] R69: bits 3-19 zero */
    if (fmt_bat_reserved(entry) != 0)
        VHDX_CHECK_REPORT(sink, VHDX_E_BAT_RESERVED, base, "bat.Reserved");

    if (fmt_bat_is_sb_slot(index, g->chunk_ratio)) {
        /* [2.5.1.2] R78: SB state is NOT_PRESENT (0) or PRESENT (6) */
        if (state != VHDX_SB_NOT_PRESENT && state != VHDX_SB_PRESENT)
            VHDX_CHECK_REPORT(sink, VHDX_E_BAT_SB_STATE, base, "bat.State");
        if (state == VHDX_SB_PRESENT) {
            /* R77: no sector bitmap blocks without a parent */
            if (!g->has_parent)
                VHDX_CHECK_REPORT(sink, VHDX_E_BAT_SB_PRESENT, base, "bat.State");
            if (off == 0)
                VHDX_CHECK_REPORT(sink, VHDX_E_BAT_PRESENT_ZERO_OFFSET, base, "bat.FileOffsetMB");
        } else if (state == VHDX_SB_NOT_PRESENT && off != 0) {
            /* D13: FileOffsetMB is reserved for SB_NOT_PRESENT */
            VHDX_CHECK_REPORT(sink, VHDX_W_BAT_OFFSET_NOT_ZERO, base, "bat.FileOffsetMB");
        }
        return VHDX_OK;
    }

    switch (state) {
    case 4:
    case 5:
        /* [2.5.1.1] R72: reserved payload states */
        VHDX_CHECK_REPORT(sink, VHDX_E_BAT_STATE, base, "bat.State");
        break;
    case VHDX_PB_PARTIALLY_PRESENT:
        /* R72: PARTIALLY_PRESENT only in differencing files */
        if (!g->has_parent)
            VHDX_CHECK_REPORT(sink, VHDX_E_BAT_PARTIAL_NO_PARENT, base, "bat.State");
        /* fall through */
    case VHDX_PB_FULLY_PRESENT:
        /* R70: a present block has a location after the header section */
        if (off == 0)
            VHDX_CHECK_REPORT(sink, VHDX_E_BAT_PRESENT_ZERO_OFFSET, base, "bat.FileOffsetMB");
        break;
    case VHDX_PB_NOT_PRESENT:
    case VHDX_PB_ZERO:
        /* D13: FileOffsetMB reserved (write 0; Hyper-V rejects non-zero for ZERO) */
        if (off != 0)
            VHDX_CHECK_REPORT(sink, VHDX_W_BAT_OFFSET_NOT_ZERO, base, "bat.FileOffsetMB");
        break;
    default: /* UNDEFINED, UNMAPPED: any FileOffsetMB (R74 is behavioural) */
        break;
    }
    return VHDX_OK;
}
