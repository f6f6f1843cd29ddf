/* What the byte-scan families share: the SSE2 helpers, the processor checks and, for Fuzz/run.sh,
   the switch that builds every family under other names as the byte loops' reference. */
#ifndef BARAZA_TEXT_INTERNAL_H
#define BARAZA_TEXT_INTERNAL_H

/* Built with BARAZA_SCALAR_REFERENCE (and without SSE2) each public scan takes a baraza_scalar_ name,
   so Fuzz/text-scans.c can link both builds and compare them. */
#if defined(BARAZA_SCALAR_REFERENCE)
#define baraza_has_wide baraza_scalar_has_wide
#define baraza_has_compress baraza_scalar_has_compress
#define baraza_utf8_simple_count baraza_scalar_utf8_simple_count
#define baraza_utf8_valid_with baraza_scalar_utf8_valid_with
#define baraza_utf8_valid baraza_scalar_utf8_valid
#define baraza_json_array_length baraza_scalar_json_array_length
#define baraza_json_array_with baraza_scalar_json_array_with
#define baraza_json_array baraza_scalar_json_array
#define baraza_word_filter_make baraza_scalar_word_filter_make
#define baraza_scan_words baraza_scalar_scan_words
#define baraza_csv_run baraza_scalar_csv_run
#define baraza_csv_record_with baraza_scalar_csv_record_with
#define baraza_csv_record baraza_scalar_csv_record
#endif

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
static inline int has_avx512bw(void) {
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

/// The lanes of a 64-byte block that hold bytes, when `left` bytes are left: all 64, or the first
/// `left` (the AVX-512 BW forms mask their loads and stores with it).
__attribute__((target("avx512f,avx512bw,bmi2"))) static inline __mmask64 lanes(size_t left) {
    return left >= 64 ? ~0ULL : _bzhi_u64(~0ULL, (unsigned)left);
}
#else
static inline int wide(void) { return 0; }
static inline int compressing(void) { return 0; }
#endif

#endif
