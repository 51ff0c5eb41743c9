/* Kernel constants newer than Debian 12's uapi headers (fanotify up to 6.1, Landlock ABI 2): defined here. */
#ifndef OMAMORI_COMPAT_H
#define OMAMORI_COMPAT_H

#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/fanotify.h>

/* ---- fanotify ---- */
#ifndef FAN_OPEN_EXEC_PERM
#define FAN_OPEN_EXEC_PERM 0x00040000
#endif
#ifndef FAN_MARK_FILESYSTEM
#define FAN_MARK_FILESYSTEM 0x00000100
#endif
/* Mount notifications (Linux 6.15): FAN_REPORT_MNT groups, FAN_MARK_MNTNS marks, FAN_EVENT_INFO_TYPE_MNT records. */
#ifndef FAN_REPORT_MNT
#define FAN_REPORT_MNT 0x00004000
#endif
#ifndef FAN_MNT_ATTACH
#define FAN_MNT_ATTACH 0x01000000
#define FAN_MNT_DETACH 0x02000000
#endif
#ifndef FAN_MARK_MNTNS
#define FAN_MARK_MNTNS 0x00000110
#endif
#ifndef FAN_EVENT_INFO_TYPE_MNT
#define FAN_EVENT_INFO_TYPE_MNT 7
#endif
#ifndef FAN_REPORT_FID
#define FAN_REPORT_FID 0x00000200
#endif
#ifndef FAN_ATTRIB
#define FAN_ATTRIB 0x00000004
#endif
/* Custom errno on deny (kernel >= 6.14) is only accepted from FAN_CLASS_PRE_CONTENT groups; unused here. */
#ifndef FAN_DENY_ERRNO
#define FAN_ERRNO_BITS 8
#define FAN_ERRNO_SHIFT (32 - FAN_ERRNO_BITS)
#define FAN_DENY_ERRNO(err) (FAN_DENY | ((((uint32_t)(err)) & ((1 << FAN_ERRNO_BITS) - 1)) << FAN_ERRNO_SHIFT))
#endif

/* ---- Landlock ---- */
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif
#ifndef __NR_landlock_add_rule
#define __NR_landlock_add_rule 445
#endif
#ifndef __NR_landlock_restrict_self
#define __NR_landlock_restrict_self 446
#endif

#define OM_LL_CREATE_RULESET_VERSION (1U << 0)

#define OM_LL_RULE_PATH_BENEATH 1
#define OM_LL_RULE_NET_PORT 2

/* Filesystem rights by ABI: 1 = bits 0..12, 2 = +REFER, 3 = +TRUNCATE, 5 = +IOCTL_DEV. */
#define OM_LL_FS_EXECUTE (1ULL << 0)
#define OM_LL_FS_WRITE_FILE (1ULL << 1)
#define OM_LL_FS_READ_FILE (1ULL << 2)
#define OM_LL_FS_READ_DIR (1ULL << 3)
#define OM_LL_FS_REMOVE_DIR (1ULL << 4)
#define OM_LL_FS_REMOVE_FILE (1ULL << 5)
#define OM_LL_FS_MAKE_CHAR (1ULL << 6)
#define OM_LL_FS_MAKE_DIR (1ULL << 7)
#define OM_LL_FS_MAKE_REG (1ULL << 8)
#define OM_LL_FS_MAKE_SOCK (1ULL << 9)
#define OM_LL_FS_MAKE_FIFO (1ULL << 10)
#define OM_LL_FS_MAKE_BLOCK (1ULL << 11)
#define OM_LL_FS_MAKE_SYM (1ULL << 12)
#define OM_LL_FS_REFER (1ULL << 13)
#define OM_LL_FS_TRUNCATE (1ULL << 14)
#define OM_LL_FS_IOCTL_DEV (1ULL << 15)
/* Rights that make sense on a non-directory (others give EINVAL on a file rule). */
#define OM_LL_FS_FILE_RIGHTS \
  (OM_LL_FS_EXECUTE | OM_LL_FS_WRITE_FILE | OM_LL_FS_READ_FILE | OM_LL_FS_TRUNCATE | OM_LL_FS_IOCTL_DEV)

/* Network rights (ABI 4). */
#define OM_LL_NET_BIND_TCP (1ULL << 0)
#define OM_LL_NET_CONNECT_TCP (1ULL << 1)

/* Scopes (ABI 6). */
#define OM_LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define OM_LL_SCOPE_SIGNAL (1ULL << 1)

/* landlock_restrict_self flags (ABI 7). */
#define OM_LL_RESTRICT_SELF_LOG_SAME_EXEC_OFF (1U << 0)
#define OM_LL_RESTRICT_SELF_LOG_NEW_EXEC_ON (1U << 1)
#define OM_LL_RESTRICT_SELF_LOG_SUBDOMAINS_OFF (1U << 2)

/* The full ruleset attribute (Debian 12's struct has only handled_access_fs). The kernel takes its size. */
struct om_ll_ruleset_attr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};

struct om_ll_path_beneath_attr {
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__((packed));

struct om_ll_net_port_attr {
  uint64_t allowed_access;
  uint64_t port;
};

/* Returns the Landlock ABI version (>= 1), or -errno (ENOSYS: not built in, EOPNOTSUPP: disabled at boot). */
static inline int om_landlock_abi(void) {
  long r = syscall(__NR_landlock_create_ruleset, (void *)0, (size_t)0, OM_LL_CREATE_RULESET_VERSION);
  return r < 0 ? -errno : (int)r;
}

#endif
