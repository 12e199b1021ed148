// ReportReader over MySQL: bill_day rows and the discrepancies touching a Beijing day
// (DESIGN.md §6), read in UTC ranges computed here (never the session's or process's TZ).
#pragma once

#include "service/report_writer.h"

namespace wx {

class Database;

class MySqlReportReader final : public ReportReader {
 public:
  explicit MySqlReportReader(Database& db) : db_(db) {}
  Result<DayReport> loadDay(const std::string& mch_id, CivilDate day) override;
  Result<std::vector<IndexEntry>> loadIndex(const std::string& mch_id) override;

 private:
  Database& db_;
};

}  // namespace wx
