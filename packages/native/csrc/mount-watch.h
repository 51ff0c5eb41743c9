// Which filesystems the permission group watches, and following mount tables (ours and every mount namespace a
// process that triggers an event lives in) so that a filesystem mounted later is marked too. Loop thread only,
// except Marked()/Counters(), which lock.
#pragma once

#include <poll.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace omamori {

enum class MountSource : uint8_t { Auto = 0, Fanotify = 1, Mountinfo = 2, None = 3 };

struct MountRules {
  bool follow = false;                        // mark filesystems mounted after start
  bool all = false;                           // every filesystem not skipped; else those mounted beneath `beneath`
  std::vector<std::string> beneath;           // directories (as each namespace names them)
  std::vector<std::string> skip_types;        // never marked (proc, sysfs, ...)
  std::vector<std::string> exec_only_types;   // exec events only, content never read (network, FUSE: no deadlock)
  bool namespaces = false;                    // follow the mount namespaces of the processes we see
  MountSource source = MountSource::Auto;
};

struct MarkedFs {
  uint64_t dev;
  std::string where;  // mount point where it was first seen ("ns:<ino> /path" outside our namespace)
  std::string type;
  bool exec_only;
};

struct MountCounters {
  uint64_t changes, reconciles, namespaces, mark_errors;
  MountSource source;
};

class MountWatch {
 public:
  // `mask_full` for ordinary filesystems; exec-only ones get FAN_OPEN_EXEC_PERM alone.
  std::string Init(int perm_fd, bool filesystem_mark, uint64_t mask_full, const MountRules &rules);
  // Marks the filesystem (or, without filesystem marks, the mount) holding `path`. "" or an error message.
  std::string MarkPath(const std::string &path);
  void Close();
  // Descriptors to add to the loop's poll set, and whether one of them fired (then call Drain).
  void AddPollFds(std::vector<struct pollfd> *fds) const;
  // Non-blocking: handles mount changes already queued (reconciles the mount tables). Returns true if it did.
  // `fired`: results of the caller's own poll over AddPollFds (used instead of polling again).
  bool Drain(const std::vector<struct pollfd> *fired = nullptr);
  // Learns the mount namespace of `pid` (an exec event): a new one is watched and reconciled at once. True when the
  // pid lives in our own namespace.
  bool SeePid(int32_t pid);
  // The same for an exec through mount `mnt_id` (unique id, 0: unknown). A mount of our own namespace, once seen
  // with a process of our namespace, is not asked about again (no /proc lookup per exec): see docs/native.md.
  void SeeExec(int32_t pid, uint64_t mnt_id);
  bool ExecOnly(uint64_t dev) const { return exec_only_.count(dev) != 0; }
  bool IsMarked(uint64_t dev) {
    std::lock_guard<std::mutex> lock(mu_);
    return marked_devs_.count(dev) != 0;
  }
  std::vector<MarkedFs> Marked();
  MountCounters Counters();

 private:
  struct Ns {
    int32_t rep;         // a process living in it (re-chosen from later events)
    uint64_t rep_start;
    int mountinfo_fd;    // Mountinfo source only
  };
  struct Line {
    uint64_t dev;
    std::string mount_point, type;
  };
  void Reconcile(uint64_t ns_ino, Ns *ns);
  bool Wanted(const Line &l) const;
  bool MarkFd(int fd, uint64_t dev, const std::string &where, const std::string &type);
  static bool ParseMountinfo(const std::string &text, std::vector<Line> *out);

  int perm_fd_ = -1;
  bool fs_mark_ = true;
  uint64_t mask_full_ = 0;
  MountRules rules_;
  int mnt_fd_ = -1;  // FAN_REPORT_MNT group
  uint64_t own_ns_ = 0;
  std::unordered_map<uint64_t, Ns> ns_;
  std::unordered_set<uint64_t> exec_only_;
  std::unordered_set<uint64_t> own_mounts_;  // unique mount ids of our namespace seen with our processes (bounded)
  std::mutex mu_;  // guards marked_ and counters for readers on other threads
  std::vector<MarkedFs> marked_;
  std::unordered_set<uint64_t> marked_devs_;
  MountCounters counters_{};
};

}  // namespace omamori
