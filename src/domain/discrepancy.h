// Discrepancy kinds (DESIGN.md §6 — fixed names) and what a decision reports.
#pragma once

#include <optional>
#include <string>

#include "common/time.h"

namespace wx {

enum class DiscrepancyKind {
  kAmountMismatch,        // HIGH
  kPaidAfterClose,        // HIGH
  kNotifyUnconfirmed,     // HIGH
  kNotifyBadSignature,    // HIGH
  kResponseBadSignature,  // HIGH
  kBillOnly,              // HIGH
  kLocalOnly,             // HIGH
  kBillAmountMismatch,    // HIGH
  kBillTotalsMismatch,    // HIGH
  kBillStatusMismatch,    // MEDIUM
  kNotifyUnknownOrder,    // MEDIUM
  kNotifyMismatch,        // MEDIUM
  kQueryExhausted,        // MEDIUM
  kNotifyMissing,         // LOW
};

enum class Severity { kHigh, kMedium, kLow };

const char* discrepancyKindName(DiscrepancyKind k);  // "AMOUNT_MISMATCH", ...
const char* severityName(Severity s);                // "HIGH", ...
Severity severityOf(DiscrepancyKind k);
bool parseDiscrepancyKind(const std::string& name, DiscrepancyKind& out);

// One discrepancy found by a decision; the store upserts it on (kind, mch_id, out_trade_no,
// bill_date).
struct Finding {
  DiscrepancyKind kind;
  std::string mch_id;
  std::string out_trade_no;  // may be empty (NOTIFY_BAD_SIGNATURE per day)
  std::string transaction_id;
  std::optional<CivilDate> bill_date;
  std::string local_value;
  std::string remote_value;
  std::string detail;
};

// A condition that cleared by itself: wxrecon sets the open discrepancy RESOLVED with the reason.
struct AutoResolve {
  DiscrepancyKind kind;
  std::string reason;
};

}  // namespace wx
