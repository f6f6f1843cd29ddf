/* UTF-8: counting characters the way the store counts them, and checking validity. */
#include "internal.h"

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
    // could overflow) by `psadbw`: no mask, branch or population count per block, which made
    // short texts markedly slower (docs/performance-log.md).
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
/// load is masked to the text (zeros after it: a sequence cut short there is an error). It pays on
/// texts with an accent every few words, where the SSE2 form leaves its ASCII skip for a byte loop.
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
