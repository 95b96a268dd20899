package libcni

import "syscall"

// sysFstatat is the number of fstatat (newfstatat here).
const sysFstatat = syscall.SYS_NEWFSTATAT
