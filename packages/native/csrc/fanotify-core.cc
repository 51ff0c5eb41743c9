// fanotify permission loop on its own thread.
//
// OWNERSHIP: this file owns only the kernel conversation. It never decides policy; it answers the kernel ON ITS
// OWN, without the TypeScript side, in exactly these cases (the table is in docs/native.md):
//   - the event comes from our own process (always allow: the agent must never wait on itself);
//   - the event comes from a direct child of our process, if ignore_own_children (libuv's spawn blocks the JS
//     thread until the child has exec'd, so asking JS would deadlock until the timeout);
//   - an open that the open filter classifies as uninteresting (not a regular file; no exec bit and no ELF/#! magic,
//     unless the opener runs a registered interpreter);
//   - the open that follows an exec we allowed, for the same pid and file (the kernel sends both);
//   - a decision-cache hit (the verdict TypeScript gave earlier for the same file identity, kind and subject class);
//   - the fast exec rule TypeScript compiled from its policy (SetFastExec): an exec outside every subject class of an
//     ELF program only root can change, in directories only root can change, on a filesystem TypeScript named,
//     whose name and path TypeScript did not ask to see; allowed and cached as if TypeScript had said so;
//   - JS is late (timeout), its queue is full, the file cannot be read, or the listener is stopping: answer by the
//     fail mode, and (unless JS already holds the event) hand JS a FailRecord saying what the kernel got.
// Every permission event is answered exactly once, within the timeout (+ one poll tick) of its arrival.
// If this process dies, the kernel closes the group and allows everything pending (fail open until restart).
#include "fanotify-core.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/sysmacros.h>
#include <sys/fanotify.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "compat.h"

namespace omamori {

namespace {

constexpr size_t kMaxExpired = 4096;
constexpr size_t kMaxRecent = 8192;
constexpr uint64_t kRecentNs = 5ull * 1000000000ull;  // an execve's interpreter follows within this

uint64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int64_t TsNs(const struct timespec &ts) { return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec; }

#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif

// statx with AT_STATX_DONT_SYNC: cached attributes, so a stalled network or FUSE server cannot block the loop.
// `mnt_id`: the unique id of the mount the fd was opened through (Linux 6.8+), 0 where the kernel has none.
bool StatFd(int fd, struct stat *st, uint64_t *mnt_id = nullptr) {
  struct statx sx;
  if (mnt_id) *mnt_id = 0;
  if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_BASIC_STATS | STATX_MNT_ID_UNIQUE, &sx) != 0)
    return fstat(fd, st) == 0;
  memset(st, 0, sizeof *st);
  st->st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
  st->st_ino = sx.stx_ino;
  st->st_mode = sx.stx_mode;
  st->st_nlink = sx.stx_nlink;
  st->st_uid = sx.stx_uid;
  st->st_gid = sx.stx_gid;
  st->st_size = (off_t)sx.stx_size;
  st->st_ctim.tv_sec = sx.stx_ctime.tv_sec, st->st_ctim.tv_nsec = sx.stx_ctime.tv_nsec;
  st->st_mtim.tv_sec = sx.stx_mtime.tv_sec, st->st_mtim.tv_nsec = sx.stx_mtime.tv_nsec;
  if (mnt_id && (sx.stx_mask & STATX_MNT_ID_UNIQUE)) *mnt_id = sx.stx_mnt_id;
  return true;
}

// An open is worth asking JS about when the file could be code: any exec bit, or ELF / "#!" magic.
bool LooksExecutable(int fd, const struct stat &st) {
  if (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) return true;
  unsigned char magic[18];
  ssize_t n = pread(fd, magic, sizeof magic, 0);  // event fds carry FMODE_NONOTIFY: no event for us
  if (n >= 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F') {
    // Only ET_EXEC (2) and ET_DYN (3) are programs or shared objects; object files (ET_REL: a build's .o files)
    // and core dumps are data to the loader. e_type is at offset 16, in the byte order of EI_DATA (offset 5).
    if (n < 18) return true;
    unsigned type = magic[5] == 2 ? (unsigned)(magic[16] << 8 | magic[17]) : (unsigned)(magic[17] << 8 | magic[16]);
    return type == 2 || type == 3;
  }
  return n >= 2 && magic[0] == '#' && magic[1] == '!';
}

}  // namespace

size_t FanotifyCore::CacheKeyHash::operator()(const CacheKey &k) const {
  uint64_t h = k.dev * 0x9E3779B97F4A7C15ull;
  h ^= k.ino + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  h ^= (uint64_t)k.ctime_ns + (h << 6) + (h >> 2);
  h ^= (uint64_t)k.mtime_ns + (h << 6) + (h >> 2);
  h ^= ((uint64_t)k.cls << 8 | k.kind) + (h << 6) + (h >> 2);
  return (size_t)h;
}

FanotifyCore::~FanotifyCore() { Stop(); }

std::string FanotifyCore::Start(const Options &opts, Forward forward, ForwardFail forward_fail) {
  if (running_.load()) return "listener already started";
  opts_ = opts;
  forward_ = std::move(forward);
  forward_fail_ = std::move(forward_fail);
  fail_mode_.store((uint8_t)opts.fail_mode);
  timeout_ms_.store(opts.timeout_ms);
  self_pid_ = getpid();
  fan_fd_ = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE,
                          O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  if (fan_fd_ < 0) return std::string("fanotify_init: ") + strerror(errno);
  auto fail = [this](const std::string &err) {
    mounts_.Close();
    if (attrib_fd_ >= 0) close(attrib_fd_);
    close(fan_fd_);
    fan_fd_ = attrib_fd_ = -1;
    return err;
  };
  // Ignore marks need a way to drop them when the inode's owner or mode changes: FAN_ATTRIB on each such inode.
  if (opts_.open_ignore_marks)
    attrib_fd_ = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_FID | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_CLOEXEC);
  uint64_t mask = FAN_OPEN_EXEC_PERM | (opts_.open_events ? FAN_OPEN_PERM : 0);
  std::string err = mounts_.Init(fan_fd_, opts_.filesystem_mark, mask, opts_.mounts);
  if (!err.empty()) return fail(err);
  for (const auto &p : opts_.paths) {
    err = mounts_.MarkPath(p);
    if (!err.empty()) return fail(err);
  }
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) return fail(std::string("eventfd: ") + strerror(errno));
  running_.store(true);
  thread_ = std::thread([this] { Loop(); });
  return "";
}

size_t FanotifyCore::DataKeyHash::operator()(const DataKey &k) const {
  uint64_t h = (uint64_t)k.pid * 0x9E3779B97F4A7C15ull;
  h ^= k.start + (h << 6) + (h >> 2);
  h ^= k.gen + (h << 6) + (h >> 2);
  h ^= k.dev + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  h ^= k.ino + (h << 6) + (h >> 2);
  h ^= (uint64_t)k.ctime_ns + (h << 6) + (h >> 2);
  h ^= (uint64_t)k.mtime_ns + (h << 6) + (h >> 2);
  return (size_t)h;
}

void FanotifyCore::Answer(int fd, bool allow) {
  struct fanotify_response r;
  r.fd = fd;
  r.response = allow ? FAN_ALLOW : FAN_DENY;
  // A failed write leaves nothing to retry: close() below makes the kernel answer (allow) for us.
  ssize_t ignored = write(fan_fd_, &r, sizeof r);
  (void)ignored;
  close(fd);
  (allow ? allowed_ : denied_).fetch_add(1, std::memory_order_relaxed);
}

void FanotifyCore::Fail(int32_t pid, EventKind kind, const std::string &path, bool allowed, FailCause cause,
                        uint64_t id) {
  auto *rec = new FailRecord{id, pid, kind, path, allowed, cause};
  if (!forward_fail_ || !forward_fail_(rec)) {
    delete rec;
    fail_lost_.fetch_add(1, std::memory_order_relaxed);
  }
}

int FanotifyCore::ExpireDue() {
  struct Due {
    int fd;
    Pending p;
  };
  std::vector<Due> due;
  int wait_ms = -1;
  bool allow = fail_mode_.load() == (uint8_t)FailMode::Open;
  {
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t now = NowNs();
    while (!deadlines_.empty()) {
      auto [deadline, id] = deadlines_.top();
      auto it = pending_.find(id);
      if (it == pending_.end()) {  // already answered by JS
        deadlines_.pop();
        continue;
      }
      if (deadline > now) {
        wait_ms = (int)((deadline - now + 999999) / 1000000);
        break;
      }
      due.push_back(Due{it->second.fd, it->second});
      if (allow && it->second.key.kind != (uint8_t)EventKind::Open)
        NoteRecentLocked(it->second.pid, it->second.key.dev, it->second.key.ino, it->second.interp);
      expired_.emplace_back(id, allow);
      if (expired_.size() > kMaxExpired) expired_.pop_front();
      pending_.erase(it);
      deadlines_.pop();
    }
  }
  for (auto &d : due) {
    timeouts_.fetch_add(1, std::memory_order_relaxed);
    Answer(d.fd, allow);
    // JS holding the event learns it from Respond; otherwise it hears it here.
    if (!d.p.delivered) Fail(d.p.pid, (EventKind)d.p.key.kind, d.p.path, allow, FailCause::Timeout, 0);
  }
  return wait_ms;
}

// Mount changes and attribute changes are handled before any permission event is answered: once after each read of
// the permission queue (a change queued before an event of that batch is seen then), and whenever the loop's poll
// reports one. `fired`: that poll's results; nullptr: one poll(0) over the side descriptors.
void FanotifyCore::DrainSide(const std::vector<struct pollfd> *fired) {
  std::vector<struct pollfd> own;
  if (!fired) {
    if (attrib_fd_ >= 0) own.push_back({attrib_fd_, POLLIN, 0});
    mounts_.AddPollFds(&own);
    if (own.empty() || poll(own.data(), own.size(), 0) <= 0) return;
    fired = &own;
  }
  mounts_.Drain(fired);
  bool attrib = false;
  for (const auto &p : *fired) attrib |= p.fd == attrib_fd_ && attrib_fd_ >= 0 && p.revents != 0;
  if (!attrib) return;
  alignas(struct fanotify_event_metadata) char buf[4096];
  bool any = false;
  while (read(attrib_fd_, buf, sizeof buf) > 0) any = true;
  if (!any) return;
  // An owner or mode changed on a file whose plain opens the kernel skips: that skip may no longer hold. Drop every
  // inode mark (rare: chmod/chown/link/utime of an allowed file); the decision cache needs nothing (ctime is in its key).
  // A cache hit of such a file puts its mark back (CacheValue::mark_gen): its identity, ctime included, is unchanged.
  std::lock_guard<std::mutex> lock(mu_);
  fanotify_mark(fan_fd_, FAN_MARK_FLUSH, 0, AT_FDCWD, nullptr);
  fanotify_mark(attrib_fd_, FAN_MARK_FLUSH, 0, AT_FDCWD, nullptr);
  mark_gen_++;
  attrib_flushes_.fetch_add(1, std::memory_order_relaxed);
}

void FanotifyCore::Loop() {
  alignas(struct fanotify_event_metadata) char buf[16384];
  std::vector<struct pollfd> pfd;
  for (;;) {
    int wait_ms = ExpireDue();
    pfd.assign({{fan_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}});
    if (attrib_fd_ >= 0) pfd.push_back({attrib_fd_, POLLIN, 0});
    mounts_.AddPollFds(&pfd);
    int r = poll(pfd.data(), pfd.size(), wait_ms);
    if (r < 0 && errno != EINTR) break;
    if (pfd[1].revents) break;
    if (r <= 0) continue;
    bool side = false;
    for (size_t i = 2; i < pfd.size(); i++) side |= pfd[i].revents != 0;
    if (side) DrainSide(&pfd);
    if (!(pfd[0].revents & POLLIN)) continue;
    for (;;) {
      ssize_t len = read(fan_fd_, buf, sizeof buf);
      if (len <= 0) break;
      DrainSide();
      auto *m = reinterpret_cast<struct fanotify_event_metadata *>(buf);
      for (; FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
        if (m->vers != FANOTIFY_METADATA_VERSION) continue;
        if (m->fd < 0) continue;  // FAN_NOFD: queue overflow (not possible with FAN_UNLIMITED_QUEUE)
        if (!(m->mask & (FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM))) {
          close(m->fd);
          continue;
        }
        HandleEvent(m->fd, m->mask, m->pid);
      }
      // A short read took what was queued: back to poll (it returns at once if more came) rather than a read that
      // would mostly fail with EAGAIN.
      if ((size_t)len + 1024 < sizeof buf) break;
    }
  }
  // Stop: answer everything still pending by the fail mode, then close the groups.
  std::vector<int> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto &kv : pending_) left.push_back(kv.second.fd);
    pending_.clear();
    while (!deadlines_.empty()) deadlines_.pop();
  }
  for (int fd : left) Answer(fd, fail_mode_.load() == (uint8_t)FailMode::Open);
}

void FanotifyCore::NoteRecentLocked(int32_t pid, uint64_t dev, uint64_t ino, uint32_t interp) {
  if (recent_.size() >= kMaxRecent) {
    uint64_t old = NowNs() - kRecentNs;
    for (auto it = recent_.begin(); it != recent_.end();) it = it->second.time_ns < old ? recent_.erase(it) : std::next(it);
    if (recent_.size() >= kMaxRecent) recent_.clear();
  }
  recent_[pid] = Recent{dev, ino, NowNs(), interp, false};
}

uint32_t FanotifyCore::InternLocked(const std::string &s) {
  if (s.empty()) return 0;
  auto it = interp_ids_.find(s);
  if (it != interp_ids_.end()) return it->second;
  if (interps_.size() >= 4096) return 0;  // bounded: an unknown interpreter is then decided as a plain exec
  interps_.push_back(s);
  return interp_ids_[s] = (uint32_t)(interps_.size() - 1);
}

bool FanotifyCore::IsInterpreter(int32_t pid, uint64_t *exe_dev) {
  if (!have_interpreters_.load(std::memory_order_relaxed)) return false;
  uint64_t dev, ino;
  if (!ExeIdentity(pid, &dev, &ino)) return false;
  *exe_dev = dev;
  std::lock_guard<std::mutex> lock(mu_);
  return interpreters_.count({dev, ino}) != 0;
}

bool FanotifyCore::AddIgnoreMark(int fd) {
  // Without an attribute watch on the inode, a chown/chmod could not drop the mark: then no mark.
  if (attrib_fd_ < 0 || fanotify_mark(attrib_fd_, FAN_MARK_ADD, FAN_ATTRIB, fd, nullptr) != 0) return false;
  if (fanotify_mark(fan_fd_, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK, FAN_OPEN_PERM, fd, nullptr) != 0) return false;
  ignore_marks_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void FanotifyCore::HandleEvent(int fd, uint64_t mask, int32_t pid) {
  events_.fetch_add(1, std::memory_order_relaxed);
  if (pid == self_pid_) {
    self_ignored_.fetch_add(1, std::memory_order_relaxed);
    Answer(fd, true);
    return;
  }
  EventKind kind = (mask & FAN_OPEN_EXEC_PERM) ? EventKind::Exec : EventKind::Open;
  if (kind == EventKind::Exec) {
    // A new image in this pid (whatever the answer): its interpreter data memo no longer applies.
    std::lock_guard<std::mutex> lock(mu_);
    if (exec_gen_.size() >= 65536) { exec_gen_.clear(); data_memo_.clear(); }
    exec_gen_[pid]++;
  }
  struct stat st;
  uint64_t mnt_id = 0;
  if (!StatFd(fd, &st, &mnt_id)) {
    bool allow = fail_mode_.load() == (uint8_t)FailMode::Open;
    unreadable_.fetch_add(1, std::memory_order_relaxed);
    Answer(fd, allow);
    Fail(pid, kind, "", allow, FailCause::Unreadable, 0);
    return;
  }
  bool exec_only = mounts_.ExecOnly((uint64_t)st.st_dev);
  bool interpreter_open = false;
  bool has_data = false;
  DataKey data{};
  if (kind == EventKind::Exec) {
    mounts_.SeeExec(pid, mnt_id);
    // The interpreter of the execve we just allowed in this pid (same execve: the kernel opens it next)?
    std::string want;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto r = recent_.find(pid);
      if (r != recent_.end() && r->second.interp != 0 && NowNs() - r->second.time_ns < kRecentNs) {
        want = interps_[r->second.interp];
        r->second.interp = 0;  // one interpreter per exec step
      }
    }
    uint64_t dev, ino;
    if (!want.empty() && IdentityInRoot(pid, want, &dev, &ino) && dev == (uint64_t)st.st_dev && ino == (uint64_t)st.st_ino) {
      kind = EventKind::Interp;
      interps_seen_.fetch_add(1, std::memory_order_relaxed);
    }
  } else {
    std::unique_lock<std::mutex> lock(mu_);
    auto r = recent_.find(pid);
    if (r != recent_.end() && !r->second.open_taken && r->second.dev == (uint64_t)st.st_dev && r->second.ino == (uint64_t)st.st_ino) {
      r->second.open_taken = true;
      lock.unlock();
      filtered_.fetch_add(1, std::memory_order_relaxed);
      Answer(fd, true);
      return;
    }
    lock.unlock();
    bool reg = S_ISREG(st.st_mode);
    bool looks = reg && (opts_.open_filter == OpenFilter::All || LooksExecutable(fd, st));
    // A script host reading a regular file: JS decides whether it is a script (whatever the file looks like).
    uint64_t exe_dev = 0;
    if (reg && IsInterpreter(pid, &exe_dev)) {
      interpreter_open = true;
      if (!looks) interpreter_opens_.fetch_add(1, std::memory_order_relaxed);
      // Already found to be data for this process image? Only when the image is on a marked filesystem: an exec in
      // place of it is then seen (and moves the exec generation).
      uint64_t start;
      if (mounts_.IsMarked(exe_dev) && ReadProcStat(pid, nullptr, &start)) {
        lock.lock();
        auto g = exec_gen_.find(pid);
        data = DataKey{pid, g == exec_gen_.end() ? 0u : g->second, start, (uint64_t)st.st_dev, (uint64_t)st.st_ino,
                       TsNs(st.st_ctim), TsNs(st.st_mtim)};
        has_data = true;
        bool known = data_memo_.count(data) != 0;
        lock.unlock();
        if (known) {
          data_hits_.fetch_add(1, std::memory_order_relaxed);
          Answer(fd, true);
          return;
        }
      }
      // Data by the agent's own rules, without asking it: not code by content, no script extension of any
      // language, not named on the command line (interpreters.ts: argument / extension / shebang).
      if (!looks) {
        char target[4096];
        ssize_t n = FdPath(fd, target, sizeof target - 1);
        std::string name = n > 0 ? std::string(target, (size_t)n) : std::string();
        name = name.substr(name.rfind('/') + 1);
        size_t dot = name.rfind('.');
        std::string ext = dot == std::string::npos ? std::string() : name.substr(dot);
        for (auto &c : ext) c = (char)tolower((unsigned char)c);
        bool ext_hit = true;
        lock.lock();
        if (!fast_.script_exts.empty()) {
          ext_hit = false;
          for (const auto &e : fast_.script_exts) ext_hit |= e == ext;
        }
        lock.unlock();
        if (n > 0 && !ext_hit && !NamedInArgs(pid, (uint64_t)st.st_dev, (uint64_t)st.st_ino)) {
          if (has_data) {
            lock.lock();
            if (data_memo_.size() >= opts_.cache_capacity) data_memo_.clear();
            data_memo_.insert(data);
            lock.unlock();
          }
          data_hits_.fetch_add(1, std::memory_order_relaxed);
          Answer(fd, true);
          return;
        }
      }
    }
    bool data = !looks && !interpreter_open;
    if (data) {
      filtered_.fetch_add(1, std::memory_order_relaxed);
      // A regular file that is not code by its content (no exec bit either) stays allowed until its content
      // changes. With open_ignore_marks, and when only root can write this inode (root-owned, no group/other write:
      // an ACL granting write shows in the group bits), let the kernel skip its later opens; write(2) drops the
      // mark, a chown/chmod drops it through the attribute watch. Never for interpreter processes' sake: an
      // interpreter's opens of root-only files are system space anyway.
      if (opts_.open_ignore_marks && S_ISREG(st.st_mode) && st.st_uid == 0 && !(st.st_mode & (S_IWGRP | S_IWOTH))) {
        std::lock_guard<std::mutex> g(mu_);
        AddIgnoreMark(fd);
      }
      Answer(fd, true);
      return;
    }
  }

  std::unique_lock<std::mutex> lock(mu_);
  int32_t ppid = -1;
  uint32_t cls = ResolveClassLocked(pid, &ppid);
  CacheKey key{(uint64_t)st.st_dev, (uint64_t)st.st_ino, TsNs(st.st_ctim), TsNs(st.st_mtim), cls, (uint8_t)kind};
  auto hit = cache_.find(key);
  // The launcher's own exec unseen (on no marked filesystem): a class-0 verdict cached from some other process must
  // not start the launcher's target unguarded.
  int by_launcher = -1;  // UnmarkedLauncher(pid) once asked (0/1), so the fast step below does not ask again
  if (hit != cache_.end() && kind == EventKind::Exec && cls == 0 && fast_.launcher_ino != 0) {
    lock.unlock();
    by_launcher = UnmarkedLauncher(pid) ? 1 : 0;
    lock.lock();
    hit = by_launcher ? cache_.end() : cache_.find(key);
  }
  if (hit != cache_.end()) {
    CacheValue v = hit->second;
    // Its ignore mark was flushed (an attribute change of some other marked inode): the same identity earns it again.
    if (v.allow && v.ignore_opens && v.mark_gen != mark_gen_) {
      AddIgnoreMark(fd);
      hit->second.mark_gen = mark_gen_;  // once per flush, whether or not the mark could be put
    }
    if (v.allow && kind != EventKind::Open) NoteRecentLocked(pid, key.dev, key.ino, v.interp);
    lock.unlock();
    cache_hits_.fetch_add(1, std::memory_order_relaxed);
    Answer(fd, v.allow);
    return;
  }
  // A direct child of ours (one /proc read, so only where it changes the answer: before the fail mode or JS).
  auto own_child = [&]() {
    if (!opts_.ignore_own_children) return false;
    if (ppid < 0) ReadProcStat(pid, &ppid, nullptr);
    return ppid == self_pid_;
  };
  bool fail_allow = fail_mode_.load() == (uint8_t)FailMode::Open;
  char target[4096];
  ssize_t n = FdPath(fd, target, sizeof target - 1);
  std::string path = n > 0 ? std::string(target, (size_t)n) : std::string();
  if (pending_.size() >= opts_.max_pending) {
    bool own = own_child();
    lock.unlock();
    if (own) {
      self_ignored_.fetch_add(1, std::memory_order_relaxed);
      Answer(fd, true);
      return;
    }
    drops_.fetch_add(1, std::memory_order_relaxed);
    Answer(fd, fail_allow);
    Fail(pid, kind, path, fail_allow, FailCause::QueueFull, 0);
    return;
  }
  uint64_t id = next_id_++;
  pending_.emplace(id, Pending{fd, pid, key, 0, false, path, has_data, data});
  deadlines_.emplace(NowNs() + (uint64_t)timeout_ms_.load() * 1000000ull, id);
  lock.unlock();

  // What JS decides on, read through the fd (the deadline already runs: a slow read counts against it).
  auto *ev = new Event{id, pid, kind, cls, path, st, {}, !exec_only, false, {}, interpreter_open};
  if (!exec_only && !ReadHeader(fd, &ev->header)) {
    delete ev;
    lock.lock();
    if (pending_.erase(id) == 0) return;  // answered meanwhile
    lock.unlock();
    unreadable_.fetch_add(1, std::memory_order_relaxed);
    Answer(fd, fail_allow);
    Fail(pid, kind, path, fail_allow, FailCause::Unreadable, 0);
    return;
  }
  if (!exec_only) ev->dirs_ok = DirChain(pid, path, st, &ev->dirs);
  if (kind != EventKind::Open && !exec_only) {
    std::string interp = InterpreterOf(ev->header);
    lock.lock();
    auto it = pending_.find(id);
    if (it != pending_.end()) it->second.interp = InternLocked(interp);
    lock.unlock();
  }
  if (kind == EventKind::Exec && cls == 0) {
    lock.lock();
    bool fast = FastAllowLocked(*ev);
    lock.unlock();
    if (fast && (by_launcher < 0 ? UnmarkedLauncher(pid) : by_launcher == 1)) fast = false;
    lock.lock();
    auto it = fast ? pending_.find(id) : pending_.end();
    if (it != pending_.end()) {
      uint32_t interp = it->second.interp;
      pending_.erase(it);
      if (cache_.size() >= opts_.cache_capacity) cache_.clear();
      cache_[key] = CacheValue{true, interp, opts_.open_ignore_marks, mark_gen_};
      NoteRecentLocked(pid, key.dev, key.ino, interp);
      // Only root can change the file (the rule's premise): its plain opens may be skipped in the kernel too.
      if (opts_.open_ignore_marks) AddIgnoreMark(fd);
      lock.unlock();
      delete ev;
      fast_allows_.fetch_add(1, std::memory_order_relaxed);
      Answer(fd, true);
      return;
    }
    lock.unlock();
    if (fast) {  // answered meanwhile (timeout)
      delete ev;
      return;
    }
  }
  lock.lock();
  if (own_child()) {
    bool ours = pending_.erase(id) != 0;
    lock.unlock();
    delete ev;
    if (ours) {  // else answered meanwhile (timeout)
      self_ignored_.fetch_add(1, std::memory_order_relaxed);
      Answer(fd, true);
    }
    return;
  }
  lock.unlock();
  if (!forward_(ev)) {
    delete ev;
    lock.lock();
    auto it = pending_.find(id);
    if (it == pending_.end()) return;  // answered meanwhile
    pending_.erase(it);
    lock.unlock();
    drops_.fetch_add(1, std::memory_order_relaxed);
    Answer(fd, fail_allow);
    Fail(pid, kind, path, fail_allow, FailCause::QueueFull, 0);
  }
}

bool FanotifyCore::Deliver(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pending_.find(id);
  if (it == pending_.end()) return false;
  it->second.delivered = true;
  return true;
}

RespondResult FanotifyCore::Respond(uint64_t id, bool allow, bool cache, bool ignore_opens, bool process_data) {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = pending_.find(id);
  if (it == pending_.end()) {
    RespondResult r = RespondResult::Unknown;
    for (auto e = expired_.rbegin(); e != expired_.rend(); ++e)
      if (e->first == id) {
        r = e->second ? RespondResult::LateAllowed : RespondResult::LateDenied;
        break;
      }
    lock.unlock();
    late_.fetch_add(1, std::memory_order_relaxed);
    return r;
  }
  Pending p = it->second;
  pending_.erase(it);
  if (cache) {
    if (cache_.size() >= opts_.cache_capacity) cache_.clear();  // crude but bounded; see docs/native.md
    bool ignore = allow && ignore_opens && opts_.open_ignore_marks;
    cache_[p.key] = CacheValue{allow, p.interp, ignore, mark_gen_};
    // ignore_opens (with open_ignore_marks): the caller promises that every plain open of this file is allowed
    // for every subject class, and that only root can change the file. The kernel then stops sending
    // FAN_OPEN_PERM for the inode (the open that follows an exec included) until the file is written (ignore
    // marks without SURV_MODIFY are dropped on write(2), NOT on a store through a shared writable mapping: hence
    // "only root can change it"), its owner or mode changes (attribute watch), or ClearCache flushes the marks.
    if (ignore) AddIgnoreMark(p.fd);
  }
  if (allow && p.key.kind != (uint8_t)EventKind::Open) NoteRecentLocked(p.pid, p.key.dev, p.key.ino, p.interp);
  if (allow && process_data && p.has_data) {
    if (data_memo_.size() >= opts_.cache_capacity) data_memo_.clear();
    data_memo_.insert(p.data);
  }
  lock.unlock();
  Answer(p.fd, allow);
  return RespondResult::Answered;
}

bool FanotifyCore::IsPending(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.count(id) != 0;
}

ssize_t FanotifyCore::Read(uint64_t id, uint8_t *buf, size_t len, uint64_t pos) {
  int dupfd;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(id);
    if (it == pending_.end()) return -1;
    dupfd = fcntl(it->second.fd, F_DUPFD_CLOEXEC, 3);
  }
  if (dupfd < 0) return -1;
  ssize_t n = pread(dupfd, buf, len, (off_t)pos);
  close(dupfd);
  return n;
}

void FanotifyCore::SetFailSettings(FailMode mode, uint32_t timeout_ms) {
  fail_mode_.store((uint8_t)mode);
  timeout_ms_.store(timeout_ms);  // pending events keep their deadline; new ones wake the loop anyway
}

void FanotifyCore::AddInterpreter(uint64_t dev, uint64_t ino) {
  std::lock_guard<std::mutex> lock(mu_);
  interpreters_.insert({dev, ino});
  have_interpreters_.store(true);
}

void FanotifyCore::SetFastExec(const FastExec &f) {
  std::lock_guard<std::mutex> lock(mu_);
  fast_ = f;
  fast_names_ = std::unordered_set<std::string>(f.names.begin(), f.names.end());
}

bool FanotifyCore::UnmarkedLauncher(int32_t pid) {
  uint64_t ldev, lino;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fast_.launcher_ino == 0) return false;
    ldev = fast_.launcher_dev, lino = fast_.launcher_ino;
  }
  uint64_t edev, eino;
  return ExeIdentity(pid, &edev, &eino) && edev == ldev && eino == lino;
}

namespace {
// Only root can change it: root-owned, no write for others, group write only for group root; in a root-owned
// sticky directory only an entry's owner can replace it (the rule of the agent's UserSpaceProbe).
bool RootOnly(uint32_t uid, uint32_t gid, uint32_t mode, bool dir) {
  if (uid != 0) return false;
  bool sticky = dir && (mode & S_ISVTX);
  if ((mode & S_IWOTH) && !sticky) return false;
  return !((mode & S_IWGRP) && gid != 0 && !sticky);
}
// python3.11 -> python3 (".N" parts off), and -> python (every trailing digit and dot off).
std::string StripMinor(std::string s) {
  for (;;) {
    size_t dot = s.rfind('.');
    if (dot == std::string::npos || dot + 1 == s.size() || s.find_first_not_of("0123456789", dot + 1) != std::string::npos) return s;
    s.resize(dot);
  }
}
std::string Versionless(const std::string &n) {
  size_t e = n.size();
  while (e > 0 && ((n[e - 1] >= '0' && n[e - 1] <= '9') || n[e - 1] == '.')) e--;
  return n.substr(0, e);
}
}  // namespace

bool FanotifyCore::FastAllowLocked(const Event &ev) const {
  const FastExec &f = fast_;
  if (!f.enabled || !ev.content_read || !ev.dirs_ok || !S_ISREG(ev.st.st_mode)) return false;
  bool safe_dev = false;
  for (uint64_t d : f.devs) safe_dev |= d == (uint64_t)ev.st.st_dev;
  if (!safe_dev || !RootOnly(ev.st.st_uid, ev.st.st_gid, ev.st.st_mode, false)) return false;
  for (const auto &d : ev.dirs)
    if (!RootOnly(d.uid, d.gid, d.mode, true)) return false;
  // A program: ET_EXEC, or ET_DYN with an interpreter (not a script, not a shared object or the loader itself).
  const auto &h = ev.header;
  if (h.size() < 18 || h[0] != 0x7f || h[1] != 'E' || h[2] != 'L' || h[3] != 'F') return false;
  unsigned type = h[5] == 2 ? (unsigned)(h[16] << 8 | h[17]) : (unsigned)(h[17] << 8 | h[16]);
  if (type != 2 && (type != 3 || InterpreterOf(h).empty())) return false;
  if (ev.path.empty() || ev.path.find(" (deleted)") != std::string::npos) return false;
  for (const auto &p : f.prefixes)
    if (ev.path.compare(0, p.size(), p) == 0) return false;
  std::string base = ev.path.substr(ev.path.rfind('/') + 1), minor = StripMinor(base), bare = Versionless(base);
  if (fast_names_.count(base) || fast_names_.count(minor) || fast_names_.count(bare)) return false;
  return true;
}

void FanotifyCore::ClearCache() {
  std::lock_guard<std::mutex> lock(mu_);
  cache_.clear();
  data_memo_.clear();
  mark_gen_++;
  // Inode marks only (no FAN_MARK_MOUNT/FILESYSTEM flag): the filesystem and mount marks stay.
  if (fan_fd_ >= 0) fanotify_mark(fan_fd_, FAN_MARK_FLUSH, 0, AT_FDCWD, nullptr);
  if (attrib_fd_ >= 0) fanotify_mark(attrib_fd_, FAN_MARK_FLUSH, 0, AT_FDCWD, nullptr);
}

StatsSnapshot FanotifyCore::Stats() {
  StatsSnapshot s{};
  s.events = events_.load();
  s.allowed = allowed_.load();
  s.denied = denied_.load();
  s.cache_hits = cache_hits_.load();
  s.timeouts = timeouts_.load();
  s.drops = drops_.load();
  s.filtered = filtered_.load();
  s.self_ignored = self_ignored_.load();
  s.late_responses = late_.load();
  s.ignore_marks = ignore_marks_.load();
  s.unreadable = unreadable_.load();
  s.interps = interps_seen_.load();
  s.interpreter_opens = interpreter_opens_.load();
  s.attrib_flushes = attrib_flushes_.load();
  s.fail_records_lost = fail_lost_.load();
  s.fast_allows = fast_allows_.load();
  s.data_hits = data_hits_.load();
  s.mounts = mounts_.Counters();
  s.fail_mode = (FailMode)fail_mode_.load();
  s.timeout_ms = timeout_ms_.load();
  std::lock_guard<std::mutex> lock(mu_);
  s.queue_depth = pending_.size();
  s.cache_size = cache_.size();
  s.subject_count = subjects_.size();
  return s;
}

void FanotifyCore::Stop() {
  if (!running_.exchange(false)) return;
  uint64_t one = 1;
  ssize_t ignored = write(stop_fd_, &one, sizeof one);
  (void)ignored;
  if (thread_.joinable()) thread_.join();
  mounts_.Close();
  close(fan_fd_);
  if (attrib_fd_ >= 0) close(attrib_fd_);
  close(stop_fd_);
  fan_fd_ = stop_fd_ = attrib_fd_ = -1;
}

}  // namespace omamori
