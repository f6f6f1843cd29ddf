#ifndef CBARAZATEXT_H
#define CBARAZATEXT_H

#include <stddef.h>
#include <stdint.h>

/// Byte scans of the import's hot loops, sixteen bytes at a time with SSE2 where the compiler has
/// it (every x86-64), byte by byte elsewhere. Each has a plain Swift counterpart in the tests that
/// it is checked against on random bytes of every length.

/// Whether `bytes[0..<count]` is valid UTF-8 (RFC 3629: no overlong forms, no surrogates, at most
/// U+10FFFF): the verdict of Swift's `String(validating:as:)`, 64 bytes at a time with AVX-512 BW
/// where the processor has it, else with ASCII skipped sixteen bytes at a time. 1 when valid, else 0.
int baraza_utf8_valid(const uint8_t *bytes, size_t count);
/// `baraza_utf8_valid` in its AVX-512 BW form when `use_wide` is 1 and the processor has it, else
/// in its SSE2 form (for tests, which compare the two).
int baraza_utf8_valid_with(int use_wide, const uint8_t *bytes, size_t count);

/// Characters in UTF-8 bytes as Swift's `String.count` counts them, when no byte is 0xCC or more
/// (no scalar from U+0300 on, so no combining mark, emoji or other multi-scalar character): the
/// scalars, less one per CR LF pair. -1 when some byte is 0xCC or more (the caller counts then).
int64_t baraza_utf8_simple_count(const uint8_t *bytes, size_t count);

/// The length of a record's fields (`bytes`, field k ending at `ends[k]`) as a JSON array of
/// strings: brackets, commas, quotes, and in the bodies each `"` and `\`, LF, CR and TAB as two
/// bytes, other bytes below 0x20 as six (`\u00XX`), the rest as they are.
size_t baraza_json_array_length(const uint8_t *bytes, const intptr_t *ends, size_t fields);

/// Writes the fields as a JSON array of strings (as `baraza_json_array_length` counts it) to
/// `out`, which must have room for that many bytes and 16 more (it may write into those 16).
/// Returns the bytes written.
size_t baraza_json_array(const uint8_t *bytes, const intptr_t *ends, size_t fields, uint8_t *out);

/// A word of open text that the scanner must look up (see `baraza_scan_words`).
typedef struct {
    /// Where it starts in the text and its length in bytes.
    int32_t start, count;
    /// Words skipped since the previous word returned (ASCII words no pattern can match).
    int32_t skipped;
    /// Clause marks (, ; . : ! ? ( )) between the previous word returned and this one.
    int32_t clauses;
} baraza_word;

/// A prefilter for `baraza_scan_words`, made from its `relevant` bitset by
/// `baraza_word_filter_make`: the word starts whose first three bytes could be marked there are
/// found sixteen bytes at a time (SSSE3 `pshufb` look-ups of each byte's low five bits, by nibble,
/// in up to eight buckets of first characters, as in Hyperscan's Teddy), so the scan visits only
/// those instead of every word. A superset: each word start it drops is one the bitset would drop,
/// so the words returned are the same with it or without it.
typedef struct {
    /// Per position in the word (first, second, third byte), a bucket bit mask by the byte's low
    /// nibble and by its fifth bit.
    uint8_t lo[3][16], hi[3][16];
    /// 0: not used; 1: used (made, and the processor has SSSE3 and POPCNT); 2: used, the scan's
    /// first pass in AVX-512 BW (the processor and the system have it). Made at the highest level
    /// the processor allows; a lower one may be set (tests compare the levels).
    int32_t enabled;
} baraza_word_filter;

/// Makes the filter for `relevant` (see `baraza_scan_words`).
void baraza_word_filter_make(const uint64_t *relevant, baraza_word_filter *filter);

/// Cuts text into words (maximal runs of ASCII letters and digits and of bytes 0x80 and up) and
/// returns the words to look up in `out` (room for count / 2 + 1): every word with a byte from
/// 0x80 on, and each ASCII word that `relevant` marks by its first characters, each taken as its
/// low five bits (`byte & 31`: a letter of either case 1–26, a digit 16–25): a word of three or
/// more by bit `a << 10 | b << 5 | c` of `relevant[0..<512]`, a two-character word by bit
/// `a << 5 | b` of `relevant[512..<528]`, a one-character word by bit `a` of `relevant[528]`.
/// `masks` is scratch room for 4 × (count + 63) / 64 words. `tail` gets the words skipped and the
/// clause marks passed after the last word returned. `filter`, when not NULL and enabled, is the
/// prefilter made for `relevant`. Returns the number of words written.
size_t baraza_scan_words(const uint8_t *text, size_t count, const uint64_t *relevant, const baraza_word_filter *filter,
                         uint64_t *masks, baraza_word *out, baraza_word *tail);

/// The length of the run of `text[0..<count]` before its first delimiter, `"`, LF or CR (in a
/// quoted field, `quoted` nonzero: before its first `"`, LF or CR; the delimiter is text there).
/// Sets bit 0 of `flags` when a byte from 0x80 on is in the run, bit 1 when a NUL is.
size_t baraza_csv_run(const uint8_t *text, size_t count, uint8_t delimiter, int quoted, uint32_t *flags);

/// What `baraza_csv_record` read.
typedef struct {
    /// Field bytes written to `out`, and fields (their ends in `ends`).
    size_t bytes, fields;
    /// Line breaks passed, the record's own line end included (CR LF counts once); the next line
    /// starts right after the record.
    size_t lines;
    /// Bit 0: a field holds a byte from 0x80 on; bit 1: a field holds a NUL.
    uint32_t flags;
} baraza_csv_record_info;

/// Reads one CSV record of the common shape from `text[0..<count]`: fields unquoted (no `"`) or
/// quoted (doubled quotes, delimiters and line breaks inside, the closing quote right before a
/// delimiter or line end), ending with an LF, CR LF or lone CR. Writes the fields' bytes (quotes
/// removed, `""` as `"`) to `out`, which must have room for `count` + 16 bytes (it may write into
/// those 16), and each field's end offset in `out` to `ends` (room for `ends_room`).
/// Returns the bytes read, the record's line end included; 0 when the record is not of that shape
/// (a quote inside an unquoted field, text after a closing quote), does not end within `count`
/// (or its CR is the last byte there, so a LF may follow), or has more than `ends_room` fields:
/// the caller then reads it the general way. Nothing is reported; `info` is set on success.
size_t baraza_csv_record(const uint8_t *text, size_t count, uint8_t delimiter, uint8_t *out, intptr_t *ends, size_t ends_room,
                         baraza_csv_record_info *info);

/// 1 when `baraza_json_array` and `baraza_csv_record` take their AVX-512 BW forms (64 bytes at a
/// time, loads and stores masked to the bytes they may touch): where the processor and the system
/// have it.
int baraza_has_wide(void);

/// 1 when `baraza_csv_record` also takes runs of unquoted fields 64 bytes at a time (AVX-512 VBMI2
/// byte compression): where the processor has it.
int baraza_has_compress(void);

/// `baraza_json_array` and `baraza_csv_record` in their AVX-512 BW forms when `use_wide` is nonzero
/// and `baraza_has_wide()`, else in their SSE2 forms; `baraza_csv_record` with its VBMI2 block form
/// as well when `use_wide` is 2 or more and `baraza_has_compress()` (for tests, which compare them).
size_t baraza_json_array_with(int use_wide, const uint8_t *bytes, const intptr_t *ends, size_t fields, uint8_t *out);
size_t baraza_csv_record_with(int use_wide, const uint8_t *text, size_t count, uint8_t delimiter, uint8_t *out, intptr_t *ends,
                              size_t ends_room, baraza_csv_record_info *info);

/// The bits each key sets in its block of a `baraza_filter_add` filter.
#define BARAZA_FILTER_BITS 6

/// Adds keys to a blocked Bloom filter: `blocks` (a power of two) blocks of eight 64-bit words, a
/// key's `BARAZA_FILTER_BITS` bits all in one block (a cache line), chosen by its 64-bit hash. For
/// each of the `count` hashes, `seen[i]` is 1 when its bits were all set already (the key may
/// have been added before: a repeat, or a false positive), else 0. The blocks of the next keys are
/// prefetched while one is set, so their cache misses overlap.
void baraza_filter_add(uint64_t *words, size_t blocks, const uint64_t *hashes, size_t count, uint8_t *seen);

/// Starts the write-back of the dirty pages of the file open as `fd` without waiting for it
/// (Linux `sync_file_range` with `SYNC_FILE_RANGE_WRITE`; nothing elsewhere). 0, or -1 with errno.
int baraza_start_writeback(int fd);

#endif
