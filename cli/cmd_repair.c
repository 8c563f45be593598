/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_repair.c - `vhdx repair`: plan the structural repair of an image, then apply it. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "util.h"

static const char usage[] =
    "usage: vhdx repair [--dry-run] [--format text|json] [--allow-data-loss]\n"
    "                   [--fix-deviations] [--parent PATH] IMAGE\n";

static const char help[] =
    "\n"
    "Repairs what 'vhdx check' finds, where the repair is unambiguous. First a plan: every\n"
    "action with the rule it fixes, the file bytes it rewrites and what happens to guest\n"
    "data. Then, unless --dry-run, the plan is applied: headers through the header update,\n"
    "region tables, metadata table and BAT through the log, so a crash during the repair\n"
    "leaves an image that a second 'vhdx repair' finishes.\n"
    "\n"
    "actions:\n"
    "  header            an invalid header rewritten from the valid one (sequence + 1, new\n"
    "                    FileWriteGuid)\n"
    "  region_table      an invalid region table copy rewritten from the valid one\n"
    "  log_replay        a dirty log replayed\n"
    "  metadata_entry    a duplicate, misplaced or oversized entry of an item that is not\n"
    "                    required dropped (a damaged required item refuses the repair)\n"
    "  bat_entry         a block outside the file, over a structure or another block, or\n"
    "                    with reserved or invalid state bits becomes NOT_PRESENT: its data\n"
    "                    is lost (needs --allow-data-loss)\n"
    "  file_extend       a file cut inside its last block extended to a 1 MiB multiple\n"
    "  region_required   deviation: Required = 0 on the BAT or metadata region entry\n"
    "  bat_offset        deviation: FileOffsetMB set on a block without data\n"
    "  parent_path       deviation: a plain C:\\ absolute_win32_path gets the \\\\?\\ prefix\n"
    "  file_extend is a deviation too when no block lies past the end of the file\n"
    "\n"
    "Both region table copies lost: the table is rebuilt when the metadata region (its\n"
    "signature at a 1 MiB boundary) and the BAT (the one place whose entries are plausible\n"
    "for the size the metadata gives) are found unambiguously; else refused, with the\n"
    "candidates. Never changed: DataWriteGuid and the Virtual Disk ID (children and the\n"
    "disk's identity depend on them; a GUID that is not version 4 breaks no rule).\n"
    "A differencing image is checked against its parent only with --parent; without it\n"
    "the plan says that parent_linkage (R105) and the sector size (R96) were not checked.\n"
    "\n"
    "options:\n"
    "  -n, --dry-run          print the plan only; the file is never written\n"
    "  -f, --format F         text (default) or json\n"
    "      --allow-data-loss  apply actions that make blocks NOT_PRESENT\n"
    "      --fix-deviations   also fix tolerated deviations\n"
    "      --parent PATH      parent of a differencing IMAGE (opened read-only; its\n"
    "                         linkage and sector size are checked)\n"
    "  -h, --help             show this help\n"
    "\n"
    "Exit codes: 0 repaired or nothing to do, 1 usage or I/O error, 2 damage left that\n"
    "could not be repaired (listed; nothing was written).\n";

typedef struct repair_args {
    int dry_run, json;
    unsigned flags;
    const char *image;
    const char *parent;
} repair_args;

static int parse_args(int argc, char **argv, repair_args *a)
{
    enum { OPT_DATA_LOSS = CLI_OPT_FIRST_FREE, OPT_DEVIATIONS };
    static const struct option longopts[] = {
        { "dry-run", no_argument, NULL, 'n' },
        { "format", required_argument, NULL, 'f' },
        { "allow-data-loss", no_argument, NULL, OPT_DATA_LOSS },
        { "fix-deviations", no_argument, NULL, OPT_DEVIATIONS },
        { "parent", required_argument, NULL, CLI_OPT_PARENT },
        CLI_LONGOPT_HELP, { NULL, 0, NULL, 0 }
    };
    int ignore_linkage = 0; /* not an option of repair: the linkage is what it checks */
    memset(a, 0, sizeof *a);
    cli_opts op = { "repair", usage, help, "nf:h", longopts, &a->parent, &ignore_linkage, 0 };
    int c;
    while ((c = cli_getopt(&op, argc, argv)) != CLI_OPT_END) {
        switch (c) {
        case CLI_OPT_HELP: return -1;
        case CLI_OPT_ERROR: return CLI_EXIT_USAGE;
        case 'n': a->dry_run = 1; break;
        case 'f':
            if (strcmp(optarg, "json") == 0) a->json = 1;
            else if (strcmp(optarg, "text") != 0)
                return cli_usage_error("repair", usage, "unknown format '%s' (text or json)", optarg);
            break;
        case OPT_DATA_LOSS: a->flags |= VHDX_REPAIR_ALLOW_DATA_LOSS; break;
        case OPT_DEVIATIONS: a->flags |= VHDX_REPAIR_FIX_DEVIATIONS; break;
        default: break;
        }
    }
    if (optind >= argc) return cli_usage_error("repair", usage, "missing IMAGE");
    if (argc - optind > 1)
        return cli_usage_error("repair", usage, "unexpected argument '%s'", argv[optind + 1]);
    a->image = argv[optind];
    return CLI_EXIT_OK;
}

/* "done", "planned", "skipped" (deviation without --fix-deviations or data loss without
 * --allow-data-loss) or "refused" (damage left). */
static const char *action_status(const vhdx_repair_plan *p, const vhdx_repair_action *a,
                                 const repair_args *ra)
{
    if (a->applied) return "done";
    if (a->deviation && !(ra->flags & VHDX_REPAIR_FIX_DEVIATIONS)) return "skipped";
    if (p->left_count) return "refused";
    if (a->lost_length && !(ra->flags & VHDX_REPAIR_ALLOW_DATA_LOSS)) return "skipped";
    return "planned";
}

#define NO_PARENT_NOTE \
    "not checked without --parent: parent_linkage (R105), the parent's sector size (R96)"

/* "repaired", "nothing", "planned" (dry run), "refused" */
static const char *outcome(const vhdx_repair_plan *p, const repair_args *a)
{
    if (p->refused) return "refused";
    if (p->applied) return "repaired";
    for (size_t i = 0; i < p->count; i++)
        if (!p->actions[i].deviation || (a->flags & VHDX_REPAIR_FIX_DEVIATIONS))
            return a->dry_run ? "planned" : "repaired";
    return "nothing";
}

static void print_text(const vhdx_repair_plan *p, const repair_args *a)
{
    printf("%s: %s\n", a->image, outcome(p, a));
    for (size_t i = 0; i < p->count; i++) {
        const vhdx_repair_action *x = &p->actions[i];
        const char *rule = vhdx_status_rule(x->code);
        printf("  %-8s %-15s %-4s write 0x%" PRIx64 "+0x%" PRIx64 ": %s", action_status(p, x, a),
               vhdx_repair_kind_name((int)x->kind), rule[0] ? rule : "-", x->write_offset,
               x->write_length, x->detail);
        if (x->lost_length)
            printf("; data lost: virtual 0x%" PRIx64 "+0x%" PRIx64, x->lost_offset, x->lost_length);
        printf("\n");
    }
    for (size_t i = 0; i < p->left_count; i++) {
        const vhdx_finding *f = &p->left[i];
        const char *rule = vhdx_status_rule(f->code);
        printf("  %-8s %-15s %-4s at 0x%" PRIx64 ": %s%s%s\n", "left", vhdx_status_name(f->code),
               rule[0] ? rule : "-", f->offset == UINT64_MAX ? 0 : f->offset,
               vhdx_status_message(f->code), f->detail[0] ? ": " : "", f->detail);
    }
    if (p->data_loss && !(a->flags & VHDX_REPAIR_ALLOW_DATA_LOSS) && !p->left_count)
        printf("  data would be lost: rerun with --allow-data-loss to apply\n");
    if (p->differencing && !p->parent_checked)
        printf("  %s\n", NO_PARENT_NOTE);
}

#define REPAIR_SCHEMA_ID "https://github.com/vhdx/vhdx/reports/schema/repair.schema.json"

/* One action or finding per line, like check's JSON. */
static const json_style lines = { "\n  ", ",\n  ", "\n", NULL };
static const json_style items = { "\n    ", ",\n    ", "\n  ", NULL };

static void print_json(const vhdx_repair_plan *p, const repair_args *a)
{
    json_w w;
    json_init(&w, stdout);
    json_obj(&w, &lines);
    json_kstr(&w, "schema", REPAIR_SCHEMA_ID);
    json_tool(&w);
    json_kstr(&w, "image", a->image);
    json_kstr(&w, "outcome", outcome(p, a));
    json_kbool(&w, "dry_run", a->dry_run);
    json_kbool(&w, "data_loss", p->data_loss);
    json_ku64(&w, "file_size", p->file_size);
    json_key(&w, "log");
    json_obj(&w, NULL);
    json_ku64(&w, "offset", p->log_offset);
    json_ku64(&w, "length", p->log_length);
    json_end(&w);
    if (p->differencing) {
        json_key(&w, "parent");
        json_obj(&w, NULL);
        json_kbool(&w, "checked", p->parent_checked);
        if (!p->parent_checked) json_kstr(&w, "not_checked", NO_PARENT_NOTE);
        json_end(&w);
    }
    json_key(&w, "actions");
    json_arr(&w, &items);
    for (size_t i = 0; i < p->count; i++) {
        const vhdx_repair_action *x = &p->actions[i];
        json_obj(&w, NULL);
        json_kstr(&w, "kind", vhdx_repair_kind_name((int)x->kind));
        json_kstr(&w, "status", action_status(p, x, a));
        json_kstr(&w, "code", vhdx_status_name(x->code));
        json_kstr(&w, "rule", vhdx_status_rule(x->code));
        json_ku64(&w, "index", x->index);
        json_kbool(&w, "deviation", x->deviation);
        json_ku64(&w, "write_offset", x->write_offset);
        json_ku64(&w, "write_length", x->write_length);
        json_ku64(&w, "lost_offset", x->lost_offset);
        json_ku64(&w, "lost_length", x->lost_length);
        json_kstr(&w, "detail", x->detail);
        json_end(&w);
    }
    json_end(&w);
    json_key(&w, "left");
    json_arr(&w, &items);
    for (size_t i = 0; i < p->left_count; i++) {
        const vhdx_finding *f = &p->left[i];
        json_obj(&w, NULL);
        json_kstr(&w, "code", vhdx_status_name(f->code));
        json_kstr(&w, "rule", vhdx_status_rule(f->code));
        if (f->offset == UINT64_MAX) {
            json_key(&w, "offset");
            json_null(&w);
        } else {
            json_ku64(&w, "offset", f->offset);
        }
        json_kstr(&w, "message", vhdx_status_message(f->code));
        json_kstr(&w, "detail", f->detail);
        json_end(&w);
    }
    json_end(&w);
    json_end(&w);
    printf("\n");
}

static int run(const repair_args *a, vhdx_repair_plan **p, vhdx_diag *d)
{
    vhdx_io io;
    vhdx_repair_opts o;
    vhdx_repair_opts_default(&o);
    o.flags = a->flags;
    o.parent_path = a->parent;
    int rc = vhdx_io_file_open(&io, a->image, a->dry_run ? VHDX_IO_READ : VHDX_IO_RDWR);
    if (rc != VHDX_OK) return rc;
    rc = a->dry_run ? vhdx_repair_plan_create(&io, &o, p, d) : vhdx_repair_apply(&io, &o, p, d);
    vhdx_io_destroy(&io);
    return rc;
}

int cmd_repair(int argc, char **argv)
{
    repair_args a;
    int ex = parse_args(argc, argv, &a);
    if (ex < 0) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    vhdx_repair_plan *p = NULL;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = run(&a, &p, &d);
    if (rc != VHDX_OK) {
        vhdx_repair_plan_free(p);
        (void)cli_fail(a.image, rc, &d);
        return CLI_EXIT_USAGE;
    }
    if (a.json) print_json(p, &a);
    else print_text(p, &a);
    int refused = p->refused;
    vhdx_repair_plan_free(p);
    if (fflush(stdout) != 0) return CLI_EXIT_USAGE;
    return refused ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
