/* cmd_create.c - `vhdx create`: new fixed, dynamic or differencing image. */
#include <inttypes.h>
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

int cmd_create(int argc, char **argv)
{
    const char *image = NULL, *size_s = NULL, *type_s = NULL, *parent = NULL;
    const char *bs_s = NULL, *ls_s = NULL, *ps_s = NULL, *log_s = NULL;
    int dashdash = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!dashdash && a[0] == '-' && a[1] != '\0') {
            int m;
            if (strcmp(a, "--") == 0) { dashdash = 1; continue; }
            if (cli_is_help(a)) {
                printf("%s%s", usage, help);
                return CLI_EXIT_OK;
            }
            static const char *const names[] = { "--type", "--parent", "--block-size",
                                                 "--logical-sector", "--physical-sector",
                                                 "--log-size" };
            const char **slots[] = { &type_s, &parent, &bs_s, &ls_s, &ps_s, &log_s };
            int matched = 0;
            for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
                if ((m = cli_opt_value(argc, argv, &i, names[k], &v)) == 0) continue;
                if (m < 0)
                    return cli_usage_error("create", usage, "option %s needs a value", names[k]);
                if (*slots[k])
                    return cli_usage_error("create", usage, "option %s given twice", names[k]);
                *slots[k] = v;
                matched = 1;
                break;
            }
            if (matched) continue;
            return cli_usage_error("create", usage, "unknown option '%s'", a);
        }
        if (!image) image = a;
        else if (!size_s) size_s = a;
        else return cli_usage_error("create", usage, "unexpected argument '%s'", a);
    }

    vhdx_create_params p;
    vhdx_create_params_default(&p);
    if (!type_s) return cli_usage_error("create", usage, "missing --type");
    if (strcmp(type_s, "fixed") == 0) p.type = VHDX_TYPE_FIXED;
    else if (strcmp(type_s, "dynamic") == 0) p.type = VHDX_TYPE_DYNAMIC;
    else if (strcmp(type_s, "differencing") == 0) p.type = VHDX_TYPE_DIFFERENCING;
    else
        return cli_usage_error("create", usage,
                               "invalid --type '%s' (fixed, dynamic or differencing)", type_s);
    if (!image) return cli_usage_error("create", usage, "missing IMAGE");
    if (!image[0]) return cli_usage_error("create", usage, "empty IMAGE path");
    if (p.type == VHDX_TYPE_DIFFERENCING) {
        if (!parent) return cli_usage_error("create", usage, "differencing needs --parent");
        if (!parent[0]) return cli_usage_error("create", usage, "empty --parent path");
    } else if (parent) {
        return cli_usage_error("create", usage, "--parent is only valid with --type differencing");
    }
    if (!size_s && p.type != VHDX_TYPE_DIFFERENCING)
        return cli_usage_error("create", usage, "missing SIZE");
    if (size_s) {
        if (cli_parse_size(size_s, &p.virtual_size) != 0)
            return cli_usage_error("create", usage, "invalid SIZE '%s'", size_s);
        if (p.virtual_size == 0)
            return cli_usage_error("create", usage, "SIZE must not be 0");
    }
    if (bs_s) {
        if (cli_parse_size32(bs_s, &p.block_size) != 0 || p.block_size == 0)
            return cli_usage_error("create", usage, "invalid --block-size '%s'", bs_s);
    }
    if (ls_s) {
        if (cli_parse_size32(ls_s, &p.logical_sector_size) != 0 ||
            (p.logical_sector_size != 512 && p.logical_sector_size != 4096))
            return cli_usage_error("create", usage, "invalid --logical-sector '%s' (512 or 4096)",
                                   ls_s);
    }
    if (ps_s) {
        if (cli_parse_size32(ps_s, &p.physical_sector_size) != 0 ||
            (p.physical_sector_size != 512 && p.physical_sector_size != 4096))
            return cli_usage_error("create", usage,
                                   "invalid --physical-sector '%s' (512 or 4096)", ps_s);
    }
    if (log_s) {
        if (cli_parse_size32(log_s, &p.log_size) != 0 || p.log_size == 0)
            return cli_usage_error("create", usage, "invalid --log-size '%s'", log_s);
    }
    p.parent_path = parent;

    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = vhdx_create(image, &p, &d);
    if (rc != VHDX_OK) {
        /* Errors about the parent name the parent file; all others the new image. */
        const char *who = image;
        if (parent && (rc == VHDX_E_PARENT_NOT_FOUND || vhdx_status_class(rc) == VHDX_CLASS_CORRUPT ||
                       vhdx_status_class(rc) == VHDX_CLASS_UNSUPPORTED))
            who = parent;
        return cli_fail(who, rc, &d);
    }
    return CLI_EXIT_OK;
}
