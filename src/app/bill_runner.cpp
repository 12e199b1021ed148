#include "app/bill_runner.h"

#include <Poco/Environment.h>
#include <Poco/Process.h>

#include "app/cli.h"
#include "common/clock.h"
#include "common/log.h"
#include "net/poco_http_transport.h"
#include "service/bill_run.h"
#include "storage/database.h"
#include "storage/mysql_bill_store.h"
#include "storage/mysql_notification_reader.h"
#include "storage/mysql_stores.h"
#include "wechat/nonce_source.h"
#include "wechat/pay_client.h"

namespace wx {

// WeChat serves the bills of the last 3 months (WECHATPAY_V2.md §5); wxpay-sim refuses > 92 days.
constexpr std::int64_t kBillWindowDays = 92;

bool inBillWindow(const CivilDate& day, const CivilDate& today) {
  return daysFromCivil(today) - daysFromCivil(day) <= kBillWindowDays;
}

std::optional<std::string> checkBillDate(const std::string& text, const CivilDate& today,
                                         CivilDate& day) {
  auto parsed = parseIsoDate(text);
  if (!parsed) return "--date " + text + ": not a date (YYYY-MM-DD, a Beijing day)";
  day = *parsed;
  if (!(day < today)) {
    return "--date " + text + ": the Beijing day is not over yet (today in Beijing is " +
           formatIsoDate(today) + "); its bill exists from 10:00 the next day";
  }
  if (!inBillWindow(day, today)) {
    return "--date " + text + ": older than WeChat's 3-month bill window (" +
           std::to_string(kBillWindowDays) + " days); use rerun, which reads the archive";
  }
  return std::nullopt;
}

int runBillDay(const Config& config, Database& db, const BillCliOptions& options,
               std::ostream& out) {
  try {
    PocoHttpTransportOptions topt;
    topt.ca_file = config.wechat.ca_file;
    auto transport = PocoHttpTransport::create(topt);
    if (!transport) {
      out << "bill: " << transport.status().message() << "\n";
      return kExitUsage;
    }
    RandomNonceSource nonces;
    PayClient client(config.wechat, **transport, nonces, SystemClock::instance());
    MySqlOrderStore orders(db);
    MySqlNotificationReader notifications(db);
    MySqlDiscrepancyStore discrepancies(db);
    MySqlBillStore bills(db);
    MySqlRunStore runs(db);
    BillRunOptions bo;
    for (const auto& m : config.merchants) {
      if (options.mch.empty() || m.mch_id == options.mch) bo.merchants.push_back(m);
    }
    bo.day = options.day;
    bo.policy = config.policy;
    bo.archive_dir = config.bill_archive_dir;
    bo.lease_s = config.schedule.lease_s;
    bo.dry_run = options.dry_run;
    bo.redownload = options.redownload;
    bo.owner_prefix =
        Poco::Environment::nodeName() + ":" + std::to_string(Poco::Process::id()) + ":bill";
    bo.params = "date=" + formatIsoDate(options.day) +
                " mch=" + (options.mch.empty() ? "*" : options.mch) +
                (options.dry_run ? " dry-run" : "") + (options.redownload ? "" : " archive");
    bo.max_body_bytes = static_cast<std::size_t>(config.notify.max_body_bytes);
    bo.after_day = options.after_day;
    TryLock lock = [&db](const std::string& name) -> Result<LockHandle> {
      auto l = NamedDbLock::tryAcquire(db, name);
      if (!l) return l.status();
      if (!(*l)->acquired()) return LockHandle();
      return LockHandle(std::move(*l));
    };
    BillRun run(BillRunDeps{client, orders, notifications, discrepancies, bills, runs,
                            SystemClock::instance(), lock},
                std::move(bo));
    BillRunSummary s = run.run();
    out << s.render();
    out.flush();
    return s.exitCode();
  } catch (const std::exception& e) {
    logError("bill.failed", {{"error", e.what()}});
    out << "bill: failed: " << e.what() << "\n";
    return kExitFailed;
  }
}

}  // namespace wx
