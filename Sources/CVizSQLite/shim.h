#include <sqlite3.h>

/// Turns off SQLite's memory statistics (a global mutex around every allocation). `sqlite3_config` is
/// variadic, which Swift cannot call; it only works before SQLite initializes (SQLITE_MISUSE after).
static inline int viz_sqlite3_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
