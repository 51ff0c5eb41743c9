// Subject classes of FanotifyCore: a pid (with its start time) and, by inheritance through the /proc ancestry,
// its descendants. Resolved on the loop thread for every event while any explicit class exists.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fanotify-core.h"

namespace omamori {

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

}  // namespace omamori
