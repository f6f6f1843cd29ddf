#ifndef CBARAZAFILES_H
#define CBARAZAFILES_H

/// Swaps two names in one step (`renameat2` with `RENAME_EXCHANGE`), so a report folder is never
/// missing while it is replaced. Returns 0 on success, else -1 with errno set (ENOSYS or EINVAL
/// where the system or file system cannot exchange; the caller falls back to two renames).
/// `renameat2` is a GNU extension that Swift's Glibc module does not declare.
int baraza_exchange(int olddirfd, const char *oldname, int newdirfd, const char *newname);

#endif
