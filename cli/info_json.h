/* SPDX-License-Identifier: Apache-2.0 */
/*
 * info_json.h - the one encoder of the `info` object: `vhdx info --json` writes its members
 * at the top level of its document, `vhdx check --format json` writes them as each image's
 * "info" object. Same keys in both, described once by the $defs/info_members of
 * reports/schema/check.schema.json (reports/schema/info.schema.json refers to it).
 */
#ifndef VHDX_CLI_INFO_JSON_H
#define VHDX_CLI_INFO_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "vhdx.h"

/* What the caller knows beyond vhdx_info. */
typedef struct info_extra {
    int opened;               /* the image opened for reading */
    int parent_found;         /* 1 found, 0 not found, -1 unknown (null) */
    int ranges_known;         /* 0: replay_range_count and replay_ranges are null */
    size_t ranges_total;      /* replay ranges in all (after merging) */
    size_t ranges_stored;     /* entries of range_off/range_len */
    const uint64_t *range_off, *range_len;
} info_extra;

/* Region and metadata item names used in the object ("bat", "metadata", "file_parameters",
 * ...; NULL for an unknown GUID or a user item). */
const char *info_region_name(const vhdx_guid *g);
const char *info_item_name(const vhdx_metadata_info *m);
/* "in-memory", "in-place", "no" */
const char *info_log_replayed_name(int r);

/* Writes the members of the info object into the open object of w; `list` is the layout of
 * the header, region and metadata lists (NULL: inline). */
void json_info_members(json_w *w, const vhdx_info *in, const info_extra *x,
                       const json_style *list);

#endif
