// Writing a file so that a reader (or a crash) never sees half of it: the bytes go to a
// temporary file in the same directory, which is fsync'ed and renamed over the target, then the
// directory is fsync'ed (RELIABILITY.md: "no half report"). POSIX only.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace wx {

// Creates `dir` and its missing parents (mode 0755 minus the umask). OK when it exists.
Status makeDirectories(const std::string& dir);

// Replaces `path` with `content` atomically (mode 0644) through "<path>.tmp.<pid>.XXXXXX". The
// directory must exist. Temporary files of the same target left by a writer that died (its pid
// is gone, or the file is over 10 minutes old) are removed first. On failure the target is
// unchanged, the temporary file removed, and the Status (kUnavailable) names the path and the
// system error.
Status writeFileAtomically(const std::string& path, std::string_view content);

bool fileExists(const std::string& path);

}  // namespace wx
