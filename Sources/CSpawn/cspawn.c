// Exposes two glibc spawn file actions that Swift cannot see: they are declared only under _GNU_SOURCE.
#define _GNU_SOURCE
#include <spawn.h>
#include "cspawn.h"

int cspawn_add_closefrom(posix_spawn_file_actions_t *actions, int lowfd) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowfd);
}

int cspawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}
