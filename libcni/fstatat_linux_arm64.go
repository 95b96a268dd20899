package libcni

import "syscall"

// sysFstatat is the number of fstatat.
const sysFstatat = syscall.SYS_FSTATAT
