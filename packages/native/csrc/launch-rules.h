/* omamori-launch ruleset: the line format, parsed into grants. Format documented in docs/native.md. */
#ifndef OMAMORI_LAUNCH_RULES_H
#define OMAMORI_LAUNCH_RULES_H

#include <stddef.h>
#include <stdint.h>

struct om_path_grant {
  char *path;
  uint64_t rights; /* Landlock filesystem rights before ABI masking */
  int optional;    /* "verb?": skip when the path does not exist */
  int line;
};

struct om_ruleset {
  struct om_path_grant *paths;
  size_t n_paths;
  uint16_t *bind_ports;
  size_t n_bind;
  uint16_t *connect_ports;
  size_t n_connect;
  int restrict_tcp;
  uint64_t scopes;
  uint32_t log_flags;
  int require_abi;
};

/* Parses `text` (NUL-terminated). On error returns -1 and writes "line N: ..." into err. */
int om_parse_rules(char *text, struct om_ruleset *out, char *err, size_t errlen);

#endif
