/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_guid - GUID text parse/format round trip.
 *
 * The whole input is parsed as text; the library must accept exactly the canonical forms
 * (36 characters 8-4-4-4-12 hex, optionally inside braces, any case) and reject the rest
 * with VHDX_E_GUID_TEXT. Accepted text must format back to itself (lowercase) and reparse
 * to the same bytes. The first 16 input bytes are also used as a GUID: format/parse round
 * trip, and uuid_t conversion must be an involution whose text is the RFC 4122 text.
 */
#include <ctype.h>
#include <string.h>

#include "fuzz_common.h"

static int ref_valid(const char *t, size_t n, char canon[37])
{
    if (n == 38) {
        if (t[0] != '{' || t[37] != '}') return 0;
        t++;
        n = 36;
    }
    if (n != 36) return 0;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (t[i] != '-') return 0;
        } else if (!isxdigit((unsigned char)t[i])) {
            return 0;
        }
        canon[i] = (char)tolower((unsigned char)t[i]);
    }
    canon[36] = 0;
    return 1;
}

static void rfc_text(const uint8_t uu[16], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out[n++] = '-';
        out[n++] = hex[uu[i] >> 4];
        out[n++] = hex[uu[i] & 15];
    }
    out[n] = 0;
}

static void round_trip(const vhdx_guid *g)
{
    char t1[37], t2[39];
    vhdx_guid back;
    memset(t1, 'x', sizeof t1);
    memset(t2, 'x', sizeof t2);
    vhdx_guid_format(g, t1, sizeof t1, 0);
    vhdx_guid_format(g, t2, sizeof t2, 1);
    if (strlen(t1) != 36 || strlen(t2) != 38) FZ_FAIL("formatted GUID has wrong length");
    if (t2[0] != '{' || t2[37] != '}' || memcmp(t1, t2 + 1, 36) != 0)
        FZ_FAIL("braced and plain text differ: %s %s", t1, t2);
    if (fz_rc(vhdx_guid_parse(&back, t1, 36), "guid_parse(formatted)") != VHDX_OK ||
        !vhdx_guid_equal(&back, g))
        FZ_FAIL("parse(format(g)) != g for %s", t1);
    if (fz_rc(vhdx_guid_parse(&back, t2, 38), "guid_parse(braced)") != VHDX_OK ||
        !vhdx_guid_equal(&back, g))
        FZ_FAIL("parse(format(g, braces)) != g for %s", t2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vhdx_guid g;
    char canon[37];
    const char *text = (const char *)data;
    int rc = fz_rc_allow(vhdx_guid_parse(&g, text, size), VHDX_E_GUID_TEXT, "guid_parse");
    int want = ref_valid(text, size, canon);
    if ((rc == VHDX_OK) != want)
        FZ_FAIL("guid_parse %s input of %zu bytes the reference %s", rc == VHDX_OK ? "accepted" : "rejected",
                size, want ? "accepts" : "rejects");
    if (rc == VHDX_OK) {
        char t[37];
        vhdx_guid_format(&g, t, sizeof t, 0);
        if (strcmp(t, canon) != 0) FZ_FAIL("format(parse(%s)) = %s", canon, t);
        round_trip(&g);
    }

    if (size >= 8) {
        /* the library's seeded generator: v4-shaped GUIDs, deterministic per seed */
        vhdx_guid_seeded st, st2;
        vhdx_guid a, b;
        uint64_t seed = vhdx_le64(data);
        vhdx_guid_gen g1 = vhdx_guid_gen_seeded(&st, seed), g2 = vhdx_guid_gen_seeded(&st2, seed);
        for (int i = 0; i < 3; i++) {
            if (fz_rc(vhdx_guid_generate(&g1, &a), "guid_generate") != VHDX_OK ||
                fz_rc(vhdx_guid_generate(&g2, &b), "guid_generate") != VHDX_OK)
                FZ_FAIL("seeded generator failed");
            if (!vhdx_guid_equal(&a, &b)) FZ_FAIL("seeded generator not deterministic");
            if ((a.b[7] >> 4) != 4 || (a.b[8] & 0xC0) != 0x80) FZ_FAIL("seeded GUID is not v4-shaped");
            round_trip(&a);
        }
    }
    if (size >= 16) {
        vhdx_guid raw, again;
        unsigned char uu[16];
        char rt[37], mt[37];
        memcpy(raw.b, data, 16);
        round_trip(&raw);
        FZ_ASSERT(vhdx_guid_is_zero(&raw) == (memcmp(raw.b, (const uint8_t[16]){0}, 16) == 0));
        vhdx_guid_to_uuid(&raw, uu);
        vhdx_guid_from_uuid(&again, uu);
        if (!vhdx_guid_equal(&raw, &again)) FZ_FAIL("uuid conversion is not an involution");
        rfc_text(uu, rt);
        vhdx_guid_format(&raw, mt, sizeof mt, 0);
        if (strcmp(rt, mt) != 0) FZ_FAIL("MS-layout text %s != RFC 4122 text %s", mt, rt);
    }
    return 0;
}
