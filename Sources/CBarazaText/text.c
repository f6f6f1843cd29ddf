#include "CBarazaText.h"
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>

/// Bytes of `v` that are (as unsigned) in lo...hi.
static inline __m128i in_range(__m128i v, uint8_t lo, uint8_t hi) {
    __m128i d = _mm_xor_si128(_mm_sub_epi8(v, _mm_set1_epi8((char)lo)), _mm_set1_epi8((char)0x80));
    return _mm_cmplt_epi8(d, _mm_set1_epi8((char)((uint8_t)(hi - lo + 1) ^ 0x80)));
}

static inline __m128i eq(__m128i v, uint8_t b) { return _mm_cmpeq_epi8(v, _mm_set1_epi8((char)b)); }

static inline uint32_t mask(__m128i m) { return (uint32_t)_mm_movemask_epi8(m); }
#endif

/* MARK: Processor */

/// The AVX-512 BW forms are built with SSE2 on x86 (Fuzz/run.sh builds this file without SSE2 as the
/// byte loops' reference, and without these).
#if defined(__SSE2__) && (defined(__x86_64__) || defined(__i386__))
#define BARAZA_WIDE 1
#else
#define BARAZA_WIDE 0
#endif

#if BARAZA_WIDE
#include <cpuid.h>
#include <immintrin.h>

/// Whether the processor and the system give AVX-512 F and BW (the 512-bit registers' state saved
/// by the system: XCR0 bits 1, 2 and 5–7).
static int has_avx512bw(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    if (!(b & bit_AVX512F) || !(b & bit_AVX512BW)) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 0xE6u) == 0xE6u;
}

/// 1 when the byte scans below take their AVX-512 BW forms: found once (every thread finds the
/// same, so a race to store it is harmless).
static int wide_state = -1;

static inline int wide(void) {
    int w = __atomic_load_n(&wide_state, __ATOMIC_RELAXED);
    if (w < 0) {
        w = has_avx512bw();
        __atomic_store_n(&wide_state, w, __ATOMIC_RELAXED);
    }
    return w;
}

int baraza_has_wide(void) { return wide(); }

/// 1 when the processor also has AVX-512 VBMI2 (byte compression) and LZCNT, for the CSV record
/// reader's block form; found once, as `wide`.
static int compress_state = -1;

static inline int compressing(void) {
    int w = __atomic_load_n(&compress_state, __ATOMIC_RELAXED);
    if (w < 0) {
        unsigned a, b, c, d;
        w = wide() && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & bit_AVX512VBMI2) && __get_cpuid(0x80000001, &a, &b, &c, &d)
            && (c & bit_LZCNT);
        __atomic_store_n(&compress_state, w, __ATOMIC_RELAXED);
    }
    return w;
}

int baraza_has_compress(void) { return compressing(); }

/// The lanes of a 64-byte block that hold bytes, when `left` bytes are left: all 64, or the first
/// `left` (the AVX-512 BW forms mask their loads and stores with it).
__attribute__((target("avx512f,avx512bw,bmi2"))) static inline __mmask64 lanes(size_t left) {
    return left >= 64 ? ~0ULL : _bzhi_u64(~0ULL, (unsigned)left);
}
#else
static inline int wide(void) { return 0; }
int baraza_has_wide(void) { return 0; }
int baraza_has_compress(void) { return 0; }
#endif

/* MARK: UTF-8 character count */

#if BARAZA_WIDE
/// `baraza_utf8_simple_count` 64 bytes at a time with AVX-512 BW: the bytes not counted (continuation
/// bytes, LFs after a CR, the CR carried from the block before) as one mask per block, counted
/// with a population count; the last block's load masked to the text.
__attribute__((target("avx512f,avx512bw,bmi,bmi2,popcnt"))) static int64_t utf8_simple_count_wide(const uint8_t *p, size_t n) {
    const __m512i top2 = _mm512_set1_epi8((char)0xC0), cont = _mm512_set1_epi8((char)0x80), large = _mm512_set1_epi8((char)0xCC);
    const __m512i lf = _mm512_set1_epi8(0x0A), cr = _mm512_set1_epi8(0x0D);
    int64_t uncounted = 0;
    uint64_t carry = 0;  // the byte before the block was a CR
    for (size_t i = 0; i < n; i += 64) {
        size_t left = n - i;
        __mmask64 in = lanes(left);
        __m512i v = _mm512_maskz_loadu_epi8(in, p + i);
        if (_mm512_mask_cmpge_epu8_mask(in, v, large)) return -1;
        uint64_t c = _mm512_cmpeq_epi8_mask(_mm512_and_si512(v, top2), cont);
        uint64_t crs = _mm512_cmpeq_epi8_mask(v, cr) & in;
        uint64_t pairs = _mm512_cmpeq_epi8_mask(v, lf) & in & (crs << 1 | carry);
        carry = crs >> 63;
        uncounted += (int64_t)_mm_popcnt_u64((c | pairs) & in);
    }
    return (int64_t)n - uncounted;
}
#endif

int64_t baraza_utf8_simple_count(const uint8_t *p, size_t n) {
#if BARAZA_WIDE
    if (wide()) return utf8_simple_count_wide(p, n);
#endif
    // Counted sixteen bytes at a time in per-byte counters, summed every 255 blocks (before one
    // could overflow) by `psadbw`: no mask, branch or population count per block. With a
    // population count per block that had something to count, the reference workload's open
    // texts took 48 ns each; this way, 29.
    int64_t uncounted = 0;  // continuation bytes, and LFs that end a CR LF pair
    size_t i = 0;
#if defined(__SSE2__)
    __m128i zero = _mm_setzero_si128(), large = zero, previous_cr = zero;
    while (i + 16 <= n) {
        __m128i counters = zero;
        size_t stop = n - i >= 16 * 255 ? i + 16 * 255 : i + ((n - i) & ~(size_t)15);
        for (; i < stop; i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
            large = _mm_or_si128(large, in_range(v, 0xCC, 0xFF));
            __m128i continuation = eq(_mm_and_si128(v, _mm_set1_epi8((char)0xC0)), 0x80);
            __m128i cr = eq(v, 0x0D);
            __m128i pairs = _mm_and_si128(eq(v, 0x0A), _mm_or_si128(_mm_slli_si128(cr, 1), previous_cr));
            previous_cr = _mm_srli_si128(cr, 15);
            counters = _mm_sub_epi8(counters, _mm_or_si128(continuation, pairs));  // each lane: +1 or +0
        }
        __m128i sums = _mm_sad_epu8(counters, zero);
        uncounted += _mm_cvtsi128_si32(sums) + _mm_cvtsi128_si32(_mm_srli_si128(sums, 8));
    }
    if (mask(large)) return -1;
#endif
    int64_t characters = (int64_t)i - uncounted;
    uint8_t previous = i > 0 ? p[i - 1] : 0;
    for (; i < n; i++) {
        uint8_t b = p[i];
        if (b >= 0xCC) return -1;
        if ((b & 0xC0) != 0x80 && !(b == 0x0A && previous == 0x0D)) characters++;
        previous = b;
    }
    return characters;
}

/* MARK: UTF-8 validation */

#if BARAZA_WIDE
/// The bytes of `input` moved up by `k` (1–3) lanes across the whole register, the first `k` taken
/// from the end of `previous` (the block before).
#define BARAZA_PREV(input, previous, k) \
    _mm512_alignr_epi8((input), _mm512_alignr_epi64((input), (previous), 6), 16 - (k))

/// `baraza_utf8_valid` 64 bytes at a time with AVX-512 BW: the lookup algorithm of Keiser and
/// Lemire ("Validating UTF-8 in less than one instruction per byte", 2021), as in simdjson and
/// simdutf. Three 16-entry tables, looked up by the high and low nibbles of each byte's predecessor
/// and the high nibble of the byte, flag every error of a two-byte window (a lead without its
/// continuation, a continuation without a lead, overlong forms, surrogates, code points past
/// U+10FFFF); a third or fourth continuation is checked against the bytes two and three back. A
/// block of ASCII only checks that no sequence was left incomplete before it. The last block's
/// load is masked to the text (zeros after it: a sequence cut short there is an error). On the
/// reference workload's records (an accent every few words, where the SSE2 form leaves its ASCII
/// skip for a byte loop), 1.63% -> 1.00% of the 100k-row run's samples.
__attribute__((target("avx512f,avx512bw,bmi2"))) static int utf8_valid_wide(const uint8_t *p, size_t n) {
    enum {
        TOO_SHORT = 1 << 0, TOO_LONG = 1 << 1, OVERLONG_3 = 1 << 2, TOO_LARGE = 1 << 3, SURROGATE = 1 << 4,
        OVERLONG_2 = 1 << 5, TOO_LARGE_1000 = 1 << 6, OVERLONG_4 = 1 << 6, TWO_CONTS = 1 << 7,
        CARRY = TOO_SHORT | TOO_LONG | TWO_CONTS,
    };
    const __m512i byte_1_high = _mm512_broadcast_i32x4(_mm_setr_epi8(
        TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
        (char)TWO_CONTS, (char)TWO_CONTS, (char)TWO_CONTS, (char)TWO_CONTS,
        TOO_SHORT | OVERLONG_2, TOO_SHORT, TOO_SHORT | OVERLONG_3 | SURROGATE,
        TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4));
    const __m512i byte_1_low = _mm512_broadcast_i32x4(_mm_setr_epi8(
        (char)(CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4), (char)(CARRY | OVERLONG_2), (char)CARRY, (char)CARRY,
        (char)(CARRY | TOO_LARGE), (char)(CARRY | TOO_LARGE | TOO_LARGE_1000), (char)(CARRY | TOO_LARGE | TOO_LARGE_1000),
        (char)(CARRY | TOO_LARGE | TOO_LARGE_1000), (char)(CARRY | TOO_LARGE | TOO_LARGE_1000), (char)(CARRY | TOO_LARGE | TOO_LARGE_1000),
        (char)(CARRY | TOO_LARGE | TOO_LARGE_1000), (char)(CARRY | TOO_LARGE | TOO_LARGE_1000), (char)(CARRY | TOO_LARGE | TOO_LARGE_1000),
        (char)(CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE), (char)(CARRY | TOO_LARGE | TOO_LARGE_1000),
        (char)(CARRY | TOO_LARGE | TOO_LARGE_1000)));
    const __m512i byte_2_high = _mm512_broadcast_i32x4(_mm_setr_epi8(
        TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
        (char)(TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4),
        (char)(TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE),
        (char)(TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE),
        (char)(TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE),
        TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT));
    const __m512i low4 = _mm512_set1_epi8(0x0F);
    // From each block's last three bytes, whether a sequence is left open: a lead byte of two
    // bytes in the last lane, of three in the last two, of four in the last three.
    const __m512i open_at_end = _mm512_set_epi8(
        (char)(0xC0 - 1), (char)(0xE0 - 1), (char)(0xF0 - 1), -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    __m512i previous = _mm512_setzero_si512(), error = _mm512_setzero_si512(), incomplete = _mm512_setzero_si512();
    for (size_t i = 0; i < n; i += 64) {
        __m512i input = _mm512_maskz_loadu_epi8(lanes(n - i), p + i);
        if (!_mm512_movepi8_mask(input)) {
            // ASCII only: the block before must not have left a sequence open, and this one leaves none.
            error = _mm512_or_si512(error, incomplete);
            incomplete = _mm512_setzero_si512();
        } else {
            __m512i prev1 = BARAZA_PREV(input, previous, 1);
            __m512i b1h = _mm512_shuffle_epi8(byte_1_high, _mm512_and_si512(_mm512_srli_epi16(prev1, 4), low4));
            __m512i b1l = _mm512_shuffle_epi8(byte_1_low, _mm512_and_si512(prev1, low4));
            __m512i b2h = _mm512_shuffle_epi8(byte_2_high, _mm512_and_si512(_mm512_srli_epi16(input, 4), low4));
            __m512i special = _mm512_and_si512(_mm512_and_si512(b1h, b1l), b2h);
            __m512i prev2 = BARAZA_PREV(input, previous, 2), prev3 = BARAZA_PREV(input, previous, 3);
            __m512i third = _mm512_subs_epu8(prev2, _mm512_set1_epi8((char)(0xE0 - 0x80)));   // 111_____ only reach 0x80
            __m512i fourth = _mm512_subs_epu8(prev3, _mm512_set1_epi8((char)(0xF0 - 0x80)));  // 1111____ only
            __m512i must = _mm512_and_si512(_mm512_or_si512(third, fourth), _mm512_set1_epi8((char)0x80));
            error = _mm512_or_si512(error, _mm512_xor_si512(must, special));
            incomplete = _mm512_subs_epu8(input, open_at_end);
        }
        previous = input;
    }
    error = _mm512_or_si512(error, incomplete);
    return _mm512_test_epi8_mask(error, error) == 0;
}
#undef BARAZA_PREV
#endif

/// The check with ASCII skipped sixteen bytes at a time (SSE2; a byte loop without it), each
/// sequence from a byte from 0x80 on decoded on its own.
static int utf8_valid_plain(const uint8_t *p, size_t n) {
    size_t i = 0;
    while (i < n) {
#if defined(__SSE2__)
        // ASCII sixteen bytes at a time, up to the next byte from 0x80 on.
        while (i + 16 <= n) {
            uint32_t high = mask(_mm_loadu_si128((const __m128i *)(p + i)));
            if (high) {
                i += (size_t)__builtin_ctz(high);
                break;
            }
            i += 16;
        }
        if (i >= n) break;
#endif
        uint8_t b0 = p[i];
        if (b0 < 0x80) {
            i++;
            continue;
        }
        size_t length;
        uint8_t low = 0x80, high = 0xBF;  // the second byte's range
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            length = 2;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            length = 3;
            if (b0 == 0xE0) low = 0xA0;       // overlong
            if (b0 == 0xED) high = 0x9F;      // surrogates
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            length = 4;
            if (b0 == 0xF0) low = 0x90;       // overlong
            if (b0 == 0xF4) high = 0x8F;      // above U+10FFFF
        } else {
            return 0;
        }
        if (i + length > n) return 0;
        if (p[i + 1] < low || p[i + 1] > high) return 0;
        for (size_t k = 2; k < length; k++) if ((p[i + k] & 0xC0) != 0x80) return 0;
        i += length;
    }
    return 1;
}

int baraza_utf8_valid(const uint8_t *p, size_t n) {
#if BARAZA_WIDE
    if (wide()) return utf8_valid_wide(p, n);
#endif
    return utf8_valid_plain(p, n);
}

int baraza_utf8_valid_with(int use_wide, const uint8_t *p, size_t n) {
#if BARAZA_WIDE
    if (use_wide && wide()) return utf8_valid_wide(p, n);
#else
    (void)use_wide;
#endif
    return utf8_valid_plain(p, n);
}

/* MARK: JSON string bodies */

/// Bytes written for `b` in a JSON string body.
static inline size_t escaped_size(uint8_t b) {
    if (b == '"' || b == '\\' || b == '\n' || b == '\r' || b == '\t') return 2;
    return b < 0x20 ? 6 : 1;
}

#if defined(__SSE2__)
/// Bytes of `v` that need an escape: below 0x20, `"` and `\`.
static inline uint32_t escapes(__m128i v) {
    return mask(_mm_or_si128(in_range(v, 0x00, 0x1F), _mm_or_si128(eq(v, '"'), eq(v, '\\'))));
}
#endif

/// The escaped length of bytes `p[0..<n]`.
static size_t escaped_length(const uint8_t *p, size_t n) {
    size_t length = 0, i = 0;
#if defined(__SSE2__)
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        uint32_t e = escapes(v);
        length += 16;
        if (!e) continue;
        // Two bytes for each escape, four more for each control byte without a short escape.
        uint32_t shortControl = mask(_mm_or_si128(eq(v, '\n'), _mm_or_si128(eq(v, '\r'), eq(v, '\t'))));
        uint32_t control = mask(in_range(v, 0x00, 0x1F));
        length += (size_t)__builtin_popcount(e) + 4 * (size_t)__builtin_popcount(control & ~shortControl);
    }
#endif
    for (; i < n; i++) length += escaped_size(p[i]);
    return length;
}

size_t baraza_json_array_length(const uint8_t *bytes, const intptr_t *ends, size_t fields) {
    // The escapes do not depend on where fields end: one pass over all the bytes.
    size_t total = fields ? (size_t)ends[fields - 1] : 0;
    return escaped_length(bytes, total) + 2 + 3 * fields - (fields ? 1 : 0);
}

static inline size_t write_escape(uint8_t b, uint8_t *o) {
    static const char hex[] = "0123456789abcdef";
    o[0] = '\\';
    switch (b) {
    case '"': case '\\': o[1] = b; return 2;
    case '\n': o[1] = 'n'; return 2;
    case '\r': o[1] = 'r'; return 2;
    case '\t': o[1] = 't'; return 2;
    default:
        o[1] = 'u'; o[2] = '0'; o[3] = '0'; o[4] = (uint8_t)hex[b >> 4]; o[5] = (uint8_t)hex[b & 0xF];
        return 6;
    }
}

#if BARAZA_WIDE
/// One step through a field's body (`i` up to `end`) in AVX-512 BW: up to 64 bytes, loads and
/// stores masked to the field's run before its first escape, so it reads nothing past the record
/// and writes nothing past what it returns; then that escape. Most of the reference workload's
/// fields take one step.
__attribute__((target("avx512f,avx512bw,bmi,bmi2"))) static inline void json_step_wide(const uint8_t *bytes, size_t *ip, size_t end,
                                                                                       uint8_t *out, size_t *wp) {
    const __m512i space = _mm512_set1_epi8(0x20), quote = _mm512_set1_epi8('"'), backslash = _mm512_set1_epi8('\\');
    size_t i = *ip, w = *wp, left = end - i;
    __mmask64 in = lanes(left);
    __m512i v = _mm512_maskz_loadu_epi8(in, bytes + i);
    __mmask64 e = (_mm512_cmplt_epu8_mask(v, space) | _mm512_cmpeq_epi8_mask(v, quote) | _mm512_cmpeq_epi8_mask(v, backslash)) & in;
    if (!e) {
        size_t step = left < 64 ? left : 64;
        _mm512_mask_storeu_epi8(out + w, in, v);
        *ip = i + step; *wp = w + step;
        return;
    }
    unsigned z = (unsigned)_tzcnt_u64(e);
    _mm512_mask_storeu_epi8(out + w, _bzhi_u64(~0ULL, z), v);
    i += z; w += z;
    w += write_escape(bytes[i], out + w);
    *ip = i + 1; *wp = w;
}
#endif

static inline __attribute__((always_inline)) size_t json_array(const uint8_t *bytes, const intptr_t *ends, size_t fields, uint8_t *out,
                                                               int wide) {
    // One pass over the record's bytes, sixteen at a time wherever sixteen can be read (to the end
    // of the record's bytes, across field ends): each block is stored whole, as if it held no
    // escape and ended no field, and the write position then advances only over the bytes that
    // were the field's and came before its first escape. The store past that point is overwritten
    // by what comes next, or is the slack the caller leaves (`out` has room for 16 bytes more).
    // A copy of each field's tail by `memcpy` (61% of the reference workload's fields are shorter
    // than sixteen bytes) made this 540 ns per record of that workload; this way, 390 ns.
    size_t w = 0, i = 0, total = fields ? (size_t)ends[fields - 1] : 0;
    out[w++] = '[';
    for (size_t k = 0; k < fields; k++) {
        if (k) out[w++] = ',';
        out[w++] = '"';
        size_t end = (size_t)ends[k];
        while (i < end) {
#if BARAZA_WIDE
            if (wide) {
                json_step_wide(bytes, &i, end, out, &w);
                continue;
            }
#endif
#if defined(__SSE2__)
            if (i + 16 <= total) {
                __m128i v = _mm_loadu_si128((const __m128i *)(bytes + i));
                _mm_storeu_si128((__m128i *)(out + w), v);
                uint32_t e = escapes(v);
                size_t left = end - i;
                if (left < 16) e &= (1u << left) - 1;
                if (!e) {
                    size_t step = left < 16 ? left : 16;
                    i += step; w += step;
                    continue;
                }
                unsigned z = (unsigned)__builtin_ctz(e);
                i += z; w += z;
                w += write_escape(bytes[i], out + w);
                i++;
                continue;
            }
#endif
            uint8_t b = bytes[i++];
            if (escaped_size(b) == 1) out[w++] = b; else w += write_escape(b, out + w);
        }
        out[w++] = '"';
    }
    out[w++] = ']';
    return w;
}

#if BARAZA_WIDE
__attribute__((target("avx512f,avx512bw,bmi,bmi2"))) static size_t json_array_wide(const uint8_t *bytes, const intptr_t *ends,
                                                                                    size_t fields, uint8_t *out) {
    return json_array(bytes, ends, fields, out, 1);
}
#endif

size_t baraza_json_array_with(int use_wide, const uint8_t *bytes, const intptr_t *ends, size_t fields, uint8_t *out) {
#if BARAZA_WIDE
    if (use_wide && wide()) return json_array_wide(bytes, ends, fields, out);
#else
    (void)use_wide;
#endif
    return json_array(bytes, ends, fields, out, 0);
}

size_t baraza_json_array(const uint8_t *bytes, const intptr_t *ends, size_t fields, uint8_t *out) {
    return baraza_json_array_with(1, bytes, ends, fields, out);
}

/* MARK: Words of open text */

/// The masks of one 64-byte block: word bytes, clause marks.
static inline void block_masks(const uint8_t *b, uint64_t *word, uint64_t *clause) {
#if defined(__SSE2__)
    uint64_t w = 0, c = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(b + 16 * k));
        __m128i letter = in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z');
        __m128i digit = in_range(v, '0', '9');
        uint64_t wk = mask(_mm_or_si128(v, _mm_or_si128(letter, digit)));  // v's sign bit: a byte from 0x80
        __m128i marks = _mm_or_si128(_mm_or_si128(_mm_or_si128(eq(v, ','), eq(v, ';')), _mm_or_si128(eq(v, '.'), eq(v, ':'))),
                                     _mm_or_si128(_mm_or_si128(eq(v, '!'), eq(v, '?')), _mm_or_si128(eq(v, '('), eq(v, ')'))));
        w |= wk << (16 * k);
        c |= (uint64_t)mask(marks) << (16 * k);
    }
    *word = w;
    *clause = c;
#else
    uint64_t w = 0, c = 0;
    for (int k = 0; k < 64; k++) {
        uint8_t x = b[k], l = x | 0x20;
        if (x >= 0x80 || (x >= '0' && x <= '9') || (l >= 'a' && l <= 'z')) w |= 1ULL << k;
        if (x == ',' || x == ';' || x == '.' || x == ':' || x == '!' || x == '?' || x == '(' || x == ')') c |= 1ULL << k;
    }
    *word = w;
    *clause = c;
#endif
}

/// Bit `i` of `m` (`words` 64-bit words); 0 past them.
static inline int bit_at(const uint64_t *m, size_t words, size_t i) {
    return (i >> 6) < words ? (int)((m[i >> 6] >> (i & 63)) & 1) : 0;
}

/// The first bit clear in `m` at or after `i` (bits past the text are clear).
static inline size_t next_clear(const uint64_t *m, size_t words, size_t i) {
    size_t k = i >> 6;
    if (k >= words) return i;
    uint64_t x = ~m[k] & (~0ULL << (i & 63));
    while (!x) {
        if (++k >= words) return words << 6;
        x = ~m[k];
    }
    return (k << 6) + (size_t)__builtin_ctzll(x);
}

/// Bits set in `m` from `a` up to (not including) `b`. Most ranges hold none: they are found
/// without a population count (which baseline x86-64 has no instruction for).
static inline int32_t count_range(const uint64_t *m, size_t a, size_t b) {
    if (a >= b) return 0;
    size_t ka = a >> 6, kb = (b - 1) >> 6;
    uint64_t first = ~0ULL << (a & 63), last = ~0ULL >> (63 - ((b - 1) & 63));
    if (ka == kb) {
        uint64_t x = m[ka] & first & last;
        return x ? __builtin_popcountll(x) : 0;
    }
    int32_t n = 0;
    uint64_t x = m[ka] & first, y = m[kb] & last;
    if (x) n += __builtin_popcountll(x);
    if (y) n += __builtin_popcountll(y);
    for (size_t k = ka + 1; k < kb; k++) if (m[k]) n += __builtin_popcountll(m[k]);
    return n;
}

/// Block `k` of the text (64 bytes from `64 * k`), readable for 66 bytes: a block near the end is
/// copied into `pad` with zeros after the text (zero bytes are neither word bytes nor marks, and
/// the filter reads up to two bytes past the block).
static inline const uint8_t *block_at(const uint8_t *t, size_t n, size_t k, uint8_t pad[80]) {
    if (64 * k + 66 <= n) return t + 64 * k;
    memset(pad, 0, 80);
    memcpy(pad, t + 64 * k, n - 64 * k);
    return pad;
}

/* MARK: Word prefilter */

static inline int rel_bit(const uint64_t *m, unsigned i) { return (int)((m[i >> 6] >> (i & 63)) & 1); }

static inline int popcount32(uint32_t x) { return __builtin_popcount(x); }

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <tmmintrin.h>

/// Whether the processor has SSSE3 and POPCNT (the filtered scan is built for both).
static int has_ssse3(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    return (c & bit_SSSE3) != 0 && (c & bit_POPCNT) != 0;
}

/// Bit j set where a word could start at `b[j]` for the filter (`b` readable for 66 bytes).
__attribute__((target("ssse3"))) static uint64_t filter_block(const uint8_t *b, const baraza_word_filter *f) {
    const __m128i low5 = _mm_set1_epi8(31), low4 = _mm_set1_epi8(15), one = _mm_set1_epi8(1), zero = _mm_setzero_si128();
    __m128i lo[3], hi[3];
    for (int p = 0; p < 3; p++) {
        lo[p] = _mm_loadu_si128((const __m128i *)f->lo[p]);
        hi[p] = _mm_loadu_si128((const __m128i *)f->hi[p]);
    }
    uint64_t out = 0;
    for (int j = 0; j < 4; j++) {
        __m128i acc = _mm_set1_epi8(-1);
        for (int p = 0; p < 3; p++) {
            __m128i x = _mm_and_si128(_mm_loadu_si128((const __m128i *)(b + 16 * j + p)), low5);
            __m128i l = _mm_shuffle_epi8(lo[p], _mm_and_si128(x, low4));
            __m128i h = _mm_shuffle_epi8(hi[p], _mm_and_si128(_mm_srli_epi16(x, 4), one));
            acc = _mm_and_si128(acc, _mm_and_si128(l, h));
        }
        out |= (uint64_t)((~(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(acc, zero))) & 0xFFFFu) << (16 * j);
    }
    return out;
}
#if BARAZA_WIDE
/// The first pass of the scan (see `scan_words`) with AVX-512 BW: a 64-byte block is one register,
/// so the word and clause masks, the bytes from 0x80 on and the filter's three look-ups take one
/// instruction each per block where SSE2 and SSSE3 take four. The reference workload's open texts:
/// this pass was most of the scan's time.
__attribute__((target("avx512f,avx512bw"))) static void first_pass_avx512(const uint8_t *t, size_t n, const baraza_word_filter *f,
                                                                          uint64_t *word, uint64_t *clause, uint64_t *high,
                                                                          uint64_t *likely) {
    const __m512i low5 = _mm512_set1_epi8(31), low4 = _mm512_set1_epi8(15), one = _mm512_set1_epi8(1);
    const __m512i space = _mm512_set1_epi8(0x20), a = _mm512_set1_epi8('a'), d0 = _mm512_set1_epi8('0');
    const __m512i twentyfive = _mm512_set1_epi8(25), nine = _mm512_set1_epi8(9);
    __m512i lo[3], hi[3];
    for (int p = 0; p < 3; p++) {
        lo[p] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)f->lo[p]));
        hi[p] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)f->hi[p]));
    }
    static const char marks[8] = {',', ';', '.', ':', '!', '?', '(', ')'};
    size_t words = (n + 63) / 64;
    for (size_t k = 0; k < words; k++) {
        uint8_t pad[80];
        const uint8_t *b = block_at(t, n, k, pad);
        __m512i v = _mm512_loadu_si512((const void *)b);
        __mmask64 letter = _mm512_cmple_epu8_mask(_mm512_sub_epi8(_mm512_or_si512(v, space), a), twentyfive);
        __mmask64 digit = _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, d0), nine);
        __mmask64 h = _mm512_movepi8_mask(v);
        __mmask64 c = 0;
        for (int m = 0; m < 8; m++) c |= _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(marks[m]));
        word[k] = letter | digit | h;
        clause[k] = c;
        high[k] = h;
        __m512i acc = _mm512_set1_epi8(-1);
        for (int p = 0; p < 3; p++) {
            __m512i x = _mm512_and_si512(_mm512_loadu_si512((const void *)(b + p)), low5);
            __m512i l = _mm512_shuffle_epi8(lo[p], _mm512_and_si512(x, low4));
            __m512i u = _mm512_shuffle_epi8(hi[p], _mm512_and_si512(_mm512_srli_epi16(x, 4), one));
            acc = _mm512_and_si512(acc, _mm512_and_si512(l, u));
        }
        likely[k] = _mm512_test_epi8_mask(acc, acc);
    }
}
#endif
#else
static int has_ssse3(void) { return 0; }
static uint64_t filter_block(const uint8_t *b, const baraza_word_filter *f) { (void)b; (void)f; return ~0ULL; }
#endif

void baraza_word_filter_make(const uint64_t *rel, baraza_word_filter *f) {
    memset(f, 0, sizeof *f);
    // Per first character (by its low five bits): the second and third characters it is marked
    // with, as 32-bit sets; a two-character entry allows any third, a one-character one any second.
    uint32_t s1[32] = {0}, s2[32] = {0}, used = 0;
    for (unsigned i = 0; i < 512 * 64; i++) {
        if (!rel_bit(rel, i)) continue;
        unsigned a = i >> 10;
        used |= 1u << a;
        s1[a] |= 1u << ((i >> 5) & 31);
        s2[a] |= 1u << (i & 31);
    }
    for (unsigned i = 0; i < 1024; i++) {
        if (!rel_bit(rel, 512 * 64 + i)) continue;
        unsigned a = i >> 5;
        used |= 1u << a;
        s1[a] |= 1u << (i & 31);
        s2[a] = ~0u;
    }
    for (unsigned a = 0; a < 32; a++) {
        if (!rel_bit(rel, 528 * 64 + a)) continue;
        used |= 1u << a;
        s1[a] = s2[a] = ~0u;
    }
    // One bucket per first character, then the two whose merging adds the fewest triples to what
    // the buckets let through merged until eight are left.
    uint32_t b0[32], b1[32], b2[32];
    int nb = 0;
    for (unsigned a = 0; a < 32; a++) {
        if (!((used >> a) & 1)) continue;
        b0[nb] = 1u << a; b1[nb] = s1[a]; b2[nb] = s2[a];
        nb++;
    }
    while (nb > 8) {
        int bx = 0, by = 1;
        int64_t best = INT64_MAX;
        for (int x = 0; x < nb; x++) {
            for (int y = x + 1; y < nb; y++) {
                int64_t merged = (int64_t)popcount32(b0[x] | b0[y]) * popcount32(b1[x] | b1[y]) * popcount32(b2[x] | b2[y]);
                int64_t apart = (int64_t)popcount32(b0[x]) * popcount32(b1[x]) * popcount32(b2[x])
                    + (int64_t)popcount32(b0[y]) * popcount32(b1[y]) * popcount32(b2[y]);
                if (merged - apart < best) { best = merged - apart; bx = x; by = y; }
            }
        }
        b0[bx] |= b0[by]; b1[bx] |= b1[by]; b2[bx] |= b2[by];
        nb--;
        b0[by] = b0[nb]; b1[by] = b1[nb]; b2[by] = b2[nb];
    }
    for (int k = 0; k < nb; k++) {
        uint32_t sets[3] = {b0[k], b1[k], b2[k]};
        for (int p = 0; p < 3; p++) {
            for (unsigned x = 0; x < 32; x++) {
                if (!((sets[p] >> x) & 1)) continue;
                f->lo[p][x & 15] |= (uint8_t)(1u << k);
                f->hi[p][x >> 4] |= (uint8_t)(1u << k);
            }
        }
    }
    f->enabled = !has_ssse3() ? 0 : wide() ? 2 : 1;
}

static inline __attribute__((always_inline)) size_t scan_words(const uint8_t *t, size_t n, const uint64_t *relevant,
                                                               const baraza_word_filter *filter, uint64_t *masks, baraza_word *out,
                                                               baraza_word *tail, int wide) {
    tail->start = (int32_t)n; tail->count = 0; tail->skipped = 0; tail->clauses = 0;
    if (n == 0) return 0;
    int filtering = filter != NULL;
    size_t words = (n + 63) / 64;
    uint64_t *word = masks, *clause = masks + words, *high = masks + 2 * words, *likely = masks + 3 * words;
#if BARAZA_WIDE
    if (wide) first_pass_avx512(t, n, filter, word, clause, high, likely);
#else
    (void)wide;
#endif
    for (size_t k = 0; !wide && k < words; k++) {
        uint8_t pad[80];
        const uint8_t *b = block_at(t, n, k, pad);
        block_masks(b, &word[k], &clause[k]);
        uint64_t h = 0;
#if defined(__SSE2__)
        for (int j = 0; j < 4; j++) h |= (uint64_t)mask(_mm_loadu_si128((const __m128i *)(b + 16 * j))) << (16 * j);
#else
        for (int j = 0; j < 64; j++) if (b[j] >= 0x80) h |= 1ULL << j;
#endif
        high[k] = h;
        likely[k] = filtering ? filter_block(b, filter) : ~0ULL;
    }
    // `high` becomes the starts of the words that hold a byte from 0x80 on: each such byte's mark
    // is carried down its word to the word's first byte (doubling steps within a block; a word that
    // runs on into the next block takes that block's verdict in at bit 63), blocks last to first.
    uint64_t carry = 0;  // the word at the next block's bit 0 holds such a byte
    for (size_t k = words; k-- > 0;) {
        uint64_t r = word[k];
        uint64_t x = high[k] | (((r >> 63) & carry) << 63), y = r;
        for (int shift = 1; shift < 64; shift <<= 1) {
            x |= y & (x >> shift);
            y &= y >> shift;
        }
        carry = x & 1;
        high[k] = x & r & ~((r << 1) | (k > 0 ? word[k - 1] >> 63 : 0));
    }
    // Then the word starts the filter lets through (all of them without it) are taken one by one:
    // an ASCII word is judged by its first characters and its length class (the next two bits of
    // the word mask), and only a word that is returned has its end found. The starts passed over
    // are counted as skipped. Clause marks are never inside a word, so those between two words
    // returned are counted once, from the end of the first (`since`).
    size_t found = 0, since = 0;
    int32_t skipped = 0;
    for (size_t k = 0; k < words; k++) {
        uint64_t starts = word[k] & ~((word[k] << 1) | (k > 0 ? word[k - 1] >> 63 : 0));
        uint64_t visit = starts & (likely[k] | high[k]);
        uint64_t rest = starts;  // starts neither visited nor counted yet
        while (visit) {
            unsigned j = (unsigned)__builtin_ctzll(visit);
            visit &= visit - 1;
            uint64_t before = rest & ((1ULL << j) - 1);
            if (before) skipped += __builtin_popcountll(before);
            rest &= ~((2ULL << j) - 1);
            size_t s = 64 * k + j;
            if (!((high[k] >> j) & 1)) {
                // The word's first characters by their low five bits, as one index: a bitset of
                // 4 KiB that stays in the first-level cache (a byte table by 36 slots each was
                // 46 KiB, and its look-ups most of this loop's time).
                unsigned a = t[s] & 31u;
                int second = bit_at(word, words, s + 1), third = second && bit_at(word, words, s + 2);
                unsigned i = !second ? 528u * 64u + a
                    : !third ? 512u * 64u + (a << 5 | (t[s + 1] & 31u))
                    : (a << 10 | (t[s + 1] & 31u) << 5 | (t[s + 2] & 31u));
                if (!((relevant[i >> 6] >> (i & 63)) & 1)) {
                    skipped++;
                    continue;
                }
            }
            size_t e = next_clear(word, words, s);
            if (e > n) e = n;
            out[found].start = (int32_t)s;
            out[found].count = (int32_t)(e - s);
            out[found].skipped = skipped;
            out[found].clauses = count_range(clause, since, s);
            found++;
            skipped = 0;
            since = e;
        }
        if (rest) skipped += __builtin_popcountll(rest);
    }
    tail->skipped = skipped;
    tail->clauses = count_range(clause, since, n);
    return found;
}

/// The scan with the filter, built for SSSE3 and POPCNT (the starts passed over are counted with
/// a population count per word visited: without the instruction, those counts were a third of
/// the filtered scan's time).
#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("ssse3,popcnt")))
#endif
static size_t scan_words_filtered(const uint8_t *t, size_t n, const uint64_t *relevant, const baraza_word_filter *filter,
                                  uint64_t *masks, baraza_word *out, baraza_word *tail) {
    return scan_words(t, n, relevant, filter, masks, out, tail, 0);
}

/// The filtered scan with its first pass in AVX-512 BW (`first_pass_avx512`), chosen at run time
/// like the filter.
#if BARAZA_WIDE
__attribute__((target("ssse3,popcnt,bmi,bmi2")))
static size_t scan_words_wide(const uint8_t *t, size_t n, const uint64_t *relevant, const baraza_word_filter *filter,
                              uint64_t *masks, baraza_word *out, baraza_word *tail) {
    return scan_words(t, n, relevant, filter, masks, out, tail, 1);
}
#endif

static size_t scan_words_plain(const uint8_t *t, size_t n, const uint64_t *relevant, uint64_t *masks, baraza_word *out,
                               baraza_word *tail) {
    return scan_words(t, n, relevant, NULL, masks, out, tail, 0);
}

size_t baraza_scan_words(const uint8_t *t, size_t n, const uint64_t *relevant, const baraza_word_filter *filter, uint64_t *masks,
                         baraza_word *out, baraza_word *tail) {
#if BARAZA_WIDE
    if (filter != NULL && filter->enabled == 2) return scan_words_wide(t, n, relevant, filter, masks, out, tail);
#endif
    if (filter != NULL && filter->enabled) return scan_words_filtered(t, n, relevant, filter, masks, out, tail);
    return scan_words_plain(t, n, relevant, masks, out, tail);
}

/* MARK: CSV runs */

size_t baraza_csv_run(const uint8_t *p, size_t n, uint8_t delimiter, int quoted, uint32_t *flags) {
    size_t i = 0;
    uint32_t f = 0;
    // In a quoted field the delimiter is text: the quote stands in for it.
    uint8_t d = quoted ? '"' : delimiter;
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        uint32_t stop = mask(_mm_or_si128(_mm_or_si128(eq(v, d), eq(v, '"')), _mm_or_si128(eq(v, '\n'), eq(v, '\r'))));
        uint32_t high = mask(v), nul = mask(_mm_cmpeq_epi8(v, zero));
        if (stop) {
            uint32_t before = (stop & (0u - stop)) - 1;  // the bytes before the first stop
            if (high & before) f |= 1;
            if (nul & before) f |= 2;
            *flags |= f;
            return i + (size_t)__builtin_ctz(stop);
        }
        if (high) f |= 1;
        if (nul) f |= 2;
    }
#endif
    for (; i < n; i++) {
        uint8_t c = p[i];
        if (c == d || c == '"' || c == '\n' || c == '\r') break;
        if (c >= 0x80) f |= 1; else if (c == 0) f |= 2;
    }
    *flags |= f;
    return i;
}

/* MARK: CSV records */

/// Copies the run of `p[i..<n]` before its first stop byte (`d`, `"`, LF, CR) to `out + *o`, and
/// returns where the run ends. Whole sixteen-byte blocks are stored (`out` has 16 bytes of slack
/// past what it holds, and never runs ahead of the input), and the write position advances over
/// the run's bytes only.
static inline size_t copy_run(const uint8_t *p, size_t i, size_t n, uint8_t d, uint8_t *out, size_t *o, uint32_t *flags) {
    size_t w = *o;
    uint32_t f = 0;
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    for (; i + 16 <= n; i += 16, w += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        _mm_storeu_si128((__m128i *)(out + w), v);
        uint32_t stop = mask(_mm_or_si128(_mm_or_si128(eq(v, d), eq(v, '"')), _mm_or_si128(eq(v, '\n'), eq(v, '\r'))));
        uint32_t high = mask(v), nul = mask(_mm_cmpeq_epi8(v, zero));
        if (stop) {
            uint32_t k = (uint32_t)__builtin_ctz(stop), before = (1u << k) - 1;
            if (high & before) f |= 1;
            if (nul & before) f |= 2;
            *flags |= f;
            *o = w + k;
            return i + k;
        }
        if (high) f |= 1;
        if (nul) f |= 2;
    }
#endif
    for (; i < n; i++, w++) {
        uint8_t c = p[i];
        if (c == d || c == '"' || c == '\n' || c == '\r') break;
        if (c >= 0x80) f |= 1; else if (c == 0) f |= 2;
        out[w] = c;
    }
    *flags |= f;
    *o = w;
    return i;
}

#if BARAZA_WIDE
/// `copy_run` 64 bytes at a time with AVX-512 BW: loads masked to the input, stores to the run.
__attribute__((target("avx512f,avx512bw,bmi,bmi2"))) static inline size_t copy_run_wide(const uint8_t *p, size_t i, size_t n, uint8_t d,
                                                                                        uint8_t *out, size_t *o, uint32_t *flags) {
    const __m512i dv = _mm512_set1_epi8((char)d), quote = _mm512_set1_epi8('"'), lf = _mm512_set1_epi8('\n'), cr = _mm512_set1_epi8('\r');
    size_t w = *o;
    uint64_t high = 0, nul = 0;
    while (i < n) {
        size_t left = n - i;
        __mmask64 in = lanes(left);
        __m512i v = _mm512_maskz_loadu_epi8(in, p + i);
        __mmask64 stop = (_mm512_cmpeq_epi8_mask(v, dv) | _mm512_cmpeq_epi8_mask(v, quote) | _mm512_cmpeq_epi8_mask(v, lf)
                          | _mm512_cmpeq_epi8_mask(v, cr)) & in;
        __mmask64 keep = stop ? _bzhi_u64(~0ULL, (unsigned)_tzcnt_u64(stop)) : in;
        _mm512_mask_storeu_epi8(out + w, keep, v);
        high |= _mm512_movepi8_mask(v) & keep;
        nul |= _mm512_testn_epi8_mask(v, v) & keep;
        size_t step = (size_t)_mm_popcnt_u64(keep);
        i += step; w += step;
        if (stop) break;
    }
    *flags |= (high ? 1u : 0u) | (nul ? 2u : 0u);
    *o = w;
    return i;
}
#else
static inline size_t copy_run_wide(const uint8_t *p, size_t i, size_t n, uint8_t d, uint8_t *out, size_t *o, uint32_t *flags) {
    return copy_run(p, i, n, d, out, o, flags);
}
#endif

#if BARAZA_WIDE
/// The unquoted fields from `p[*i]` on that end at a delimiter before the next quote or line
/// break within 64 bytes, taken as a block with AVX-512 VBMI2: their bytes (the block's bytes
/// before its last such delimiter, delimiters left out) compressed into `out + *o` in one store,
/// their ends from the delimiters' positions. Returns 0 when the block holds no such field (the
/// caller takes the field the general way), 1 when it took some, -1 when they would pass
/// `ends_room` (the record is then not of the common shape). Per-field copying with one loop
/// per field was most of `csv_record_wide`'s time on exports of short closed answers.
__attribute__((target("avx512f,avx512bw,avx512vbmi2,bmi,bmi2,lzcnt,popcnt"))) static inline int csv_fields_block(
    const uint8_t *p, size_t *i, size_t n, uint8_t delimiter, uint8_t *out, size_t *o, intptr_t *ends, size_t *fields,
    size_t ends_room, uint32_t *flags) {
    const __m512i dv = _mm512_set1_epi8((char)delimiter), quote = _mm512_set1_epi8('"'), lf = _mm512_set1_epi8('\n'),
                  cr = _mm512_set1_epi8('\r');
    int took = 0;
    while (*i < n) {
        __mmask64 in = lanes(n - *i);
        __m512i v = _mm512_maskz_loadu_epi8(in, p + *i);
        __mmask64 stop = (_mm512_cmpeq_epi8_mask(v, quote) | _mm512_cmpeq_epi8_mask(v, lf) | _mm512_cmpeq_epi8_mask(v, cr)) & in;
        __mmask64 before = stop ? _bzhi_u64(~0ULL, (unsigned)_tzcnt_u64(stop)) : in;
        __mmask64 delims = _mm512_cmpeq_epi8_mask(v, dv) & before;
        if (!delims) break;
        size_t count = (size_t)_mm_popcnt_u64(delims);
        if (*fields + count > ends_room) return -1;
        unsigned last = 63u - (unsigned)_lzcnt_u64(delims);
        __mmask64 span = _bzhi_u64(~0ULL, last);
        __mmask64 keep = span & ~delims;
        size_t kept = (size_t)_mm_popcnt_u64(keep);
        _mm512_mask_storeu_epi8(out + *o, _bzhi_u64(~0ULL, (unsigned)kept), _mm512_maskz_compress_epi8(keep, v));
        if ((_mm512_movepi8_mask(v) & keep) != 0) *flags |= 1;
        if ((_mm512_testn_epi8_mask(v, v) & keep) != 0) *flags |= 2;
        // A field's end: its delimiter's place, less the delimiters before it.
        size_t base = *o, k = *fields, t = 0;
        for (uint64_t d = delims; d; d = _blsr_u64(d), t++) ends[k + t] = (intptr_t)(base + _tzcnt_u64(d) - t);
        *fields = k + count;
        *o = base + kept;
        *i += last + 1;
        took = 1;
        if (*i < n && p[*i] == '"') break;
    }
    return took;
}
#endif

static inline __attribute__((always_inline)) size_t csv_record(const uint8_t *p, size_t n, uint8_t delimiter, uint8_t *out, intptr_t *ends,
                                                               size_t ends_room, baraza_csv_record_info *info, int wide) {
    size_t i = 0, o = 0, fields = 0, lines = 0;
    uint32_t flags = 0;
    for (;;) {
        // A field's first byte.
        if (i >= n) return 0;
        uint8_t c = p[i];
#if BARAZA_WIDE
        if (wide == 2 && c != '"') {
            int took = csv_fields_block(p, &i, n, delimiter, out, &o, ends, &fields, ends_room, &flags);
            if (took < 0) return 0;
            if (took) {
                if (i >= n) return 0;
                c = p[i];
            }
        }
#endif
        if (c == '"') {
            i++;
            for (;;) {
                i = wide ? copy_run_wide(p, i, n, '"', out, &o, &flags) : copy_run(p, i, n, '"', out, &o, &flags);
                if (i >= n) return 0;
                c = p[i];
                if (c == '"') {
                    if (i + 1 >= n) return 0;
                    if (p[i + 1] != '"') { i++; break; }
                    out[o++] = '"';
                    i += 2;
                } else {
                    // A line break inside the field: kept; CR LF is one break.
                    out[o++] = c;
                    i++;
                    lines++;
                    if (c == '\r') {
                        if (i >= n) return 0;
                        if (p[i] == '\n') { out[o++] = '\n'; i++; }
                    }
                }
            }
            // After the closing quote: a delimiter or the line end, else the general way.
            if (i >= n) return 0;
            c = p[i];
            if (c != delimiter && c != '\n' && c != '\r') return 0;
        } else if (c != delimiter && c != '\n' && c != '\r') {
            i = wide ? copy_run_wide(p, i, n, delimiter, out, &o, &flags) : copy_run(p, i, n, delimiter, out, &o, &flags);
            if (i >= n) return 0;
            c = p[i];
            if (c == '"') return 0;  // a quote inside an unquoted field
        }
        if (fields == ends_room) return 0;
        ends[fields++] = (intptr_t)o;
        i++;
        if (c == delimiter) continue;
        // The record's line end.
        lines++;
        if (c == '\r') {
            if (i >= n) return 0;
            if (p[i] == '\n') i++;
        }
        info->bytes = o;
        info->fields = fields;
        info->lines = lines;
        info->flags = flags;
        return i;
    }
}

#if BARAZA_WIDE
__attribute__((target("avx512f,avx512bw,bmi,bmi2,popcnt"))) static size_t csv_record_wide(const uint8_t *p, size_t n, uint8_t delimiter,
                                                                                           uint8_t *out, intptr_t *ends, size_t ends_room,
                                                                                           baraza_csv_record_info *info) {
    return csv_record(p, n, delimiter, out, ends, ends_room, info, 1);
}

/// `csv_record_wide` with runs of unquoted fields taken a block at a time (`csv_fields_block`).
__attribute__((target("avx512f,avx512bw,avx512vbmi2,bmi,bmi2,lzcnt,popcnt"))) static size_t csv_record_compress(
    const uint8_t *p, size_t n, uint8_t delimiter, uint8_t *out, intptr_t *ends, size_t ends_room, baraza_csv_record_info *info) {
    return csv_record(p, n, delimiter, out, ends, ends_room, info, 2);
}
#endif

size_t baraza_csv_record_with(int use_wide, const uint8_t *p, size_t n, uint8_t delimiter, uint8_t *out, intptr_t *ends,
                              size_t ends_room, baraza_csv_record_info *info) {
#if BARAZA_WIDE
    if (use_wide >= 2 && compressing()) return csv_record_compress(p, n, delimiter, out, ends, ends_room, info);
    if (use_wide && wide()) return csv_record_wide(p, n, delimiter, out, ends, ends_room, info);
#else
    (void)use_wide;
#endif
    return csv_record(p, n, delimiter, out, ends, ends_room, info, 0);
}

size_t baraza_csv_record(const uint8_t *p, size_t n, uint8_t delimiter, uint8_t *out, intptr_t *ends, size_t ends_room,
                         baraza_csv_record_info *info) {
    return baraza_csv_record_with(2, p, n, delimiter, out, ends, ends_room, info);
}
