// mem: anonymous memory syscalls — mmap (private, shared, MAP_FIXED,
// MAP_FIXED_NOREPLACE), munmap splitting a mapping, mprotect, brk growth and shrink,
// madvise(MADV_DONTNEED) — and the errno values Linux gives for bad arguments.
//
// Whether an address range is mapped is probed without faulting: MAP_FIXED_NOREPLACE
// succeeds only on a free range, and mprotect fails with ENOMEM on an unmapped one.
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest_test.h"

#define PAGE 4096UL

static int all_bytes(const void* p, size_t n, unsigned char v) {
    const unsigned char* b = (const unsigned char*)p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != v) return 0;
    return 1;
}

static void* map_anon(size_t len, int prot, int flags) {
    return mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);
}

// A page is mapped iff mprotect with its current... any protection succeeds on it;
// mprotect(PROT_READ) would change it, so probe with the same protection it has.
static int is_mapped(void* p, int prot) { return mprotect(p, PAGE, prot) == 0; }

// A range is free iff MAP_FIXED_NOREPLACE can place a mapping there (then undone).
static int is_free(void* p, size_t len) {
    void* q = mmap(p, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (q == MAP_FAILED) return 0;
    munmap(q, len);
    return q == p;
}

static void test_brk(void) {
    // Raw brk: the C library's malloc must not move the break meanwhile, so this runs
    // first, before anything allocates.
    uintptr_t start = (uintptr_t)syscall(SYS_brk, 0);
    CHECK("brk_query", start != 0);
    CHECK_EQ("brk_below_start_unchanged", (uintptr_t)syscall(SYS_brk, 1) == start, 1);

    uintptr_t grown = start + 5 * PAGE + 123;
    CHECK_EQ("brk_grow", (uintptr_t)syscall(SYS_brk, grown) == grown, 1);
    // Every byte between the old and the new break is usable and starts zero (the
    // pages past the page holding the old break are fresh).
    uintptr_t fresh = (start + PAGE - 1) & ~(PAGE - 1);
    CHECK("brk_new_pages_zero", all_bytes((void*)fresh, grown - fresh, 0));
    memset((void*)start, 0x5a, grown - start);
    CHECK("brk_write_read", all_bytes((void*)start, grown - start, 0x5a));

    CHECK_EQ("brk_shrink", (uintptr_t)syscall(SYS_brk, start) == start, 1);
    CHECK_EQ("brk_query_after_shrink", (uintptr_t)syscall(SYS_brk, 0) == start, 1);
    // Shrinking unmapped the whole pages above the break: growing again gives zeros.
    CHECK_EQ("brk_regrow", (uintptr_t)syscall(SYS_brk, grown) == grown, 1);
    CHECK("brk_regrown_pages_zero", all_bytes((void*)fresh, grown - fresh, 0));
    syscall(SYS_brk, start);

    // The break cannot grow over another mapping: brk fails and returns the old break.
    void* block = (void*)(fresh + 16 * PAGE);
    void* got = mmap(block, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK("brk_block_mapped", got == block);
    if (got == block) {
        CHECK_EQ("brk_into_mapping_refused", (uintptr_t)syscall(SYS_brk, fresh + 32 * PAGE) == start, 1);
        CHECK_EQ("brk_below_mapping_ok", (uintptr_t)syscall(SYS_brk, fresh + 8 * PAGE) == fresh + 8 * PAGE, 1);
        syscall(SYS_brk, start);
        munmap(block, PAGE);
    }
}

static void test_mmap_basic(void) {
    unsigned char* p = map_anon(4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    CHECK("mmap_private", p != MAP_FAILED);
    if (p == MAP_FAILED) return;
    CHECK("mmap_private_aligned", ((uintptr_t)p & (PAGE - 1)) == 0);
    CHECK("mmap_private_zero", all_bytes(p, 4 * PAGE, 0));
    for (size_t i = 0; i < 4 * PAGE; i++) p[i] = (unsigned char)(i * 7);
    int ok = 1;
    for (size_t i = 0; i < 4 * PAGE; i++) ok &= p[i] == (unsigned char)(i * 7);
    CHECK("mmap_private_write_read", ok);
    CHECK_EQ("munmap_private", munmap(p, 4 * PAGE), 0);
    CHECK("munmap_private_freed", is_free(p, 4 * PAGE));

    unsigned char* s = map_anon(3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED);
    CHECK("mmap_shared", s != MAP_FAILED);
    if (s == MAP_FAILED) return;
    CHECK("mmap_shared_zero", all_bytes(s, 3 * PAGE, 0));
    memset(s, 0xc3, 3 * PAGE);
    CHECK("mmap_shared_write_read", all_bytes(s, 3 * PAGE, 0xc3));
    CHECK_EQ("munmap_shared", munmap(s, 3 * PAGE), 0);

    // A length that is not a page multiple is rounded up.
    unsigned char* r = map_anon(PAGE + 1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    CHECK("mmap_unaligned_length", r != MAP_FAILED);
    if (r != MAP_FAILED) {
        r[2 * PAGE - 1] = 1;  // the rounded-up page is mapped
        CHECK("mmap_length_rounded_up", r[2 * PAGE - 1] == 1 && !is_free(r + PAGE, PAGE));
        munmap(r, 2 * PAGE);
    }

    // PROT_NONE, then mprotect to read-write.
    unsigned char* n = map_anon(2 * PAGE, PROT_NONE, MAP_PRIVATE);
    CHECK("mmap_prot_none", n != MAP_FAILED);
    if (n != MAP_FAILED) {
        CHECK_EQ("mprotect_none_to_rw", mprotect(n, 2 * PAGE, PROT_READ | PROT_WRITE), 0);
        n[PAGE + 5] = 42;
        CHECK("mprotect_none_to_rw_write", n[PAGE + 5] == 42 && n[0] == 0);
        munmap(n, 2 * PAGE);
    }
}

// The error checks call the kernel directly: musl's wrappers check some arguments
// themselves (mmap's offset, mprotect rounds the address down).
static long raw_mmap(unsigned long addr, unsigned long len, int prot, int flags, int fd, long off) {
    return syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static void test_mmap_errors(void) {
    CHECK_ERR("mmap_zero_length_EINVAL", raw_mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
    CHECK_ERR("mmap_no_share_type_EINVAL", raw_mmap(0, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
    CHECK_ERR("mmap_unaligned_offset_EINVAL",
              raw_mmap(0, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 100), EINVAL);
    CHECK_ERR("mmap_fixed_unaligned_EINVAL",
              raw_mmap(0x7000123, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EINVAL);
    CHECK_ERR("mmap_huge_ENOMEM", raw_mmap(0, 1UL << 50, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
    CHECK_ERR("mmap_bad_fd_EBADF", raw_mmap(0, PAGE, PROT_READ, MAP_PRIVATE, 999, 0), EBADF);
    CHECK_ERR("munmap_unaligned_EINVAL", syscall(SYS_munmap, 0x7000123UL, PAGE), EINVAL);
    CHECK_ERR("munmap_zero_length_EINVAL", syscall(SYS_munmap, 0x7000000UL, 0UL), EINVAL);
    CHECK_ERR("mprotect_unaligned_EINVAL", syscall(SYS_mprotect, 0x7000123UL, PAGE, PROT_READ), EINVAL);
    CHECK_ERR("mprotect_bad_prot_EINVAL", syscall(SYS_mprotect, 0x7000000UL, PAGE, 0x100), EINVAL);
    CHECK_ERR("madvise_unaligned_EINVAL", syscall(SYS_madvise, 0x7000123UL, PAGE, MADV_DONTNEED), EINVAL);
}

static void test_fixed(void) {
    // Reserve 8 pages, then place two fresh pages in the middle with MAP_FIXED.
    unsigned char* base = map_anon(8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    CHECK("fixed_reserve", base != MAP_FAILED);
    if (base == MAP_FAILED) return;
    memset(base, 0x11, 8 * PAGE);
    unsigned char* mid = base + 3 * PAGE;
    void* got = mmap(mid, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK("mmap_fixed_at_address", got == mid);
    CHECK("mmap_fixed_replaces_with_zero", all_bytes(mid, 2 * PAGE, 0));
    CHECK("mmap_fixed_neighbours_kept",
          all_bytes(base, 3 * PAGE, 0x11) && all_bytes(base + 5 * PAGE, 3 * PAGE, 0x11));

    errno = 0;
    void* clash = mmap(mid, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK("mmap_fixed_noreplace_EEXIST", clash == MAP_FAILED && errno == EEXIST);
    errno = 0;
    clash = mmap(base + 7 * PAGE, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK("mmap_fixed_noreplace_partial_overlap_EEXIST", clash == MAP_FAILED && errno == EEXIST);
    CHECK("mmap_fixed_noreplace_kept_contents", all_bytes(base + 7 * PAGE, PAGE, 0x11));
    munmap(base, 8 * PAGE);

    // On a free range MAP_FIXED_NOREPLACE maps exactly there.
    void* again = mmap(base + PAGE, PAGE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK("mmap_fixed_noreplace_free", again == base + PAGE);
    if (again != MAP_FAILED) munmap(again, PAGE);

    // A hint that is free is honoured without MAP_FIXED.
    void* hinted = mmap(base + 2 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap_hint_honoured", hinted == base + 2 * PAGE);
    if (hinted != MAP_FAILED) munmap(hinted, PAGE);
}

static void test_munmap_split(void) {
    unsigned char* p = map_anon(5 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    CHECK("split_map", p != MAP_FAILED);
    if (p == MAP_FAILED) return;
    for (int i = 0; i < 5; i++) memset(p + i * PAGE, 'a' + i, PAGE);
    // Cut out page 2: the mapping becomes two pieces that keep their contents.
    CHECK_EQ("munmap_middle", munmap(p + 2 * PAGE, PAGE), 0);
    CHECK("munmap_middle_hole_free", is_free(p + 2 * PAGE, PAGE));
    CHECK("munmap_middle_left_kept", all_bytes(p, PAGE, 'a') && all_bytes(p + PAGE, PAGE, 'b'));
    CHECK("munmap_middle_right_kept", all_bytes(p + 3 * PAGE, PAGE, 'd') && all_bytes(p + 4 * PAGE, PAGE, 'e'));
    CHECK("munmap_middle_pieces_mapped",
          is_mapped(p, PROT_READ | PROT_WRITE) && is_mapped(p + 4 * PAGE, PROT_READ | PROT_WRITE));
    // Unmapping a range that spans the hole and parts of both pieces.
    CHECK_EQ("munmap_across_hole", munmap(p + PAGE, 3 * PAGE), 0);
    CHECK("munmap_across_hole_free", is_free(p + PAGE, 3 * PAGE));
    CHECK("munmap_across_hole_ends_kept", all_bytes(p, PAGE, 'a') && all_bytes(p + 4 * PAGE, PAGE, 'e'));
    // Unmapping an already free range succeeds.
    CHECK_EQ("munmap_unmapped_ok", munmap(p + PAGE, 3 * PAGE), 0);
    munmap(p, 5 * PAGE);
    CHECK("munmap_all_free", is_free(p, 5 * PAGE));
}

static void test_mprotect(void) {
    unsigned char* p = map_anon(3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    CHECK("mprotect_map", p != MAP_FAILED);
    if (p == MAP_FAILED) return;
    memset(p, 0x77, 3 * PAGE);
    // Read-only in the middle page: reading still sees the data.
    CHECK_EQ("mprotect_read_only", mprotect(p + PAGE, PAGE, PROT_READ), 0);
    CHECK("mprotect_read_only_reads", all_bytes(p + PAGE, PAGE, 0x77));
    // The neighbours stay writable.
    p[0] = 1;
    p[3 * PAGE - 1] = 2;
    CHECK("mprotect_neighbours_writable", p[0] == 1 && p[3 * PAGE - 1] == 2);
    CHECK_EQ("mprotect_back_to_rw", mprotect(p + PAGE, PAGE, PROT_READ | PROT_WRITE), 0);
    p[PAGE] = 3;
    CHECK("mprotect_back_to_rw_writes", p[PAGE] == 3);
    munmap(p + PAGE, PAGE);
    // A range that includes an unmapped page fails with ENOMEM.
    CHECK_ERR("mprotect_unmapped_ENOMEM", mprotect(p, 3 * PAGE, PROT_READ), ENOMEM);
    CHECK_ERR("mprotect_hole_ENOMEM", mprotect(p + PAGE, PAGE, PROT_READ), ENOMEM);
    munmap(p, 3 * PAGE);
}

static void test_madvise(void) {
    unsigned char* p = map_anon(4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    CHECK("madvise_map", p != MAP_FAILED);
    if (p == MAP_FAILED) return;
    memset(p, 0xab, 4 * PAGE);
    CHECK_EQ("madvise_dontneed", madvise(p + PAGE, 2 * PAGE, MADV_DONTNEED), 0);
    // Private anonymous pages read back as zero after MADV_DONTNEED...
    CHECK("madvise_dontneed_private_zeroed", all_bytes(p + PAGE, 2 * PAGE, 0));
    // ...and only the advised ones.
    CHECK("madvise_dontneed_others_kept", all_bytes(p, PAGE, 0xab) && all_bytes(p + 3 * PAGE, PAGE, 0xab));
    p[PAGE] = 9;
    CHECK("madvise_dontneed_rewritable", p[PAGE] == 9);
    CHECK_EQ("madvise_normal", madvise(p, 4 * PAGE, MADV_NORMAL), 0);
    CHECK_EQ("madvise_willneed", madvise(p, 4 * PAGE, MADV_WILLNEED), 0);
    CHECK_ERR("madvise_bad_advice_EINVAL", madvise(p, PAGE, 12345), EINVAL);
    munmap(p, 4 * PAGE);
    CHECK_ERR("madvise_unmapped_ENOMEM", madvise(p, PAGE, MADV_DONTNEED), ENOMEM);

    // Shared anonymous memory is backed by a shared object: DONTNEED drops only the
    // mapping of the pages, and the data comes back.
    unsigned char* s = map_anon(2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED);
    CHECK("madvise_shared_map", s != MAP_FAILED);
    if (s == MAP_FAILED) return;
    memset(s, 0x3c, 2 * PAGE);
    CHECK_EQ("madvise_dontneed_shared", madvise(s, 2 * PAGE, MADV_DONTNEED), 0);
    CHECK("madvise_dontneed_shared_kept", all_bytes(s, 2 * PAGE, 0x3c));
    munmap(s, 2 * PAGE);
}

// Code written into an anonymous page runs once the page is made executable (what a
// JIT does): mov eax, imm32; ret.
static void test_exec(void) {
    unsigned char* p = map_anon(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    CHECK("exec_map", p != MAP_FAILED);
    if (p == MAP_FAILED) return;
    const unsigned char code[] = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3};  // mov eax, 42; ret
    memcpy(p + 100, code, sizeof code);
    CHECK_EQ("mprotect_exec", mprotect(p, PAGE, PROT_READ | PROT_EXEC), 0);
    int (*fn)(void) = (int (*)(void))(void*)(p + 100);
    CHECK_EQ("exec_anonymous_code", fn(), 42);
    // Make it writable again, rewrite the immediate, make it executable, run: the new
    // code must be seen (a decoded-instruction cache must notice). No page is ever
    // writable and executable at once (simx refuses W+X; Linux would allow it).
    CHECK_EQ("exec_mprotect_rw", mprotect(p, PAGE, PROT_READ | PROT_WRITE), 0);
    p[101] = 7;
    CHECK_EQ("mprotect_exec_again", mprotect(p, PAGE, PROT_READ | PROT_EXEC), 0);
    CHECK_EQ("exec_modified_code", fn(), 7);
    munmap(p, PAGE);
}

int main(void) {
    test_brk();
    test_mmap_basic();
    test_mmap_errors();
    test_fixed();
    test_munmap_split();
    test_mprotect();
    test_madvise();
    test_exec();
    return guest_finish("mem");
}
