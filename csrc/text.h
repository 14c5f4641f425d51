/*
 * text.h - the word counting of scikit-learn's CountVectorizer and HashingVectorizer.
 *
 * Plain C99, no Python headers.  The caller (fastscore/_text.pyx) hands over
 * each document already decoded, lowercased and stripped of accents, as the
 * raw code points of a Python str (1, 2 or 4 bytes each), and reads back one
 * CSR row per document: columns ascending, values float64.
 *
 * The tokenizer is scikit-learn's default token_pattern r"(?u)\b\w\w+\b"
 * (min_run 2) or r"(?u)\b\w+\b" (min_run 1): the maximal runs of word
 * characters at least min_run long.  A word character is one that Python's
 * `re` takes for \w (str.isalnum() or "_"); the caller builds that set from
 * the running Python (fs_wordset_build), so that it is the same on every
 * code point.  Stop words are dropped, then the n-grams are the tokens
 * joined by one space, as UTF-8; each is looked up in a vocabulary (an
 * open-addressing table keyed by fs_murmur3_32) or hashed into a column
 * (fs_murmur3_32, fs_hash_column, the sign).
 *
 * Every function is reentrant: the only mutable state is the fs_scratch and
 * fs_rows the caller passes, one per call (or per thread).
 */
#ifndef FASTSCORE_TEXT_H
#define FASTSCORE_TEXT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FS_TEXT_OK 0
#define FS_TEXT_NOMEM 1 /* an allocation failed: nothing returned is usable */

/* The word characters among all 0x110000 code points: 4352 pages of 256, shared when equal. */
#define FS_WORDSET_PAGES 4352
typedef struct {
    uint8_t latin1[256];              /* 1 for each word character below 256: the common case */
    uint16_t index[FS_WORDSET_PAGES]; /* page number of each 256 code points */
    uint8_t *bits;                    /* n_pages * 32 bytes; bit c & 255 of page index[c >> 8] */
    int n_pages;
} fs_wordset;

/* Fills `set` with is_word(c) for every code point c; FS_TEXT_OK or FS_TEXT_NOMEM. */
int fs_wordset_build(fs_wordset *set, int (*is_word)(uint32_t c));
void fs_wordset_free(fs_wordset *set);
/* 1 if c is a word character, else 0 (0 beyond 0x10FFFF). */
int fs_wordset_has(const fs_wordset *set, uint32_t c);

/* A set of byte strings, each numbered by its position: a vocabulary's terms, or stop words. */
typedef struct {
    const char *blob;       /* the strings' bytes, end to end (the caller's, kept alive) */
    const int64_t *offsets; /* n + 1 offsets into blob (the caller's) */
    int64_t n;
    uint32_t *hashes; /* fs_murmur3_32 of each string */
    int32_t *slots;   /* mask + 1 slots: a string's number + 1, or 0 when empty */
    uint64_t mask;
} fs_strset;

/* Builds the set of the n strings (n < 2**31 - 1); FS_TEXT_OK, FS_TEXT_NOMEM, or, when
 * string j repeats an earlier one, -1 with *duplicate = j. */
int fs_strset_build(fs_strset *set, const char *blob, const int64_t *offsets, int64_t n, int64_t *duplicate);
void fs_strset_free(fs_strset *set);
/* The number of the string equal to key (len bytes, hash fs_murmur3_32(key, len, 0)), or -1. */
int32_t fs_strset_find(const fs_strset *set, const char *key, size_t len, uint32_t hash);

/* What to count: a vocabulary (vocab not NULL) or hashing (n_features columns). */
typedef struct {
    const fs_wordset *words; /* for fs_row_words */
    int min_run;             /* 1 or 2: the shortest token */
    int min_n, max_n;        /* ngram_range, 1 <= min_n <= max_n */
    const fs_strset *stop;   /* stop words, or NULL */
    const fs_strset *vocab;  /* the terms (term i is column i), or NULL for hashing */
    uint32_t n_features;     /* hashing: 1 to 2**31 - 1 */
    int alternate_sign;      /* hashing: a feature of negative hash counts -1 */
} fs_counter;

/* Per-call working memory, grown as needed: fs_scratch_init it first, fs_scratch_free it last.
 * A short document fits in its own small arrays (on the caller's stack): no allocation. */
#define FS_SMALL 256
typedef struct {
    char *utf8;        /* the document's tokens, UTF-8, each followed by one space */
    size_t utf8_cap;
    int64_t *tokens;   /* start and end offset of each token in utf8 */
    size_t tokens_cap;
    uint32_t *keys;    /* one per feature counted: column << 1 | (1 when it counts -1) */
    uint32_t *spare;   /* the radix sort's other buffer */
    size_t n_keys, keys_cap, spare_cap;
    char small_utf8[4 * FS_SMALL];
    int64_t small_tokens[FS_SMALL];
    uint32_t small_keys[FS_SMALL];
} fs_scratch;
void fs_scratch_init(fs_scratch *s);
void fs_scratch_free(fs_scratch *s);

/* CSR rows as they are made, grown as needed: fs_rows_init it first, fs_rows_free it last. */
typedef struct {
    int32_t *indices;
    double *data;
    size_t nnz, cap;
    int32_t small_indices[FS_SMALL];
    double small_data[FS_SMALL];
} fs_rows;
void fs_rows_init(fs_rows *rows);
void fs_rows_free(fs_rows *rows);

/* Starts a row: no feature counted yet. */
void fs_row_begin(fs_scratch *s);
/* Counts one feature (len UTF-8 bytes) into the row; FS_TEXT_OK or FS_TEXT_NOMEM. */
int fs_row_feature(const fs_counter *c, fs_scratch *s, const char *feature, size_t len);
/* Counts the features of a document: its len code points at data, kind bytes each (1, 2 or 4). */
int fs_row_words(const fs_counter *c, fs_scratch *s, int kind, const void *data, size_t len);
/* Ends the row: its distinct columns, ascending, and their values appended to rows. */
int fs_row_end(fs_scratch *s, fs_rows *rows);

/* Divides each row of a CSR matrix by its norm: the sum of squared[j] over the row, left to
 * right in stored order (l2: its square root; squared holds |v| for l1, v * v for l2), a row
 * summing to 0 left alone.  indptr holds n_rows + 1 offsets, already checked. */
void fs_normalize_rows(double *data, const double *squared, const int64_t *indptr, int64_t n_rows, int l2);

#ifdef __cplusplus
}
#endif

#endif /* FASTSCORE_TEXT_H */
