#ifndef CSPAWN_H
#define CSPAWN_H
#include <spawn.h>

/// Adds "close every descriptor >= lowfd" to a spawn's file actions, so that children inherit only
/// stdin, stdout and stderr (glibc's posix_spawn_file_actions_addclosefrom_np, which needs _GNU_SOURCE).
int cspawn_add_closefrom(posix_spawn_file_actions_t *actions, int lowfd);

/// Adds a change of working directory to a spawn's file actions (glibc's addchdir_np).
int cspawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path);

#endif
