// Poco channels behind common/log.h: console (stderr, so stdout stays for summaries and JSON)
// and, with [log] file, a size-rotated file. Times are UTC.
#pragma once

#include <string>

namespace wx {

void setupLogging(const std::string& level, const std::string& file);

}  // namespace wx
