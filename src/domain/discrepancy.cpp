#include "domain/discrepancy.h"

namespace wx {

namespace {
struct KindInfo {
  DiscrepancyKind kind;
  const char* name;
  Severity severity;
};
constexpr KindInfo kKinds[] = {
    {DiscrepancyKind::kAmountMismatch, "AMOUNT_MISMATCH", Severity::kHigh},
    {DiscrepancyKind::kPaidAfterClose, "PAID_AFTER_CLOSE", Severity::kHigh},
    {DiscrepancyKind::kNotifyUnconfirmed, "NOTIFY_UNCONFIRMED", Severity::kHigh},
    {DiscrepancyKind::kNotifyBadSignature, "NOTIFY_BAD_SIGNATURE", Severity::kHigh},
    {DiscrepancyKind::kResponseBadSignature, "RESPONSE_BAD_SIGNATURE", Severity::kHigh},
    {DiscrepancyKind::kBillOnly, "BILL_ONLY", Severity::kHigh},
    {DiscrepancyKind::kLocalOnly, "LOCAL_ONLY", Severity::kHigh},
    {DiscrepancyKind::kBillAmountMismatch, "BILL_AMOUNT_MISMATCH", Severity::kHigh},
    {DiscrepancyKind::kBillTotalsMismatch, "BILL_TOTALS_MISMATCH", Severity::kHigh},
    {DiscrepancyKind::kBillStatusMismatch, "BILL_STATUS_MISMATCH", Severity::kMedium},
    {DiscrepancyKind::kNotifyUnknownOrder, "NOTIFY_UNKNOWN_ORDER", Severity::kMedium},
    {DiscrepancyKind::kNotifyMismatch, "NOTIFY_MISMATCH", Severity::kMedium},
    {DiscrepancyKind::kQueryExhausted, "QUERY_EXHAUSTED", Severity::kMedium},
    {DiscrepancyKind::kNotifyMissing, "NOTIFY_MISSING", Severity::kLow},
};
}  // namespace

const char* discrepancyKindName(DiscrepancyKind k) {
  for (const auto& e : kKinds) {
    if (e.kind == k) return e.name;
  }
  return "?";
}

Severity severityOf(DiscrepancyKind k) {
  for (const auto& e : kKinds) {
    if (e.kind == k) return e.severity;
  }
  return Severity::kHigh;
}

const char* severityName(Severity s) {
  switch (s) {
    case Severity::kHigh: return "HIGH";
    case Severity::kMedium: return "MEDIUM";
    case Severity::kLow: return "LOW";
  }
  return "?";
}

bool parseDiscrepancyKind(const std::string& name, DiscrepancyKind& out) {
  for (const auto& e : kKinds) {
    if (name == e.name) {
      out = e.kind;
      return true;
    }
  }
  return false;
}

}  // namespace wx
