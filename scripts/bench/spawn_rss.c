/* Runs a command and prints its peak resident set size in KiB. A small C parent keeps the
   inherited part of the figure (Linux counts the parent's pages at exec) near 1 MiB, where a
   Python parent would add ~11 MiB to every command. */
#include <spawn.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char** environ;

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1, 0);
  pid_t pid;
  if (posix_spawn(&pid, argv[1], &fa, NULL, argv + 1, environ) != 0) return 127;
  int status = 0;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) return 127;
  printf("%ld\n", ru.ru_maxrss);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}
