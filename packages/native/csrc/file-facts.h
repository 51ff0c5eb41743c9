// Facts about the file a fanotify event refers to, read through the event's descriptor (never by reopening its
// name): its first bytes, the interpreter it asks the kernel for, and the directories above it as opened.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace omamori {

struct DirStat {
  uint32_t uid, gid, mode;
};

// Bytes of a file header handed to JS (ELF program headers and a `#!` line fit in it).
constexpr size_t kHeaderBytes = 4096;

// pread from offset 0 of the event fd (event fds carry FMODE_NONOTIFY: reading generates no event).
// False when the read fails; a short file gives a short header.
bool ReadHeader(int fd, std::vector<uint8_t> *out);

// The interpreter the kernel opens next in the same execve: an ELF program's PT_INTERP or a `#!` script's
// interpreter path. "" when there is none (static ELF, shared object, data).
std::string InterpreterOf(const std::vector<uint8_t> &header);

// The directories above the file as the kernel opened it, nearest first, up to the root. The name (the readlink
// of the event fd) is resolved in our mount namespace, then, if that does not lead to the same inode, under the
// root of `pid` (another mount namespace); each step up is openat(dir, ".."), not a name. False when no name leads
// to this inode any more (unlinked, renamed meanwhile) or a directory cannot be opened.
bool DirChain(int32_t pid, const std::string &path, const struct stat &st, std::vector<DirStat> *out);

// The name of our descriptor `fd` (its /proc/self/fd link, read relative to a descriptor of /proc/self/fd held
// open: no path walk through /proc per call). Length, or -1.
ssize_t FdPath(int fd, char *buf, size_t len);

// (dev, ino) of /proc/<pid>/exe. False when the process is gone or has no image.
bool ExeIdentity(int32_t pid, uint64_t *dev, uint64_t *ino);

// (dev, ino) of `path` resolved under the root of `pid` (the interpreter an execve names). False on error.
bool IdentityInRoot(int32_t pid, const std::string &path, uint64_t *dev, uint64_t *ino);

// Whether some argument of `pid`'s command line (argv[1..]) names the file (dev, ino): each is resolved relative to
// the process's cwd and root and in our own namespace, symlinks followed. True also when the command line cannot be
// read (the caller then asks JS): a superset of the agent's script-argument rule (interpreters.ts).
bool NamedInArgs(int32_t pid, uint64_t dev, uint64_t ino);

}  // namespace omamori
