// fanotify permission loop: the kernel conversation only (no policy, no Node types). See fanotify-core.cc.
#pragma once

#include <poll.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <deque>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "file-facts.h"
#include "mount-watch.h"

namespace omamori {

// Exec: FAN_OPEN_EXEC_PERM that starts an execve. Open: FAN_OPEN_PERM. Interp: FAN_OPEN_EXEC_PERM of the
// interpreter the same execve asked for (the ELF loader named by PT_INTERP, a `#!` script's interpreter).
enum class EventKind : uint8_t { Exec = 0, Open = 1, Interp = 2 };
enum class FailMode : uint8_t { Open = 0, Closed = 1 };
// Which FAN_OPEN_PERM events reach JS: all regular-file opens, or only those of files that look executable
// (plus every regular-file open by a registered interpreter).
enum class OpenFilter : uint8_t { All = 0, Executable = 1 };
// Why the native side answered by the fail mode.
enum class FailCause : uint8_t { Timeout = 0, QueueFull = 1, Unreadable = 2 };
// What Respond found.
enum class RespondResult : uint8_t { Unknown = 0, Answered = 1, LateAllowed = 2, LateDenied = 3 };

struct Options {
  std::vector<std::string> paths;
  bool filesystem_mark = true;   // FAN_MARK_FILESYSTEM (every namespace) instead of FAN_MARK_MOUNT
  bool open_events = false;      // also FAN_OPEN_PERM (library loads, `ld.so ./x`, script reads)
  OpenFilter open_filter = OpenFilter::Executable;
  uint32_t timeout_ms = 200;
  FailMode fail_mode = FailMode::Closed;
  uint32_t max_pending = 1024;
  uint32_t cache_capacity = 65536;
  bool ignore_own_children = true;
  // Respond(..., ignore_opens) may put an ignore mark for FAN_OPEN_PERM on the file's inode (see Respond).
  bool open_ignore_marks = false;
  MountRules mounts;
};

// One permission event handed to JS. `st` is the statx of the event's fd; everything here was read through that fd.
struct Event {
  uint64_t id;
  int32_t pid;
  EventKind kind;
  uint32_t subject_class;
  std::string path;
  struct stat st;
  std::vector<uint8_t> header;  // first bytes of the file; empty with content_read false
  bool content_read;            // false on exec-only filesystems (network, FUSE): content is never read there
  bool dirs_ok;                 // false: no name leads to this inode any more (or a directory was unreadable)
  std::vector<DirStat> dirs;    // directories above the file, nearest first
  bool interpreter_open;        // an open by a process whose image is a registered interpreter
};

// An event the native side answered by the fail mode without JS seeing it (or after JS lost it).
struct FailRecord {
  uint64_t id;
  int32_t pid;
  EventKind kind;
  std::string path;
  bool allowed;
  FailCause cause;
};

// A pre-verdict JS compiles from the policy (docs/native.md, "Fast exec allow"): an exec, outside every subject
// class, of a regular file that only root can change in a directory chain only root can change, on a filesystem JS
// declared plain local, whose name and path JS does not need to see, is allowed and cached here without asking JS.
struct FastExec {
  bool enabled = false;
  std::vector<std::string> names;     // images JS must see (guarded applications, interpreters, the launcher)
  std::vector<std::string> prefixes;  // paths that are user space by the policy
  std::vector<uint64_t> devs;         // filesystems that are neither removable, network nor FUSE
  // The launcher's image when its own exec is not seen (on no marked filesystem, `--mount` elsewhere): an exec BY it
  // (a contained target starting) is neither fast nor a class-0 cache hit, so JS classes the target. 0: none.
  uint64_t launcher_dev = 0, launcher_ino = 0;
  // Every script extension of every interpreter language (lowercase, with the dot). Non-empty: an interpreter's
  // open of a file with none of them, no exec bit, no `#!`/ELF magic, named by no argument of its command line is
  // data (the agent's script-read rules cannot apply) and is allowed in C. Independent of `enabled`.
  std::vector<std::string> script_exts;
};

struct StatsSnapshot {
  uint64_t events, allowed, denied, cache_hits, timeouts, drops, filtered, self_ignored, late_responses, ignore_marks;
  uint64_t unreadable, interps, interpreter_opens, attrib_flushes, fail_records_lost, fast_allows, data_hits;
  uint64_t queue_depth, cache_size, subject_count;
  MountCounters mounts;
  FailMode fail_mode;
  uint32_t timeout_ms;
};

class FanotifyCore {
 public:
  // Hand an event / a fail record to JS; return false when JS cannot take it (queue full, closing).
  using Forward = std::function<bool(Event *)>;
  using ForwardFail = std::function<bool(FailRecord *)>;

  FanotifyCore() = default;
  ~FanotifyCore();
  FanotifyCore(const FanotifyCore &) = delete;
  FanotifyCore &operator=(const FanotifyCore &) = delete;

  // Opens the groups, marks the paths (and, with mount following, every wanted filesystem) and starts the loop.
  std::string Start(const Options &opts, Forward forward, ForwardFail forward_fail);
  // Answers a pending event; for one already answered by the fail mode, says what the kernel got.
  // `process_data` (an allowed open by an interpreter): this file is data to this process image — later opens of the
  // same file identity by the same process (pid + start time) with no exec of it in between are allowed in C.
  RespondResult Respond(uint64_t id, bool allow, bool cache, bool ignore_opens = false, bool process_data = false);
  bool IsPending(uint64_t id);
  // Marks the pending event as seen by JS (a timeout then produces no fail record: JS learns it from Respond).
  bool Deliver(uint64_t id);
  // Reads the pending event's file at `pos` (through a dup of its fd). -1 when the event is no longer pending.
  ssize_t Read(uint64_t id, uint8_t *buf, size_t len, uint64_t pos);
  // New fail settings, for events read from now on (pending ones keep their deadline).
  void SetFailSettings(FailMode mode, uint32_t timeout_ms);
  // An interpreter image: every regular-file open by a process running it is handed to JS.
  void AddInterpreter(uint64_t dev, uint64_t ino);
  void SetFastExec(const FastExec &f);
  bool SetSubjectClass(int32_t pid, uint32_t cls);
  bool ClearSubjectClass(int32_t pid);
  void ClearCache();
  StatsSnapshot Stats();
  std::vector<MarkedFs> Marks() { return mounts_.Marked(); }
  // Answers every pending event by the fail mode, stops the thread, closes the groups. Idempotent.
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
  struct CacheValue {
    bool allow;
    uint32_t interp;    // index into interps_ (0: none)
    bool ignore_opens;  // the verdict came with leave to put a kernel ignore mark on the inode
    uint32_t mark_gen;  // mark_gen_ when that mark was put: an attribute flush since then dropped it
  };
  // An interpreter process image's view of one file: (pid, start time, exec generation of the pid, file identity).
  struct DataKey {
    int32_t pid;
    uint32_t gen;
    uint64_t start, dev, ino;
    int64_t ctime_ns, mtime_ns;
    bool operator==(const DataKey &o) const {
      return pid == o.pid && gen == o.gen && start == o.start && dev == o.dev && ino == o.ino && ctime_ns == o.ctime_ns &&
             mtime_ns == o.mtime_ns;
    }
  };
  struct DataKeyHash {
    size_t operator()(const DataKey &k) const;
  };
  struct Pending {
    int fd;
    int32_t pid;
    CacheKey key;
    uint32_t interp;
    bool delivered;
    std::string path;
    bool has_data = false;
    DataKey data{};
  };
  struct Subject {
    uint64_t start_time;
    uint32_t cls;
    bool inherited;
  };
  // The last exec allowed in a pid: its open follows, then maybe the interpreter it names (same execve).
  struct Recent {
    uint64_t dev, ino, time_ns;
    uint32_t interp;
    bool open_taken;
  };
  struct IdHash {
    size_t operator()(const std::pair<uint64_t, uint64_t> &p) const { return (size_t)(p.first * 0x9E3779B97F4A7C15ull ^ p.second); }
  };

  void Loop();
  // Whether `pid`'s image is the launcher whose own exec no mark reports (one /proc lookup; only while such a
  // launcher is configured). mu_ NOT held.
  bool UnmarkedLauncher(int32_t pid);
  void DrainSide(const std::vector<struct pollfd> *fired = nullptr);
  void HandleEvent(int fd, uint64_t mask, int32_t pid);
  int ExpireDue();  // answers overdue events by the fail mode; returns ms until the next deadline or -1
  void Answer(int fd, bool allow);
  void Fail(int32_t pid, EventKind kind, const std::string &path, bool allowed, FailCause cause, uint64_t id);
  bool AddIgnoreMark(int fd);
  uint32_t ResolveClassLocked(int32_t pid, int32_t *ppid_out);
  void DropInheritedLocked();
  void MemoLocked(int32_t pid, uint64_t start, uint32_t cls);
  static constexpr size_t kMaxInherited = 4096;
  void NoteRecentLocked(int32_t pid, uint64_t dev, uint64_t ino, uint32_t interp);
  uint32_t InternLocked(const std::string &s);
  bool IsInterpreter(int32_t pid, uint64_t *exe_dev);
  bool FastAllowLocked(const Event &ev) const;

  Options opts_;
  Forward forward_;
  ForwardFail forward_fail_;
  int fan_fd_ = -1;
  int attrib_fd_ = -1;  // FAN_REPORT_FID group: FAN_ATTRIB on every inode that has an ignore mark
  int stop_fd_ = -1;
  int32_t self_pid_ = 0;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<uint8_t> fail_mode_{0};
  std::atomic<uint32_t> timeout_ms_{200};
  MountWatch mounts_;

  std::mutex mu_;  // guards everything below
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Pending> pending_;
  std::priority_queue<std::pair<uint64_t, uint64_t>, std::vector<std::pair<uint64_t, uint64_t>>,
                      std::greater<std::pair<uint64_t, uint64_t>>> deadlines_;  // (deadline_ns, id)
  std::deque<std::pair<uint64_t, bool>> expired_;  // recent (id, allowed) answered by the fail mode
  std::unordered_map<CacheKey, CacheValue, CacheKeyHash> cache_;
  std::unordered_map<int32_t, Subject> subjects_;
  size_t inherited_count_ = 0;
  std::unordered_map<int32_t, Recent> recent_;
  std::vector<std::string> interps_{""};
  std::unordered_map<std::string, uint32_t> interp_ids_;
  std::unordered_set<std::pair<uint64_t, uint64_t>, IdHash> interpreters_;
  std::atomic<bool> have_interpreters_{false};
  FastExec fast_;
  std::unordered_set<std::string> fast_names_;  // fast_.names, for one lookup per candidate
  // Interpreter data opens (Respond process_data), and each pid's exec generation (bumped by every exec event of
  // the pid, so a process that execs in place starts with no memo). Both bounded: cleared together when full.
  std::unordered_set<DataKey, DataKeyHash> data_memo_;
  std::unordered_map<int32_t, uint32_t> exec_gen_;
  uint32_t mark_gen_ = 1;  // bumped whenever every inode mark is flushed

  std::atomic<uint64_t> events_{0}, allowed_{0}, denied_{0}, cache_hits_{0}, timeouts_{0}, drops_{0}, filtered_{0},
      self_ignored_{0}, late_{0}, ignore_marks_{0}, unreadable_{0}, interps_seen_{0}, interpreter_opens_{0},
      attrib_flushes_{0}, fail_lost_{0}, fast_allows_{0}, data_hits_{0};
};

// Reads /proc/<pid>/stat: parent pid and start time (clock ticks since boot). False when the process is gone.
bool ReadProcStat(int32_t pid, int32_t *ppid, uint64_t *start_time);

}  // namespace omamori
