// Structured logging: one line per event, key=value, the run id on every line.
//   logInfo("migrate.applied", {{"file", "001_schema.sql"}});
//   -> 2026-11-28T01:02:03.456Z information run=12 event=migrate.applied file=001_schema.sql
// Values with spaces, quotes or '=' are quoted. Over Poco::Logger (channels set up in app/).
// Never pass a Secret's bytes here: Secret has no implicit conversion, keep it that way.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace wx {

using LogField = std::pair<std::string_view, std::string>;

enum class LogLevel { kError, kWarning, kNotice, kInformation, kDebug };

void logEvent(LogLevel level, std::string_view event, std::initializer_list<LogField> fields);
inline void logError(std::string_view e, std::initializer_list<LogField> f = {}) {
  logEvent(LogLevel::kError, e, f);
}
inline void logWarning(std::string_view e, std::initializer_list<LogField> f = {}) {
  logEvent(LogLevel::kWarning, e, f);
}
inline void logInfo(std::string_view e, std::initializer_list<LogField> f = {}) {
  logEvent(LogLevel::kInformation, e, f);
}
inline void logDebug(std::string_view e, std::initializer_list<LogField> f = {}) {
  logEvent(LogLevel::kDebug, e, f);
}

// The run id printed on every line (0: none yet).
void setLogRunId(std::int64_t run_id);
std::int64_t logRunId();

// Renders fields as " k=v k2=\"v 2\"" (exposed for tests).
std::string formatLogFields(std::string_view event, std::initializer_list<LogField> fields);

}  // namespace wx
