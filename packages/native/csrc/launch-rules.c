/* Parser for the omamori-launch line format (one directive per line; see docs/native.md). No I/O. */
#include "launch-rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"

#define RIGHTS_READ (OM_LL_FS_READ_FILE | OM_LL_FS_READ_DIR)
#define RIGHTS_WRITE                                                                                         \
  (RIGHTS_READ | OM_LL_FS_WRITE_FILE | OM_LL_FS_TRUNCATE | OM_LL_FS_REMOVE_DIR | OM_LL_FS_REMOVE_FILE |      \
   OM_LL_FS_MAKE_DIR | OM_LL_FS_MAKE_REG | OM_LL_FS_MAKE_SYM | OM_LL_FS_MAKE_SOCK | OM_LL_FS_MAKE_FIFO | \
   OM_LL_FS_REFER)

static const struct {
  const char *name;
  uint64_t rights;
} k_verbs[] = {
    {"read", RIGHTS_READ},
    {"read-exec", RIGHTS_READ | OM_LL_FS_EXECUTE},
    {"write", RIGHTS_WRITE},
    {"write-exec", RIGHTS_WRITE | OM_LL_FS_EXECUTE},
    {"dev", OM_LL_FS_READ_FILE | OM_LL_FS_WRITE_FILE | OM_LL_FS_IOCTL_DEV},
};

static const struct {
  const char *name;
  uint64_t bit;
} k_rights[] = {
    {"execute", OM_LL_FS_EXECUTE},       {"write_file", OM_LL_FS_WRITE_FILE}, {"read_file", OM_LL_FS_READ_FILE},
    {"read_dir", OM_LL_FS_READ_DIR},     {"remove_dir", OM_LL_FS_REMOVE_DIR}, {"remove_file", OM_LL_FS_REMOVE_FILE},
    {"make_char", OM_LL_FS_MAKE_CHAR},   {"make_dir", OM_LL_FS_MAKE_DIR},     {"make_reg", OM_LL_FS_MAKE_REG},
    {"make_sock", OM_LL_FS_MAKE_SOCK},   {"make_fifo", OM_LL_FS_MAKE_FIFO},   {"make_block", OM_LL_FS_MAKE_BLOCK},
    {"make_sym", OM_LL_FS_MAKE_SYM},     {"refer", OM_LL_FS_REFER},           {"truncate", OM_LL_FS_TRUNCATE},
    {"ioctl_dev", OM_LL_FS_IOCTL_DEV},
};

static int fail(char *err, size_t errlen, int line, const char *fmt, const char *arg) {
  char msg[256];
  snprintf(msg, sizeof msg, fmt, arg);
  snprintf(err, errlen, "line %d: %s", line, msg);
  return -1;
}

/* Splits off the first whitespace-delimited word; returns it and advances *rest past following blanks. */
static char *next_word(char **rest) {
  char *s = *rest;
  while (*s == ' ' || *s == '\t') s++;
  if (!*s) return NULL;
  char *w = s;
  while (*s && *s != ' ' && *s != '\t') s++;
  if (*s) *s++ = 0;
  while (*s == ' ' || *s == '\t') s++;
  *rest = s;
  return w;
}

static int parse_rights(char *list, uint64_t *out) {
  *out = 0;
  for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    size_t i;
    for (i = 0; i < sizeof k_rights / sizeof k_rights[0]; i++)
      if (strcmp(tok, k_rights[i].name) == 0) break;
    if (i == sizeof k_rights / sizeof k_rights[0]) return -1;
    *out |= k_rights[i].bit;
  }
  return *out ? 0 : -1;
}

static int parse_port(const char *s, uint16_t *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (!*s || *end || v < 0 || v > 65535) return -1;
  *out = (uint16_t)v;
  return 0;
}

static int add_path(struct om_ruleset *rs, char *path, uint64_t rights, int optional, int line) {
  rs->paths = realloc(rs->paths, (rs->n_paths + 1) * sizeof *rs->paths);
  if (!rs->paths) return -1;
  rs->paths[rs->n_paths++] = (struct om_path_grant){strdup(path), rights, optional, line};
  return 0;
}

static int add_port(uint16_t **arr, size_t *n, uint16_t port) {
  *arr = realloc(*arr, (*n + 1) * sizeof **arr);
  if (!*arr) return -1;
  (*arr)[(*n)++] = port;
  return 0;
}

int om_parse_rules(char *text, struct om_ruleset *rs, char *err, size_t errlen) {
  memset(rs, 0, sizeof *rs);
  int line = 0;
  for (char *cur = text; cur && *cur;) {
    char *nl = strchr(cur, '\n');
    if (nl) *nl = 0;
    char *rest = cur;
    cur = nl ? nl + 1 : NULL;
    line++;
    size_t len = strlen(rest);
    if (len && rest[len - 1] == '\r') rest[--len] = 0;
    char *verb = next_word(&rest);
    if (!verb || verb[0] == '#') continue;
    size_t vlen = strlen(verb);
    int optional = vlen > 1 && verb[vlen - 1] == '?';
    if (optional) verb[vlen - 1] = 0;

    uint64_t rights = 0;
    int is_path = 0;
    for (size_t i = 0; i < sizeof k_verbs / sizeof k_verbs[0]; i++)
      if (strcmp(verb, k_verbs[i].name) == 0) rights = k_verbs[i].rights, is_path = 1;
    if (!is_path && strcmp(verb, "rights") == 0) {
      char *list = next_word(&rest);
      if (!list) return fail(err, errlen, line, "%s: missing rights list", "rights");
      char copy[128];
      snprintf(copy, sizeof copy, "%s", list);
      if (parse_rights(list, &rights) != 0) return fail(err, errlen, line, "unknown right in '%s'", copy);
      is_path = 1;
    }
    if (is_path) {
      if (rest[0] != '/') return fail(err, errlen, line, "%s: path must be absolute", verb);
      if (add_path(rs, rest, rights, optional, line) != 0) return fail(err, errlen, line, "%s", "out of memory");
      continue;
    }
    if (optional) return fail(err, errlen, line, "'%s?': only path grants take '?'", verb);
    char *arg = next_word(&rest);
    if (rest[0] && arg) return fail(err, errlen, line, "%s: too many arguments", verb);
    if (strcmp(verb, "bind") == 0 || strcmp(verb, "connect") == 0) {
      uint16_t port;
      if (!arg || parse_port(arg, &port) != 0) return fail(err, errlen, line, "%s: port must be 0..65535", verb);
      int r = verb[0] == 'b' ? add_port(&rs->bind_ports, &rs->n_bind, port)
                             : add_port(&rs->connect_ports, &rs->n_connect, port);
      if (r != 0) return fail(err, errlen, line, "%s", "out of memory");
      rs->restrict_tcp = 1;
    } else if (strcmp(verb, "restrict-tcp") == 0) {
      if (arg) return fail(err, errlen, line, "%s: takes no argument", verb);
      rs->restrict_tcp = 1;
    } else if (strcmp(verb, "scope") == 0) {
      if (arg && strcmp(arg, "signal") == 0) rs->scopes |= OM_LL_SCOPE_SIGNAL;
      else if (arg && strcmp(arg, "abstract-unix-socket") == 0) rs->scopes |= OM_LL_SCOPE_ABSTRACT_UNIX_SOCKET;
      else return fail(err, errlen, line, "scope: expected 'signal' or 'abstract-unix-socket', got '%s'", arg ? arg : "");
    } else if (strcmp(verb, "log") == 0) {
      if (arg && strcmp(arg, "new-exec") == 0) rs->log_flags |= OM_LL_RESTRICT_SELF_LOG_NEW_EXEC_ON;
      else if (arg && strcmp(arg, "same-exec-off") == 0) rs->log_flags |= OM_LL_RESTRICT_SELF_LOG_SAME_EXEC_OFF;
      else if (arg && strcmp(arg, "subdomains-off") == 0) rs->log_flags |= OM_LL_RESTRICT_SELF_LOG_SUBDOMAINS_OFF;
      else return fail(err, errlen, line, "log: expected new-exec, same-exec-off or subdomains-off, got '%s'", arg ? arg : "");
    } else if (strcmp(verb, "require-abi") == 0) {
      char *end;
      long v = arg ? strtol(arg, &end, 10) : 0;
      if (!arg || *end || v < 1 || v > 1000) return fail(err, errlen, line, "%s: expected a number >= 1", verb);
      rs->require_abi = (int)v;
    } else {
      return fail(err, errlen, line, "unknown directive '%s'", verb);
    }
  }
  return 0;
}
