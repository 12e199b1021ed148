#include "common/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/test_hooks.h"

namespace wx {

namespace {

Status sysError(const std::string& what, const std::string& path) {
  return Status::unavailable(what + " " + path + ": " + std::strerror(errno));
}

std::string parentOf(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
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
  std::string tmp = path + ".tmp.XXXXXX";
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
