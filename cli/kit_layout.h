/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kit_layout.h - the VHDX structure offsets the conformance kit writes, and where the kit puts
 * things in its files.
 *
 * Written from [MS-VHDX] directly and kept apart from the library's lib/src/fmt.h on purpose:
 * the kit is a second, independent writer, so a wrong offset in the library's codec cannot be
 * copied into the images that are meant to catch it. Offsets of a field are relative to the
 * start of its structure; sizes are in bytes.
 */
#ifndef VHDX_CLI_KIT_LAYOUT_H
#define VHDX_CLI_KIT_LAYOUT_H

/* ---- [MS-VHDX 2.2] header section: file offsets and sizes ---- */
enum {
    KIT_FILEID_OFF = 0x00000,       /* file type identifier */
    KIT_FILEID_SIZE = 0x10000,
    KIT_HDR1_OFF = 0x10000,         /* header 1 */
    KIT_HDR2_OFF = 0x20000,         /* header 2 */
    KIT_HDR_SIZE = 4096,            /* bytes covered by the header checksum */
    KIT_RT1_OFF = 0x30000,          /* region table copy 1 */
    KIT_RT2_OFF = 0x40000,          /* region table copy 2 */
    KIT_RT_SIZE = 0x10000,          /* bytes covered by the region table checksum */
    KIT_SECTION_SIZE = 0x100000     /* header section; regions are 1 MiB aligned */
};

/* ---- [MS-VHDX 2.2.1] file type identifier ---- */
enum {
    KIT_FILEID_SIGNATURE = 0,       /* "vhdxfile" */
    KIT_FILEID_CREATOR = 8          /* UTF-16LE, 512 bytes */
};

/* ---- [MS-VHDX 2.2.2] header ---- */
enum {
    KIT_HDR_SIGNATURE = 0,          /* "head" */
    KIT_HDR_CHECKSUM = 4,           /* CRC-32C over KIT_HDR_SIZE with this field zero */
    KIT_HDR_SEQUENCE = 8,           /* u64 */
    KIT_HDR_FILE_WRITE_GUID = 16,
    KIT_HDR_DATA_WRITE_GUID = 32,
    KIT_HDR_LOG_GUID = 48,
    KIT_HDR_LOG_VERSION = 64,       /* u16 */
    KIT_HDR_VERSION = 66,           /* u16 */
    KIT_HDR_LOG_LENGTH = 68,        /* u32 */
    KIT_HDR_LOG_OFFSET = 72,        /* u64 */
    KIT_HDR_RESERVED = 80           /* 4016 bytes, zero */
};

/* ---- [MS-VHDX 2.2.3] region table: header, then 32-byte entries ---- */
enum {
    KIT_RT_SIGNATURE = 0,           /* "regi" */
    KIT_RT_CHECKSUM = 4,
    KIT_RT_ENTRY_COUNT = 8,         /* u32 */
    KIT_RT_RESERVED = 12,           /* u32 */
    KIT_RT_ENTRIES = 16,
    KIT_RTE_GUID = 0,
    KIT_RTE_FILE_OFFSET = 16,       /* u64 */
    KIT_RTE_LENGTH = 24,            /* u32 */
    KIT_RTE_REQUIRED = 28,          /* u32, bit 0 */
    KIT_RTE_SIZE = 32
};

/* ---- [MS-VHDX 2.6.1] metadata table: header, then 32-byte entries ---- */
enum {
    KIT_MDT_SIGNATURE = 0,          /* "metadata" */
    KIT_MDT_RESERVED = 8,           /* u16 */
    KIT_MDT_ENTRY_COUNT = 10,       /* u16 */
    KIT_MDT_RESERVED2 = 12,         /* 20 bytes */
    KIT_MDT_ENTRIES = 32,
    KIT_MDE_ITEM_ID = 0,
    KIT_MDE_OFFSET = 16,            /* u32, from the start of the metadata region */
    KIT_MDE_LENGTH = 20,            /* u32 */
    KIT_MDE_FLAGS = 24,             /* u32: IsUser, IsVirtualDisk, IsRequired */
    KIT_MDE_RESERVED2 = 28,         /* u32 */
    KIT_MDE_SIZE = 32,
    KIT_MDT_MAX_ENTRIES = 2047
};
enum { KIT_MDF_IS_USER = 1, KIT_MDF_IS_VIRTUAL_DISK = 2, KIT_MDF_IS_REQUIRED = 4, KIT_MDF_RESERVED = 8 };

/* ---- [MS-VHDX 2.6.2] system metadata item values ---- */
enum {
    KIT_FP_BLOCK_SIZE = 0,          /* File Parameters: u32 */
    KIT_FP_FLAGS = 4,               /* u32 */
    KIT_FP_SIZE = 8
};
enum { KIT_FPF_LEAVE_BLOCK_ALLOCATED = 1, KIT_FPF_HAS_PARENT = 2, KIT_FPF_RESERVED = 4 };

/* ---- [MS-VHDX 2.6.2.6] parent locator: header, then 12-byte key/value entries ---- */
enum {
    KIT_PL_TYPE = 0,                /* LocatorType GUID */
    KIT_PL_RESERVED = 16,           /* u16 */
    KIT_PL_COUNT = 18,              /* u16 KeyValueCount */
    KIT_PL_ENTRIES = 20,
    KIT_PLE_KEY_OFFSET = 0,         /* u32, from the start of the locator */
    KIT_PLE_VALUE_OFFSET = 4,       /* u32 */
    KIT_PLE_KEY_LENGTH = 8,         /* u16 */
    KIT_PLE_VALUE_LENGTH = 10,      /* u16 */
    KIT_PLE_SIZE = 12
};

/* ---- [MS-VHDX 2.3.1] log entry: header, descriptors, data sectors (4 KiB each) ---- */
enum {
    KIT_LOG_SECTOR = 4096,
    KIT_LE_SIGNATURE = 0,           /* "loge" */
    KIT_LE_CHECKSUM = 4,            /* CRC-32C over EntryLength with this field zero */
    KIT_LE_ENTRY_LENGTH = 8,        /* u32 */
    KIT_LE_TAIL = 12,               /* u32 */
    KIT_LE_SEQUENCE = 16,           /* u64 */
    KIT_LE_DESC_COUNT = 24,         /* u32 */
    KIT_LE_RESERVED = 28,           /* u32 */
    KIT_LE_LOG_GUID = 32,
    KIT_LE_FLUSHED_OFFSET = 48,     /* u64 */
    KIT_LE_LAST_OFFSET = 56,        /* u64 */
    KIT_LE_DESCRIPTORS = 64,        /* the header takes the first two descriptor slots */
    KIT_DESC_SIZE = 32,
    KIT_DESC_PER_SECTOR = KIT_LOG_SECTOR / KIT_DESC_SIZE,
    /* [MS-VHDX 2.3.1.2] zero descriptor, [2.3.1.3] data descriptor */
    KIT_DESC_SIGNATURE = 0,         /* "zero" / "desc" */
    KIT_ZD_RESERVED = 4,            /* u32 */
    KIT_ZD_ZERO_LENGTH = 8,         /* u64 */
    KIT_DD_TRAILING = 4,            /* last 4 bytes of the sector */
    KIT_DD_LEADING = 8,             /* first 8 bytes of the sector */
    KIT_DESC_FILE_OFFSET = 16,      /* u64, both kinds */
    KIT_DESC_SEQUENCE = 24,         /* u64, both kinds */
    /* [MS-VHDX 2.3.1.4] data sector */
    KIT_DS_SIGNATURE = 0,           /* "data" */
    KIT_DS_SEQ_HIGH = 4,            /* u32 */
    KIT_DS_DATA = 8,                /* 4084 bytes */
    KIT_DS_SEQ_LOW = 4092,          /* u32 */
    KIT_DS_DATA_SIZE = KIT_DS_SEQ_LOW - KIT_DS_DATA
};

/* ---- [MS-VHDX 2.5] BAT entry: state in bits 0-2, reserved 3-19, FileOffsetMB 20-63 ---- */
enum {
    KIT_BAT_NOT_PRESENT = 0,        /* payload block states [2.5.1.1] */
    KIT_BAT_UNDEFINED = 1,
    KIT_BAT_ZERO = 2,
    KIT_BAT_UNMAPPED = 3,
    KIT_BAT_FULLY_PRESENT = 6,
    KIT_BAT_PARTIALLY_PRESENT = 7,
    KIT_SB_NOT_PRESENT = 0,         /* sector bitmap states [2.5.1.2] */
    KIT_SB_PRESENT = 6,
    KIT_BAT_RESERVED_BIT = 8,       /* bit 3, the lowest reserved bit */
    KIT_BAT_ENTRY_SIZE = 8
};

/* ---- where the kit puts the metadata item values inside its 1 MiB metadata region ---- */
enum {
    KIT_MD_FILE_PARAMS = 0x10000,   /* 8 bytes (the first offset [MS-VHDX 2.6.1.2] allows) */
    KIT_MD_DISK_SIZE = 0x10008,     /* 8 */
    KIT_MD_LSS = 0x10010,           /* 4 */
    KIT_MD_PSS = 0x10014,           /* 4 */
    KIT_MD_DISK_ID = 0x10018,       /* 16 */
    KIT_MD_LOCATOR = 0x10100,       /* parent locator, to the end of the region */
    KIT_MD_EXTRA = 0x20000,         /* a free place for items the mutations add */
    KIT_MD_LOW = 0x8000,            /* an offset below the allowed 64 KiB */
    KIT_MD_SCRATCH = 0x80000        /* unused 4 KiB the test logs' zero descriptors clear */
};

_Static_assert(KIT_HDR_RESERVED == KIT_HDR_LOG_OFFSET + 8, "header layout");
_Static_assert(KIT_RT_ENTRIES == KIT_RT_RESERVED + 4 && KIT_RTE_SIZE == KIT_RTE_REQUIRED + 4, "region table layout");
_Static_assert(KIT_MDT_ENTRIES == KIT_MDT_RESERVED2 + 20 && KIT_MDE_SIZE == KIT_MDE_RESERVED2 + 4, "metadata table layout");
_Static_assert(KIT_PL_ENTRIES == KIT_PL_COUNT + 2 && KIT_PLE_SIZE == KIT_PLE_VALUE_LENGTH + 2, "parent locator layout");
_Static_assert(KIT_LE_DESCRIPTORS == KIT_LE_LAST_OFFSET + 8 && KIT_LE_DESCRIPTORS == 2 * KIT_DESC_SIZE, "log entry layout");
_Static_assert(KIT_DESC_SIZE == KIT_DESC_SEQUENCE + 8 && KIT_DS_SEQ_LOW + 4 == KIT_LOG_SECTOR, "log descriptor layout");
_Static_assert(KIT_MD_FILE_PARAMS + KIT_FP_SIZE == KIT_MD_DISK_SIZE && KIT_MD_DISK_SIZE + 8 == KIT_MD_LSS &&
               KIT_MD_LSS + 4 == KIT_MD_PSS && KIT_MD_PSS + 4 == KIT_MD_DISK_ID &&
               KIT_MD_DISK_ID + 16 <= KIT_MD_LOCATOR, "kit metadata item placement");
_Static_assert(KIT_RT2_OFF + KIT_RT_SIZE <= KIT_SECTION_SIZE, "header section");

#endif
