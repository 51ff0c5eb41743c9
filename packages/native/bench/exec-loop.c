/* Bench helper: fork+execve+waitpid of PATH, N times; prints "p50_ns p90_ns failures" over the single execs
 * (medians resist the noise of other work on a small shared machine better than means). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  long n = atol(argv[1]);
  if (n < 1) return 2;
  char *args[] = {argv[2], NULL};
  char *env[] = {NULL};
  long failed = 0;
  double *t = calloc((size_t)n, sizeof *t);
  for (long i = 0; i < n; i++) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    pid_t pid = fork();
    if (pid == 0) {
      execve(argv[2], args, env);
      _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    t[i] = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) failed++;
  }
  qsort(t, (size_t)n, sizeof *t, cmp);
  printf("%.0f %.0f %ld\n", t[n / 2], t[n * 9 / 10], failed);
  return 0;
}
