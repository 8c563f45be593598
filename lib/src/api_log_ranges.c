/* SPDX-License-Identifier: Apache-2.0 */
/* api_log_ranges.c - public view of the file ranges a log replay changes (used by
 * `vhdx info`); the ranges themselves are recorded by image_logscan.c. */
#include "image.h"

size_t vhdx_log_replay_ranges(vhdx_image *img, uint64_t *offs, uint64_t *lens, size_t max)
{
    if (!img) return 0;
    return img_log_replay_ranges(img, offs, lens, max);
}
