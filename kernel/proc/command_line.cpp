#include "kernel/proc/command_line.h"

#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"

namespace kernel {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

bool has_equals(const char* word) {
    for (; *word; ++word)
        if (*word == '=') return true;
    return false;
}

}  // namespace

i64 parse_command_line(const char* line, CommandLine& out, const char** reason) {
    out = CommandLine{};
    usize used = 0;
    bool after_dashes = false;
    const char* p = line;
    for (;;) {
        while (is_space(*p)) ++p;
        if (!*p) break;
        // One word into storage.
        char* word = out.storage + used;
        bool quoted = false;
        while (*p && (quoted || !is_space(*p))) {
            char c = *p++;
            if (c == '"') {
                quoted = !quoted;
                continue;
            }
            if (quoted && c == '\\' && *p) c = *p++;
            if (used + 1 >= sizeof out.storage) {
                *reason = "the command line is too long";
                return -linux::kEinval;
            }
            out.storage[used++] = c;
        }
        if (quoted) {
            *reason = "a double quote is not closed";
            return -linux::kEinval;
        }
        out.storage[used++] = '\0';

        if (after_dashes) {
            if (out.argc == CommandLine::kMaxWords) {
                *reason = "too many arguments for init";
                return -linux::kEinval;
            }
            out.argv[out.argc++] = word;
        } else if (str_compare(word, "--") == 0) {
            after_dashes = true;
        } else if (str_starts_with(word, "init=")) {
            out.init = word + 5;
        } else if (str_starts_with(word, "initargv0=")) {
            out.init_argv0 = word + 10;
        } else if (str_compare(word, "norandmaps") == 0) {
            out.randomize = false;
        } else if (str_compare(word, "test_syscalls") == 0) {
            out.test_syscalls = true;
        } else if (str_compare(word, "selftest") == 0) {
            out.selftest = true;
        } else if (str_compare(word, "allow_write_execute") == 0) {
            out.allow_write_execute = true;
        } else if (has_equals(word)) {
            if (out.envc == CommandLine::kMaxWords) {
                *reason = "too many environment words";
                return -linux::kEinval;
            }
            out.envp[out.envc++] = word;
        } else {
            if (out.argc == CommandLine::kMaxWords) {
                *reason = "too many arguments for init";
                return -linux::kEinval;
            }
            out.argv[out.argc++] = word;
        }
    }
    if (out.init && !*out.init) {
        *reason = "init= names no program";
        return -linux::kEinval;
    }
    return 0;
}

}  // namespace kernel
