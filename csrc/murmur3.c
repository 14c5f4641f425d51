/* murmur3.c - see murmur3.h. */
#include "murmur3.h"

static uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

static uint32_t mix_block(uint32_t k)
{
    k *= 0xcc9e2d51u;
    k = rotl32(k, 15);
    return k * 0x1b873593u;
}

int32_t fs_murmur3_32(const void *key, size_t len, uint32_t seed)
{
    const unsigned char *p = (const unsigned char *)key;
    size_t n_blocks = len / 4, i;
    uint32_t h = seed, k = 0;
    for (i = 0; i < n_blocks; i++, p += 4) {
        /* Byte by byte: the same blocks on any endianness, and no unaligned read. */
        k = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        h ^= mix_block(k);
        h = rotl32(h, 13);
        h = h * 5u + 0xe6546b64u;
    }
    k = 0;
    switch (len & 3) {
    case 3: k ^= (uint32_t)p[2] << 16; /* fall through */
    case 2: k ^= (uint32_t)p[1] << 8;  /* fall through */
    case 1: k ^= (uint32_t)p[0];
            h ^= mix_block(k);
    }
    /* scikit-learn passes the length as a C int: its low 32 bits are what mixes in. */
    h ^= (uint32_t)len;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    /* Two's complement, without the implementation-defined conversion of an out-of-range value. */
    return h <= INT32_MAX ? (int32_t)h : (int32_t)(h - 0x80000000u) - INT32_MAX - 1;
}

uint32_t fs_hash_column(int32_t h, uint32_t n_features)
{
    uint32_t magnitude = h < 0 ? 0u - (uint32_t)h : (uint32_t)h; /* 2**31 for INT32_MIN, no overflow */
    return magnitude % n_features;
}
