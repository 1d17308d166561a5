#!/bin/sh
# make_initramfs.sh STAGING OUTPUT [--interp FILE PATH] [--lib FILE]... [--busybox FILE] PROGRAM...
#
# Builds the guest initramfs: a staging tree with /bin/<every program>, /lib with the
# dynamic loader (--interp: FILE's contents at PATH, e.g. musl's libc.so at
# /lib/ld-musl-x86_64.so.1; a symlink FILE is followed, so the archive holds the file
# itself) and our shared libraries (--lib: /lib/<name of FILE>), and a few data files
# under /data (read by the initramfs test), packed as a cpio "newc" archive. With
# --busybox, FILE (Debian's busybox-static) becomes /bin/busybox with a symlink per
# applet (as `busybox --install -s` makes), except where a program of ours has the name.
# The archive is deterministic: the file list is sorted, every mtime is 0, owners are
# 0:0, modes are set explicitly (umask-independent) and inode/device numbers are
# renumbered (--reproducible). The staging tree stays behind: the guest tests use its
# /data as the host-side copy of what the guest sees.
set -eu
staging=$1
out=$2
shift 2

rm -rf "$staging"
mkdir -p "$staging/bin" "$staging/lib" "$staging/data/sub"
busybox=
while [ $# -gt 0 ]; do
    case $1 in
        --interp)
            mkdir -p "$staging$(dirname "$3")"
            cp -L "$2" "$staging$3"
            shift 3
            ;;
        --lib)
            cp -L "$2" "$staging/lib/"
            shift 2
            ;;
        --busybox)
            busybox=$2
            shift 2
            ;;
        *)
            cp "$1" "$staging/bin/"
            shift
            ;;
    esac
done
if [ -n "$busybox" ]; then
    cp -L "$busybox" "$staging/bin/busybox"
    for applet in $("$busybox" --list | LC_ALL=C sort); do
        [ -e "$staging/bin/$applet" ] || ln -s busybox "$staging/bin/$applet"
    done
fi
printf 'hello from the initramfs\n' >"$staging/data/hello.txt"
seq 0 999 >"$staging/data/numbers.txt"
printf 'nested\n' >"$staging/data/sub/nested.txt"

find "$staging" -type d -exec chmod 0755 {} +
find "$staging/bin" "$staging/lib" -type f -exec chmod 0755 {} +
find "$staging/data" -type f -exec chmod 0644 {} +
find "$staging" -exec touch -h -d @0 {} +

(cd "$staging" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort |
    cpio -o -H newc --reproducible --owner 0:0 --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
