// reconciliation.csv (DESIGN.md §6): UTF-8 with BOM, RFC 4180 (quoted when needed, CRLF),
// amounts as plain numbers with 2 decimals, fees with 5, IDs with WeChat's leading backtick,
// every other text cell that Excel would read as a formula neutralised (RELIABILITY.md 18),
// Beijing times labelled UTC+8, and nothing that changes between two runs over the same data.
//
// Layout, like WeChat's own bill: a header and one row per discrepancy touching the day (in
// sortForReport order), an empty line, then a header and one row of day totals.
#pragma once

#include <string>
#include <string_view>

#include "report/day_report.h"

namespace wx {

// The whole file. Pure: the same report gives the same bytes.
std::string renderReconciliationCsv(const DayReport& report);

// Cell encoders (exposed for tests). Each returns the cell as it appears in the file.
std::string csvQuote(std::string_view raw);  // RFC 4180 quoting when needed
std::string csvText(std::string_view text);  // neutralised (leading ' ) + quoted
std::string csvId(std::string_view id);      // "`" + id (empty stays empty) + quoted

}  // namespace wx
