// WeChat's trade_state (WECHATPAY_V2.md §2) as the domain speaks it. The wire strings are
// mapped in one table in wechat/api_types.cpp; ACCEPT (delayed debit, pap only) and unknown
// strings are not mapped: such an answer is "retry later".
#pragma once

namespace wx {

enum class TradeState { kSuccess, kRefund, kNotPay, kClosed, kRevoked, kUserPaying, kPayError };

// "SUCCESS", "NOTPAY", ... (for evidence strings).
const char* tradeStateName(TradeState s);

}  // namespace wx
