#ifndef SYSTEM_SHIMS_H
#define SYSTEM_SHIMS_H
#include <spawn.h>
#include <stddef.h>

/// Adds "close every descriptor >= lowfd" to a spawn's file actions, so that children inherit only
/// stdin, stdout and stderr (glibc's posix_spawn_file_actions_addclosefrom_np, which needs _GNU_SOURCE).
int cspawn_add_closefrom(posix_spawn_file_actions_t *actions, int lowfd);

/// Adds a change of working directory to a spawn's file actions (glibc's addchdir_np).
int cspawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path);

/// Makes glibc serve allocations below `threshold` bytes from the heap instead of fresh mmaps, and keep
/// freed memory up to twice that before trimming: task payloads of a few MiB are allocated and freed all
/// the time, and each fresh mmap costs a page fault per 4 KiB.
void system_keep_large_allocations_in_heap(size_t threshold);

#endif
