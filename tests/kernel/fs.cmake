# Files (issue 5, item 6): the VFS, tmpfs, initramfs, devices, descriptor
# tables and the file system calls. Included from tests/CMakeLists.txt.
simx_kernel_test(kernel_fs_test unit
  kernel/fs_path_test.cpp
  kernel/fs_file_test.cpp
  kernel/fs_initramfs_test.cpp
  kernel/fs_syscall_test.cpp
  kernel/fs_smp_test.cpp
)
