/* CSV: runs of plain bytes in a field, and whole records with their field ends. */
#include "internal.h"

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
