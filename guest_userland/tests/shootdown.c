// shootdown: TLB coherence between threads on several CPUs (issue 6, item 2).
// A thread reads a page, so its CPU caches the translation, and parks; the
// main thread changes the mapping and then tells it so through a flag in
// another page. Once the change has returned, the reader must see
// it: the new frame after mmap(MAP_FIXED) over the page, a fault after
// mprotect(PROT_READ) or munmap, the old contents after mprotect back. A CPU
// that kept its stale translation would read the old frame or write a page
// that is read-only now. Run on 1, 2 and 4 CPUs; the output is the same.
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_test.h"

enum { kRounds = 40 };

static volatile uint64_t* page;          // the page whose mapping changes
static _Atomic int round_go;             // main: "round N's change is done"
static _Atomic int round_seen;           // reader: "I looked at round N"
static _Atomic int round_parked;         // reader: "the page is in my TLB; change it"
static _Atomic int reader_ready;
static _Atomic int stale_reads, wrong_faults, missed_faults;
static __thread sigjmp_buf fault_jump;
static __thread volatile int expect_fault;

static void on_segv(int sig) {
    (void)sig;
    if (expect_fault) siglongjmp(fault_jump, 1);
    atomic_fetch_add(&wrong_faults, 1);
    _exit(90);
}

// Reads the page until the round changes, then checks what the change did.
static void* reader(void* arg) {
    (void)arg;
    atomic_store(&reader_ready, 1);
    for (int round = 1; round <= kRounds; round++) {
        // Touch the page (its translation is now in this CPU's TLB), then
        // wait on the flags, which live elsewhere: the page is not touched
        // while main changes it (an munmap then mmap is not atomic).
        uint64_t sum = page[0] + page[2];
        (void)sum;
        atomic_store(&round_parked, round);
        while (atomic_load(&round_go) < round) {
        }
        const int kind = round % 4;
        if (kind == 0) {
            // mmap(MAP_FIXED) put a fresh zero page there.
            if (page[0] != 0) atomic_fetch_add(&stale_reads, 1);
        } else if (kind == 1) {
            // mprotect(PROT_READ): a write must fault.
            expect_fault = 1;
            if (sigsetjmp(fault_jump, 1) == 0) {
                page[1] = 7;
                atomic_fetch_add(&missed_faults, 1);
            }
            expect_fault = 0;
        } else if (kind == 2) {
            // mprotect back to read-write, with the value main wrote before.
            if (page[0] != (uint64_t)round - 1) atomic_fetch_add(&stale_reads, 1);
            page[2] = (uint64_t)round;
        } else {
            // munmap, then a new mapping with a marker at the same place.
            if (page[0] != 0xfeedull + (uint64_t)round) atomic_fetch_add(&stale_reads, 1);
        }
        atomic_store(&round_seen, round);
    }
    return NULL;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    const size_t size = 4096;
    page = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap", page != MAP_FAILED);
    page[0] = 1;
    pthread_t t;
    pthread_create(&t, NULL, reader, NULL);
    while (!atomic_load(&reader_ready)) sched_yield();
    int mmap_ok = 1;
    for (int round = 1; round <= kRounds; round++) {
        const int kind = round % 4;
        while (atomic_load(&round_parked) < round) sched_yield();
        if (kind == 0) {
            page[0] = 5;  // the old frame's value: a stale reader would see it
            mmap_ok &= mmap((void*)page, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
                        (void*)page;
        } else if (kind == 1) {
            mmap_ok &= mprotect((void*)page, size, PROT_READ) == 0;
        } else if (kind == 2) {
            mmap_ok &= mprotect((void*)page, size, PROT_READ | PROT_WRITE) == 0;
            page[0] = (uint64_t)round - 1;
        } else {
            page[0] = 3;
            mmap_ok &= munmap((void*)page, size) == 0;
            mmap_ok &= mmap((void*)page, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
                       (void*)page;
            page[0] = 0xfeedull + (uint64_t)round;
        }
        atomic_store(&round_go, round);
        while (atomic_load(&round_seen) < round) sched_yield();
    }
    pthread_join(t, NULL);
    CHECK("mapping_changes", mmap_ok);
    CHECK_EQ("stale_reads", atomic_load(&stale_reads), 0);
    CHECK_EQ("writes_to_read_only_faulted", atomic_load(&missed_faults), 0);
    CHECK_EQ("no_unexpected_faults", atomic_load(&wrong_faults), 0);
    CHECK_EQ("last_mapping_is_fresh", page[2], 0);
    return guest_finish("shootdown");
}
