/* SPDX-License-Identifier: Apache-2.0 */
/* image_bat.c - paged BAT cache. The BAT is read in IMG_BAT_PAGE pages on demand; at most
 * limits.max_bat_memory bytes of pages are resident (direct-mapped slots). Pages hold the
 * on-disk little-endian bytes (decoded per access). */
#include <stdlib.h>

#include "image.h"

static uint64_t bat_bytes(const vhdx_image *img)
{
    return img->geo.bat_entries * 8u; /* bounded by the BAT region length (R66) at open */
}

int img_bat_cache_init(vhdx_image *img)
{
    img_bat_cache *c = &img->bat;
    memset(c, 0, sizeof *c);
    uint64_t need = vhdx_div_round_up(bat_bytes(img), IMG_BAT_PAGE);
    uint64_t cap = img->limits.max_bat_memory / IMG_BAT_PAGE;
    if (cap < 1) cap = 1;     /* one page is the floor: a BAT cannot be read in less */
    if (need < 1) need = 1;
    if (cap > need) cap = need;
    c->pages = vhdx_calloc((size_t)cap, sizeof *c->pages);
    if (!c->pages) return VHDX_E_NOMEM;
    c->npages = (size_t)cap;
    return VHDX_OK;
}

void img_bat_cache_free(vhdx_image *img)
{
    img_bat_cache *c = &img->bat;
    if (c->pages) {
        for (size_t i = 0; i < c->npages; i++) vhdx_free(c->pages[i].data);
        vhdx_free(c->pages);
    }
    memset(c, 0, sizeof *c);
}

/* Direct-mapped: page p lives in slot p % npages, so a lookup is O(1) whatever the cache
 * size (a 64 TiB image with 1 MiB blocks has a 512 MiB BAT: 8192 pages). */
static img_bat_page *find_page(img_bat_cache *c, uint64_t page_index)
{
    img_bat_page *p = &c->pages[page_index % c->npages];
    return p->used && p->page_index == page_index ? p : NULL;
}

static int load_page(vhdx_image *img, uint64_t page_index, img_bat_page **out, vhdx_diag *diag)
{
    img_bat_cache *c = &img->bat;
    img_bat_page *victim = &c->pages[page_index % c->npages];
    if (!victim->data) {
        victim->data = vhdx_malloc(IMG_BAT_PAGE);
        if (!victim->data) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "BAT cache");
    }
    victim->used = 0;
    uint64_t start = page_index * IMG_BAT_PAGE;
    uint64_t total = bat_bytes(img);
    uint64_t n = total - start < IMG_BAT_PAGE ? total - start : IMG_BAT_PAGE;
    memset(victim->data, 0, IMG_BAT_PAGE);
    int rc = img_pread(img, img->bat_offset + start, victim->data, (size_t)n, diag);
    if (rc != VHDX_OK) return rc;
    victim->page_index = page_index;
    victim->used = 1;
    *out = victim;
    return VHDX_OK;
}

int img_bat_get(vhdx_image *img, uint64_t index, uint64_t *entry, vhdx_diag *diag)
{
    if (index >= img->geo.bat_entries || !img->bat.pages)
        return VHDX_FAIL(diag, VHDX_E_RANGE, VHDX_NO_OFFSET, "BAT index");
    img_bat_cache *c = &img->bat;
    uint64_t byte = index * 8u;
    uint64_t page_index = byte / IMG_BAT_PAGE;
    img_bat_page *p = find_page(c, page_index);
    if (!p) {
        int rc = load_page(img, page_index, &p, diag);
        if (rc != VHDX_OK) return rc;
    }
    p->last_use = ++c->clock;
    *entry = vhdx_le64(p->data + (byte % IMG_BAT_PAGE));
    return VHDX_OK;
}

void img_bat_cache_set(vhdx_image *img, uint64_t index, uint64_t entry)
{
    if (index >= img->geo.bat_entries || !img->bat.pages) return;
    uint64_t byte = index * 8u;
    img_bat_page *p = find_page(&img->bat, byte / IMG_BAT_PAGE);
    if (p) vhdx_put64(p->data + (byte % IMG_BAT_PAGE), entry);
}
