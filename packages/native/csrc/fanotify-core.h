// fanotify permission loop: the kernel conversation only (no policy, no Node types). See fanotify-core.cc.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace omamori {

enum class EventKind : uint8_t { Exec = 0, Open = 1 };
enum class FailMode : uint8_t { Open = 0, Closed = 1 };
// Which FAN_OPEN_PERM events reach JS: all regular-file opens, or only those of files that look executable.
enum class OpenFilter : uint8_t { All = 0, Executable = 1 };

struct Options {
  std::vector<std::string> paths;
  bool filesystem_mark = false;  // FAN_MARK_FILESYSTEM instead of FAN_MARK_MOUNT
  bool open_events = false;      // also FAN_OPEN_PERM (library loads, `ld.so ./x`, script reads)
  OpenFilter open_filter = OpenFilter::Executable;
  uint32_t timeout_ms = 200;
  FailMode fail_mode = FailMode::Closed;
  uint32_t max_pending = 1024;
  uint32_t cache_capacity = 65536;
  bool ignore_own_children = true;
  // Respond(..., ignore_opens) may put an ignore mark for FAN_OPEN_PERM on the file's inode (see Respond).
  bool open_ignore_marks = false;
};

// One permission event handed to JS. `st` is fstat() of the event's fd.
struct Event {
  uint64_t id;
  int32_t pid;
  EventKind kind;
  uint32_t subject_class;
  std::string path;
  struct stat st;
};

struct StatsSnapshot {
  uint64_t events, allowed, denied, cache_hits, timeouts, drops, filtered, self_ignored, late_responses, ignore_marks;
  uint64_t queue_depth, cache_size, subject_count;
};

class FanotifyCore {
 public:
  // Hands an event to JS; returns false when JS cannot take it (queue full, closing).
  using Forward = std::function<bool(Event *)>;

  FanotifyCore() = default;
  ~FanotifyCore();
  FanotifyCore(const FanotifyCore &) = delete;
  FanotifyCore &operator=(const FanotifyCore &) = delete;

  // Opens the group, marks the paths and starts the loop thread. Returns "" or an error message.
  std::string Start(const Options &opts, Forward forward);
  // Answers a pending event. False when it was already answered (timeout, stop) or is unknown.
  bool Respond(uint64_t id, bool allow, bool cache, bool ignore_opens = false);
  bool IsPending(uint64_t id);
  // Subject classes: a pid (identified with its start time) and, by inheritance, its descendants.
  bool SetSubjectClass(int32_t pid, uint32_t cls);
  bool ClearSubjectClass(int32_t pid);
  void ClearCache();
  StatsSnapshot Stats();
  // Answers every pending event by the fail mode, stops the thread, closes the group. Idempotent.
  void Stop();
  bool Running() const { return running_.load(); }

 private:
  struct CacheKey {
    uint64_t dev, ino;
    int64_t ctime_ns, mtime_ns;
    uint32_t cls;
    uint8_t kind;
    bool operator==(const CacheKey &o) const {
      return dev == o.dev && ino == o.ino && ctime_ns == o.ctime_ns && mtime_ns == o.mtime_ns && cls == o.cls &&
             kind == o.kind;
    }
  };
  struct CacheKeyHash {
    size_t operator()(const CacheKey &k) const;
  };
  struct Pending {
    int fd;
    int32_t pid;
    CacheKey key;
  };
  struct Subject {
    uint64_t start_time;
    uint32_t cls;
    bool inherited;
  };
  struct RecentExec {
    int32_t pid;
    uint64_t dev, ino;
  };

  void Loop();
  void HandleEvent(int fd, uint64_t mask, int32_t pid);
  int ExpireDue();  // answers overdue events by the fail mode; returns ms until the next deadline or -1
  void Answer(int fd, bool allow);
  uint32_t ResolveClassLocked(int32_t pid, int32_t *ppid_out);
  void DropInheritedLocked();
  void MemoLocked(int32_t pid, uint64_t start, uint32_t cls);
  static constexpr size_t kMaxInherited = 4096;
  bool TakeRecentExec(int32_t pid, const struct stat &st);
  void NoteRecentExec(int32_t pid, uint64_t dev, uint64_t ino);

  Options opts_;
  Forward forward_;
  int fan_fd_ = -1;
  int stop_fd_ = -1;
  int32_t self_pid_ = 0;
  std::thread thread_;
  std::atomic<bool> running_{false};

  std::mutex mu_;  // guards everything below
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Pending> pending_;
  std::deque<std::pair<uint64_t, uint64_t>> deadlines_;  // (deadline_ns, id), in arrival order
  std::unordered_map<CacheKey, bool, CacheKeyHash> cache_;
  std::unordered_map<int32_t, Subject> subjects_;
  size_t inherited_count_ = 0;
  RecentExec recent_[64] = {};
  unsigned recent_next_ = 0;

  std::atomic<uint64_t> events_{0}, allowed_{0}, denied_{0}, cache_hits_{0}, timeouts_{0}, drops_{0}, filtered_{0},
      self_ignored_{0}, late_{0}, ignore_marks_{0};
};

// Reads /proc/<pid>/stat: parent pid and start time (clock ticks since boot). False when the process is gone.
bool ReadProcStat(int32_t pid, int32_t *ppid, uint64_t *start_time);

}  // namespace omamori
