// glibc functions that Swift cannot see (declared only under _GNU_SOURCE, or in malloc.h).
#define _GNU_SOURCE
#include <spawn.h>
#include <malloc.h>
#include "system_shims.h"

int cspawn_add_closefrom(posix_spawn_file_actions_t *actions, int lowfd) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowfd);
}

int cspawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

void system_keep_large_allocations_in_heap(size_t threshold) {
    mallopt(M_MMAP_THRESHOLD, (int)threshold);
    mallopt(M_TRIM_THRESHOLD, (int)(threshold * 2));
}
