/* Words of open text: the word and clause masks, the prefilter and the scan the coder uses. */
#include "internal.h"

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
