#include "common/log.h"

#include <Poco/Logger.h>

#include <atomic>

namespace wx {

namespace {
std::atomic<std::int64_t> g_run_id{0};

void appendValue(std::string& out, std::string_view v) {
  bool quote = v.empty();
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\t' || c == '\\') quote = true;
  }
  if (!quote) {
    for (char c : v) out += (c == '\n' || c == '\r') ? ' ' : c;
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  out += '"';
}
}  // namespace

void setLogRunId(std::int64_t run_id) { g_run_id.store(run_id); }
std::int64_t logRunId() { return g_run_id.load(); }

std::string formatLogFields(std::string_view event, std::initializer_list<LogField> fields) {
  std::string out = "run=" + std::to_string(g_run_id.load()) + " event=";
  appendValue(out, event);
  for (const auto& [k, v] : fields) {
    out += ' ';
    out += k;
    out += '=';
    appendValue(out, v);
  }
  return out;
}

void logEvent(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  // Poco::Logger::get takes a process-wide mutex (the logger map) on every call; the logger is
  // never destroyed (channels and level are set on this same object), so look it up once.
  static Poco::Logger& logger = Poco::Logger::get("wxrecon");
  Poco::Message::Priority prio = Poco::Message::PRIO_INFORMATION;
  switch (level) {
    case LogLevel::kError: prio = Poco::Message::PRIO_ERROR; break;
    case LogLevel::kWarning: prio = Poco::Message::PRIO_WARNING; break;
    case LogLevel::kNotice: prio = Poco::Message::PRIO_NOTICE; break;
    case LogLevel::kInformation: prio = Poco::Message::PRIO_INFORMATION; break;
    case LogLevel::kDebug: prio = Poco::Message::PRIO_DEBUG; break;
  }
  if (!logger.is(prio)) return;
  logger.log(Poco::Message("wxrecon", formatLogFields(event, fields), prio));
}

}  // namespace wx
