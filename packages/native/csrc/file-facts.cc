// Reads what JS decides on from the event fd itself, so a rename or unlink racing the decision cannot make it judge
// another file. See file-facts.h.
#include "file-facts.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <unordered_map>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

namespace omamori {

namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
};

uint64_t Rd(const uint8_t *p, int n, bool le) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++) v |= (uint64_t)p[le ? i : n - 1 - i] << (8 * i);
  return v;
}

// `path` below the root of `pid`, resolved as that process would (symlinks and ".." stay inside its root).
int OpenInRoot(int32_t pid, const std::string &path, uint64_t flags) {
  char root[64];
  snprintf(root, sizeof root, "/proc/%d/root", pid);
  Fd rfd(open(root, O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (rfd.fd < 0) return -1;
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const char *rel = path.c_str();
  while (*rel == '/') rel++;
  return (int)syscall(SYS_openat2, rfd.fd, *rel ? rel : ".", &how, sizeof how);
}

// The directory holding `base` that names inode `st`: in our namespace, else under the root of `pid`.
int OpenVerifiedDir(int32_t pid, const std::string &dir, const std::string &base, const struct stat &st, bool *ours) {
  for (int attempt = 0; attempt < 2; attempt++) {
    *ours = attempt == 0;
    int d = attempt == 0 ? open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)
                         : OpenInRoot(pid, dir, O_PATH | O_DIRECTORY);
    if (d < 0) continue;
    struct stat e;
    if (fstatat(d, base.c_str(), &e, AT_SYMLINK_NOFOLLOW) == 0 && e.st_dev == st.st_dev && e.st_ino == st.st_ino)
      return d;
    close(d);
  }
  return -1;
}

}  // namespace

bool ReadHeader(int fd, std::vector<uint8_t> *out) {
  out->resize(kHeaderBytes);
  ssize_t n = pread(fd, out->data(), kHeaderBytes, 0);
  if (n < 0) {
    out->clear();
    return false;
  }
  out->resize((size_t)n);
  return true;
}

std::string InterpreterOf(const std::vector<uint8_t> &h) {
  size_t n = h.size();
  if (n >= 2 && h[0] == '#' && h[1] == '!') {
    size_t i = 2;
    while (i < n && (h[i] == ' ' || h[i] == '\t')) i++;
    size_t s = i;
    while (i < n && h[i] != ' ' && h[i] != '\t' && h[i] != '\n' && h[i] != '\r') i++;
    return std::string(reinterpret_cast<const char *>(h.data()) + s, i - s);
  }
  if (n < 52 || h[0] != 0x7f || h[1] != 'E' || h[2] != 'L' || h[3] != 'F') return "";
  bool is64 = h[4] == 2, le = h[5] != 2;
  const uint8_t *b = h.data();
  if (Rd(b + 16, 2, le) != 2 && Rd(b + 16, 2, le) != 3) return "";  // ET_EXEC, ET_DYN
  uint64_t phoff = is64 ? Rd(b + 32, 8, le) : Rd(b + 28, 4, le);
  uint64_t phentsize = Rd(b + (is64 ? 54 : 42), 2, le), phnum = Rd(b + (is64 ? 56 : 44), 2, le);
  for (uint64_t i = 0; i < phnum; i++) {
    uint64_t o = phoff + i * phentsize;
    if (o + (is64 ? 40 : 20) > n) break;
    if (Rd(b + o, 4, le) != 3) continue;  // PT_INTERP
    uint64_t off = is64 ? Rd(b + o + 8, 8, le) : Rd(b + o + 4, 4, le);
    uint64_t size = is64 ? Rd(b + o + 32, 8, le) : Rd(b + o + 16, 4, le);
    if (size < 2 || off + size > n) return "";
    return std::string(reinterpret_cast<const char *>(b + off), strnlen(reinterpret_cast<const char *>(b + off), size));
  }
  return "";
}

bool DirChain(int32_t pid, const std::string &path, const struct stat &st, std::vector<DirStat> *out) {
  out->clear();
  if (path.empty() || path[0] != '/' || st.st_nlink == 0) return false;
  static const char kDeleted[] = " (deleted)";
  if (path.size() > sizeof kDeleted && path.compare(path.size() - (sizeof kDeleted - 1), std::string::npos, kDeleted) == 0)
    return false;
  size_t slash = path.rfind('/');
  std::string dir = slash == 0 ? "/" : path.substr(0, slash), base = path.substr(slash + 1);
  if (base.empty()) return false;
  bool ours = false;
  int cur = OpenVerifiedDir(pid, dir, base, st, &ours);
  if (cur < 0) return false;
  // Our own root ends a chain opened in our namespace without a further openat(".."); elsewhere the root is the
  // directory whose ".." is itself.
  static const struct stat *own_root = [] {
    static struct stat r;
    return stat("/", &r) == 0 ? &r : nullptr;
  }();
  struct stat ds;
  if (fstat(cur, &ds) != 0) {
    close(cur);
    return false;
  }
  // The chain above a directory of our namespace, remembered by that directory's identity and ctime (a change of its
  // owner or mode, or an entry added, removed or renamed in it, moves its ctime). Loop thread only. Like the decision
  // cache, it does not see a later change of an ancestor (see docs/native.md).
  struct Key {
    uint64_t dev, ino;
    int64_t ctime;
    bool operator==(const Key &o) const { return dev == o.dev && ino == o.ino && ctime == o.ctime; }
  };
  struct KeyHash {
    size_t operator()(const Key &k) const { return (size_t)(k.dev * 0x9E3779B97F4A7C15ull ^ k.ino ^ ((uint64_t)k.ctime << 1)); }
  };
  static thread_local std::unordered_map<Key, std::vector<DirStat>, KeyHash> memo;
  Key key{(uint64_t)ds.st_dev, (uint64_t)ds.st_ino, (int64_t)ds.st_ctim.tv_sec * 1000000000ll + ds.st_ctim.tv_nsec};
  if (ours) {
    auto hit = memo.find(key);
    if (hit != memo.end()) {
      close(cur);
      *out = hit->second;
      return true;
    }
  }
  auto remember = [&] {
    if (!ours) return;
    if (memo.size() >= 4096) memo.clear();
    memo.emplace(key, *out);
  };
  for (int depth = 0; depth < 128; depth++) {
    out->push_back(DirStat{(uint32_t)ds.st_uid, (uint32_t)ds.st_gid, (uint32_t)ds.st_mode});
    if (ours && own_root && ds.st_dev == own_root->st_dev && ds.st_ino == own_root->st_ino) {
      close(cur);
      remember();
      return true;
    }
    int up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct stat us;
    if (up < 0 || fstat(up, &us) != 0) {
      if (up >= 0) close(up);
      break;
    }
    close(cur);
    cur = up;
    if (us.st_dev == ds.st_dev && us.st_ino == ds.st_ino) {  // ".." of the root is the root
      close(cur);
      remember();
      return true;
    }
    ds = us;
  }
  close(cur);
  out->clear();
  return false;
}

ssize_t FdPath(int fd, char *buf, size_t len) {
  static const int fd_dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  char name[16];
  snprintf(name, sizeof name, "%d", fd);
  if (fd_dir >= 0) return readlinkat(fd_dir, name, buf, len);
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  return readlink(link, buf, len);
}

bool ExeIdentity(int32_t pid, uint64_t *dev, uint64_t *ino) {
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/exe", pid);
  struct stat st;
  if (stat(p, &st) != 0) return false;
  *dev = (uint64_t)st.st_dev;
  *ino = (uint64_t)st.st_ino;
  return true;
}

bool NamedInArgs(int32_t pid, uint64_t dev, uint64_t ino) {
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/cmdline", pid);
  Fd fd(open(p, O_RDONLY | O_CLOEXEC));
  if (fd.fd < 0) return true;
  std::string cmd;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd.fd, buf, sizeof buf);
    if (n < 0) return true;
    if (n == 0) break;
    cmd.append(buf, (size_t)n);
    if (cmd.size() > (1u << 20)) return true;
  }
  char cwd[4096];
  snprintf(p, sizeof p, "/proc/%d/cwd", pid);
  ssize_t cl = readlink(p, cwd, sizeof cwd - 1);
  std::string own_cwd = cl > 0 ? std::string(cwd, (size_t)cl) : std::string();
  auto same = [&](const std::string &path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 && (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino;
  };
  size_t start = cmd.find('\0');  // skip argv[0]
  if (start == std::string::npos) return false;
  for (size_t i = start + 1; i < cmd.size();) {
    size_t end = cmd.find('\0', i);
    if (end == std::string::npos) end = cmd.size();
    std::string a = cmd.substr(i, end - i);
    i = end + 1;
    if (a.empty() || a.size() > 4000) continue;
    std::string proc = "/proc/" + std::to_string(pid);
    if (a[0] == '/') {
      if (same(proc + "/root" + a) || same(a)) return true;
    } else if (same(proc + "/cwd/" + a) || (!own_cwd.empty() && same(own_cwd + "/" + a))) {
      return true;
    }
  }
  return false;
}

bool IdentityInRoot(int32_t pid, const std::string &path, uint64_t *dev, uint64_t *ino) {
  if (path.empty() || path[0] != '/') return false;
  Fd fd(OpenInRoot(pid, path, O_PATH));
  struct stat st;
  if (fd.fd < 0 || fstat(fd.fd, &st) != 0) return false;
  *dev = (uint64_t)st.st_dev;
  *ino = (uint64_t)st.st_ino;
  return true;
}

}  // namespace omamori
