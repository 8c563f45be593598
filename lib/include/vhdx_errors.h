/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vhdx_errors.h - the single table of every status code of libvhdx.
 *
 * X(NAME, CLASS, SEVERITY, RULE, SECTION, MESSAGE)
 *   NAME      enum constant (VHDX_E_* for failures and rule violations, VHDX_W_* for
 *             tolerated deviations, VHDX_I_* for information)
 *   CLASS     NONE, DEVIATION (tolerated on open), CORRUPT, UNSUPPORTED, LIMIT, IO,
 *             NOMEM, MISUSE, INTERNAL
 *   SEVERITY  severity in a `vhdx check` report: ERROR, WARNING, INFO
 *   RULE      rule id of ../shared/spec/VHDX-FORMAT.md section 9 ("R11"), a derived
 *             structural check ("D<n>"), or "" when no rule applies
 *   SECTION   MS-VHDX section ("2.2.2"), or ""
 *
 * Numbers are append-only once released: add new entries at the END of the list only.
 */
#ifndef VHDX_ERRORS_H
#define VHDX_ERRORS_H

#define VHDX_ERROR_TABLE(X) \
X(VHDX_OK,                        NONE,        INFO,    "",     "",         "success") \
X(VHDX_E_MISUSE,                  MISUSE,      ERROR,   "",     "",         "invalid argument") \
X(VHDX_E_NOMEM,                   NOMEM,       ERROR,   "",     "",         "out of memory") \
X(VHDX_E_IO,                      IO,          ERROR,   "",     "",         "I/O error") \
X(VHDX_E_IO_EOF,                  IO,          ERROR,   "D1",   "2.1",      "structure extends past the end of the file") \
X(VHDX_E_INTERNAL,                INTERNAL,    ERROR,   "",     "",         "internal error (a bug in libvhdx)") \
X(VHDX_E_READONLY,                MISUSE,      ERROR,   "",     "",         "image is open read-only") \
X(VHDX_E_RANGE,                   MISUSE,      ERROR,   "",     "",         "offset or length outside the virtual disk") \
X(VHDX_E_LIMIT_BAT,               LIMIT,       ERROR,   "",     "2.5",      "BAT larger than the configured limit") \
X(VHDX_E_LIMIT_METADATA,          LIMIT,       ERROR,   "",     "2.6",      "metadata larger than the configured limit") \
X(VHDX_E_LIMIT_LOG,               LIMIT,       ERROR,   "",     "2.3",      "log larger than the configured limit") \
X(VHDX_E_LIMIT_CHAIN,             LIMIT,       ERROR,   "",     "2.6.2.6",  "differencing chain deeper than the configured limit") \
X(VHDX_E_LIMIT_MEMORY,            LIMIT,       ERROR,   "",     "",         "operation needs more memory than the configured limit") \
X(VHDX_E_UNSUPPORTED,             UNSUPPORTED, ERROR,   "",     "",         "operation not supported") \
X(VHDX_E_TOO_SMALL,               CORRUPT,     ERROR,   "D2",   "2.1",      "file shorter than the 1 MiB header section") \
X(VHDX_E_FILEID_SIGNATURE,        CORRUPT,     ERROR,   "R4",   "2.2.1",    "file type identifier signature is not \"vhdxfile\"") \
X(VHDX_E_HEADER_SIGNATURE,        CORRUPT,     ERROR,   "R9",   "2.2.2",    "header signature is not \"head\"") \
X(VHDX_E_HEADER_CHECKSUM,         CORRUPT,     ERROR,   "R10",  "2.2.2",    "header CRC-32C does not match") \
X(VHDX_E_NO_VALID_HEADER,         CORRUPT,     ERROR,   "R11",  "2.2.2",    "neither header is valid") \
X(VHDX_E_HEADER_SEQ_EQUAL,        CORRUPT,     ERROR,   "R11",  "2.2.2",    "both headers valid with equal sequence numbers and different contents: no current header") \
X(VHDX_W_HEADERS_IDENTICAL,       DEVIATION,   WARNING, "R11",  "2.2.2",    "both headers identical with equal sequence numbers (Disk2vhd quirk); header 1 used") \
X(VHDX_W_HEADER_INVALID_COPY,     DEVIATION,   WARNING, "R10",  "2.2.2",    "one header copy is invalid; the other is current") \
X(VHDX_E_HEADER_LOG_VERSION,      UNSUPPORTED, ERROR,   "R15",  "2.2.2",    "LogVersion is not 0") \
X(VHDX_W_HEADER_LOG_VERSION,      DEVIATION,   ERROR,   "R15",  "2.2.2",    "LogVersion is not 0 (tolerated: LogGuid is zero)") \
X(VHDX_E_HEADER_VERSION,          UNSUPPORTED, ERROR,   "R16",  "2.2.2",    "header Version is not 1") \
X(VHDX_E_HEADER_LOG_LENGTH,       CORRUPT,     ERROR,   "R17",  "2.2.2",    "LogLength is not a multiple of 1 MiB") \
X(VHDX_E_HEADER_LOG_OFFSET,       CORRUPT,     ERROR,   "R18",  "2.2.2",    "LogOffset is not a multiple of 1 MiB or lies in the header section") \
X(VHDX_E_LOG_OVERLAP,             CORRUPT,     ERROR,   "R18",  "2.2.2",    "log overlaps another structure") \
X(VHDX_E_LOG_OUTSIDE_FILE,        CORRUPT,     ERROR,   "D3",   "2.2.2",    "log extends past the end of the file") \
X(VHDX_W_HEADER_RESERVED,         DEVIATION,   ERROR,   "R19",  "2.2.2",    "header reserved bytes are not zero") \
X(VHDX_E_HEADER_SEQ_MAX,          UNSUPPORTED, ERROR,   "",     "2.2.2.1",  "header sequence number is 2^64-1: cannot update") \
X(VHDX_W_HEADER_FIELDS_DIFFER,    DEVIATION,   INFO,    "",     "2.2.2.1",  "the two headers disagree in fields other than the sequence number") \
X(VHDX_E_LOG_GUID_NO_LOG,         CORRUPT,     ERROR,   "R14",  "2.2.2",    "LogGuid is non-zero but LogLength is 0") \
X(VHDX_E_RT_SIGNATURE,            CORRUPT,     ERROR,   "R24",  "2.2.3.1",  "region table signature is not \"regi\"") \
X(VHDX_E_RT_CHECKSUM,             CORRUPT,     ERROR,   "R25",  "2.2.3.1",  "region table CRC-32C does not match") \
X(VHDX_E_RT_ENTRY_COUNT,          CORRUPT,     ERROR,   "R26",  "2.2.3.1",  "region table EntryCount exceeds 2047") \
X(VHDX_W_RT_RESERVED,             DEVIATION,   ERROR,   "R27",  "2.2.3.1",  "region table header Reserved is not zero") \
X(VHDX_E_RT_DUPLICATE,            CORRUPT,     ERROR,   "R28",  "2.2.3.2",  "region GUID appears more than once") \
X(VHDX_E_RT_OFFSET,               CORRUPT,     ERROR,   "R29",  "2.2.3.2",  "region FileOffset not a multiple of 1 MiB or below 1 MiB") \
X(VHDX_E_RT_LENGTH,               CORRUPT,     ERROR,   "R30",  "2.2.3.2",  "region Length not a multiple of 1 MiB or zero") \
X(VHDX_E_RT_UNKNOWN_REQUIRED,     UNSUPPORTED, ERROR,   "R31",  "2.2.3.2",  "unknown region marked required") \
X(VHDX_E_RT_OVERLAP,              CORRUPT,     ERROR,   "R32",  "2.2.3.2",  "region overlaps another structure") \
X(VHDX_E_RT_MISSING_BAT,          CORRUPT,     ERROR,   "D4",   "2.2.3.2",  "region table has no BAT region") \
X(VHDX_E_RT_MISSING_METADATA,     CORRUPT,     ERROR,   "D5",   "2.2.3.2",  "region table has no metadata region") \
X(VHDX_E_RT_OUTSIDE_FILE,         CORRUPT,     ERROR,   "D6",   "2.2.3.2",  "region extends past the end of the file") \
X(VHDX_W_RT_COPIES_DIFFER,        DEVIATION,   WARNING, "R23",  "2.2.3",    "the two region table copies differ") \
X(VHDX_W_RT_INVALID_COPY,         DEVIATION,   WARNING, "R23",  "2.2.3",    "one region table copy is invalid; the other is used") \
X(VHDX_W_RT_NOT_REQUIRED,         DEVIATION,   WARNING, "D7",   "2.2.3.2",  "BAT or metadata region entry has Required = 0 (VirtualBox refuses such images)") \
X(VHDX_W_RT_REQUIRED_BITS,        DEVIATION,   WARNING, "D8",   "2.2.3.2",  "region entry Required field has bits other than bit 0 set") \
X(VHDX_E_MD_SIGNATURE,            CORRUPT,     ERROR,   "R79",  "2.6.1.1",  "metadata table signature is not \"metadata\"") \
X(VHDX_W_MD_RESERVED,             DEVIATION,   ERROR,   "R80",  "2.6.1.1",  "metadata table header Reserved is not zero") \
X(VHDX_E_MD_ENTRY_COUNT,          CORRUPT,     ERROR,   "R81",  "2.6.1.1",  "metadata table EntryCount exceeds 2047") \
X(VHDX_W_MD_RESERVED2,            DEVIATION,   ERROR,   "R82",  "2.6.1.1",  "metadata table header Reserved2 is not zero") \
X(VHDX_E_MD_DUPLICATE,            CORRUPT,     ERROR,   "R83",  "2.6.1.2",  "metadata item (ItemId, IsUser) appears more than once") \
X(VHDX_E_MD_OFFSET,               CORRUPT,     ERROR,   "R84",  "2.6.1.2",  "metadata item Offset below 64 KiB") \
X(VHDX_E_MD_OUTSIDE_REGION,       CORRUPT,     ERROR,   "R85",  "2.6.1.2",  "metadata item lies outside the metadata region") \
X(VHDX_E_MD_OVERLAP,              CORRUPT,     ERROR,   "R85",  "2.6.1.2",  "metadata items overlap") \
X(VHDX_E_MD_LENGTH,               CORRUPT,     ERROR,   "R86",  "2.6.1.2",  "metadata item Length exceeds 1 MiB") \
X(VHDX_E_MD_ZERO_LENGTH_OFFSET,   CORRUPT,     ERROR,   "R87",  "2.6.1.2",  "metadata item has Length 0 but Offset is not 0") \
X(VHDX_E_MD_TOO_MANY_USER,        CORRUPT,     ERROR,   "R88",  "2.6.1.2",  "more than 1024 user metadata items") \
X(VHDX_E_MD_UNKNOWN_REQUIRED,     UNSUPPORTED, ERROR,   "R90",  "2.6.1.2",  "unknown metadata item marked required") \
X(VHDX_W_MD_FLAGS_RESERVED,       DEVIATION,   ERROR,   "R91",  "2.6.1.2",  "metadata entry reserved flag bits or Reserved2 not zero") \
X(VHDX_E_MD_MISSING_ITEM,         CORRUPT,     ERROR,   "D9",   "2.6.2",    "a required system metadata item is missing") \
X(VHDX_E_MD_ITEM_SIZE,            CORRUPT,     ERROR,   "D10",  "2.6.2",    "known metadata item shorter than its value") \
X(VHDX_W_MD_ITEM_FLAGS,           DEVIATION,   WARNING, "D11",  "2.6.2",    "known metadata item flags differ from the specification's table") \
X(VHDX_E_BLOCK_SIZE,              CORRUPT,     ERROR,   "R92",  "2.6.2.1",  "BlockSize not a power of two between 1 MiB and 256 MiB") \
X(VHDX_W_FILE_PARAMS_RESERVED,    DEVIATION,   ERROR,   "R94",  "2.6.2.1",  "file parameters reserved flag bits not zero") \
X(VHDX_E_DISK_SIZE,               CORRUPT,     ERROR,   "R95",  "2.6.2.2",  "VirtualDiskSize zero, not a multiple of the logical sector size, or above 64 TiB") \
X(VHDX_E_LOGICAL_SECTOR,          CORRUPT,     ERROR,   "R96",  "2.6.2.4",  "LogicalSectorSize is not 512 or 4096") \
X(VHDX_E_PHYSICAL_SECTOR,         CORRUPT,     ERROR,   "R97",  "2.6.2.5",  "PhysicalSectorSize is not 512 or 4096") \
X(VHDX_E_NO_PARENT_LOCATOR,       CORRUPT,     ERROR,   "R98",  "2.6.2.6",  "HasParent is set but there is no parent locator") \
X(VHDX_E_PL_TYPE,                 UNSUPPORTED, ERROR,   "R99",  "2.6.2.6.1","parent locator type is not understood") \
X(VHDX_W_PL_RESERVED,             DEVIATION,   ERROR,   "R100", "2.6.2.6.1","parent locator Reserved not zero") \
X(VHDX_E_PL_ENTRY,                CORRUPT,     ERROR,   "R101", "2.6.2.6.2","parent locator key/value offset or length is zero or out of bounds") \
X(VHDX_E_PL_STRING,               CORRUPT,     ERROR,   "R102", "2.6.2.6.2","parent locator string not UTF-16LE, contains NUL, or key duplicated") \
X(VHDX_E_PL_NO_LINKAGE,           CORRUPT,     ERROR,   "R103", "2.6.2.6.3","parent locator has no parent_linkage") \
X(VHDX_E_PL_LINKAGE_MISMATCH,     CORRUPT,     ERROR,   "R105", "2.6.2.6.3","parent DataWriteGuid matches neither parent_linkage nor parent_linkage2") \
X(VHDX_E_PL_NO_PATH,              CORRUPT,     ERROR,   "R106", "2.6.2.6.3","parent locator has none of relative_path, volume_path, absolute_win32_path") \
X(VHDX_E_PL_VOLUME_PATH,          CORRUPT,     ERROR,   "R107", "2.6.2.6.3","volume_path is not of the \\\\?\\Volume{GUID}\\ form") \
X(VHDX_E_PL_ABSOLUTE_PATH,        CORRUPT,     ERROR,   "R108", "2.6.2.6.3","absolute_win32_path does not start with \\\\?\\") \
X(VHDX_E_PL_LINKAGE_FORMAT,       CORRUPT,     ERROR,   "R103", "2.6.2.6.3","parent_linkage is not a GUID in text form") \
X(VHDX_E_PARENT_NOT_FOUND,        IO,          ERROR,   "",     "2.6.2.6.3","parent image not found") \
X(VHDX_E_PARENT_SECTOR_SIZE,      CORRUPT,     ERROR,   "R96",  "2.6.2.4",  "parent logical sector size differs from the child's") \
X(VHDX_E_PARENT_CYCLE,            CORRUPT,     ERROR,   "",     "2.6.2.6",  "differencing chain contains a cycle") \
X(VHDX_E_BAT_TOO_SMALL,           CORRUPT,     ERROR,   "R66",  "2.5",      "BAT region too small for the required number of entries") \
X(VHDX_E_BAT_RESERVED,            CORRUPT,     ERROR,   "R69",  "2.5.1",    "BAT entry reserved bits 3-19 not zero") \
X(VHDX_E_BAT_OVERLAP,             CORRUPT,     ERROR,   "R70",  "2.5.1",    "block lies in the header section or overlaps another structure") \
X(VHDX_E_BAT_OUTSIDE_FILE,        CORRUPT,     ERROR,   "D12",  "2.5.1",    "block extends past the end of the file") \
X(VHDX_E_BAT_DUPLICATE,           CORRUPT,     ERROR,   "R71",  "2.5.1",    "FileOffsetMB used by more than one BAT entry") \
X(VHDX_E_BAT_STATE,               CORRUPT,     ERROR,   "R72",  "2.5.1.1",  "payload block state is reserved (4 or 5)") \
X(VHDX_E_BAT_PARTIAL_NO_PARENT,   CORRUPT,     ERROR,   "R72",  "2.5.1.1",  "PARTIALLY_PRESENT block in a file without a parent") \
X(VHDX_E_BAT_PARTIAL_NO_SB,       CORRUPT,     ERROR,   "R76",  "2.5.1.1",  "PARTIALLY_PRESENT block whose chunk has no sector bitmap block") \
X(VHDX_E_BAT_SB_PRESENT,          CORRUPT,     ERROR,   "R77",  "2.5.1.2",  "sector bitmap block present in a file without a parent") \
X(VHDX_E_BAT_SB_STATE,            CORRUPT,     ERROR,   "R78",  "2.5.1.2",  "sector bitmap entry state is not 0 or 6") \
X(VHDX_E_BAT_PRESENT_ZERO_OFFSET, CORRUPT,     ERROR,   "R70",  "2.5.1",    "present block with FileOffsetMB 0") \
X(VHDX_W_BAT_OFFSET_NOT_ZERO,     DEVIATION,   WARNING, "D13",  "2.5.1.1",  "FileOffsetMB non-zero for a NOT_PRESENT or ZERO block (Hyper-V rejects such images)") \
X(VHDX_E_LOG_REPLAY_REQUIRED,     UNSUPPORTED, ERROR,   "R59",  "2.3.3",    "log replay required (LogGuid is non-zero)") \
X(VHDX_I_LOG_DIRTY,               DEVIATION,   INFO,    "R58",  "2.3.3",    "log is dirty: replay pending") \
X(VHDX_E_LOG_NO_SEQUENCE,         CORRUPT,     ERROR,   "R61",  "2.3.3",    "LogGuid is non-zero but no valid log sequence exists") \
X(VHDX_E_LOG_TRUNCATED,           CORRUPT,     ERROR,   "R62",  "2.3.3",    "file shorter than the active sequence's FlushedFileOffset") \
X(VHDX_E_LOG_ENTRY_SIGNATURE,     CORRUPT,     ERROR,   "R36",  "2.3.1.1",  "log entry signature is not \"loge\"") \
X(VHDX_E_LOG_ENTRY_CHECKSUM,      CORRUPT,     ERROR,   "R37",  "2.3.1.1",  "log entry CRC-32C does not match") \
X(VHDX_E_LOG_ENTRY_LENGTH,        CORRUPT,     ERROR,   "R38",  "2.3.1.1",  "log EntryLength zero, not a multiple of 4 KiB, or larger than the log") \
X(VHDX_E_LOG_ENTRY_TAIL,          CORRUPT,     ERROR,   "R39",  "2.3.1.1",  "log entry Tail not a multiple of 4 KiB or outside the log") \
X(VHDX_E_LOG_ENTRY_SEQ_ZERO,      CORRUPT,     ERROR,   "R40",  "2.3.1.1",  "log entry SequenceNumber is 0") \
X(VHDX_E_LOG_ENTRY_RESERVED,      CORRUPT,     ERROR,   "R41",  "2.3.1.1",  "log entry Reserved not zero") \
X(VHDX_E_LOG_ENTRY_GUID,          CORRUPT,     ERROR,   "R42",  "2.3.1.1",  "log entry LogGuid differs from the header's") \
X(VHDX_E_LOG_FLUSHED_OFFSET,      CORRUPT,     ERROR,   "R43",  "2.3.1.1",  "FlushedFileOffset not a multiple of 1 MiB") \
X(VHDX_E_LOG_LAST_OFFSET,         CORRUPT,     ERROR,   "R44",  "2.3.1.1",  "LastFileOffset not a multiple of 1 MiB") \
X(VHDX_E_LOG_DESC_COUNT,          CORRUPT,     ERROR,   "R35",  "2.3.1",    "number of data sectors does not match the data descriptors") \
X(VHDX_E_LOG_ZERO_SIGNATURE,      CORRUPT,     ERROR,   "R45",  "2.3.1.2",  "descriptor signature is neither \"zero\" nor \"desc\"") \
X(VHDX_E_LOG_ZERO_RESERVED,       CORRUPT,     ERROR,   "R46",  "2.3.1.2",  "zero descriptor Reserved not zero") \
X(VHDX_E_LOG_ZERO_LENGTH,         CORRUPT,     ERROR,   "R47",  "2.3.1.2",  "ZeroLength not a multiple of 4 KiB") \
X(VHDX_E_LOG_ZERO_OFFSET,         CORRUPT,     ERROR,   "R48",  "2.3.1.2",  "zero descriptor FileOffset not a multiple of 4 KiB") \
X(VHDX_E_LOG_ZERO_SEQ,            CORRUPT,     ERROR,   "R49",  "2.3.1.2",  "zero descriptor SequenceNumber differs from the entry's") \
X(VHDX_E_LOG_DESC_OFFSET,         CORRUPT,     ERROR,   "R52",  "2.3.1.3",  "data descriptor FileOffset not a multiple of 4 KiB") \
X(VHDX_E_LOG_DESC_SEQ,            CORRUPT,     ERROR,   "R53",  "2.3.1.3",  "data descriptor SequenceNumber differs from the entry's") \
X(VHDX_E_LOG_DATA_SIGNATURE,      CORRUPT,     ERROR,   "R54",  "2.3.1.4",  "data sector signature is not \"data\"") \
X(VHDX_E_LOG_DATA_SEQ_HIGH,       CORRUPT,     ERROR,   "R55",  "2.3.1.4",  "data sector SequenceHigh differs from the entry's") \
X(VHDX_E_LOG_DATA_SEQ_LOW,        CORRUPT,     ERROR,   "R56",  "2.3.1.4",  "data sector SequenceLow differs from the entry's") \
X(VHDX_E_LOG_DESC_TARGET,         CORRUPT,     ERROR,   "D14",  "2.3.1.3",  "log descriptor targets the file type identifier, the headers or the log itself") \
X(VHDX_E_LOG_FULL,                LIMIT,       ERROR,   "",     "2.3",      "log too small for the update") \
X(VHDX_E_CREATE_PARAM,            MISUSE,      ERROR,   "",     "",         "invalid create parameter") \
X(VHDX_E_EXISTS,                  IO,          ERROR,   "",     "",         "output file already exists") \
X(VHDX_E_NOT_FOUND,               IO,          ERROR,   "",     "",         "file not found") \
X(VHDX_E_TRUNCATED_INPUT,         CORRUPT,     ERROR,   "",     "",         "buffer shorter than the structure") \
X(VHDX_E_GUID_TEXT,               MISUSE,      ERROR,   "",     "",         "malformed GUID text") \
X(VHDX_W_PL_ABSOLUTE_PATH,        DEVIATION,   WARNING, "R108", "2.6.2.6.3","absolute_win32_path is a plain drive path without the \\\\?\\ prefix (as Hyper-V writes it); tolerated") \
X(VHDX_W_PARENT_LOG_PENDING,      DEVIATION,   WARNING, "D15",  "2.3.3",    "a parent in the chain has a pending log (LogGuid set): readers that do not replay it read stale parent data") \
X(VHDX_E_LOCKED,                  IO,          ERROR,   "",     "",         "file is in use: locked by another open (a writer excludes every other open, a reader excludes writers)") \
X(VHDX_E_FILE_TYPE,               IO,          ERROR,   "",     "",         "not a regular file or block device") \
X(VHDX_E_LIMIT_FILE_SIZE,         LIMIT,       WARNING, "",     "2.3.3",    "the file cannot grow to the size needed: the host refuses the size the log asks for, or a new block would take it past libvhdx's 4 PiB") \
X(VHDX_E_REBASE_CONTENT,          UNSUPPORTED, ERROR,   "",     "2.6.2.6",  "the new parent's content differs from the old parent's where the child shows it (rebase: copy the differences, or re-link unsafely)") \
X(VHDX_E_SHRINK_REFUSED,          MISUSE,      ERROR,   "",     "",         "the new virtual size is smaller than the current one: shrinking needs the shrink flag") \
X(VHDX_E_DATA_BEYOND_END,         MISUSE,      ERROR,   "",     "",         "data lies beyond the new end of the virtual disk: shrinking would lose it (allow data loss to shrink anyway)") \
/* append new entries here */

#endif
