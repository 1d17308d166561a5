// strings: the C library's string and memory functions over many sizes and alignments
// (musl's are written in C and x86-64 assembly: rep movs, SSE2), checked against simple
// byte loops; qsort and snprintf/strtol over data from a fixed-seed PRNG. Prints
// checksums of the results.
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest_test.h"

#define MAXN 4200
static unsigned char src[MAXN + 64], dst[MAXN + 64], ref[MAXN + 64];
static unsigned long long seed = 0x5eed;

// Function pointers, so the compiler calls the library instead of inlining builtins.
static void* (*volatile p_memcpy)(void*, const void*, size_t) = memcpy;
static void* (*volatile p_memmove)(void*, const void*, size_t) = memmove;
static void* (*volatile p_memset)(void*, int, size_t) = memset;
static int (*volatile p_memcmp)(const void*, const void*, size_t) = memcmp;
static size_t (*volatile p_strlen)(const char*) = strlen;
static int (*volatile p_strcmp)(const char*, const char*) = strcmp;
static char* (*volatile p_strchr)(const char*, int) = strchr;
static char* (*volatile p_strrchr)(const char*, int) = strrchr;
static char* (*volatile p_strstr)(const char*, const char*) = strstr;
static void* (*volatile p_memchr)(const void*, int, size_t) = memchr;

static const size_t sizes[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,   15,  16,  17,   31,   32,  33,
                               63, 64, 65, 100, 127, 128, 129, 255, 256, 257, 1000, 1024, 4095, 4096, 4100};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static void fill(unsigned char* p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(guest_rand(&seed) | 1);
}

static int sign(int x) { return (x > 0) - (x < 0); }

static void test_memcpy_memset(void) {
    int ok_cpy = 1, ok_set = 1, ok_cmp = 1;
    unsigned long long h = GUEST_FNV_INIT;
    for (size_t s = 0; s < NSIZES; s++)
        for (size_t sa = 0; sa < 8; sa++)
            for (size_t da = 0; da < 8; da += 3) {
                size_t n = sizes[s], span = n + 32;  // the bytes around the copy must not change
                if (n > 300 && (sa % 5 != 0 || da % 3 != 0 || da > 3)) continue;  // keep CI runs short
                fill(src, span);
                fill(dst, span);
                memcpy(ref, dst, span);  // ref: dst with the copy done byte by byte
                for (size_t i = 0; i < n; i++) ref[da + i] = src[sa + i];
                p_memcpy(dst + da, src + sa, n);
                ok_cpy &= memcmp(dst, ref, span) == 0;
                h = guest_fnv1a(h, dst, n + 16);
                ok_cmp &= p_memcmp(dst + da, src + sa, n) == 0;
                if (n) {
                    dst[da + n - 1] ^= 0x80;
                    ok_cmp &= sign(p_memcmp(dst + da, src + sa, n)) ==
                              (dst[da + n - 1] > src[sa + n - 1] ? 1 : -1);
                }
                memcpy(ref, dst, span);
                for (size_t i = 0; i < n; i++) ref[da + i] = (unsigned char)(s + sa);
                p_memset(dst + da, (int)(s + sa), n);
                ok_set &= memcmp(dst, ref, span) == 0;
            }
    CHECK("memcpy_sizes_alignments", ok_cpy);
    CHECK("memcmp_sizes_alignments", ok_cmp);
    CHECK("memset_sizes_alignments", ok_set);
    printf("memcpy checksum %016llx\n", h);
}

static void test_memmove(void) {
    int ok = 1;
    unsigned long long h = GUEST_FNV_INIT;
    for (size_t s = 0; s < NSIZES; s++) {
        size_t n = sizes[s], span = n + 64;
        if (n > 1100) continue;
        // Overlapping moves both ways, at several distances.
        for (int dist = -17; dist <= 17; dist += 5) {
            fill(src, span);
            size_t from = 20, to = (size_t)(20 + dist);
            memcpy(ref, src, span);
            unsigned char tmp[MAXN];
            for (size_t i = 0; i < n; i++) tmp[i] = ref[from + i];
            for (size_t i = 0; i < n; i++) ref[to + i] = tmp[i];
            p_memmove(src + to, src + from, n);
            ok &= memcmp(src, ref, span) == 0;
            h = guest_fnv1a(h, src, span);
        }
    }
    CHECK("memmove_overlapping", ok);
    printf("memmove checksum %016llx\n", h);
}

static void test_str(void) {
    int ok_len = 1, ok_cmp = 1, ok_chr = 1, ok_str = 1;
    char a[300], b[300];
    for (size_t len = 0; len < 260; len += (len < 40 ? 1 : 13))
        for (size_t al = 0; al < 8; al++) {
            char* s = a + al;
            for (size_t i = 0; i < len; i++) s[i] = (char)('a' + guest_rand(&seed) % 26);
            s[len] = 0;
            ok_len &= p_strlen(s) == len;
            strcpy(b + (7 - al), s);
            char* t = b + (7 - al);
            ok_cmp &= p_strcmp(s, t) == 0;
            if (len) {
                t[len / 2] = (char)(t[len / 2] + 1);
                ok_cmp &= p_strcmp(s, t) < 0 && p_strcmp(t, s) > 0;
                t[len / 2] = (char)(t[len / 2] - 1);
                t[len - 1] = 0;
                ok_cmp &= p_strcmp(s, t) > 0;
            }
            // strchr/strrchr/memchr against a loop.
            char c = (char)('a' + (len + al) % 26);
            char* first = NULL;
            char* last = NULL;
            for (size_t i = 0; i < len; i++)
                if (s[i] == c) {
                    if (!first) first = s + i;
                    last = s + i;
                }
            ok_chr &= p_strchr(s, c) == first && p_strrchr(s, c) == last && p_memchr(s, c, len) == first;
            ok_chr &= p_strchr(s, 0) == s + len;
            if (len >= 3) ok_str &= p_strstr(s, s + len - 3) <= s + len - 3 && p_strstr(s, "0") == NULL;
        }
    CHECK("strlen_sizes_alignments", ok_len);
    CHECK("strcmp", ok_cmp);
    CHECK("strchr_strrchr_memchr", ok_chr);
    CHECK("strstr", ok_str);
}

static int compare_u32(const void* x, const void* y) {
    uint32_t a = *(const uint32_t*)x, b = *(const uint32_t*)y;
    return (a > b) - (a < b);
}

static void test_qsort(void) {
    enum { N = 2000 };
    static uint32_t v[N];
    unsigned long long before = GUEST_FNV_INIT;
    uint64_t sum_before = 0, sum_after = 0;
    for (int i = 0; i < N; i++) {
        v[i] = (uint32_t)(guest_rand(&seed) >> 40);
        sum_before += v[i];
    }
    before = guest_fnv1a(before, v, sizeof v);
    qsort(v, N, sizeof v[0], compare_u32);
    int sorted = 1;
    for (int i = 0; i < N; i++) {
        sum_after += v[i];
        if (i) sorted &= v[i - 1] <= v[i];
    }
    CHECK("qsort_sorted", sorted);
    CHECK("qsort_same_elements", sum_before == sum_after);
    printf("qsort input %016llx sorted %016llx min %u max %u median %u\n", before,
           guest_fnv1a(GUEST_FNV_INIT, v, sizeof v), v[0], v[N - 1], v[N / 2]);
}

static void test_format(void) {
    char buf[128];
    unsigned long long h = GUEST_FNV_INIT;
    int ok = 1;
    for (int i = 0; i < 500; i++) {
        long long x = (long long)guest_rand(&seed) >> (guest_rand(&seed) % 64);
        int n = snprintf(buf, sizeof buf, "%lld|%llx|%+08lld|%-6d|%s", x, (unsigned long long)x, x % 100000,
                         (int)(x % 1000), i % 2 ? "odd" : "even");
        h = guest_fnv1a(h, buf, (size_t)n);
        ok &= strtoll(buf, NULL, 10) == x;
        char* end = strchr(buf, '|') + 1;
        ok &= strtoull(end, NULL, 16) == (unsigned long long)x;
    }
    CHECK("snprintf_strtol_round_trip", ok);
    printf("snprintf checksum %016llx\n", h);
    snprintf(buf, sizeof buf, "[%5s|%-5s|%.2s|%c|%%|%05.1f]", "ab", "cd", "efgh", 'Z', 3.14159);
    printf("format: %s\n", buf);
    CHECK("snprintf_format", strcmp(buf, "[   ab|cd   |ef|Z|%|003.1]") == 0);
    const char* volatile long_text = "abcdefgh";
    CHECK_EQ("snprintf_truncation", snprintf(buf, 4, "%s", long_text), 8);
    CHECK("snprintf_truncated_text", strcmp(buf, "abc") == 0);
}

int main(void) {
    test_memcpy_memset();
    test_memmove();
    test_str();
    test_qsort();
    test_format();
    return guest_finish("strings");
}
