// Mount following for the permission group. A filesystem mark (FAN_MARK_FILESYSTEM) acts on the superblock in
// every mount namespace, so marking a filesystem once covers `unshare -m`, containers' private namespaces and bind
// mounts of it. What a mark cannot cover is a filesystem mounted later (a USB stick, a tmpfs an unprivileged user
// mounts in a user namespace): those are found from the mount tables.
//
// Sources of change, per kernel: fanotify mount events (FAN_MNT_ATTACH with FAN_REPORT_MNT and a FAN_MARK_MNTNS
// mark per namespace, Linux 6.15+), else poll(POLLPRI) on /proc/PID/mountinfo. Either way the change only triggers a
// reconcile: the namespace's mountinfo is read and every wanted filesystem not yet marked is marked, through
// /proc/<pid in that namespace>/root, after checking that the path still leads to that filesystem's device.
// The loop calls Drain() before it answers any permission event, so a mount followed by an exec (or any marked
// open) in the same namespace is marked before that event is answered.
#include "mount-watch.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "compat.h"
#include "fanotify-core.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

namespace omamori {

namespace {

constexpr size_t kMaxNamespaces = 1024;
constexpr size_t kMaxMountinfoFds = 64;
constexpr size_t kMaxOwnMounts = 4096;

std::string Unescape(const std::string &s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool octal = true;
      for (int k = 1; k <= 3; k++) {
        char c = s[i + k];
        if (c < '0' || c > '7') octal = false;
        else v = v * 8 + (c - '0');
      }
      if (octal) {
        out.push_back((char)v);
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

bool ReadAll(int fd, std::string *out) {
  out->clear();
  if (lseek(fd, 0, SEEK_SET) < 0) return false;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    out->append(buf, (size_t)n);
  }
}

bool NsIno(int32_t pid, uint64_t *ino) {
  char p[64];
  if (pid > 0) snprintf(p, sizeof p, "/proc/%d/ns/mnt", pid);
  else snprintf(p, sizeof p, "/proc/self/ns/mnt");
  struct stat st;
  if (stat(p, &st) != 0) return false;
  *ino = (uint64_t)st.st_ino;
  return true;
}

// `path` under the root of `pid` (0: ours), resolved as that process would.
int OpenUnderRoot(int32_t pid, const std::string &path) {
  char root[64];
  if (pid > 0) snprintf(root, sizeof root, "/proc/%d/root", pid);
  else snprintf(root, sizeof root, "/");
  int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rfd < 0) return -1;
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS;
  const char *rel = path.c_str();
  while (*rel == '/') rel++;
  int fd = (int)syscall(SYS_openat2, rfd, *rel ? rel : ".", &how, sizeof how);
  close(rfd);
  return fd;
}

bool Beneath(const std::string &mp, const std::string &dir) {
  if (dir == "/") return true;
  return mp == dir || (mp.size() > dir.size() && mp.compare(0, dir.size(), dir) == 0 && mp[dir.size()] == '/');
}

bool In(const std::vector<std::string> &list, const std::string &type) {
  for (const auto &t : list) {
    if (t == type) return true;
    // "fuse.*" names every FUSE subtype (fuse.sshfs, fuse.rclone, ...)
    if (t.size() > 2 && t.compare(t.size() - 2, 2, ".*") == 0 && type.compare(0, t.size() - 1, t, 0, t.size() - 1) == 0)
      return true;
  }
  return false;
}

}  // namespace

bool MountWatch::ParseMountinfo(const std::string &text, std::vector<Line> *out) {
  out->clear();
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    std::vector<std::string> f;
    for (size_t s = at; s < nl;) {
      size_t e = text.find(' ', s);
      if (e == std::string::npos || e > nl) e = nl;
      f.emplace_back(text, s, e - s);
      s = e + 1;
    }
    at = nl + 1;
    size_t dash = 0;
    for (size_t i = 6; i < f.size(); i++)
      if (f[i] == "-") {
        dash = i;
        break;
      }
    if (dash == 0 || f.size() < dash + 3) continue;
    unsigned maj = 0, mnr = 0;
    if (sscanf(f[2].c_str(), "%u:%u", &maj, &mnr) != 2) continue;
    out->push_back(Line{(uint64_t)makedev(maj, mnr), Unescape(f[4]), f[dash + 1]});
  }
  return true;
}

std::string MountWatch::Init(int perm_fd, bool filesystem_mark, uint64_t mask_full, const MountRules &rules) {
  perm_fd_ = perm_fd;
  fs_mark_ = filesystem_mark;
  mask_full_ = mask_full;
  rules_ = rules;
  if (!NsIno(0, &own_ns_)) return std::string("stat /proc/self/ns/mnt: ") + strerror(errno);
  counters_.source = MountSource::None;
  if (!fs_mark_ || !rules_.follow) return "";
  MountSource src = rules_.source;
  if (src == MountSource::Auto || src == MountSource::Fanotify) {
    mnt_fd_ = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_MNT | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_CLOEXEC);
    if (mnt_fd_ >= 0) {
      int ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
      int r = ns < 0 ? -1 : fanotify_mark(mnt_fd_, FAN_MARK_ADD | FAN_MARK_MNTNS, FAN_MNT_ATTACH | FAN_MNT_DETACH, ns, nullptr);
      if (ns >= 0) close(ns);
      if (r != 0) {
        close(mnt_fd_);
        mnt_fd_ = -1;
      }
    }
    if (mnt_fd_ < 0 && src == MountSource::Fanotify) return std::string("fanotify mount events unavailable: ") + strerror(errno);
    if (mnt_fd_ >= 0) src = MountSource::Fanotify;
  }
  if (mnt_fd_ < 0) src = MountSource::Mountinfo;
  counters_.source = src;
  Ns own{0, 0, -1};
  if (src == MountSource::Mountinfo) {
    own.mountinfo_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
    if (own.mountinfo_fd < 0) return std::string("open /proc/self/mountinfo: ") + strerror(errno);
  }
  ns_.emplace(own_ns_, own);
  Reconcile(own_ns_, &ns_[own_ns_]);
  return "";
}

void MountWatch::Close() {
  if (mnt_fd_ >= 0) close(mnt_fd_);
  mnt_fd_ = -1;
  for (auto &kv : ns_)
    if (kv.second.mountinfo_fd >= 0) close(kv.second.mountinfo_fd);
  ns_.clear();
}

bool MountWatch::MarkFd(int path_fd, uint64_t dev, const std::string &where, const std::string &type) {
  bool exec_only = In(rules_.exec_only_types, type);
  uint64_t mask = exec_only ? (uint64_t)FAN_OPEN_EXEC_PERM : mask_full_;
  unsigned flags = FAN_MARK_ADD | (fs_mark_ ? FAN_MARK_FILESYSTEM : FAN_MARK_MOUNT);
  // fanotify_mark takes no O_PATH descriptor: reopen the same inode (a directory, or a file bind mount) for reading.
  char self[64];
  snprintf(self, sizeof self, "/proc/self/fd/%d", path_fd);
  int fd = open(self, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  int r = fd < 0 ? -1 : fanotify_mark(perm_fd_, flags, mask, fd, nullptr);
  int err = errno;
  if (fd >= 0) close(fd);
  errno = err;
  if (r != 0) {
    std::lock_guard<std::mutex> lock(mu_);
    counters_.mark_errors++;
    return false;
  }
  if (exec_only) exec_only_.insert(dev);
  std::lock_guard<std::mutex> lock(mu_);
  // Mount marks (explicit paths only) are per mount: every one is listed.
  if (marked_devs_.insert(dev).second || !fs_mark_) marked_.push_back(MarkedFs{dev, where, type, exec_only});
  return true;
}

std::string MountWatch::MarkPath(const std::string &path) {
  int fd = open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) return "fanotify_mark " + path + ": " + strerror(errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return "fanotify_mark " + path + ": " + strerror(errno);
  }
  // Its filesystem type, from our mount table (for exec-only filesystems).
  std::string type;
  int mi = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  std::string text;
  std::vector<Line> lines;
  if (mi >= 0 && ReadAll(mi, &text) && ParseMountinfo(text, &lines))
    for (const auto &l : lines)
      if (l.dev == (uint64_t)st.st_dev) type = l.type;
  if (mi >= 0) close(mi);
  bool ok = MarkFd(fd, (uint64_t)st.st_dev, path, type);
  int err = errno;
  close(fd);
  return ok ? "" : "fanotify_mark " + path + ": " + strerror(err);
}

bool MountWatch::Wanted(const Line &l) const {
  if (In(rules_.skip_types, l.type)) return false;
  if (rules_.all) return true;
  for (const auto &d : rules_.beneath)
    if (Beneath(l.mount_point, d)) return true;
  return false;
}

void MountWatch::Reconcile(uint64_t ns_ino, Ns *ns) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    counters_.reconciles++;
  }
  std::string text;
  int fd = ns->mountinfo_fd;
  bool own_fd = false;
  if (fd < 0) {
    char p[64];
    if (ns->rep > 0) snprintf(p, sizeof p, "/proc/%d/mountinfo", ns->rep);
    else snprintf(p, sizeof p, "/proc/self/mountinfo");
    fd = open(p, O_RDONLY | O_CLOEXEC);
    own_fd = true;
  }
  bool ok = fd >= 0 && ReadAll(fd, &text);
  if (own_fd && fd >= 0) close(fd);
  if (!ok) return;
  // The representative must still be the process we took, and still in this namespace.
  if (ns->rep > 0) {
    uint64_t start = 0, now_ns = 0;
    if (!ReadProcStat(ns->rep, nullptr, &start) || start != ns->rep_start || !NsIno(ns->rep, &now_ns) || now_ns != ns_ino) return;
  }
  std::vector<Line> lines;
  ParseMountinfo(text, &lines);
  for (const auto &l : lines) {
    if (marked_devs_.count(l.dev) || !Wanted(l)) continue;
    int mfd = OpenUnderRoot(ns->rep, l.mount_point);
    if (mfd < 0) continue;
    struct stat st;
    // A mount point replaced meanwhile (or stacked over) no longer leads to that device: skip, the next change retries.
    if (fstat(mfd, &st) == 0 && (uint64_t)st.st_dev == l.dev) {
      std::string where = ns_ino == own_ns_ ? l.mount_point : "ns:" + std::to_string(ns_ino) + " " + l.mount_point;
      MarkFd(mfd, l.dev, where, l.type);
    }
    close(mfd);
  }
}

void MountWatch::AddPollFds(std::vector<struct pollfd> *fds) const {
  if (mnt_fd_ >= 0) fds->push_back({mnt_fd_, POLLIN, 0});
  for (const auto &kv : ns_)
    if (kv.second.mountinfo_fd >= 0) fds->push_back({kv.second.mountinfo_fd, POLLPRI, 0});
}

bool MountWatch::Drain(const std::vector<struct pollfd> *fired) {
  if (counters_.source == MountSource::None) return false;
  // poll() on mountinfo reports a change once (the poll itself consumes it): the loop's poll hands its results here.
  std::vector<struct pollfd> fds;
  if (fired) {
    for (const auto &p : *fired)
      if (p.revents && (p.fd == mnt_fd_ || (p.events & POLLPRI))) fds.push_back(p);
    if (fds.empty()) return false;
  } else {
    AddPollFds(&fds);
    if (fds.empty() || poll(fds.data(), fds.size(), 0) <= 0) return false;
  }
  bool any = false;
  for (const auto &p : fds) {
    if (p.fd != mnt_fd_ || !(p.revents & POLLIN)) continue;
    alignas(struct fanotify_event_metadata) char buf[4096];
    while (read(mnt_fd_, buf, sizeof buf) > 0) any = true;  // the ids do not matter: every table is reconciled
  }
  std::vector<uint64_t> changed;
  for (auto &kv : ns_) {
    if (kv.second.mountinfo_fd < 0) continue;
    for (const auto &p : fds)
      if (p.fd == kv.second.mountinfo_fd && (p.revents & (POLLPRI | POLLERR))) changed.push_back(kv.first);
  }
  if (any) {
    for (auto &kv : ns_) changed.push_back(kv.first);
  }
  if (changed.empty()) return false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    counters_.changes++;
  }
  for (uint64_t ino : changed) {
    auto it = ns_.find(ino);
    if (it != ns_.end()) Reconcile(ino, &it->second);
  }
  return true;
}

void MountWatch::SeeExec(int32_t pid, uint64_t mnt_id) {
  if (!rules_.namespaces || counters_.source == MountSource::None) return;
  if (mnt_id != 0 && own_mounts_.count(mnt_id)) return;
  if (!SeePid(pid) || mnt_id == 0) return;
  if (own_mounts_.size() >= kMaxOwnMounts) own_mounts_.clear();
  own_mounts_.insert(mnt_id);
}

bool MountWatch::SeePid(int32_t pid) {
  if (!rules_.namespaces || counters_.source == MountSource::None) return false;
  uint64_t ino = 0;
  if (!NsIno(pid, &ino)) return false;
  if (ino == own_ns_) return true;
  uint64_t start = 0;
  auto it = ns_.find(ino);
  if (it != ns_.end()) {
    // Keep a living representative: re-take this pid when the old one is gone.
    uint64_t old_start = 0;
    if (!ReadProcStat(it->second.rep, nullptr, &old_start) || old_start != it->second.rep_start) {
      if (ReadProcStat(pid, nullptr, &start)) it->second.rep = pid, it->second.rep_start = start;
    }
    return false;
  }
  // The representative: the oldest ancestor still in that namespace (usually the process that unshared it), which
  // outlives the short-lived exec that revealed the namespace.
  for (int depth = 0; depth < 16; depth++) {
    int32_t ppid = 0;
    uint64_t pns = 0;
    if (!ReadProcStat(pid, &ppid, nullptr) || ppid <= 1 || !NsIno(ppid, &pns) || pns != ino) break;
    pid = ppid;
  }
  if (!ReadProcStat(pid, nullptr, &start)) return false;
  if (ns_.size() >= kMaxNamespaces) {
    for (auto i = ns_.begin(); i != ns_.end();) {
      uint64_t s = 0;
      if (i->first != own_ns_ && (!ReadProcStat(i->second.rep, nullptr, &s) || s != i->second.rep_start)) {
        if (i->second.mountinfo_fd >= 0) close(i->second.mountinfo_fd);
        i = ns_.erase(i);
      } else {
        ++i;
      }
    }
    if (ns_.size() >= kMaxNamespaces) return false;
  }
  Ns ns{pid, start, -1};
  char p[64];
  if (mnt_fd_ >= 0) {
    snprintf(p, sizeof p, "/proc/%d/ns/mnt", pid);
    int nfd = open(p, O_RDONLY | O_CLOEXEC);
    if (nfd >= 0) {
      fanotify_mark(mnt_fd_, FAN_MARK_ADD | FAN_MARK_MNTNS, FAN_MNT_ATTACH | FAN_MNT_DETACH, nfd, nullptr);
      close(nfd);
    }
  } else {
    size_t open_fds = 0;
    for (const auto &kv : ns_) open_fds += kv.second.mountinfo_fd >= 0;
    if (open_fds < kMaxMountinfoFds) {
      snprintf(p, sizeof p, "/proc/%d/mountinfo", pid);
      ns.mountinfo_fd = open(p, O_RDONLY | O_CLOEXEC);
    }
  }
  auto &slot = ns_[ino] = ns;
  {
    std::lock_guard<std::mutex> lock(mu_);
    counters_.namespaces++;
  }
  Reconcile(ino, &slot);
  return false;
}

std::vector<MarkedFs> MountWatch::Marked() {
  std::lock_guard<std::mutex> lock(mu_);
  return marked_;
}

MountCounters MountWatch::Counters() {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

}  // namespace omamori
