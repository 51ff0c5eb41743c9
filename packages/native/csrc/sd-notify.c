/* systemd's readiness protocol (sd_notify(3)) without libsystemd: one datagram with the state ("READY=1",
 * "STOPPING=1", "STATUS=…") to the unix socket named by $NOTIFY_SOCKET — a path, or '@' for the abstract namespace.
 * Node has no unix datagram sockets, hence this file. Mechanism only: the caller decides when it is ready.
 * Returns 1 when sent, or -errno (bad address: -EINVAL; vsock and other schemes: -EAFNOSUPPORT). */
#include "sd-notify.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int om_sd_notify(const char *socket_path, const char *state) {
  struct sockaddr_un sa;
  size_t len = socket_path ? strlen(socket_path) : 0;
  if (len == 0) return -EINVAL;
  if (socket_path[0] != '/' && socket_path[0] != '@') return -EAFNOSUPPORT;
  if (len >= sizeof sa.sun_path) return -EINVAL;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, socket_path, len);
  if (sa.sun_path[0] == '@') sa.sun_path[0] = '\0';
  /* A path carries its terminating NUL; an abstract name is exactly its bytes. */
  socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (socket_path[0] == '/' ? 1 : 0));
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  ssize_t n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (const struct sockaddr *)&sa, salen);
  int err = n < 0 ? errno : 0;
  close(fd);
  return err ? -err : 1;
}
