/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules.c - the rule catalogue of `vhdx check` (see rules.h). Requirements follow the
 * numbered MUST/SHOULD statements of [MS-VHDX] v20240423, one rule id each (R1-R108); D-checks
 * are structural checks derived from the specification, numbered as in
 * lib/include/vhdx_errors.h. docs/rules.md is generated from this table.
 */
#include "rules.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define J RULE_JUDGED
#define P RULE_PARTLY
#define I RULE_IMPLIED
#define B RULE_BEHAVIOUR

static const rule_info catalogue[] = {
{"R1", "2", "M", "S", I, "All multi-byte integers are little-endian; GUIDs are in Microsoft layout.",
 "Write every field with explicit little-endian stores and GUIDs as Data1/Data2/Data3 little-endian + Data4 bytes.",
 "judged implicitly: every structure is decoded little-endian, so a big-endian writer fails the signature, CRC and range checks"},
{"R2", "2.2", "M", "B", B, "Structures the implementation does not support must be preserved, not corrupted.",
 "Implementations: copy unknown regions and metadata items unchanged when rewriting a file.", NULL},
{"R3", "2.2", "M", "B", B, "Refuse to open if a region marked required is not understood.",
 "Implementations: fail the open on an unknown region with Required = 1 (see R31 for the image side).", NULL},
{"R4", "2.2.1", "M", "S", J, "The file type identifier signature at offset 0 is \"vhdxfile\".",
 "Write the 8 bytes 76 68 64 78 66 69 6C 65 at offset 0; a file without them is not a VHDX file.", NULL},
{"R5", "2.2.1", "M", "B", B, "The creator string must not influence behaviour.",
 "Implementations: treat the creator as diagnostic text only.", NULL},
{"R6", "2.2.1", "M", "B", B, "Write the file type identifier at creation.",
 "Implementations: write the 64 KiB file type identifier when creating the file.", NULL},
{"R7", "2.2.1", "M", "B", B, "Validate the file type identifier signature on load.",
 "Implementations: check \"vhdxfile\" before anything else (R4 judges the image side).", NULL},
{"R8", "2.2.1", "M", "B", B, "Never write to bytes 0 .. 64 KiB after creation.",
 "Implementations: never rewrite the file type identifier.", NULL},
{"R9", "2.2.2", "M", "S", J, "Each header's signature is \"head\".",
 "Rewrite the damaged header slot from the valid one (sequence number + 1) and recompute its CRC-32C.", NULL},
{"R10", "2.2.2", "-", "S", J, "A header is valid only when its CRC-32C over 4 KiB (checksum field as zero) matches.",
 "Recompute the CRC-32C over the exact 4096 little-endian bytes with bytes 4..7 zero and store it little-endian at offset 4.", NULL},
{"R11", "2.2.2", "M", "S/B", P, "Only the current header is used; no current header (both invalid, or equal sequence numbers) means the file is corrupt.",
 "Give the two headers different sequence numbers (the newer one +1) and valid CRCs; Disk2vhd's identical headers need one header rewritten with sequence + 1.", NULL},
{"R12", "2.2.2", "M", "B", B, "A new FileWriteGuid is set before the first modification after open (including log replay).",
 "Implementations: perform the header update with a fresh FileWriteGuid before writing anything.", NULL},
{"R13", "2.2.2", "M", "B", B, "A new DataWriteGuid is set before the first user-visible change.",
 "Implementations: change DataWriteGuid before the first data, metadata, size or visible state change.", NULL},
{"R14", "2.2.2", "M", "S/B", P, "LogGuid zero means the log must not be replayed; only entries carrying LogGuid are valid; a non-zero LogGuid needs a log (LogLength > 0).",
 "Set LogGuid to zero when no replay is pending, or give the header a log region (LogOffset/LogLength) holding the entries.", NULL},
{"R15", "2.2.2", "M", "S", J, "LogVersion is 0 (otherwise processing stops unless LogGuid is zero).",
 "Write LogVersion = 0 in both headers and recompute their CRCs.", NULL},
{"R16", "2.2.2", "M", "S", J, "Version is 1.",
 "Write Version = 1 (the format is \"VHDX version 2\" but the field value is 1) and recompute the CRC.", NULL},
{"R17", "2.2.2", "M", "S", J, "LogLength is a multiple of 1 MiB.",
 "Round the log to a multiple of 1 MiB (1 MiB is the usual size) and update LogLength in both headers.", NULL},
{"R18", "2.2.2", "M", "S", J, "LogOffset is a multiple of 1 MiB and the log overlaps no other structure (so it lies at or after 1 MiB).",
 "Move the log to a free 1 MiB-aligned range after the header section and update LogOffset.", NULL},
{"R19", "2.2.2", "M", "S", J, "The 4016 reserved header bytes (80..4095) are zero.",
 "Zero header bytes 80..4095 and recompute the header CRC.", NULL},
{"R20", "2.2.2.1", "M", "B", B, "On a writable open, the headers are updated before anything else is modified.",
 "Implementations: run the header update procedure of MS-VHDX 2.2.2.1 first.", NULL},
{"R21", "2.2.2.1", "M", "B", B, "The first header update of a session uses a new random FileWriteGuid.",
 "Implementations: draw a fresh FileWriteGuid per writable session.", NULL},
{"R22", "2.2.2.1", "S", "B", B, "DataWriteGuid changes only when content changes are requested; the header update is done twice.",
 "Implementations: write both header slots (sequence +1, then +2) per update.", NULL},
{"R23", "2.2.3", "m", "S/B", P, "Two region table copies at 192 KiB and 256 KiB; updates go through the log, so the copies are identical.",
 "Write both region table copies with identical contents (and valid CRCs).", NULL},
{"R24", "2.2.3.1", "M", "S", J, "The region table signature is \"regi\".",
 "Restore the region table from the other copy (both copies must be identical).", NULL},
{"R25", "2.2.3.1", "-", "S", J, "The region table CRC-32C over 64 KiB (checksum field as zero) matches.",
 "Recompute the CRC-32C over the whole 65536-byte block with bytes 4..7 zero.", NULL},
{"R26", "2.2.3.1", "M", "S", J, "Region table EntryCount is at most 2047.",
 "Write the real number of region entries (normally 2: BAT and metadata).", NULL},
{"R27", "2.2.3.1", "M", "S", J, "The region table header Reserved field is zero.",
 "Zero bytes 12..15 of the region table and recompute its CRC.", NULL},
{"R28", "2.2.3.2", "M", "S", J, "Region GUIDs are unique within the table.",
 "Remove the duplicate region entry (exactly one BAT and one metadata region).", NULL},
{"R29", "2.2.3.2", "M", "S", J, "Region FileOffset is a multiple of 1 MiB and at least 1 MiB.",
 "Place the region at a 1 MiB-aligned offset after the header section.", NULL},
{"R30", "2.2.3.2", "M", "S", J, "Region Length is a multiple of 1 MiB.",
 "Round the region length up to a multiple of 1 MiB.", NULL},
{"R31", "2.2.3.2", "M", "S/B", P, "A region with Required = 1 whose GUID is unknown makes the file unloadable.",
 "Clear Required on private regions other readers need not understand, or do not add them.", NULL},
{"R32", "2.2.3.2", "m", "S", J, "Regions overlap neither each other, the log, payload blocks nor sector bitmap blocks.",
 "Move the overlapping region or block to free 1 MiB-aligned space and update its location.", NULL},
{"R33", "2.3", "M", "B", B, "Logged updates are rewritten on reopen after a crash (replay).",
 "Implementations: replay the active log sequence on open.", NULL},
{"R34", "2.3", "M", "B", B, "All metadata updates except headers go through the log; payload writes never do.",
 "Implementations: journal BAT, metadata and region table changes.", NULL},
{"R35", "2.3.1", "M", "S", J, "Each data descriptor has exactly one data sector: number of data sectors = number of data descriptors.",
 "Make EntryLength = 4096 x (descriptor sectors + data descriptors) and write one data sector per data descriptor.", NULL},
{"R36", "2.3.1.1", "M", "S", J, "A log entry's signature is \"loge\".",
 "Rewrite the log entry, or clear the log (LogGuid = 0) if nothing needs replaying.", NULL},
{"R37", "2.3.1.1", "-", "S", J, "A log entry's CRC-32C over EntryLength bytes (checksum field as zero) matches.",
 "Recompute the entry CRC over all its descriptor and data sectors.", NULL},
{"R38", "2.3.1.1", "M", "S", J, "EntryLength is a non-zero multiple of 4 KiB, no larger than the log.",
 "Write EntryLength as the entry's size in whole 4 KiB sectors.", NULL},
{"R39", "2.3.1.1", "M", "S", J, "Tail is a multiple of 4 KiB (inside the log).",
 "Point Tail at the first entry of the sequence (4 KiB-aligned offset inside the log).", NULL},
{"R40", "2.3.1.1", "m", "S", J, "SequenceNumber is greater than 0.",
 "Number log entries from 1 upwards.", NULL},
{"R41", "2.3.1.1", "M", "S", J, "The log entry Reserved field is zero.",
 "Zero bytes 28..31 of the entry header and recompute the entry CRC.", NULL},
{"R42", "2.3.1.1", "M", "S", J, "An entry whose LogGuid differs from the header's LogGuid is invalid.",
 "Write the header's LogGuid into every entry of the active sequence.", NULL},
{"R43", "2.3.1.1", "M", "S/B", P, "FlushedFileOffset is a multiple of 1 MiB (and at least the file size when written).",
 "Write the 1 MiB-aligned stable file size into FlushedFileOffset.", NULL},
{"R44", "2.3.1.1", "M", "S", J, "LastFileOffset is a multiple of 1 MiB.",
 "Write the 1 MiB-aligned size holding all structures into LastFileOffset.", NULL},
{"R45", "2.3.1.2", "M", "S", J, "A zero descriptor's signature is \"zero\" (every descriptor is \"zero\" or \"desc\").",
 "Write \"zero\" or \"desc\" descriptor signatures.", NULL},
{"R46", "2.3.1.2", "M", "S", J, "A zero descriptor's Reserved field is zero.",
 "Zero bytes 4..7 of the zero descriptor and recompute the entry CRC.", NULL},
{"R47", "2.3.1.2", "M", "S", J, "ZeroLength is a multiple of 4 KiB.",
 "Describe zeroed ranges in whole 4 KiB sectors.", NULL},
{"R48", "2.3.1.2", "M", "S", J, "A zero descriptor's FileOffset is a multiple of 4 KiB.",
 "Align zeroed ranges to 4 KiB.", NULL},
{"R49", "2.3.1.2", "M", "S", J, "A zero descriptor's SequenceNumber equals the entry's.",
 "Copy the entry SequenceNumber into every descriptor.", NULL},
{"R50", "2.3.1.3", "M", "S", I, "A data descriptor's signature is \"desc\".",
 "Write \"desc\" data descriptor signatures.", "judged with R45 (a descriptor that is neither \"zero\" nor \"desc\")"},
{"R51", "2.3.1.3", "M", "B", B, "LeadingBytes/TrailingBytes are restored before a data sector is written home.",
 "Implementations: rebuild the 4 KiB update as Leading(8) + Data(4084) + Trailing(4).", NULL},
{"R52", "2.3.1.3", "M", "S", J, "A data descriptor's FileOffset is a multiple of 4 KiB.",
 "Log metadata updates in whole, 4 KiB-aligned sectors.", NULL},
{"R53", "2.3.1.3", "M", "S", J, "A data descriptor's SequenceNumber equals the entry's.",
 "Copy the entry SequenceNumber into every descriptor.", NULL},
{"R54", "2.3.1.4", "M", "S", J, "A data sector's signature is \"data\".",
 "Write \"data\" at the start of every data sector.", NULL},
{"R55", "2.3.1.4", "M", "S", J, "A data sector's SequenceHigh is the upper 32 bits of the entry SequenceNumber.",
 "Write SequenceHigh at bytes 4..7 of every data sector.", NULL},
{"R56", "2.3.1.4", "M", "S", J, "A data sector's SequenceLow is the lower 32 bits of the entry SequenceNumber.",
 "Write SequenceLow at bytes 4092..4095 of every data sector.", NULL},
{"R57", "2.3.2", "M", "S", I, "In a sequence each entry's SequenceNumber is the previous + 1, every entry carries the header LogGuid and is valid.",
 "Write consecutive sequence numbers in one log sequence.", "judged through the active-sequence search: broken sequences end the run (R61 when nothing valid remains)"},
{"R58", "2.3.3", "M", "B", B, "A non-empty log is replayed before any I/O other than reading headers and log.",
 "Implementations: replay before reading the region table, metadata or BAT (the check reports a pending replay as info).", NULL},
{"R59", "2.3.3", "M", "B", B, "An implementation that cannot replay must not open the file.",
 "Implementations: refuse dirty images when replay is impossible.", NULL},
{"R60", "2.3.3", "m", "B", B, "Exactly the active (newest valid complete) sequence is replayed.",
 "Implementations: rank sequences by their head entry and replay only the newest complete one.", NULL},
{"R61", "2.3.3", "M", "S/B", P, "LogGuid non-zero with no valid log sequence means the file is corrupt.",
 "Write a valid log sequence for the LogGuid, or clear LogGuid when nothing needs replaying.", NULL},
{"R62", "2.3.3", "M", "S/B", P, "A file shorter than the active sequence's FlushedFileOffset is truncated.",
 "Restore the missing tail of the file (the file was cut after the log was written).", NULL},
{"R63", "2.3.3", "M", "B", B, "Every descriptor of every entry is replayed in order, starting at the tail entry.",
 "Implementations: apply descriptors in log order.", NULL},
{"R64", "2.3.3", "M", "B", B, "The file is extended for descriptor offsets past its end.",
 "Implementations: grow the file during replay.", NULL},
{"R65", "2.3.3", "M", "B", B, "After replay the file size is at least LastFileOffset.",
 "Implementations: extend the file to LastFileOffset after replay.", NULL},
{"R66", "2.5", "M", "S", J, "The BAT region is large enough for the required number of entries.",
 "Grow the BAT region (Length, 1 MiB multiple) to hold N + floor((N-1)/CR) entries (S x (CR+1) for differencing).", NULL},
{"R67", "2.5", "M", "S", I, "Fixed/dynamic: the last BAT entry is the last payload block (N + floor((N-1)/CR) entries).",
 "Use N + floor((N-1)/CR) entries, not N + S.", "judged with R66 (the region must hold this count)"},
{"R68", "2.5", "m", "S", I, "Differencing: the BAT reaches the sector bitmap entry of the last chunk (S x (CR+1) entries).",
 "Size the BAT of a differencing disk as S x (CR+1) entries.", "judged with R66 (the region must hold this count)"},
{"R69", "2.5.1", "M", "S", J, "BAT entry bits 3-19 are zero.",
 "Clear bits 3-19 of every BAT entry (7-Zip rejects the file otherwise).", NULL},
{"R70", "2.5.1", "m", "S", J, "Payload and sector bitmap blocks lie after the header section and overlap nothing; present blocks have FileOffsetMB > 0.",
 "Relocate the block to free 1 MiB-aligned space after 1 MiB and update its BAT entry.", NULL},
{"R71", "2.5.1", "m", "S", J, "Non-zero FileOffsetMB values are unique across the BAT.",
 "Give every allocated block its own file range.", NULL},
{"R72", "2.5.1.1", "M", "S", J, "Payload block states 4 and 5 are not used; PARTIALLY_PRESENT does not appear in fixed or dynamic files.",
 "Use states 0, 1, 2, 3, 6 (and 7 only in differencing disks); v0.95's UNMAPPED = 5 is now 3.", NULL},
{"R73", "2.5.1.1", "M", "B", B, "Reads of PAYLOAD_BLOCK_ZERO blocks return zeros.",
 "Implementations: never read FileOffsetMB of ZERO blocks.", NULL},
{"R74", "2.5.1.1", "M", "S/B", B, "UNDEFINED/UNMAPPED entries with a non-zero FileOffsetMB point at a location holding the prior contents.",
 "Write FileOffsetMB 0 for UNDEFINED/UNMAPPED blocks unless the old data is still there.", "not judged: prior contents cannot be known from one image"},
{"R75", "2.5.1.1", "M", "B", B, "FULLY_PRESENT blocks in a differencing file are read without consulting the sector bitmap.",
 "Implementations: read FULLY_PRESENT blocks from this file entirely.", NULL},
{"R76", "2.5.1.1", "M", "S", J, "A PARTIALLY_PRESENT block's chunk has an allocated, valid sector bitmap block.",
 "Allocate the chunk's sector bitmap block and set its BAT entry to SB_BLOCK_PRESENT.", NULL},
{"R77", "2.5.1.2", "M", "S", J, "Fixed/dynamic files: every sector bitmap entry is SB_BLOCK_NOT_PRESENT.",
 "Set sector bitmap entries of non-differencing disks to 0.", NULL},
{"R78", "2.5.1.2", "M", "S", J, "Differencing: the SB entry is PRESENT whenever its chunk has a PARTIALLY_PRESENT block; SB states are 0 or 6.",
 "Use only SB_BLOCK_NOT_PRESENT (0) and SB_BLOCK_PRESENT (6) for sector bitmap entries.", NULL},
{"R79", "2.6.1.1", "M", "S", J, "The metadata table signature is \"metadata\".",
 "Write \"metadata\" at offset 0 of the metadata region.", NULL},
{"R80", "2.6.1.1", "M", "S", J, "The metadata table header Reserved field is zero.",
 "Zero bytes 8..9 of the metadata table.", NULL},
{"R81", "2.6.1.1", "m", "S", J, "Metadata EntryCount is at most 2047.",
 "Write the real number of metadata entries.", NULL},
{"R82", "2.6.1.1", "M", "S", J, "The metadata table header Reserved2 field is zero.",
 "Zero bytes 12..31 of the metadata table.", NULL},
{"R83", "2.6.1.2", "M", "S", J, "(ItemId, IsUser) is unique in the metadata table.",
 "Remove the duplicate metadata entry.", NULL},
{"R84", "2.6.1.2", "M", "S", J, "A metadata item's Offset is at least 64 KiB (when Length is not 0).",
 "Place items after the 64 KiB metadata table.", NULL},
{"R85", "2.6.1.2", "M", "S", J, "A metadata item lies inside the metadata region and overlaps no other item.",
 "Move the item to free space inside the region, or grow the region.", NULL},
{"R86", "2.6.1.2", "M", "S", J, "A metadata item's Length is at most 1 MiB.",
 "Keep items at most 1 MiB long.", NULL},
{"R87", "2.6.1.2", "M", "S", J, "Length = 0 implies Offset = 0.",
 "Write Offset 0 for empty items.", NULL},
{"R88", "2.6.1.2", "-", "S", J, "At most 1024 entries have IsUser = 1 (otherwise the table is invalid).",
 "Remove user metadata items beyond 1024.", NULL},
{"R89", "2.6.1.2", "M", "B", B, "IsVirtualDisk governs which items are copied on fork and merge.",
 "Implementations: copy IsVirtualDisk items to children; replace them on merge.", NULL},
{"R90", "2.6.1.2", "M", "S/B", P, "An unknown metadata item with IsRequired makes the file unloadable.",
 "Clear IsRequired on private items other readers need not understand.", NULL},
{"R91", "2.6.1.2", "M", "S", J, "Metadata entry flag bits 3-31 and Reserved2 are zero.",
 "Clear the reserved flag bits and bytes 28..31 of the entry.", NULL},
{"R92", "2.6.2.1", "M", "S", J, "BlockSize is a power of two between 1 MiB and 256 MiB.",
 "Use a block size of 1, 2, 4, ... or 256 MiB (32 MiB is the Windows default).", NULL},
{"R93", "2.6.2.1", "M", "B", B, "LeaveBlockAllocated = 1: the file is never shrunk below full allocation.",
 "Implementations: keep fixed disks fully provisioned.", NULL},
{"R94", "2.6.2.1", "M", "S", J, "File parameters flag bits 2-31 are zero.",
 "Clear flag bits 2-31 (bit 0 LeaveBlockAllocated, bit 1 HasParent).", NULL},
{"R95", "2.6.2.2", "M", "S", J, "VirtualDiskSize is a non-zero multiple of LogicalSectorSize and at most 64 TiB.",
 "Round the virtual size to a multiple of the logical sector size, between one sector and 64 TiB.", NULL},
{"R96", "2.6.2.4", "M", "S/B", P, "LogicalSectorSize is 512 or 4096 and equals the parent's.",
 "Use 512 or 4096, the same value as the parent disk.", NULL},
{"R97", "2.6.2.5", "M", "S/B", P, "PhysicalSectorSize is 512 or 4096.",
 "Use 512 or 4096 (4096 is the Windows default).", NULL},
{"R98", "2.6.2.6", "M", "S", J, "HasParent = 1 implies a Parent Locator metadata item.",
 "Add the parent locator item, or clear HasParent for a disk without a parent.", NULL},
{"R99", "2.6.2.6.1", "M", "S/B", P, "The parent locator type is understood (VHDX: B04AEFB7-D19E-4A81-B789-25B8E9445913).",
 "Use the VHDX locator type GUID.", NULL},
{"R100", "2.6.2.6.1", "M", "S", J, "The parent locator Reserved field is zero.",
 "Zero bytes 16..17 of the parent locator.", NULL},
{"R101", "2.6.2.6.2", "M", "S", J, "KeyOffset, ValueOffset, KeyLength and ValueLength are all non-zero (and inside the item).",
 "Rebuild the key/value table with in-bounds offsets and non-empty strings.", NULL},
{"R102", "2.6.2.6.2", "m", "S", J, "Keys and values are UTF-16LE without NULs; keys are unique.",
 "Store strings as UTF-16LE without terminators; drop duplicate keys.", NULL},
{"R103", "2.6.2.6.3", "M", "S", J, "The parent locator has a parent_linkage entry (a GUID in text form).",
 "Add parent_linkage = the parent's DataWriteGuid as {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}.", NULL},
{"R104", "2.6.2.6.3", "M", "B", B, "Creating a child stores the parent's DataWriteGuid in parent_linkage.",
 "Implementations: copy the parent's DataWriteGuid at child creation.", NULL},
{"R105", "2.6.2.6.3", "M", "S/B", P, "The parent's DataWriteGuid matches parent_linkage or parent_linkage2.",
 "Point the child at the right parent, or (if the parent was changed knowingly) update parent_linkage; --parent-ignore-linkage skips this check.",
 "judged only when the parent is available"},
{"R106", "2.6.2.6.3", "M", "S", J, "At least one of relative_path, volume_path, absolute_win32_path is present.",
 "Add a relative_path (e.g. parent.vhdx) entry.", NULL},
{"R107", "2.6.2.6.3", "M", "S", J, "volume_path uses only the \\\\?\\Volume{GUID}\\... form.",
 "Rewrite volume_path as \\\\?\\Volume{GUID}\\path or drop it.", NULL},
{"R108", "2.6.2.6.3", "M", "S", J, "absolute_win32_path starts with \\\\?\\.",
 "Prefix absolute_win32_path with \\\\?\\ (e.g. \\\\?\\C:\\disks\\parent.vhdx).", NULL},
/* derived structural checks (spec section 9, paragraph under the table) */
{"D1", "2.1", "D", "S", J, "Every structure the file references lies inside the file.",
 "Restore the file's missing tail (it was truncated) or fix the offset that points past it.", NULL},
{"D2", "2.1", "D", "S", J, "The file is at least as long as the 1 MiB header section.",
 "The file is truncated or not a VHDX file; restore it from its source.", NULL},
{"D3", "2.2.2", "D", "S", J, "LogOffset + LogLength lies inside the file.",
 "Extend the file to cover the log, or fix LogOffset/LogLength.", NULL},
{"D4", "2.2.3.2", "D", "S", J, "The region table has a BAT region entry.",
 "Add the BAT region entry (GUID 2DC27766-F623-4200-9D64-115E9BFD4A08).", NULL},
{"D5", "2.2.3.2", "D", "S", J, "The region table has a metadata region entry.",
 "Add the metadata region entry (GUID 8B7CA206-4790-4B9A-B8FE-575F050F886E).", NULL},
{"D6", "2.2.3.2", "D", "S", J, "Every region lies inside the file.",
 "Extend the file to cover the region or fix its FileOffset/Length.", NULL},
{"D7", "2.2.3.2", "D", "S", J, "The BAT and metadata region entries have Required = 1 (as the spec's table lists them).",
 "Set Required = 1 on the BAT and metadata region entries (VirtualBox refuses images without it; old qemu-img wrote 0).", NULL},
{"D8", "2.2.3.2", "D", "S", J, "A region entry's Required field has no bits other than bit 0.",
 "Write Required as exactly 0 or 1.", NULL},
{"D9", "2.6.2", "D", "S", J, "The required system metadata items (file parameters, virtual disk size, virtual disk id, logical and physical sector size) are present.",
 "Add the missing system metadata item.", NULL},
{"D10", "2.6.2", "D", "S", J, "A known metadata item is at least as long as its value (8/8/16/4/4, locator >= 20 bytes).",
 "Write the item's full value and its Length.", NULL},
{"D11", "2.6.2", "D", "S", J, "Known metadata items carry the flags of the spec's table (IsVirtualDisk, IsRequired).",
 "Set IsRequired on every known item and IsVirtualDisk on size, id and sector sizes (VirtualBox and cloud-hypervisor reject mismatches).", NULL},
{"D12", "2.5.1", "D", "S", J, "Every payload and sector bitmap block lies inside the file.",
 "Extend the file to cover the block (a truncated file) or fix its BAT entry.", NULL},
{"D13", "2.5.1.1", "D", "S", J, "NOT_PRESENT and ZERO entries have FileOffsetMB = 0 (the field is reserved).",
 "Write 0 as FileOffsetMB for NOT_PRESENT and ZERO blocks (Hyper-V rejects non-zero values; old qemu-img wrote them).", NULL},
{"D14", "2.3.1.3", "D", "S", J, "Log descriptors target neither the file type identifier, the headers nor the log itself.",
 "Journal only region tables, metadata, BAT and sector bitmaps.", NULL},
{"D15", "2.3.3", "D", "S", J, "No parent of a differencing image has a pending log (a non-zero LogGuid).",
 "Replay the parent's log (vhdx replay PARENT, or open it read-write in Hyper-V) before using the chain; libvhdi and 7-Zip do not replay a parent's log and read stale parent data through every child.",
 "a warning: a reader that replays the parent's log (this library, QEMU, Hyper-V) reads the right data"},
};

#undef J
#undef P
#undef I
#undef B

size_t rules_count(void) { return sizeof catalogue / sizeof catalogue[0]; }

const rule_info *rules_at(size_t i) { return i < rules_count() ? &catalogue[i] : NULL; }

const rule_info *rules_find(const char *id)
{
    if (!id) return NULL;
    for (size_t i = 0; i < rules_count(); i++)
        if (strcasecmp(catalogue[i].id, id) == 0) return &catalogue[i];
    return NULL;
}

int rules_is_judged(const rule_info *r) { return r && r->judge != RULE_BEHAVIOUR; }

const char *rules_judge_text(rule_judge j)
{
    switch (j) {
    case RULE_JUDGED: return "judged from the image bytes";
    case RULE_PARTLY: return "static part judged from the image bytes";
    case RULE_IMPLIED: return "judged through other checks";
    case RULE_BEHAVIOUR: return "not judged from an image (behaviour of an implementation)";
    }
    return "";
}

size_t rules_codes(const char *id, int *codes, size_t max)
{
    size_t n = 0;
    for (int c = 0; c < (int)VHDX_STATUS_COUNT; c++) {
        const char *r = vhdx_status_rule(c);
        if (r && id && strcasecmp(r, id) == 0) {
            if (n < max && codes) codes[n] = c;
            n++;
        }
    }
    return n;
}

const char *rules_default_severity(const rule_info *r)
{
    int codes[32];
    size_t n = rules_codes(r->id, codes, 32);
    vhdx_severity best = VHDX_SEV_INFO;
    if (n > 32) n = 32;
    for (size_t i = 0; i < n; i++)
        if (vhdx_status_severity(codes[i]) < best) best = vhdx_status_severity(codes[i]);
    if (n == 0) return strcmp(r->level, "S") == 0 ? "warning" : "error";
    return vhdx_severity_name(best);
}

const char *rules_doc_anchor(const rule_info *r, char *buf, size_t n)
{
    size_t i = 0;
    if (n == 0) return buf;
    for (; r && r->id[i] && i + 1 < n; i++) buf[i] = (char)tolower((unsigned char)r->id[i]);
    buf[i] = '\0';
    return buf;
}

static int is_article(const char *w, size_t len)
{
    static const char *const skip[] = { "a", "an", "the" };
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
        if (strlen(skip[i]) == len && strncasecmp(w, skip[i], len) == 0) return 1;
    return 0;
}

/* Appends one word (its letters and digits, first letter upper-case) to buf[*o..n). */
static void name_word(const char *w, size_t len, char *buf, size_t n, size_t *o)
{
    int first = 1;
    for (size_t i = 0; i < len && *o + 1 < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if (c == '\'') continue; /* "header's" -> "Headers" */
        if (!isalnum(c)) {
            first = 1; /* "little-endian" -> "LittleEndian", "fixed/dynamic" -> "FixedDynamic" */
            continue;
        }
        if (first && *o == 0 && isdigit(c)) {
            for (const char *p = "Rule"; *p && *o + 1 < n; p++) buf[(*o)++] = *p;
            if (*o + 1 >= n) break;
        }
        buf[(*o)++] = (char)(first ? toupper(c) : c);
        first = 0;
    }
}

static const char *base_name(const rule_info *r, char *buf, size_t n)
{
    size_t o = 0, words = 0;
    if (n == 0) return buf;
    const char *p = r ? r->requirement : "";
    while (*p && words < RULES_NAME_WORDS) {
        while (*p == ' ' || (o == 0 && *p == '(')) p++; /* "(ItemId, IsUser) is unique" */
        const char *w = p;
        while (*p && *p != ' ' && *p != ';' && *p != ':' && *p != '(') p++;
        size_t len = (size_t)(p - w);
        int stop = *p == ';' || *p == ':' || *p == '(' ||
                   (len > 0 && w[len - 1] == '.' && (*p == ' ' || *p == 0));
        if (len > 0 && !is_article(w, len)) {
            name_word(w, len, buf, n, &o);
            words++;
        }
        if (stop) break;
    }
    buf[o] = '\0';
    return buf;
}

const char *rules_name(const rule_info *r, char *buf, size_t n)
{
    base_name(r, buf, n);
    if (!r || r < catalogue || r >= catalogue + rules_count()) return buf;
    /* Two requirements that start alike ("Differencing: ..."): the later one gets its id. */
    char other[160];
    for (const rule_info *q = catalogue; q < r; q++) {
        if (strcmp(base_name(q, other, sizeof other), buf) != 0) continue;
        size_t len = strlen(buf);
        if (len < n) snprintf(buf + len, n - len, "%s", r->id);
        break;
    }
    return buf;
}
