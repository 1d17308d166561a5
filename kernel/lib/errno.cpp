#include "kernel/lib/errno.h"

namespace kernel {

const char* errno_name(i64 error) {
    switch (error < 0 ? -error : error) {
        case 1: return "EPERM";
        case 2: return "ENOENT";
        case 3: return "ESRCH";
        case 4: return "EINTR";
        case 5: return "EIO";
        case 6: return "ENXIO";
        case 7: return "E2BIG";
        case 8: return "ENOEXEC";
        case 9: return "EBADF";
        case 10: return "ECHILD";
        case 11: return "EAGAIN";
        case 12: return "ENOMEM";
        case 13: return "EACCES";
        case 14: return "EFAULT";
        case 16: return "EBUSY";
        case 17: return "EEXIST";
        case 18: return "EXDEV";
        case 19: return "ENODEV";
        case 20: return "ENOTDIR";
        case 21: return "EISDIR";
        case 22: return "EINVAL";
        case 23: return "ENFILE";
        case 24: return "EMFILE";
        case 25: return "ENOTTY";
        case 26: return "ETXTBSY";
        case 27: return "EFBIG";
        case 28: return "ENOSPC";
        case 29: return "ESPIPE";
        case 30: return "EROFS";
        case 31: return "EMLINK";
        case 32: return "EPIPE";
        case 33: return "EDOM";
        case 34: return "ERANGE";
        case 35: return "EDEADLK";
        case 36: return "ENAMETOOLONG";
        case 37: return "ENOLCK";
        case 38: return "ENOSYS";
        case 39: return "ENOTEMPTY";
        case 40: return "ELOOP";
        case 75: return "EOVERFLOW";
        case 95: return "EOPNOTSUPP";
        case 110: return "ETIMEDOUT";
        default: return "errno";
    }
}

}  // namespace kernel
