#include "CBarazaText.h"

/* The bits a key sets in its block come from a second mix of its hash (splitmix64's finaliser),
   the block from the hash's low bits. */
static inline uint64_t remix(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void baraza_filter_add(uint64_t *words, size_t blocks, const uint64_t *hashes, size_t count, uint8_t *seen) {
    const size_t ahead = 8, mask = blocks - 1;
    for (size_t i = 0; i < count && i < ahead; i++) __builtin_prefetch(words + 8 * (hashes[i] & mask), 1);
    for (size_t i = 0; i < count; i++) {
        if (i + ahead < count) __builtin_prefetch(words + 8 * (hashes[i + ahead] & mask), 1);
        uint64_t *block = words + 8 * (hashes[i] & mask);
        uint64_t bits = remix(hashes[i]);
        int all = 1;
        for (int k = 0; k < BARAZA_FILTER_BITS; k++) {
            unsigned bit = (unsigned)(bits >> (9 * k)) & 511;
            uint64_t m = 1ULL << (bit & 63);
            uint64_t *w = block + (bit >> 6);
            if (!(*w & m)) {
                all = 0;
                *w |= m;
            }
        }
        seen[i] = (uint8_t)all;
    }
}
