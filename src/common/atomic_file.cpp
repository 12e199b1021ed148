#include "common/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "common/test_hooks.h"

namespace wx {

namespace {

// A temporary file is renamed milliseconds after it is created; one this old is abandoned.
constexpr long kStaleTempAgeSeconds = 600;

Status sysError(const std::string& what, const std::string& path) {
  return Status::unavailable(what + " " + path + ": " + std::strerror(errno));
}

std::string parentOf(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string baseOf(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// A temporary file nobody will rename any more: its writer (the pid in its name) is gone, or it
// is older than any write takes. A live writer on another host sharing the directory could be
// mistaken for a dead one; its rename then fails and its caller reports the error.
bool staleTemp(const std::string& dir, const std::string& name, std::size_t pid_at) {
  char* end = nullptr;
  const long pid = std::strtol(name.c_str() + pid_at, &end, 10);
  const bool pid_ok = end != name.c_str() + pid_at && *end == '.' && pid > 0;
  if (pid_ok && pid == static_cast<long>(::getpid())) return false;
  if (pid_ok && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return true;
  struct stat st {};
  if (::stat((dir + "/" + name).c_str(), &st) != 0) return false;
  return std::time(nullptr) - st.st_mtime > kStaleTempAgeSeconds;
}

// Removes the temporary files a killed writer left for `path` ("<name>.tmp.<pid>.XXXXXX"), so a
// crash between write and rename leaves nothing once the report is written again.
void removeStaleTemps(const std::string& dir, const std::string& path) {
  const std::string prefix = baseOf(path) + ".tmp.";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    if (staleTemp(dir, name, prefix.size())) ::unlink((dir + "/" + name).c_str());
  }
  ::closedir(d);
}

}  // namespace

Status makeDirectories(const std::string& dir) {
  if (dir.empty()) return Status::invalidArgument("empty directory name");
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::ok();
    return Status::failedPrecondition(dir + " exists and is not a directory");
  }
  const std::string parent = parentOf(dir);
  if (parent != dir) {
    Status p = makeDirectories(parent);
    if (!p.isOk()) return p;
  }
  // A concurrent writer may have created it meanwhile.
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return sysError("cannot create", dir);
  return Status::ok();
}

Status writeFileAtomically(const std::string& path, std::string_view content) {
  const std::string dir = parentOf(path);
  removeStaleTemps(dir, path);
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + ".XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return sysError("cannot create a temporary file for", path);
  auto fail = [&](const std::string& what) {
    Status st = sysError(what, path);
    ::close(fd);
    ::unlink(tmp.c_str());
    return st;
  };
  // mkstemp creates 0600; reports are meant to be read by the finance team's account too.
  // (umask cannot be read without changing it process-wide, so the mode is fixed.)
  if (::fchmod(fd, 0644) != 0) return fail("cannot chmod the temporary file of");
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("cannot fsync");
  if (::close(fd) != 0) {
    Status st = sysError("cannot close", path);
    ::unlink(tmp.c_str());
    return st;
  }
  hooks::crashPoint("report.before_rename");
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status st = sysError("cannot rename over", path);
    ::unlink(tmp.c_str());
    return st;
  }
  // The rename is durable only once the directory entry is.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::ok();
}

bool fileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace wx
