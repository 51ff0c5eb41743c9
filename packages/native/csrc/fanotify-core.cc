// fanotify permission loop on its own thread.
//
// OWNERSHIP: this file owns only the kernel conversation. It never decides policy; it answers the kernel ON ITS
// OWN, without the TypeScript side, in exactly these cases (the fail-mode table is in docs/native.md):
//   - the event comes from our own process (always allow: the agent must never wait on itself);
//   - the event comes from a direct child of our process, if ignore_own_children (libuv's spawn blocks the JS
//     thread until the child has exec'd, so asking JS would deadlock until the timeout);
//   - an open that the open filter classifies as uninteresting (not a regular file, no exec bit, no ELF/#! magic);
//   - the open that immediately follows an exec we allowed, for the same pid and file (the kernel sends both);
//   - a decision-cache hit (the verdict TypeScript gave earlier for the same file identity and subject class);
//   - JS is late (timeout_ms), its queue is full, or the listener is stopping: answer by the fail mode.
// Every permission event is answered exactly once, within timeout_ms (+ one poll tick) of its arrival.
// If this process dies, the kernel closes the group and allows everything pending (fail open until restart).
#include "fanotify-core.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/fanotify.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "compat.h"

namespace omamori {

namespace {

uint64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int64_t TsNs(const struct timespec &ts) { return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec; }

// An open is worth asking JS about when the file could be code: any exec bit, or ELF / "#!" magic.
bool LooksExecutable(int fd, const struct stat &st) {
  if (!S_ISREG(st.st_mode)) return false;
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
  if (n >= 2 && magic[0] == '#' && magic[1] == '!') return true;
  return false;
}

}  // namespace

bool ReadProcStat(int32_t pid, int32_t *ppid, uint64_t *start_time) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = 0;
  // comm may hold spaces and parentheses: fields resume after the LAST ')'.
  char *p = strrchr(buf, ')');
  if (!p) return false;
  p += 2;  // ") " -> state
  // field 3 state, 4 ppid, ..., 22 starttime
  int field = 3;
  char *save = nullptr;
  for (char *tok = strtok_r(p, " ", &save); tok; tok = strtok_r(nullptr, " ", &save), field++) {
    if (field == 4 && ppid) *ppid = (int32_t)strtol(tok, nullptr, 10);
    if (field == 22) {
      if (start_time) *start_time = strtoull(tok, nullptr, 10);
      return true;
    }
  }
  return false;
}

size_t FanotifyCore::CacheKeyHash::operator()(const CacheKey &k) const {
  uint64_t h = k.dev * 0x9E3779B97F4A7C15ull;
  h ^= k.ino + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  h ^= (uint64_t)k.ctime_ns + (h << 6) + (h >> 2);
  h ^= (uint64_t)k.mtime_ns + (h << 6) + (h >> 2);
  h ^= ((uint64_t)k.cls << 8 | k.kind) + (h << 6) + (h >> 2);
  return (size_t)h;
}

FanotifyCore::~FanotifyCore() { Stop(); }

std::string FanotifyCore::Start(const Options &opts, Forward forward) {
  if (running_.load()) return "listener already started";
  opts_ = opts;
  forward_ = std::move(forward);
  self_pid_ = getpid();
  fan_fd_ = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE,
                          O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  if (fan_fd_ < 0) return std::string("fanotify_init: ") + strerror(errno);
  uint64_t mask = FAN_OPEN_EXEC_PERM | (opts_.open_events ? FAN_OPEN_PERM : 0);
  unsigned flags = FAN_MARK_ADD | (opts_.filesystem_mark ? FAN_MARK_FILESYSTEM : FAN_MARK_MOUNT);
  for (const auto &p : opts_.paths) {
    if (fanotify_mark(fan_fd_, flags, mask, AT_FDCWD, p.c_str()) != 0) {
      std::string err = "fanotify_mark " + p + ": " + strerror(errno);
      close(fan_fd_);
      fan_fd_ = -1;
      return err;
    }
  }
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) {
    close(fan_fd_);
    fan_fd_ = -1;
    return std::string("eventfd: ") + strerror(errno);
  }
  running_.store(true);
  thread_ = std::thread([this] { Loop(); });
  return "";
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

int FanotifyCore::ExpireDue() {
  std::vector<int> due;
  int wait_ms = -1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t now = NowNs();
    while (!deadlines_.empty()) {
      auto [deadline, id] = deadlines_.front();
      auto it = pending_.find(id);
      if (it == pending_.end()) {  // already answered by JS
        deadlines_.pop_front();
        continue;
      }
      if (deadline > now) {
        wait_ms = (int)((deadline - now + 999999) / 1000000);
        break;
      }
      due.push_back(it->second.fd);
      if (opts_.fail_mode == FailMode::Open && it->second.key.kind == (uint8_t)EventKind::Exec)
        NoteRecentExec(it->second.pid, it->second.key.dev, it->second.key.ino);
      pending_.erase(it);
      deadlines_.pop_front();
    }
  }
  bool allow = opts_.fail_mode == FailMode::Open;
  for (int fd : due) {
    timeouts_.fetch_add(1, std::memory_order_relaxed);
    Answer(fd, allow);
  }
  return wait_ms;
}

void FanotifyCore::Loop() {
  alignas(struct fanotify_event_metadata) char buf[16384];
  struct pollfd pfd[2] = {{fan_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  for (;;) {
    int wait_ms = ExpireDue();
    int r = poll(pfd, 2, wait_ms);
    if (r < 0 && errno != EINTR) break;
    if (pfd[1].revents) break;
    if (r <= 0 || !(pfd[0].revents & POLLIN)) continue;
    for (;;) {
      ssize_t len = read(fan_fd_, buf, sizeof buf);
      if (len <= 0) break;
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
    }
  }
  // Stop: answer everything still pending by the fail mode, then close the group.
  std::vector<int> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto &kv : pending_) left.push_back(kv.second.fd);
    pending_.clear();
    deadlines_.clear();
  }
  for (int fd : left) Answer(fd, opts_.fail_mode == FailMode::Open);
}

bool FanotifyCore::TakeRecentExec(int32_t pid, const struct stat &st) {
  for (auto &r : recent_) {
    if (r.pid == pid && r.dev == (uint64_t)st.st_dev && r.ino == (uint64_t)st.st_ino) {
      r.pid = 0;
      return true;
    }
  }
  return false;
}

void FanotifyCore::NoteRecentExec(int32_t pid, uint64_t dev, uint64_t ino) {
  recent_[recent_next_++ % 64] = RecentExec{pid, dev, ino};
}

// Inherited entries memoise the walk, also negatively (class 0): the processes visited on a walk that found no
// classed ancestor are remembered as unclassed, so the next process of the same tree stops at its parent (two
// /proc reads) instead of walking to pid 1. A memo never outlives its process (start time checked), an explicit
// setSubjectClass overwrites it, and with no explicit entry at all there is no walk.
void FanotifyCore::MemoLocked(int32_t pid, uint64_t start, uint32_t cls) {
  if (inherited_count_ >= kMaxInherited) DropInheritedLocked();
  auto it = subjects_.find(pid);
  if (it != subjects_.end()) {
    if (!it->second.inherited) return;  // never overwrite an explicit entry
    it->second = Subject{start, cls, true};
    return;
  }
  subjects_.emplace(pid, Subject{start, cls, true});
  inherited_count_++;
}

uint32_t FanotifyCore::ResolveClassLocked(int32_t pid, int32_t *ppid_out) {
  *ppid_out = -1;
  if (subjects_.size() == inherited_count_) return 0;  // no explicit class: nothing to inherit
  int32_t p = pid;
  int32_t seen_pid[64];
  uint64_t seen_start[64];
  int seen = 0;
  for (int depth = 0; depth < 64 && p > 0; depth++) {
    int32_t ppid = 0;
    uint64_t start = 0;
    if (!ReadProcStat(p, &ppid, &start)) break;
    if (depth == 0) *ppid_out = ppid;
    auto it = subjects_.find(p);
    if (it != subjects_.end()) {
      if (it->second.start_time == start) {
        uint32_t cls = it->second.cls;
        for (int i = 0; i < seen; i++) MemoLocked(seen_pid[i], seen_start[i], cls);
        return cls;
      }
      if (it->second.inherited) inherited_count_--;
      subjects_.erase(it);  // the pid was reused: stale entry
    }
    seen_pid[seen] = p, seen_start[seen] = start, seen++;
    if (p == 1) break;
    p = ppid;
  }
  // Reached pid 1 (or a vanished ancestor) without a classed ancestor: unclassed, remember it for the tree.
  for (int i = 0; i < seen; i++) MemoLocked(seen_pid[i], seen_start[i], 0);
  return 0;
}

void FanotifyCore::HandleEvent(int fd, uint64_t mask, int32_t pid) {
  events_.fetch_add(1, std::memory_order_relaxed);
  if (pid == self_pid_) {
    self_ignored_.fetch_add(1, std::memory_order_relaxed);
    Answer(fd, true);
    return;
  }
  EventKind kind = (mask & FAN_OPEN_EXEC_PERM) ? EventKind::Exec : EventKind::Open;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    Answer(fd, opts_.fail_mode == FailMode::Open);
    return;
  }
  if (kind == EventKind::Open) {
    std::lock_guard<std::mutex> lock(mu_);
    if (TakeRecentExec(pid, st)) {
      filtered_.fetch_add(1, std::memory_order_relaxed);
      Answer(fd, true);
      return;
    }
  }
  if (kind == EventKind::Open && (!S_ISREG(st.st_mode) ||
                                  (opts_.open_filter == OpenFilter::Executable && !LooksExecutable(fd, st)))) {
    filtered_.fetch_add(1, std::memory_order_relaxed);
    // A regular file that is not code by its content (no exec bit either) stays allowed until its content
    // changes. With open_ignore_marks, and when only root can write this inode (root-owned, no group/other write:
    // an ACL granting write shows in the group bits), let the kernel skip its later opens; write(2) drops the mark.
    if (opts_.open_ignore_marks && S_ISREG(st.st_mode) && st.st_uid == 0 && !(st.st_mode & (S_IWGRP | S_IWOTH)) &&
        fanotify_mark(fan_fd_, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK, FAN_OPEN_PERM, fd, nullptr) == 0) {
      ignore_marks_.fetch_add(1, std::memory_order_relaxed);
    }
    Answer(fd, true);
    return;
  }

  std::unique_lock<std::mutex> lock(mu_);
  int32_t ppid = -1;
  uint32_t cls = ResolveClassLocked(pid, &ppid);
  CacheKey key{(uint64_t)st.st_dev, (uint64_t)st.st_ino, TsNs(st.st_ctim), TsNs(st.st_mtim), cls, (uint8_t)kind};
  auto hit = cache_.find(key);
  if (hit != cache_.end()) {
    bool allow = hit->second;
    if (allow && kind == EventKind::Exec) NoteRecentExec(pid, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
    lock.unlock();
    cache_hits_.fetch_add(1, std::memory_order_relaxed);
    Answer(fd, allow);
    return;
  }
  if (opts_.ignore_own_children) {
    if (ppid < 0) ReadProcStat(pid, &ppid, nullptr);
    if (ppid == self_pid_) {
      if (kind == EventKind::Exec) NoteRecentExec(pid, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
      lock.unlock();
      self_ignored_.fetch_add(1, std::memory_order_relaxed);
      Answer(fd, true);
      return;
    }
  }
  if (pending_.size() >= opts_.max_pending) {
    lock.unlock();
    drops_.fetch_add(1, std::memory_order_relaxed);
    Answer(fd, opts_.fail_mode == FailMode::Open);
    return;
  }
  uint64_t id = next_id_++;
  pending_.emplace(id, Pending{fd, pid, key});
  deadlines_.emplace_back(NowNs() + (uint64_t)opts_.timeout_ms * 1000000ull, id);
  lock.unlock();

  auto *ev = new Event{id, pid, kind, cls, std::string(), st};
  char link[64], target[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n > 0) ev->path.assign(target, (size_t)n);
  if (!forward_(ev)) {
    delete ev;
    lock.lock();
    auto it = pending_.find(id);
    if (it == pending_.end()) return;  // answered meanwhile
    pending_.erase(it);
    lock.unlock();
    drops_.fetch_add(1, std::memory_order_relaxed);
    Answer(fd, opts_.fail_mode == FailMode::Open);
  }
}

bool FanotifyCore::Respond(uint64_t id, bool allow, bool cache, bool ignore_opens) {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = pending_.find(id);
  if (it == pending_.end()) {
    lock.unlock();
    late_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  Pending p = it->second;
  pending_.erase(it);
  if (cache) {
    if (cache_.size() >= opts_.cache_capacity) cache_.clear();  // crude but bounded; see docs/native.md
    cache_[p.key] = allow;
    // ignore_opens (with open_ignore_marks): the caller promises that every plain open of this file is allowed
    // for every subject class, and that only root can change the file. The kernel then stops sending
    // FAN_OPEN_PERM for the inode (the open that follows an exec included) until the file is written (ignore
    // marks without SURV_MODIFY are dropped on write(2), NOT on a store through a shared writable mapping: hence
    // "only root can change it") or ClearCache flushes the inode marks.
    if (allow && ignore_opens && opts_.open_ignore_marks &&
        fanotify_mark(fan_fd_, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK, FAN_OPEN_PERM, p.fd, nullptr) == 0) {
      ignore_marks_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (allow && p.key.kind == (uint8_t)EventKind::Exec) NoteRecentExec(p.pid, p.key.dev, p.key.ino);
  lock.unlock();
  Answer(p.fd, allow);
  return true;
}

bool FanotifyCore::IsPending(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.count(id) != 0;
}

bool FanotifyCore::SetSubjectClass(int32_t pid, uint32_t cls) {
  uint64_t start = 0;
  if (!ReadProcStat(pid, nullptr, &start)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = subjects_.find(pid);
  if (it != subjects_.end() && it->second.inherited) inherited_count_--;
  if (cls == 0) {
    subjects_.erase(pid);
  } else {
    subjects_[pid] = Subject{start, cls, false};
  }
  return true;
}

bool FanotifyCore::ClearSubjectClass(int32_t pid) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = subjects_.find(pid);
  if (it == subjects_.end()) return false;
  if (it->second.inherited) inherited_count_--;
  subjects_.erase(it);
  return true;
}

// Inherited entries are only a memo of the ancestry walk: dropping them all is always safe.
void FanotifyCore::DropInheritedLocked() {
  for (auto it = subjects_.begin(); it != subjects_.end();) {
    if (it->second.inherited) it = subjects_.erase(it);
    else ++it;
  }
  inherited_count_ = 0;
}

void FanotifyCore::ClearCache() {
  std::lock_guard<std::mutex> lock(mu_);
  cache_.clear();
  // Inode marks only (no FAN_MARK_MOUNT/FILESYSTEM flag): the mount marks stay.
  if (opts_.open_ignore_marks && fan_fd_ >= 0) fanotify_mark(fan_fd_, FAN_MARK_FLUSH, 0, AT_FDCWD, nullptr);
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
  close(fan_fd_);
  close(stop_fd_);
  fan_fd_ = stop_fd_ = -1;
}

}  // namespace omamori
