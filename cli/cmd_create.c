/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_create.c - `vhdx create`: new fixed, dynamic or differencing image. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util.h"

static const char usage[] =
    "usage: vhdx create --type fixed|dynamic|differencing [--parent PARENT] [--block-size N]\n"
    "                   [--logical-sector 512|4096] [--physical-sector 512|4096]\n"
    "                   [--log-size N] IMAGE [SIZE]\n";

static const char help[] =
    "\n"
    "Creates a new VHDX image. SIZE (and N) are byte counts with an optional binary suffix:\n"
    "64M, 10G, 1T, 4096 or 0x100000. SIZE may be omitted for a differencing image (the\n"
    "parent's size is used). The file must not exist; a failed create leaves no file.\n"
    "\n"
    "options:\n"
    "  --type T               fixed (fully allocated), dynamic, or differencing (required)\n"
    "  --parent PARENT        parent image (differencing only; required for differencing)\n"
    "  --block-size N         payload block size, power of two 1M..256M\n"
    "                         (default 32M, differencing 2M)\n"
    "  --logical-sector S     512 or 4096 (default 512; differencing: the parent's)\n"
    "  --physical-sector S    512 or 4096 (default 4096)\n"
    "  --log-size N           log size, multiple of 1M (default 1M)\n"
    "  -h, --help             show this help\n"
    "\n"
    "Exit codes: 0 success, 1 usage or I/O error (including invalid parameters),\n"
    "2 the parent is an invalid image.\n";

/* The value options of create, in the order of their slots in parse_args. */
static const struct option create_longopts[] = {
    { "type", required_argument, NULL, CLI_OPT_FIRST_FREE + 0 },
    { "parent", required_argument, NULL, CLI_OPT_FIRST_FREE + 1 },
    { "block-size", required_argument, NULL, CLI_OPT_FIRST_FREE + 2 },
    { "logical-sector", required_argument, NULL, CLI_OPT_FIRST_FREE + 3 },
    { "physical-sector", required_argument, NULL, CLI_OPT_FIRST_FREE + 4 },
    { "log-size", required_argument, NULL, CLI_OPT_FIRST_FREE + 5 },
    CLI_LONGOPT_HELP,
    { NULL, 0, NULL, 0 }
};
enum { OPT_TYPE, OPT_PARENT, OPT_BLOCK_SIZE, OPT_LSS, OPT_PSS, OPT_LOG_SIZE, OPT_COUNT };

/* Options into v[OPT_*] (each at most once), operands into image and size_s. Returns
 * CLI_EXIT_OK, or -1 for --help, or CLI_EXIT_USAGE after a usage error. */
static int parse_args(int argc, char **argv, const char *v[OPT_COUNT], const char **image,
                      const char **size_s)
{
    cli_opts op = { "create", usage, help, "h", create_longopts, NULL, NULL, 0 };
    int c;
    while ((c = cli_getopt(&op, argc, argv)) != CLI_OPT_END) {
        if (c == CLI_OPT_HELP) return -1;
        if (c == CLI_OPT_ERROR) return CLI_EXIT_USAGE;
        int k = c - CLI_OPT_FIRST_FREE;
        if (k < 0 || k >= OPT_COUNT) continue; /* -h without usage cannot happen */
        if (v[k])
            return cli_usage_error("create", usage, "option --%s given twice",
                                   create_longopts[k].name);
        v[k] = optarg;
    }
    *image = optind < argc ? argv[optind] : NULL;
    *size_s = optind + 1 < argc ? argv[optind + 1] : NULL;
    if (argc - optind > 2)
        return cli_usage_error("create", usage, "unexpected argument '%s'", argv[optind + 2]);
    return CLI_EXIT_OK;
}

/* --type, IMAGE, --parent and SIZE into p. Returns CLI_EXIT_OK or a usage error's code. */
static int shape_params(const char *const v[OPT_COUNT], const char *image, const char *size_s,
                        vhdx_create_params *p)
{
    const char *type_s = v[OPT_TYPE], *parent = v[OPT_PARENT];
    if (!type_s) return cli_usage_error("create", usage, "missing --type");
    if (strcmp(type_s, "fixed") == 0) p->type = VHDX_TYPE_FIXED;
    else if (strcmp(type_s, "dynamic") == 0) p->type = VHDX_TYPE_DYNAMIC;
    else if (strcmp(type_s, "differencing") == 0) p->type = VHDX_TYPE_DIFFERENCING;
    else
        return cli_usage_error("create", usage,
                               "invalid --type '%s' (fixed, dynamic or differencing)", type_s);
    if (!image) return cli_usage_error("create", usage, "missing IMAGE");
    if (!image[0]) return cli_usage_error("create", usage, "empty IMAGE path");
    if (p->type == VHDX_TYPE_DIFFERENCING) {
        if (!parent) return cli_usage_error("create", usage, "differencing needs --parent");
        if (!parent[0]) return cli_usage_error("create", usage, "empty --parent path");
    } else if (parent) {
        return cli_usage_error("create", usage, "--parent is only valid with --type differencing");
    }
    p->parent_path = parent;
    if (!size_s && p->type != VHDX_TYPE_DIFFERENCING)
        return cli_usage_error("create", usage, "missing SIZE");
    if (size_s) {
        if (cli_parse_size(size_s, &p->virtual_size) != 0)
            return cli_usage_error("create", usage, "invalid SIZE '%s'", size_s);
        if (p->virtual_size == 0)
            return cli_usage_error("create", usage, "SIZE must not be 0");
    }
    return CLI_EXIT_OK;
}

/* A 512-or-4096 sector size option. */
static int sector_size(const char *s, uint32_t *out)
{
    return cli_parse_size32(s, out) == 0 && (*out == 512 || *out == 4096) ? 0 : -1;
}

/* --block-size, --logical-sector, --physical-sector and --log-size into p. */
static int layout_params(const char *const v[OPT_COUNT], vhdx_create_params *p)
{
    const char *bs_s = v[OPT_BLOCK_SIZE], *ls_s = v[OPT_LSS], *ps_s = v[OPT_PSS];
    const char *log_s = v[OPT_LOG_SIZE];
    if (bs_s && (cli_parse_size32(bs_s, &p->block_size) != 0 || p->block_size == 0))
        return cli_usage_error("create", usage, "invalid --block-size '%s'", bs_s);
    if (ls_s && sector_size(ls_s, &p->logical_sector_size) != 0)
        return cli_usage_error("create", usage, "invalid --logical-sector '%s' (512 or 4096)",
                               ls_s);
    if (ps_s && sector_size(ps_s, &p->physical_sector_size) != 0)
        return cli_usage_error("create", usage, "invalid --physical-sector '%s' (512 or 4096)",
                               ps_s);
    if (log_s && (cli_parse_size32(log_s, &p->log_size) != 0 || p->log_size == 0))
        return cli_usage_error("create", usage, "invalid --log-size '%s'", log_s);
    return CLI_EXIT_OK;
}

/* D15: a child created over a parent (or ancestor) with a pending log is readable by this
 * library and QEMU (they replay it in memory), but libvhdi and 7-Zip read stale parent data
 * through the whole chain: say so on stderr (the image is created; exit status 0). */
static void warn_parent_log(const char *parent)
{
    vhdx_image *img = NULL;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    if (vhdx_open_file(&img, parent, NULL, &d) != VHDX_OK) return;
    static vhdx_info in; /* large: keep off the stack */
    int dirty = vhdx_get_info(img, &in) == VHDX_OK && in.log_dirty;
    (void)vhdx_close(img);
    if (dirty)
        fprintf(stderr, "vhdx: create: warning: parent %s has a pending log (LogGuid set; D15): "
                        "readers that do not replay it (libvhdi, 7-Zip) read stale parent data "
                        "through the new child; replay it first with 'vhdx replay %s'\n",
                parent, parent);
}

int cmd_create(int argc, char **argv)
{
    const char *v[OPT_COUNT] = { NULL }, *image = NULL, *size_s = NULL;
    int ex = parse_args(argc, argv, v, &image, &size_s);
    if (ex != CLI_EXIT_OK) return ex < 0 ? CLI_EXIT_OK : ex;
    vhdx_create_params p;
    vhdx_create_params_default(&p);
    if ((ex = shape_params(v, image, size_s, &p)) != CLI_EXIT_OK) return ex;
    if ((ex = layout_params(v, &p)) != CLI_EXIT_OK) return ex;

    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = vhdx_create(image, &p, &d);
    if (rc != VHDX_OK) {
        /* Errors about the parent name the parent file; all others the new image. */
        const char *who = image;
        if (p.parent_path && (rc == VHDX_E_PARENT_NOT_FOUND ||
                              vhdx_status_class(rc) == VHDX_CLASS_CORRUPT ||
                              vhdx_status_class(rc) == VHDX_CLASS_UNSUPPORTED))
            who = p.parent_path;
        return cli_fail(who, rc, &d);
    }
    if (p.parent_path) warn_parent_log(p.parent_path);
    return CLI_EXIT_OK;
}
