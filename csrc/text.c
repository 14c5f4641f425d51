/* text.c - see text.h. */
#include "text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "murmur3.h"

/* ---- the word characters ---- */

int fs_wordset_build(fs_wordset *set, int (*is_word)(uint32_t c))
{
    uint8_t page[32];
    int p, q;
    uint32_t c;
    set->n_pages = 0;
    set->bits = NULL;
    for (p = 0; p < FS_WORDSET_PAGES; p++) {
        memset(page, 0, sizeof page);
        for (c = 0; c < 256; c++)
            if (is_word(((uint32_t)p << 8) | c))
                page[c >> 3] |= (uint8_t)(1u << (c & 7));
        for (q = 0; q < set->n_pages; q++) /* at most a few hundred distinct pages */
            if (memcmp(set->bits + 32 * (size_t)q, page, 32) == 0)
                break;
        if (q == set->n_pages) {
            uint8_t *grown = (uint8_t *)realloc(set->bits, 32 * (size_t)(q + 1));
            if (!grown) {
                fs_wordset_free(set);
                return FS_TEXT_NOMEM;
            }
            set->bits = grown;
            memcpy(set->bits + 32 * (size_t)q, page, 32);
            set->n_pages++;
        }
        set->index[p] = (uint16_t)q;
    }
    for (c = 0; c < 256; c++)
        set->latin1[c] = (uint8_t)((set->bits[32 * (size_t)set->index[0] + (c >> 3)] >> (c & 7)) & 1);
    return FS_TEXT_OK;
}

void fs_wordset_free(fs_wordset *set)
{
    free(set->bits);
    set->bits = NULL;
    set->n_pages = 0;
}

static inline int has_word(const fs_wordset *set, uint32_t c)
{
    if (c < 256)
        return set->latin1[c];
    if (c >= 0x110000u)
        return 0;
    return (set->bits[32 * (size_t)set->index[c >> 8] + ((c & 255) >> 3)] >> (c & 7)) & 1;
}

int fs_wordset_has(const fs_wordset *set, uint32_t c) { return has_word(set, c); }

/* ---- sets of strings ---- */

int fs_strset_build(fs_strset *set, const char *blob, const int64_t *offsets, int64_t n, int64_t *duplicate)
{
    uint64_t size = 8;
    int64_t j;
    set->blob = blob;
    set->offsets = offsets;
    set->n = n;
    while (size < 2 * (uint64_t)n) /* at most half full: short probes, and one slot always empty */
        size *= 2;
    set->mask = size - 1;
    set->hashes = (uint32_t *)malloc((n > 0 ? (size_t)n : 1) * sizeof(uint32_t));
    set->slots = (int32_t *)calloc((size_t)size, sizeof(int32_t));
    if (!set->hashes || !set->slots) {
        fs_strset_free(set);
        return FS_TEXT_NOMEM;
    }
    for (j = 0; j < n; j++) {
        const char *key = blob + offsets[j];
        size_t len = (size_t)(offsets[j + 1] - offsets[j]);
        uint32_t h = (uint32_t)fs_murmur3_32(key, len, 0);
        uint64_t i = h & set->mask;
        if (fs_strset_find(set, key, len, h) >= 0) {
            *duplicate = j;
            return -1;
        }
        while (set->slots[i])
            i = (i + 1) & set->mask;
        set->hashes[j] = h;
        set->slots[i] = (int32_t)(j + 1);
    }
    return FS_TEXT_OK;
}

void fs_strset_free(fs_strset *set)
{
    free(set->hashes);
    free(set->slots);
    set->hashes = NULL;
    set->slots = NULL;
    set->n = 0;
}

int32_t fs_strset_find(const fs_strset *set, const char *key, size_t len, uint32_t hash)
{
    uint64_t i = hash & set->mask;
    int32_t s;
    while ((s = set->slots[i]) != 0) {
        int64_t j = s - 1;
        if (set->hashes[j] == hash && (size_t)(set->offsets[j + 1] - set->offsets[j]) == len
            && memcmp(set->blob + set->offsets[j], key, len) == 0)
            return (int32_t)j;
        i = (i + 1) & set->mask;
    }
    return -1;
}

/* ---- working memory ---- */

void fs_scratch_init(fs_scratch *s)
{
    s->utf8 = s->small_utf8;
    s->utf8_cap = sizeof s->small_utf8;
    s->tokens = s->small_tokens;
    s->tokens_cap = FS_SMALL;
    s->keys = s->small_keys;
    s->keys_cap = FS_SMALL;
    s->spare = NULL;
    s->spare_cap = 0;
    s->n_keys = 0;
}

void fs_scratch_free(fs_scratch *s)
{
    if (s->utf8 != s->small_utf8)
        free(s->utf8);
    if (s->tokens != s->small_tokens)
        free(s->tokens);
    /* the radix sort may have swapped keys and spare: either may be the small array */
    if (s->keys != s->small_keys)
        free(s->keys);
    if (s->spare != s->small_keys)
        free(s->spare);
    fs_scratch_init(s);
}

void fs_rows_init(fs_rows *rows)
{
    rows->indices = rows->small_indices;
    rows->data = rows->small_data;
    rows->nnz = 0;
    rows->cap = FS_SMALL;
}

void fs_rows_free(fs_rows *rows)
{
    if (rows->indices != rows->small_indices)
        free(rows->indices);
    if (rows->data != rows->small_data)
        free(rows->data);
    fs_rows_init(rows);
}

/* Grows *buf (of *cap items of `item` bytes, the first `keep` of them in use) to hold at least
 * `need` items; a buffer that is `small` (the caller's array) is copied, never freed. */
static int grow_from(void **buf, size_t *cap, size_t need, size_t item, size_t keep, const void *small)
{
    size_t cap2 = *cap ? *cap : 64;
    void *grown;
    if (need <= *cap)
        return FS_TEXT_OK;
    while (cap2 < need) {
        if (cap2 > SIZE_MAX / 2 / item)
            return FS_TEXT_NOMEM;
        cap2 *= 2;
    }
    if (*buf == small) {
        if (!(grown = malloc(cap2 * item)))
            return FS_TEXT_NOMEM;
        memcpy(grown, small, keep * item);
    } else if (!(grown = realloc(*buf, cap2 * item))) {
        return FS_TEXT_NOMEM;
    }
    *buf = grown;
    *cap = cap2;
    return FS_TEXT_OK;
}

/* ---- one row ---- */

void fs_row_begin(fs_scratch *s) { s->n_keys = 0; }

int fs_row_feature(const fs_counter *c, fs_scratch *s, const char *feature, size_t len)
{
    uint32_t h = (uint32_t)fs_murmur3_32(feature, len, 0), key;
    if (c->vocab) {
        int32_t j = fs_strset_find(c->vocab, feature, len, h);
        if (j < 0)
            return FS_TEXT_OK;
        key = (uint32_t)j << 1;
    } else {
        key = fs_hash_column((int32_t)h, c->n_features) << 1 | (uint32_t)(c->alternate_sign && (h >> 31));
    }
    if (s->n_keys == s->keys_cap
        && grow_from((void **)&s->keys, &s->keys_cap, s->n_keys + 1, sizeof(uint32_t), s->n_keys, s->small_keys))
        return FS_TEXT_NOMEM;
    s->keys[s->n_keys++] = key;
    return FS_TEXT_OK;
}

/* Appends code point cp as UTF-8 (a surrogate as its three bytes, as "surrogatepass"). */
static inline size_t put_utf8(char *out, uint32_t cp)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The tokens of a document of code points of type T: each run of word characters of at least
 * min_run, as UTF-8 followed by one space, its offsets in s->tokens; the count in *n_tokens. */
#define DEFINE_TOKENIZE(NAME, T)                                                                   \
    static int NAME(const fs_counter *c, fs_scratch *s, const T *text, size_t len, size_t *n_tokens) \
    {                                                                                              \
        const fs_wordset *words = c->words;                                                        \
        const size_t min_run = (size_t)c->min_run;                                                 \
        size_t i = 0, used = 0, n = 0;                                                             \
        for (;;) {                                                                                 \
            size_t start, k;                                                                       \
            char *out;                                                                             \
            while (i < len && !has_word(words, text[i]))                                           \
                i++;                                                                               \
            if (i == len)                                                                          \
                break;                                                                             \
            start = i;                                                                             \
            while (i < len && has_word(words, text[i]))                                            \
                i++;                                                                               \
            if (i - start < min_run)                                                               \
                continue;                                                                          \
            /* room for the run's UTF-8 (4 bytes a code point at most) and the space after it */   \
            if ((used + 4 * (i - start) + 1 > s->utf8_cap                                          \
                 && grow_from((void **)&s->utf8, &s->utf8_cap, used + 4 * (i - start) + 1, 1, used, \
                              s->small_utf8))                                                      \
                || (2 * n + 2 > s->tokens_cap                                                      \
                    && grow_from((void **)&s->tokens, &s->tokens_cap, 2 * n + 2, sizeof(int64_t),  \
                                 2 * n, s->small_tokens)))                                         \
                return FS_TEXT_NOMEM;                                                              \
            out = s->utf8 + used;                                                                  \
            for (k = start; k < i; k++) {                                                          \
                uint32_t ch = text[k];                                                             \
                if (ch < 0x80)                                                                     \
                    *out++ = (char)ch;                                                             \
                else                                                                               \
                    out += put_utf8(out, ch);                                                      \
            }                                                                                      \
            s->tokens[2 * n] = (int64_t)used;                                                      \
            used = (size_t)(out - s->utf8);                                                        \
            s->tokens[2 * n + 1] = (int64_t)used;                                                  \
            s->utf8[used++] = ' ';                                                                 \
            n++;                                                                                   \
        }                                                                                          \
        *n_tokens = n;                                                                             \
        return FS_TEXT_OK;                                                                         \
    }

DEFINE_TOKENIZE(tokenize1, uint8_t)
DEFINE_TOKENIZE(tokenize2, uint16_t)
DEFINE_TOKENIZE(tokenize4, uint32_t)

int fs_row_words(const fs_counter *c, fs_scratch *s, int kind, const void *data, size_t len)
{
    size_t n = 0, i, kept, size, top;
    int rc;
    if (kind == 1)
        rc = tokenize1(c, s, (const uint8_t *)data, len, &n);
    else if (kind == 2)
        rc = tokenize2(c, s, (const uint16_t *)data, len, &n);
    else
        rc = tokenize4(c, s, (const uint32_t *)data, len, &n);
    if (rc)
        return rc;
    if (c->stop && n) {
        /* Drop the stop words, moving the others left: each token still followed by one space,
         * so that an n-gram is the bytes from its first token's start to its last one's end. */
        size_t used = 0;
        for (i = kept = 0; i < n; i++) {
            int64_t a = s->tokens[2 * i], b = s->tokens[2 * i + 1];
            size_t blen = (size_t)(b - a);
            if (fs_strset_find(c->stop, s->utf8 + a, blen, (uint32_t)fs_murmur3_32(s->utf8 + a, blen, 0)) >= 0)
                continue;
            memmove(s->utf8 + used, s->utf8 + a, blen + 1);
            s->tokens[2 * kept] = (int64_t)used;
            s->tokens[2 * kept + 1] = (int64_t)(used + blen);
            used += blen + 1;
            kept++;
        }
        n = kept;
    }
    top = (size_t)c->max_n < n ? (size_t)c->max_n : n;
    for (size = (size_t)c->min_n; size <= top; size++)
        for (i = 0; i + size <= n; i++) {
            int64_t a = s->tokens[2 * i], b = s->tokens[2 * (i + size - 1) + 1];
            if ((rc = fs_row_feature(c, s, s->utf8 + a, (size_t)(b - a))) != 0)
                return rc;
        }
    return FS_TEXT_OK;
}

static void insertion_sort(uint32_t *a, size_t n)
{
    size_t i, j;
    for (i = 1; i < n; i++) {
        uint32_t v = a[i];
        for (j = i; j > 0 && a[j - 1] > v; j--)
            a[j] = a[j - 1];
        a[j] = v;
    }
}

/* Sorts a (n keys) ascending, by bytes from the lowest (a stable radix sort), through spare. */
static uint32_t *radix_sort(uint32_t *a, uint32_t *spare, size_t n)
{
    uint32_t top = 0;
    size_t i;
    int shift;
    for (i = 0; i < n; i++)
        top |= a[i];
    for (shift = 0; shift < 32 && (top >> shift) != 0; shift += 8) {
        size_t count[256] = {0}, sum = 0;
        uint32_t *t;
        for (i = 0; i < n; i++)
            count[(a[i] >> shift) & 255]++;
        for (i = 0; i < 256; i++) {
            size_t c = count[i];
            count[i] = sum;
            sum += c;
        }
        for (i = 0; i < n; i++)
            spare[count[(a[i] >> shift) & 255]++] = a[i];
        t = a;
        a = spare;
        spare = t;
    }
    return a;
}

/* Makes room for `need` entries in rows. */
static int rows_reserve(fs_rows *rows, size_t need)
{
    size_t cap = rows->cap, cap_data = rows->cap;
    if (need <= rows->cap)
        return FS_TEXT_OK;
    if (grow_from((void **)&rows->indices, &cap, need, sizeof(int32_t), rows->nnz, rows->small_indices)
        || grow_from((void **)&rows->data, &cap_data, need, sizeof(double), rows->nnz, rows->small_data))
        return FS_TEXT_NOMEM;
    rows->cap = cap;
    return FS_TEXT_OK;
}

int fs_row_end(fs_scratch *s, fs_rows *rows)
{
    uint32_t *keys = s->keys;
    size_t n = s->n_keys, i = 0;
    if (n == 0)
        return FS_TEXT_OK;
    if (n <= 48) {
        insertion_sort(keys, n);
    } else {
        if (grow_from((void **)&s->spare, &s->spare_cap, n, sizeof(uint32_t), 0, s->small_keys))
            return FS_TEXT_NOMEM;
        keys = radix_sort(keys, s->spare, n);
        if (keys != s->keys) { /* the sorted keys are in spare: swap the buffers */
            size_t cap = s->keys_cap;
            s->spare = s->keys;
            s->keys = keys;
            s->keys_cap = s->spare_cap;
            s->spare_cap = cap;
        }
    }
    if (rows_reserve(rows, rows->nnz + n))
        return FS_TEXT_NOMEM;
    while (i < n) {
        uint32_t column = keys[i] >> 1;
        int64_t value = 0;
        for (; i < n && (keys[i] >> 1) == column; i++)
            value += (keys[i] & 1) ? -1 : 1;
        rows->indices[rows->nnz] = (int32_t)column;
        rows->data[rows->nnz] = (double)value;
        rows->nnz++;
    }
    return FS_TEXT_OK;
}

/* ---- the norm ---- */

void fs_normalize_rows(double *data, const double *squared, const int64_t *indptr, int64_t n_rows, int l2)
{
    int64_t r, j;
    for (r = 0; r < n_rows; r++) {
        double total = 0.0;
        for (j = indptr[r]; j < indptr[r + 1]; j++)
            total += squared[j];
        if (total == 0.0)
            continue;
        if (l2)
            total = sqrt(total);
        for (j = indptr[r]; j < indptr[r + 1]; j++)
            data[j] /= total;
    }
}
