#ifndef CSQLITESETUP_H
#define CSQLITESETUP_H

/// Puts SQLite in multi-thread mode (no mutex around each API call on a connection; GRDB already
/// serialises every connection's use) and turns off its memory statistics (a global mutex on
/// every allocation), before SQLite is first initialised. `sqlite3_config` is variadic, so Swift
/// cannot call it directly. Returns 0 when applied; nonzero when SQLite was already initialised,
/// in which case nothing changes and SQLite stays in its default (serialised) mode.
int baraza_sqlite_setup(void);

#endif
