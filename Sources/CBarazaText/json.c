/* JSON: writing a record's fields as one array of escaped strings. */
#include "internal.h"

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
    // Most fields are shorter than sixteen bytes, so a `memcpy` of each field's tail cost more.
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
