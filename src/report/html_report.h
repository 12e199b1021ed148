// reconciliation.html and the merchant's index.html (DESIGN.md §6): one self-contained page
// each (inline CSS, no scripts, no external assets), readable printed, every value escaped
// (商品名称, attach and detail are attacker-controlled: RELIABILITY.md 18). The generation time
// appears once, in the <footer>.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "report/day_report.h"

namespace wx {

std::string renderReconciliationHtml(const DayReport& report, TimePoint generated_at);

// `entries` in any order; the page lists them newest first. Links point at
// "<YYYY-MM-DD>/reconciliation.html" (relative to the merchant's directory) when has_page.
std::string renderIndexHtml(const std::string& mch_id, std::vector<IndexEntry> entries,
                            TimePoint generated_at);

// & < > " ' escaped; safe in element content and in quoted attributes.
std::string htmlEscape(std::string_view text);

}  // namespace wx
