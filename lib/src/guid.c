/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guid.c - GUIDs in Microsoft on-disk layout (Data1 u32 LE, Data2 u16 LE, Data3 u16 LE,
 * Data4[8]): constants, comparison, libuuid conversion, text form, generators.
 * Every conversion works on bytes, so the results do not depend on host byte order.
 */
#include <uuid/uuid.h>

#include "internal.h"

/* Bytes of the GUID whose text form is D1-D2-D3-D4[0..1]-D4[2..7]. */
#define VHDX_GUID_INIT(d1, d2, d3, a, b, c, d, e, f, g, h) \
    { { (uint8_t)((d1) & 0xff), (uint8_t)(((d1) >> 8) & 0xff), (uint8_t)(((d1) >> 16) & 0xff), \
        (uint8_t)(((d1) >> 24) & 0xff), (uint8_t)((d2) & 0xff), (uint8_t)(((d2) >> 8) & 0xff), \
        (uint8_t)((d3) & 0xff), (uint8_t)(((d3) >> 8) & 0xff), a, b, c, d, e, f, g, h } }

/* [MS-VHDX 2.2.3.2] region GUIDs */
const vhdx_guid VHDX_GUID_BAT_REGION = /* 2DC27766-F623-4200-9D64-115E9BFD4A08 */
    VHDX_GUID_INIT(0x2DC27766u, 0xF623u, 0x4200u, 0x9D, 0x64, 0x11, 0x5E, 0x9B, 0xFD, 0x4A, 0x08);
const vhdx_guid VHDX_GUID_METADATA_REGION = /* 8B7CA206-4790-4B9A-B8FE-575F050F886E */
    VHDX_GUID_INIT(0x8B7CA206u, 0x4790u, 0x4B9Au, 0xB8, 0xFE, 0x57, 0x5F, 0x05, 0x0F, 0x88, 0x6E);
/* [MS-VHDX 2.6.2] system metadata items */
const vhdx_guid VHDX_GUID_FILE_PARAMETERS = /* CAA16737-FA36-4D43-B3B6-33F0AA44E76B */
    VHDX_GUID_INIT(0xCAA16737u, 0xFA36u, 0x4D43u, 0xB3, 0xB6, 0x33, 0xF0, 0xAA, 0x44, 0xE7, 0x6B);
const vhdx_guid VHDX_GUID_VIRTUAL_DISK_SIZE = /* 2FA54224-CD1B-4876-B211-5DBED83BF4B8 */
    VHDX_GUID_INIT(0x2FA54224u, 0xCD1Bu, 0x4876u, 0xB2, 0x11, 0x5D, 0xBE, 0xD8, 0x3B, 0xF4, 0xB8);
const vhdx_guid VHDX_GUID_VIRTUAL_DISK_ID = /* BECA12AB-B2E6-4523-93EF-C309E000C746 */
    VHDX_GUID_INIT(0xBECA12ABu, 0xB2E6u, 0x4523u, 0x93, 0xEF, 0xC3, 0x09, 0xE0, 0x00, 0xC7, 0x46);
const vhdx_guid VHDX_GUID_LOGICAL_SECTOR_SIZE = /* 8141BF1D-A96F-4709-BA47-F233A8FAAB5F */
    VHDX_GUID_INIT(0x8141BF1Du, 0xA96Fu, 0x4709u, 0xBA, 0x47, 0xF2, 0x33, 0xA8, 0xFA, 0xAB, 0x5F);
const vhdx_guid VHDX_GUID_PHYSICAL_SECTOR_SIZE = /* CDA348C7-445D-4471-9CC9-E9885251C556 */
    VHDX_GUID_INIT(0xCDA348C7u, 0x445Du, 0x4471u, 0x9C, 0xC9, 0xE9, 0x88, 0x52, 0x51, 0xC5, 0x56);
const vhdx_guid VHDX_GUID_PARENT_LOCATOR = /* A8D35F2D-B30B-454D-ABF7-D3D84834AB0C */
    VHDX_GUID_INIT(0xA8D35F2Du, 0xB30Bu, 0x454Du, 0xAB, 0xF7, 0xD3, 0xD8, 0x48, 0x34, 0xAB, 0x0C);
/* [MS-VHDX 2.6.2.6.1] VHDX parent locator type */
const vhdx_guid VHDX_GUID_PARENT_LOCATOR_TYPE_VHDX = /* B04AEFB7-D19E-4A81-B789-25B8E9445913 */
    VHDX_GUID_INIT(0xB04AEFB7u, 0xD19Eu, 0x4A81u, 0xB7, 0x89, 0x25, 0xB8, 0xE9, 0x44, 0x59, 0x13);

int vhdx_guid_is_zero(const vhdx_guid *g)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < 16; i++) acc |= g->b[i];
    return acc == 0;
}

int vhdx_guid_equal(const vhdx_guid *a, const vhdx_guid *b)
{
    return memcmp(a->b, b->b, 16) == 0;
}

/* uuid_t has Data1..3 big-endian; the MS layout has them little-endian. The swap is its
 * own inverse. */
static void guid_swap_fields(uint8_t out[16], const uint8_t in[16])
{
    out[0] = in[3]; out[1] = in[2]; out[2] = in[1]; out[3] = in[0];
    out[4] = in[5]; out[5] = in[4];
    out[6] = in[7]; out[7] = in[6];
    memcpy(out + 8, in + 8, 8);
}

void vhdx_guid_from_uuid(vhdx_guid *out, const unsigned char uu[16])
{
    guid_swap_fields(out->b, uu);
}

void vhdx_guid_to_uuid(const vhdx_guid *g, unsigned char uu[16])
{
    guid_swap_fields(uu, g->b);
}

/* Text order of the 16 bytes: Data1 (bytes 3..0), Data2 (5,4), Data3 (7,6), Data4 (8..15). */
static const uint8_t guid_text_order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };

void vhdx_guid_format(const vhdx_guid *g, char *buf, size_t buflen, int braces)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[39];
    size_t n = 0;

    if (!buf || buflen == 0) return;
    if (braces) tmp[n++] = '{';
    for (size_t i = 0; i < 16; i++) {
        uint8_t v = g->b[guid_text_order[i]];
        if (i == 4 || i == 6 || i == 8 || i == 10) tmp[n++] = '-';
        tmp[n++] = hex[v >> 4];
        tmp[n++] = hex[v & 15];
    }
    if (braces) tmp[n++] = '}';
    if (n >= buflen) n = buflen - 1; /* truncated rather than overflowed */
    memcpy(buf, tmp, n);
    buf[n] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int vhdx_guid_parse(vhdx_guid *out, const char *text, size_t len)
{
    vhdx_guid g;
    size_t pos = 0;

    if (!out || !text) return VHDX_E_MISUSE;
    if (len == 38) {
        if (text[0] != '{' || text[37] != '}') return VHDX_E_GUID_TEXT;
        text++;
        len = 36;
    } else if (len != 36) {
        return VHDX_E_GUID_TEXT;
    }
    for (size_t i = 0; i < 16; i++) {
        int hi, lo;
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            if (text[pos] != '-') return VHDX_E_GUID_TEXT;
            pos++;
        }
        hi = hex_value(text[pos]);
        lo = hex_value(text[pos + 1]);
        if (hi < 0 || lo < 0) return VHDX_E_GUID_TEXT;
        g.b[guid_text_order[i]] = (uint8_t)(hi << 4 | lo);
        pos += 2;
    }
    *out = g;
    return VHDX_OK;
}

/* Force version 4 (high nibble of Data3, i.e. byte 7) and variant 10 (top bits of byte 8). */
static void guid_make_v4(vhdx_guid *g)
{
    g->b[7] = (uint8_t)((g->b[7] & 0x0f) | 0x40);
    g->b[8] = (uint8_t)((g->b[8] & 0x3f) | 0x80);
}

static int guid_gen_libuuid(void *ctx, vhdx_guid *out)
{
    uuid_t uu;
    (void)ctx;
    uuid_generate_random(uu);
    vhdx_guid_from_uuid(out, uu);
    guid_make_v4(out); /* uu is v4 already; its version byte 6 lands in byte 7 */
    return VHDX_OK;
}

static const vhdx_guid_gen guid_gen_default = { guid_gen_libuuid, NULL };

const vhdx_guid_gen *vhdx_guid_gen_default(void)
{
    return &guid_gen_default;
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int guid_gen_splitmix(void *ctx, vhdx_guid *out)
{
    vhdx_guid_seeded *s = (vhdx_guid_seeded *)ctx;
    uint64_t a = splitmix64(&s->state), b = splitmix64(&s->state);
    vhdx_put64(out->b, a);
    vhdx_put64(out->b + 8, b);
    guid_make_v4(out);
    return VHDX_OK;
}

vhdx_guid_gen vhdx_guid_gen_seeded(vhdx_guid_seeded *state, uint64_t seed)
{
    vhdx_guid_gen gen;
    state->state = seed;
    gen.generate = guid_gen_splitmix;
    gen.ctx = state;
    return gen;
}

int vhdx_guid_generate(const vhdx_guid_gen *gen, vhdx_guid *out)
{
    if (!out) return VHDX_E_MISUSE;
    if (!gen) gen = vhdx_guid_gen_default();
    if (!gen->generate) return VHDX_E_MISUSE;
    return gen->generate(gen->ctx, out);
}
