/*
 * murmur3.h - the feature hashing of scikit-learn's HashingVectorizer.
 *
 * Plain C99, no Python headers, no allocation.  fs_murmur3_32 is
 * MurmurHash3_x86_32 (Austin Appleby's, public domain) as scikit-learn's
 * murmurhash3_32(key, seed, positive=False) computes it: the key's bytes read
 * as little-endian 32-bit blocks (scikit-learn reads them natively, so on
 * the little-endian machines it runs on), the result signed.
 * fs_hash_column is HashingVectorizer's column of a hash.
 */
#ifndef FASTSCORE_MURMUR3_H
#define FASTSCORE_MURMUR3_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* MurmurHash3 x86 32-bit of the len bytes at key (a feature's UTF-8 bytes), signed. */
int32_t fs_murmur3_32(const void *key, size_t len, uint32_t seed);

/* abs(h) % n_features, with abs(-2**31) = 2**31 (scikit-learn's _hashing_fast); n_features >= 1. */
uint32_t fs_hash_column(int32_t h, uint32_t n_features);

#ifdef __cplusplus
}
#endif

#endif /* FASTSCORE_MURMUR3_H */
