/* omamori-launch: single-threaded Landlock launcher. Reads a ruleset, restricts itself, then execs the target.
 *
 *   omamori-launch (--rules FILE | --rules-fd N) [--best-effort] [--check] [--label NAME] -- PROGRAM [ARG...]
 *   omamori-launch --abi
 *
 * --label NAME is not used here: it stays in /proc/PID/cmdline until the exec of PROGRAM completes, so the agent,
 * which sees that exec while the launcher image still runs, reads which guarded application the target is.
 *
 * Sequence: ABI query -> mask rights by ABI -> ruleset -> path-beneath rules (non-directories get file rights
 * only) -> net port rules -> fork (a reaper stays, see below) -> PR_SET_NO_NEW_PRIVS -> landlock_restrict_self ->
 * execvp. The exit status is the target's.
 * Exit: 125 launcher or ruleset error, 126 target found but not executable, 127 target not found.
 * Without --best-effort a ruleset asking for a feature the kernel lacks (network: ABI 4, scopes: ABI 6) is an
 * error; with it the feature is dropped with a warning. Log flags (ABI 7) are dropped silently below ABI 7. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"
#include "launch-rules.h"

#define EXIT_LAUNCHER 125
#define MAX_RULES_BYTES (1 << 20)

static const char *g_rules_name = "rules";
static volatile pid_t g_forward_to = 0;

static void forward(int sig) {
  if (g_forward_to > 0) kill(g_forward_to, sig);
}

/* Signals sent to the launcher (omamori run forwards SIGINT/SIGTERM/SIGHUP to it) go on to the next process down. */
static void forward_signals(void) {
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward;
  sa.sa_flags = SA_RESTART;
  for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++) sigaction(sigs[k], &sa, NULL);
}

static void die(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "omamori-launch: ");
  fprintf(stderr, fmt, a, b);
  fputc('\n', stderr);
  exit(EXIT_LAUNCHER);
}

static uint64_t fs_rights_for_abi(int abi) {
  uint64_t r = (OM_LL_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0..12 */
  if (abi >= 2) r |= OM_LL_FS_REFER;
  if (abi >= 3) r |= OM_LL_FS_TRUNCATE;
  if (abi >= 5) r |= OM_LL_FS_IOCTL_DEV;
  return r;
}

static char *read_all(int fd) {
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (len + 1 >= cap) {
      if (cap >= MAX_RULES_BYTES) die("%s: larger than 1 MiB", g_rules_name, NULL);
      buf = realloc(buf, cap *= 2);
    }
    ssize_t n = read(fd, buf + len, cap - len - 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("%s: read: %s", g_rules_name, strerror(errno));
    if (n == 0) break;
    len += (size_t)n;
  }
  buf[len] = 0;
  if (strlen(buf) != len) die("%s: contains a NUL byte", g_rules_name, NULL);
  return buf;
}

static void usage(void) {
  fputs("usage: omamori-launch (--rules FILE | --rules-fd N) [--best-effort] [--check] [--label NAME] -- PROGRAM [ARG...]\n"
        "       omamori-launch --abi\n",
        stderr);
  exit(EXIT_LAUNCHER);
}

int main(int argc, char **argv) {
  const char *rules_file = NULL;
  int rules_fd = -1, best_effort = 0, check = 0, i;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    } else if (strcmp(argv[i], "--abi") == 0) {
      int abi = om_landlock_abi();
      if (abi < 0) die("landlock unavailable: %s", strerror(-abi), NULL);
      printf("%d\n", abi);
      return 0;
    } else if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc) {
      rules_file = argv[++i];
    } else if (strcmp(argv[i], "--rules-fd") == 0 && i + 1 < argc) {
      char *end;
      rules_fd = (int)strtol(argv[++i], &end, 10);
      if (*end || rules_fd < 0) die("--rules-fd: not a file descriptor: %s", argv[i], NULL);
    } else if (strcmp(argv[i], "--best-effort") == 0) {
      best_effort = 1;
    } else if (strcmp(argv[i], "--check") == 0) {
      check = 1;
    } else if (strcmp(argv[i], "--label") == 0 && i + 1 < argc) {
      i++; /* for observers only (see the top of this file) */
    } else {
      fprintf(stderr, "omamori-launch: unknown option: %s\n", argv[i]);
      usage();
    }
  }
  if ((rules_file == NULL) == (rules_fd < 0)) usage();
  if (i >= argc && !check) usage();

  char *text;
  if (rules_file) {
    g_rules_name = rules_file;
    int fd = open(rules_file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die("%s: %s", rules_file, strerror(errno));
    text = read_all(fd);
    close(fd);
  } else {
    g_rules_name = "rules fd";
    text = read_all(rules_fd);
    close(rules_fd);
  }
  struct om_ruleset rs;
  char err[512];
  if (om_parse_rules(text, &rs, err, sizeof err) != 0) die("%s: %s", g_rules_name, err);

  int abi = om_landlock_abi();
  if (abi < 0) die("landlock unavailable: %s", strerror(-abi), NULL);
  if (rs.require_abi > abi) {
    char need[64];
    snprintf(need, sizeof need, "%d (kernel has %d)", rs.require_abi, abi);
    die("%s: require-abi %s", g_rules_name, need);
  }

  struct om_ll_ruleset_attr attr = {0};
  attr.handled_access_fs = fs_rights_for_abi(abi);
  if (rs.restrict_tcp) {
    if (abi >= 4) attr.handled_access_net = OM_LL_NET_BIND_TCP | OM_LL_NET_CONNECT_TCP;
    else if (!best_effort) die("%s: TCP rules need Landlock ABI 4", g_rules_name, NULL);
    else fprintf(stderr, "omamori-launch: warning: TCP rules dropped (Landlock ABI %d < 4)\n", abi);
  }
  if (rs.scopes) {
    if (abi >= 6) attr.scoped = rs.scopes;
    else if (!best_effort) die("%s: scopes need Landlock ABI 6", g_rules_name, NULL);
    else fprintf(stderr, "omamori-launch: warning: scopes dropped (Landlock ABI %d < 6)\n", abi);
  }
  uint32_t restrict_flags = abi >= 7 ? rs.log_flags : 0;
  /* The kernel takes the attribute size: an older ABI rejects the fields it does not know unless zero-sized. */
  size_t attr_size = abi >= 6 ? sizeof attr : abi >= 4 ? offsetof(struct om_ll_ruleset_attr, scoped)
                                                       : sizeof attr.handled_access_fs;
  int ruleset_fd = (int)syscall(__NR_landlock_create_ruleset, &attr, attr_size, 0);
  if (ruleset_fd < 0) die("landlock_create_ruleset: %s%s", strerror(errno), "");

  for (size_t k = 0; k < rs.n_paths; k++) {
    struct om_path_grant *g = &rs.paths[k];
    int fd = open(g->path, O_PATH | O_CLOEXEC);
    if (fd < 0) {
      if (g->optional && errno == ENOENT) continue;
      char where[64];
      snprintf(where, sizeof where, "%s: line %d", g_rules_name, g->line);
      die("%s: %s", where, (snprintf(err, sizeof err, "%s: %s", g->path, strerror(errno)), err));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) die("fstat %s: %s", g->path, strerror(errno));
    uint64_t rights = g->rights & attr.handled_access_fs;
    if (!S_ISDIR(st.st_mode)) rights &= OM_LL_FS_FILE_RIGHTS;
    if (rights) {
      struct om_ll_path_beneath_attr pb = {.allowed_access = rights, .parent_fd = fd};
      if (syscall(__NR_landlock_add_rule, ruleset_fd, OM_LL_RULE_PATH_BENEATH, &pb, 0) != 0)
        die("landlock_add_rule %s: %s", g->path, strerror(errno));
    }
    close(fd);
    if (check) printf("path %s rights=0x%llx\n", g->path, (unsigned long long)rights);
  }
  if (attr.handled_access_net) {
    for (size_t k = 0; k < rs.n_bind + rs.n_connect; k++) {
      int bind = k < rs.n_bind;
      struct om_ll_net_port_attr np = {.allowed_access = bind ? OM_LL_NET_BIND_TCP : OM_LL_NET_CONNECT_TCP,
                                       .port = bind ? rs.bind_ports[k] : rs.connect_ports[k - rs.n_bind]};
      if (syscall(__NR_landlock_add_rule, ruleset_fd, OM_LL_RULE_NET_PORT, &np, 0) != 0)
        die("landlock_add_rule port: %s%s", strerror(errno), "");
      if (check) printf("%s %llu\n", bind ? "bind" : "connect", (unsigned long long)np.port);
    }
  }
  if (check) {
    printf("abi %d handled_fs=0x%llx handled_net=0x%llx scoped=0x%llx log=0x%x\n", abi,
           (unsigned long long)attr.handled_access_fs, (unsigned long long)attr.handled_access_net,
           (unsigned long long)attr.scoped, restrict_flags);
    return 0;
  }

  /* Three processes: this one (A) waits for the target's exit status and exits with it; its child R stays outside
   * the Landlock domain as the tree's reaper (PR_SET_CHILD_SUBREAPER) until every descendant has exited, so an
   * orphaned or CLONE_PARENT'ed process of the tree always has R as an ancestor; R's child restricts itself and
   * execs the target. R is outside the domain, so the contained tree cannot signal or trace it. */
  int status_pipe[2];
  if (pipe2(status_pipe, O_CLOEXEC) != 0) die("pipe: %s%s", strerror(errno), "");
  fflush(NULL);
  pid_t reaper = fork();
  if (reaper < 0) die("fork: %s%s", strerror(errno), "");
  if (reaper > 0) {
    close(status_pipe[1]);
    close(ruleset_fd);
    g_forward_to = reaper;
    forward_signals();
    int st = 0;
    ssize_t n;
    do n = read(status_pipe[0], &st, sizeof st); while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof st) {
      /* The reaper died before the target ended (killed from outside): its own status is all we have. */
      while (waitpid(reaper, &st, 0) < 0 && errno == EINTR) {}
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  }
  close(status_pipe[0]);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) die("prctl(PR_SET_CHILD_SUBREAPER): %s%s", strerror(errno), "");
  pid_t target = fork();
  if (target < 0) die("fork: %s%s", strerror(errno), "");
  if (target == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("prctl(PR_SET_NO_NEW_PRIVS): %s%s", strerror(errno), "");
    if (syscall(__NR_landlock_restrict_self, ruleset_fd, restrict_flags) != 0)
      die("landlock_restrict_self: %s%s", strerror(errno), "");
    close(ruleset_fd);
    execvp(argv[i], &argv[i]);
    int e = errno;
    fprintf(stderr, "omamori-launch: %s: %s\n", argv[i], strerror(e));
    _exit(e == ENOENT ? 127 : 126);
  }
  close(ruleset_fd);
  /* The reaper holds no terminal or pipe: whoever reads the tree's output sees its end when the tree ends. */
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, 0), dup2(null, 1), dup2(null, 2);
    if (null > 2) close(null);
  }
  g_forward_to = target;
  forward_signals();
  for (;;) {
    int st;
    pid_t p = waitpid(-1, &st, 0);
    if (p < 0 && errno == EINTR) continue;
    if (p < 0) break; /* ECHILD: the whole tree has ended */
    if (p == target) {
      ssize_t ignored = write(status_pipe[1], &st, sizeof st);
      (void)ignored;
      close(status_pipe[1]);
      g_forward_to = 0;
    }
  }
  return 0;
}
