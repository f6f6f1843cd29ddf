#define _GNU_SOURCE
#include "CBarazaFiles.h"
#include <errno.h>
#include <stdio.h>
#if defined(__linux__)
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/fs.h>
#endif

int baraza_exchange(int olddirfd, const char *oldname, int newdirfd, const char *newname) {
#if defined(__linux__) && defined(SYS_renameat2)
    return (int)syscall(SYS_renameat2, olddirfd, oldname, newdirfd, newname, RENAME_EXCHANGE);
#else
    (void)olddirfd; (void)oldname; (void)newdirfd; (void)newname;
    errno = ENOSYS;
    return -1;
#endif
}
