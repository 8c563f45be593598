/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen_rules_doc.c - writes docs/rules.md: one entry per rule of the catalogue (cli/rules.c:
 * requirement, section, level, how it is judged, how to fix) joined with the status table
 * (lib/include/vhdx_errors.h: the status codes that report the rule, their class, severity
 * and message), under the hand-written "why it matters" of the rule's family below.
 *
 *   gen_rules_doc [-o FILE]      write the document (stdout by default)
 *   gen_rules_doc --check FILE   exit 0 when FILE is what would be written, 1 otherwise
 *
 * Built by docs/CMakeLists.txt: target rules-doc rewrites docs/rules.md, ctest build.rules-doc
 * runs --check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "vhdx.h"
#include "vhdx_project.h"

#define MS_VHDX_URL "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-vhdx/"

/* A family groups the rules of neighbouring [MS-VHDX] sections under one explanation of why
 * they matter. A rule belongs to the family with the longest prefix of its section. */
typedef struct family {
    const char *anchor;
    const char *title;
    const char *sections[8]; /* "2.2.3" matches "2.2.3" and "2.2.3.*"; NULL-terminated */
    const char *why;
} family;

static const family families[] = {
    {"layout", "File layout and unknown structures", {"2", "2.1", "2.2", NULL},
     "Every integer of a VHDX file is little-endian: a writer that stores host-order values makes "
     "images that only machines of its own byte order read correctly. The file is a 1 MiB header "
     "section followed by structures that are found only through "
     "the offsets stored in it. Every reader trusts those offsets: a file cut short, or an offset "
     "past its end, makes one reader fail and another read whatever lies beyond (zeros, or the "
     "bytes of a different file on a block device). Structures a product does not understand must "
     "survive its rewrites, or the data of the product that wrote them is lost."},
    {"file-identifier", "File type identifier", {"2.2.1", NULL},
     "The signature \"vhdxfile\" at offset 0 is how every tool recognises the format. Without it "
     "an image is taken for a raw disk: a hypervisor or a format-probing tool presents the VHDX "
     "metadata to the guest as disk content, and a write through it destroys the image."},
    {"headers", "Headers", {"2.2.2", "2.2.2.1", NULL},
     "The two headers are the root of the file: they locate the log and carry the GUIDs that tie a "
     "differencing child to its parent. A reader uses the valid header with the higher sequence "
     "number. When the checksum is wrong or the choice is ambiguous, products pick different "
     "headers or refuse the file, so the same image shows different contents, or a pending log is "
     "replayed by one product and ignored by the next."},
    {"region-table", "Region table", {"2.2.3", "2.2.3.1", "2.2.3.2", NULL},
     "The region table is the map to the block allocation table (BAT) and the metadata. A wrong "
     "entry sends a reader to the wrong bytes; overlapping regions mean a write to one structure "
     "silently changes another. A region marked required that a reader does not know must stop "
     "it, because ignoring it could mean misreading the disk."},
    {"log", "Log entries", {"2.3", "2.3.1", "2.3.1.1", "2.3.1.2", "2.3.1.3", "2.3.1.4", "2.3.2", NULL},
     "The log makes metadata updates crash-safe: after a crash, its newest complete sequence is "
     "replayed before anything else is read. Whether an entry is valid decides whether an update "
     "is applied at all, so a malformed entry makes two readers see two different disks; and a "
     "descriptor is a write to an arbitrary file offset, so a bad one corrupts whatever it targets "
     "when it is replayed."},
    {"log-replay", "Log replay", {"2.3.3", NULL},
     "A non-empty log means the file on disk is not yet the disk its writer saw: BAT or metadata "
     "updates still sit in the log. A reader that does not replay (libvhdi and 7-Zip ignore the "
     "log) returns stale data, and a file shorter than the log's FlushedFileOffset has lost data "
     "the writer had already flushed."},
    {"bat", "Block allocation table (BAT)", {"2.5", "2.5.1", "2.5.1.1", "2.5.1.2", NULL},
     "The BAT maps every block of the virtual disk to a file offset. A table too small for the "
     "disk, a reserved state, or two entries sharing one file range means reads return another "
     "block's data and writes overwrite it: silent corruption of the guest's file system. Products "
     "differ in how they treat reserved bits and states (some reject the image, some ignore the "
     "bits), so the same image works in one and fails in another."},
    {"metadata-table", "Metadata table", {"2.6", "2.6.1", "2.6.1.1", "2.6.1.2", NULL},
     "The metadata table locates the items that define the disk: block size, disk size, sector "
     "sizes and the parent. Items outside the region or overlapping each other make a reader "
     "decode the wrong bytes as the disk's geometry. An unknown item marked required must stop a "
     "reader, which otherwise would ignore something the writer said it must understand."},
    {"system-metadata", "System metadata items", {"2.6.2", "2.6.2.1", "2.6.2.2", "2.6.2.3", "2.6.2.4", "2.6.2.5", NULL},
     "These items define the virtual disk itself. Every reader derives the BAT layout from the "
     "block size, the disk size and the logical sector size; a value outside the allowed set makes "
     "products compute different layouts, so one reads the disk and another reads other blocks or "
     "out of bounds. A missing or short item leaves the geometry undefined."},
    {"parent-locator", "Parent locator (differencing disks)", {"2.6.2.6", "2.6.2.6.1", "2.6.2.6.2", "2.6.2.6.3", NULL},
     "A differencing disk holds only the blocks written since it was created; everything else is "
     "read from its parent. The locator is how a reader finds that parent, and parent_linkage is "
     "how it proves the parent is the one the child was made from. A bad path finds no parent or "
     "the wrong one; a parent changed since the child was created shows the guest a mix of old and "
     "new data."},
};
#define NFAMILIES (sizeof families / sizeof families[0])

static size_t prefix_match(const char *section, const char *p)
{
    size_t n = strlen(p);
    if (strncmp(section, p, n) != 0) return 0;
    return (section[n] == '\0' || section[n] == '.') ? n : 0;
}

static const family *family_of(const rule_info *r)
{
    const family *best = &families[0];
    size_t best_len = 0;
    for (size_t f = 0; f < NFAMILIES; f++)
        for (size_t i = 0; families[f].sections[i]; i++) {
            size_t n = prefix_match(r->section, families[f].sections[i]);
            if (n > best_len) {
                best_len = n;
                best = &families[f];
            }
        }
    return best;
}

/* Markdown text: every character CommonMark could read as markup is backslash-escaped. */
static void md(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (strchr("\\`*_[]<>|#", *s)) fputc('\\', out);
        fputc(*s, out);
    }
}

static const char *level_text(const char *level)
{
    switch (level[0]) {
    case 'M': return "MUST";
    case 'm': return "must (lowercase in the specification)";
    case 'S': return "SHOULD";
    case '-': return "definition (a validity condition)";
    case 'D': return "derived structural check";
    }
    return level;
}

static const char *kind_text(const char *kind)
{
    if (strcmp(kind, "S") == 0) return "static: a property of the image bytes";
    if (strcmp(kind, "B") == 0) return "behaviour: what an implementation does";
    if (strcmp(kind, "S/B") == 0) return "static and behaviour";
    return kind;
}

static void rule_entry(FILE *out, const rule_info *r, const family *fam)
{
    char anchor[16];
    int codes[32];
    size_t n = rules_codes(r->id, codes, sizeof codes / sizeof codes[0]);
    if (n > sizeof codes / sizeof codes[0]) n = sizeof codes / sizeof codes[0];

    fprintf(out, "<a id=\"%s\"></a>\n\n### %s\n\n", rules_doc_anchor(r, anchor, sizeof anchor), r->id);
    fputs("**Requires:** ", out);
    md(out, r->requirement);
    fprintf(out, "\n\n**Specification:** [MS-VHDX] section %s; %s; %s.\n\n", r->section,
            level_text(r->level), kind_text(r->kind));
    fprintf(out, "**`vhdx check`:** %s", rules_judge_text(r->judge));
    if (r->note) {
        fputs(" (", out);
        md(out, r->note);
        fputc(')', out);
    }
    if (rules_is_judged(r)) fprintf(out, "; a finding has severity `%s`", rules_default_severity(r));
    fputs(".\n\n", out);
    if (n > 0) {
        fputs("**Status codes:**\n\n", out);
        for (size_t i = 0; i < n; i++) {
            fprintf(out, "- `%s` (%s, %s): ", vhdx_status_name(codes[i]),
                    vhdx_class_name(vhdx_status_class(codes[i])),
                    vhdx_severity_name(vhdx_status_severity(codes[i])));
            md(out, vhdx_status_message(codes[i]));
            fputc('\n', out);
        }
        fputc('\n', out);
    }
    fprintf(out, "**Why it matters** ([%s](#%s)): %s\n\n", fam->title, fam->anchor, fam->why);
    fputs(r->judge == RULE_BEHAVIOUR ? "**What an implementation must do:** " : "**How to fix an image that breaks it:** ", out);
    md(out, r->fix);
    fputs("\n\n", out);
}

static void document(FILE *out)
{
    char anchor[16];
    fputs("<!-- Generated by docs/gen_rules_doc.c from cli/rules.c and lib/include/vhdx_errors.h.\n"
          "     Do not edit: change those files and run `cmake --build build --target rules-doc`. -->\n\n",
          out);
    fputs("# The rules of `vhdx check`\n\n"
          "Every finding of `vhdx check` names a rule. R1-R108 are the numbered requirements of "
          "Microsoft's VHDX specification, [MS-VHDX] v20240423; D1-D15 are structural checks derived "
          "from it (a structure must lie inside the file, the BAT and metadata regions must exist, "
          "...). This page has one entry per rule, found under its id in lowercase "
          "(`docs/rules.md#r11`), with:\n\n"
          "- what the rule requires and where [MS-VHDX] states it, with its level (MUST, SHOULD, ...) "
          "and whether it is a property of an image (static) or of an implementation (behaviour);\n"
          "- how `vhdx check` judges it and the severity of a finding;\n"
          "- the library's status codes that report it (`vhdx_status_name()`), with their class "
          "(`corrupt`, `unsupported`, `deviation`, ...), severity and message;\n"
          "- why it matters, and how to fix an image that breaks it.\n\n"
          "`vhdx check --rules` lists the catalogue and `vhdx check --explain RULE` prints one entry "
          "in the terminal. Report a rule that is explained wrongly at <", out);
    fputs(VHDX_ISSUES_URL, out);
    fputs(">.\n\n[MS-VHDX]: " MS_VHDX_URL "\n\n## Rule families\n\n", out);
    fputs("| family | [MS-VHDX] sections | rules |\n| --- | --- | --- |\n", out);
    for (size_t f = 0; f < NFAMILIES; f++) {
        fprintf(out, "| [%s](#%s) | ", families[f].title, families[f].anchor);
        for (size_t i = 0; families[f].sections[i]; i++)
            fprintf(out, "%s%s", i ? ", " : "", families[f].sections[i]);
        fputs(" |", out);
        int first = 1;
        for (size_t i = 0; i < rules_count(); i++) {
            const rule_info *r = rules_at(i);
            if (family_of(r) != &families[f]) continue;
            fprintf(out, "%s[%s](#%s)", first ? " " : ", ", r->id, rules_doc_anchor(r, anchor, sizeof anchor));
            first = 0;
        }
        fputs(" |\n", out);
    }
    fputc('\n', out);

    for (size_t f = 0; f < NFAMILIES; f++) {
        fprintf(out, "<a id=\"%s\"></a>\n\n## %s\n\n**Why these rules matter.** %s\n\n",
                families[f].anchor, families[f].title, families[f].why);
        for (size_t i = 0; i < rules_count(); i++)
            if (family_of(rules_at(i)) == &families[f]) rule_entry(out, rules_at(i), &families[f]);
    }

    fputs("<a id=\"status-codes\"></a>\n\n## Status codes without a rule\n\n"
          "These codes report resource limits, I/O failures and misuse of the API rather than a "
          "property of the image's format; `vhdx check` reports them as the reason an image could "
          "not be examined.\n\n| status code | class | severity | [MS-VHDX] section | message |\n"
          "| --- | --- | --- | --- | --- |\n", out);
    for (int c = 0; c < (int)VHDX_STATUS_COUNT; c++) {
        if (c == VHDX_OK || vhdx_status_rule(c)[0] != '\0') continue;
        fprintf(out, "| `%s` | %s | %s | %s | ", vhdx_status_name(c),
                vhdx_class_name(vhdx_status_class(c)), vhdx_severity_name(vhdx_status_severity(c)),
                vhdx_status_section(c)[0] ? vhdx_status_section(c) : "-");
        md(out, vhdx_status_message(c));
        fputs(" |\n", out);
    }
}

static int check(const char *path)
{
    char *want = NULL, *have = NULL;
    size_t want_len = 0, have_len = 0;
    FILE *mem = open_memstream(&want, &want_len);
    if (!mem) return 2;
    document(mem);
    if (fclose(mem) != 0) return 2;

    FILE *f = fopen(path, "rb");
    int rc = 1;
    if (!f) {
        fprintf(stderr, "gen_rules_doc: cannot open %s\n", path);
    } else {
        mem = open_memstream(&have, &have_len);
        if (!mem) {
            fclose(f);
            free(want);
            return 2;
        }
        char buf[8192];
        size_t got;
        while ((got = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, got, mem);
        fclose(f);
        if (fclose(mem) != 0) {
            free(want);
            return 2;
        }
        if (have_len == want_len && memcmp(have, want, want_len) == 0) {
            rc = 0;
        } else {
            size_t line = 1, i = 0;
            for (; i < have_len && i < want_len && have[i] == want[i]; i++)
                if (have[i] == '\n') line++;
            fprintf(stderr,
                    "gen_rules_doc: %s is out of date (first difference in line %zu); regenerate it "
                    "with `cmake --build <build dir> --target rules-doc`\n",
                    path, line);
        }
    }
    free(want);
    free(have);
    return rc;
}

/* Every rule id of the status table must have a catalogue entry, or its findings would link
 * to an anchor the document does not have. */
static int table_matches_catalogue(void)
{
    int ok = 1;
    for (int c = 0; c < (int)VHDX_STATUS_COUNT; c++) {
        const char *id = vhdx_status_rule(c);
        if (id[0] != '\0' && !rules_find(id)) {
            fprintf(stderr, "gen_rules_doc: %s names rule %s, which cli/rules.c does not list\n",
                    vhdx_status_name(c), id);
            ok = 0;
        }
    }
    return ok;
}

int main(int argc, char **argv)
{
    if (!table_matches_catalogue()) return 2;
    if (argc == 3 && strcmp(argv[1], "--check") == 0) return check(argv[2]);
    if (argc == 3 && strcmp(argv[1], "-o") == 0) {
        FILE *f = fopen(argv[2], "w");
        if (!f) {
            perror(argv[2]);
            return 2;
        }
        document(f);
        return fclose(f) == 0 ? 0 : 2;
    }
    if (argc != 1) {
        fprintf(stderr, "usage: gen_rules_doc [-o FILE | --check FILE]\n");
        return 2;
    }
    document(stdout);
    return fflush(stdout) == 0 ? 0 : 2;
}
