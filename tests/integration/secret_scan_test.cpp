// RELIABILITY.md T15 and invariant 16: secrets never reach logs, errors, reports, the database
// or the command line. Every secret is generated for this run (support/secret_scan.h: letters
// and digits, never 6 digits in a row): two merchants' API keys, a previous key (rotation), a
// wrong key (the failing sweep) and the password of a database user made for this test. Every
// command that touches a key runs at [log] level = debug with a log file of its own:
// migrate, notify-server (genuine, forged and previous-key notifications, confirmations), sweep
// (payments, an amount mismatch, a close, a merchant whose key is wrong), bill (download,
// archive), report, rerun --recheck-final, resolve, daemon, sign and parse-bill. Then every key,
// its MD5 (lower and upper hex) and every 12-character fragment of those are searched for in:
// each process's stdout, stderr, argv and /proc/<pid>/cmdline (sampled while it ran), the log
// files, the INI files, a mariadb-dump of the test database, the reports, the archived bills,
// wxpay-sim's output and its request, notification and ground-truth logs. 0 hits.
// A second test plants a key in each of those channels and requires the scan to find it.
#include <catch2/catch.hpp>

#include <Poco/Data/Session.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/time.h"
#include "support/secret_scan.h"
#include "support/sim_process.h"
#include "support/test_db.h"
#include "wechat/signer.h"
#include "wechat/xml_codec.h"

using namespace wx;
using namespace wx::test;
using namespace Poco::Data::Keywords;

namespace {

constexpr const char* kDumpBin = "/usr/bin/mariadb-dump";

// The test database as mariadb-dump prints it (BLOBs as escaped text, so bodies stay readable).
std::string dumpDatabase(const TestDatabase& db, const std::string& dir) {
  RecordedProcess dump(kDumpBin,
                       {"--no-defaults", "-h127.0.0.1", "-P" + std::to_string(db.port()), "-uroot",
                        "--skip-comments", "--single-transaction", db.name()},
                       {{"MYSQL_PWD", db.password()}}, dir + "/dump.sql", dir + "/dump.err");
  if (dump.wait() != 0) throw std::runtime_error("mariadb-dump failed: " + dump.err());
  return dump.out();
}

// A database user with a generated password, dropped at the end.
class ScanDbUser {
 public:
  ScanDbUser(const TestDatabase& db, std::string password)
      : db_(db), name_("wxt_scan_" + std::to_string(::getpid())), password_(std::move(password)) {
    auto s = db_.session();
    s << "DROP USER IF EXISTS '" + name_ + "'@'%'", now;
    s << "CREATE USER '" + name_ + "'@'%' IDENTIFIED BY '" + password_ + "'", now;
    s << "GRANT ALL ON `" + db_.name() + "`.* TO '" + name_ + "'@'%'", now;
  }
  ~ScanDbUser() {
    try {
      db_.session() << "DROP USER IF EXISTS '" + name_ + "'@'%'", now;
    } catch (...) {
    }
  }
  const std::string& name() const { return name_; }

 private:
  const TestDatabase& db_;
  std::string name_, password_;
};

struct Merchant {
  std::string name, mch_id, appid, sign_type, key;
};

// Everything the scenario starts, writes and reads, under one temp dir.
class ScanRun {
 public:
  ScanRun()
      : shop_{"shop", "1900000109", "wxscan0000shop001", "MD5", generateSecret()},
        other_{"other", "1900000209", "wxscan000other001", "HMAC-SHA256", generateSecret()},
        previous_key_(generateSecret()),
        wrong_key_(generateSecret()),
        db_password_(generateSecret(24)),
        user_(db_, db_password_) {
    for (const char* sub : {"/logs", "/out", "/keys"})
      Poco::File(dir_.path() + sub).createDirectories();
    writeKeyFile("previous_shop.key", previous_key_);
    writeKeyFile("other.key", other_.key);
    writeKeyFile("wrong_other.key", wrong_key_);
  }

  const std::string& path() const { return dir_.path(); }
  TestDatabase& db() { return db_; }
  const Merchant& shop() const { return shop_; }
  const Merchant& other() const { return other_; }
  std::vector<std::pair<std::string, std::string>> secrets() const {
    return {{"api key of shop", shop_.key},
            {"api key of other", other_.key},
            {"previous api key of shop", previous_key_},
            {"wrong api key of other", wrong_key_},
            {"database password", db_password_}};
  }
  const std::string& previousKey() const { return previous_key_; }
  const std::string& wrongKey() const { return wrong_key_; }

  // wxpay-sim with both merchants' keys (in its environment, never its argv).
  void startSim() {
    std::string ini;
    for (const Merchant* m : {&shop_, &other_}) {
      ini += "[merchant." + m->name + "]\nmch_id = " + m->mch_id + "\nappid = " + m->appid +
             "\napi_key_env = WXT_SCAN_SIM_KEY_" + m->name + "\nsign_type = " + m->sign_type +
             "\n\n";
    }
    const std::string sim_ini = dir_.write("sim.ini", ini);
    sim_ = start(WXPAY_SIM_BIN, "wxpay-sim",
                 {"--config", sim_ini, "--listen", "127.0.0.1:0", "--seed", "15"},
                 {{"WXT_SCAN_SIM_KEY_shop", shop_.key}, {"WXT_SCAN_SIM_KEY_other", other_.key}});
    sim_url_ = waitForLine(*sim_, "wxpay-sim", "listening on ");
  }
  const std::string& simUrl() const { return sim_url_; }
  Poco::JSON::Object::Ptr simJson(const std::string& method, const std::string& path,
                                  const std::string& json = "") const {
    HttpResult r = httpExchange(sim_url_, method, path, json);
    if (r.status / 100 != 2) throw std::runtime_error(path + " -> " + r.body);
    return parseJson(r.body);
  }

  // The INI of one command: its own log file; `other_key_file` for merchant "other".
  std::string ini(const std::string& name, const std::string& other_key_file = "other.key") {
    std::string text = "[db]\nhost = 127.0.0.1\nport = " + std::to_string(db_.port()) +
                       "\nuser = " + user_.name() + "\ndatabase = " + db_.name() +
                       "\npassword_env = WXT_SCAN_DB_PW\n\n[wechat]\nbase_url = " + sim_url_ +
                       "\nbackup_url = " + sim_url_ +
                       "\nconnect_timeout_ms = 500\ntimeout_ms = 1000\nqps = 2000\n\n";
    text += "[merchant.shop]\nmch_id = " + shop_.mch_id + "\nappid = " + shop_.appid +
            "\napi_key_env = WXT_SCAN_KEY_shop\nprevious_api_key_file = " + path() +
            "/keys/previous_shop.key\nsign_type = MD5\n\n";
    text += "[merchant.other]\nmch_id = " + other_.mch_id + "\nappid = " + other_.appid +
            "\napi_key_file = " + path() + "/keys/" + other_key_file +
            "\nsign_type = HMAC-SHA256\n\n";
    text +=
        "[schedule]\nlease_s = 4\nsweep_interval_s = 1\n\n[policy]\nclose_grace_s = 2\n\n"
        "[notify]\nlisten = 127.0.0.1:0\nadmin_listen = 127.0.0.1:0\n\n[bill]\narchive_dir = " +
        path() + "/bills\n\n[reports]\ndir = " + path() +
        "/reports\n\n[log]\nlevel = debug\n"
        "file = " +
        path() + "/logs/" + name + ".log\n";
    return dir_.write(name + ".ini", text);
  }
  std::map<std::string, std::string> env() const {
    return {{"WXT_SCAN_DB_PW", db_password_}, {"WXT_SCAN_KEY_shop", shop_.key}};
  }

  // Runs `wxrecon args... --config <its ini>` to the end; stdin `input`.
  RecordedProcess& wxrecon(const std::string& name, std::vector<std::string> args,
                           const std::string& input = "",
                           const std::string& other_key_file = "other.key") {
    if (!args.empty() && args[0] != "sign" && args[0] != "parse-bill") {
      args.push_back("--config");
      args.push_back(ini(name, other_key_file));
    }
    RecordedProcess& p = *start(WXRECON_BIN, name, args, env(), input);
    p.wait();
    return p;
  }
  // The same, left running.
  RecordedProcess& wxreconBackground(const std::string& name, std::vector<std::string> args) {
    args.push_back("--config");
    args.push_back(ini(name));
    return *start(WXRECON_BIN, name, args, env());
  }

  // Every process started, for the argv and output scan.
  std::vector<std::pair<std::string, RecordedProcess*>> processes() const {
    std::vector<std::pair<std::string, RecordedProcess*>> out;
    for (const auto& [name, p] : processes_) out.push_back({name, p.get()});
    return out;
  }

  // The first line of `p`'s stdout containing `marker`, from the marker's end (waits 15 s).
  std::string waitForLine(RecordedProcess& p, const std::string& name, const std::string& marker) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      std::istringstream out(p.out());
      for (std::string line; std::getline(out, line);) {
        const auto at = line.find(marker);
        if (at != std::string::npos) return line.substr(at + marker.size());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error(name + " did not print \"" + marker + "\": " + p.err());
  }

 private:
  void writeKeyFile(const std::string& name, const std::string& key) {
    dir_.write("keys/" + name, key + "\n");
  }
  RecordedProcess* start(const std::string& bin, const std::string& name,
                         const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env,
                         const std::string& input = "") {
    const std::string base = path() + "/out/" + name + "." + std::to_string(processes_.size());
    processes_.emplace_back(name, std::make_unique<RecordedProcess>(bin, args, env, base + ".out",
                                                                    base + ".err", input));
    return processes_.back().second.get();
  }

  TestDatabase db_;
  TempDir dir_;
  Merchant shop_, other_;
  std::string previous_key_, wrong_key_, db_password_;
  ScanDbUser user_;
  std::vector<std::pair<std::string, std::unique_ptr<RecordedProcess>>> processes_;
  RecordedProcess* sim_ = nullptr;
  std::string sim_url_;
};

std::string isoAt(TimePoint t) { return formatIso8601Utc(t); }
TimePoint nowMs() { return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()); }

// The order on both sides: created at `created`, expiring at `expire`, notifications to
// `notify_url`.
void order(ScanRun& run, const Merchant& m, const std::string& no, std::int64_t fee,
           TimePoint created, TimePoint expire, const std::string& notify_url = "") {
  run.simJson("POST", "/sim/orders",
              R"({"mch_id":")" + m.mch_id + R"(","appid":")" + m.appid + R"(","out_trade_no":")" +
                  no + R"(","total_fee":)" + std::to_string(fee) + R"(,"created_at":")" +
                  isoAt(created) + R"(","time_expire":")" + isoAt(expire) + R"(")" +
                  (notify_url.empty() ? "" : R"(,"notify_url":")" + notify_url + R"(")") + "}");
  std::string mch = m.mch_id, appid = m.appid, out = no, c = formatUtcSql(created),
              e = formatUtcSql(expire);
  run.db().session() << "INSERT INTO merchant_order (mch_id, appid, out_trade_no, total_fee, "
                        "created_at, expire_at) VALUES (?, ?, ?, ?, ?, ?)",
      use(mch), use(appid), use(out), use(fee), use(c), use(e), now;
}

void pay(ScanRun& run, const Merchant& m, const std::string& no, const std::string& notify,
         TimePoint paid_at, std::int64_t paid_fee = 0) {
  run.simJson("POST", "/sim/orders/" + no + "/pay",
              R"({"mch_id":")" + m.mch_id + R"(","notify":")" + notify + R"(","paid_at":")" +
                  isoAt(paid_at) + R"(")" +
                  (paid_fee > 0 ? R"(,"paid_fee":)" + std::to_string(paid_fee) : "") + "}");
}

std::int64_t count(ScanRun& run, const std::string& sql) {
  std::int64_t n = 0;
  run.db().session() << sql, into(n), now;
  return n;
}

// A paid notification for a simulator order, as WeChat sends it, signed with `key`.
std::string notificationBody(ScanRun& run, const Merchant& m, const std::string& no,
                             const std::string& key) {
  auto o = run.simJson("GET", "/sim/orders/" + no + "?mch_id=" + m.mch_id);
  FieldMap f{
      {"return_code", "SUCCESS"},
      {"appid", m.appid},
      {"mch_id", m.mch_id},
      {"nonce_str", "Nscan" + no},
      {"result_code", "SUCCESS"},
      {"openid", "oScanUser"},
      {"trade_type", "JSAPI"},
      {"bank_type", "CFT"},
      {"total_fee", std::to_string(o->getValue<long>("paid_fee"))},
      {"fee_type", "CNY"},
      {"cash_fee", std::to_string(o->getValue<long>("paid_fee"))},
      {"transaction_id", o->getValue<std::string>("transaction_id")},
      {"out_trade_no", no},
      {"time_end", formatBeijingCompact(*parseIso8601Utc(o->getValue<std::string>("paid_at")))}};
  signRequest(f, m.sign_type == "MD5" ? SignType::kMd5 : SignType::kHmacSha256, Secret(key));
  return writeXmlFields(f);
}

std::vector<std::string> filesUnder(const std::string& dir) {
  std::vector<std::string> out;
  if (!Poco::File(dir).exists()) return out;
  for (Poco::DirectoryIterator it(dir), end; it != end; ++it) {
    if (it->isDirectory()) {
      for (auto& f : filesUnder(it->path())) out.push_back(f);
    } else {
      out.push_back(it->path());
    }
  }
  return out;
}

}  // namespace

TEST_CASE(
    "T15: no generated secret, its MD5 or any 12-character fragment reaches logs, DB, "
    "reports, archives or argv",
    "[secrets][t15]") {
  ScanRun run;
  for (const auto& [name, value] : run.secrets()) {
    INFO(name);
    REQUIRE(longestDigitRun(value) < 6);
  }
  run.startSim();
  REQUIRE(run.wxrecon("migrate", {"migrate"}).wait() == 0);

  // notify-server: genuine, forged and previous-key notifications; it confirms each genuine one.
  RecordedProcess& notify = run.wxreconBackground("notify-server", {"notify-server"});
  const std::string listen = run.waitForLine(notify, "notify-server", "listening on ");
  const std::string notify_url = listen.substr(0, listen.find(' '));
  REQUIRE(notify_url.rfind("http://127.0.0.1:", 0) == 0);

  const CivilDate day = addDays(beijingDate(nowMs()), -3);
  const TimePoint day_start = beijingDayStart(day);
  const TimePoint created = day_start - std::chrono::hours(1);
  const TimePoint expires = nowMs() + std::chrono::hours(24 * 7);
  const TimePoint paid = day_start + std::chrono::hours(10);
  const Merchant& shop = run.shop();
  const Merchant& other = run.other();
  order(run, shop, "SCAN-N1", 101, created, expires, notify_url);
  order(run, other, "SCAN-N2", 202, created, expires, notify_url);
  order(run, shop, "SCAN-N3", 303, created, expires, notify_url);
  order(run, shop, "SCAN-S1", 404, created, expires);
  order(run, shop, "SCAN-S2", 505, created, expires);
  order(run, other, "SCAN-O1", 606, created, expires);
  order(run, shop, "SCAN-C1", 707, nowMs() - std::chrono::hours(1),
        nowMs() - std::chrono::minutes(10));
  pay(run, shop, "SCAN-N1", "deliver", paid);
  pay(run, other, "SCAN-N2", "forge", paid + std::chrono::minutes(1));
  pay(run, shop, "SCAN-N3", "lose", paid + std::chrono::minutes(2));
  pay(run, shop, "SCAN-S1", "lose", paid + std::chrono::minutes(3));
  pay(run, shop, "SCAN-S2", "lose", paid + std::chrono::minutes(4), 500);  // amount mismatch
  // During key rotation WeChat may still sign with the previous key: accepted.
  HttpResult rotated = httpExchange(notify_url.substr(0, notify_url.find('/', 7)), "POST",
                                    notify_url.substr(notify_url.find('/', 7)),
                                    notificationBody(run, shop, "SCAN-N3", run.previousKey()));
  CHECK(rotated.status == 200);
  CHECK_THAT(rotated.body, Catch::Contains("SUCCESS"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (count(run, "SELECT COUNT(*) FROM payment_notification") < 4 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(count(run, "SELECT COUNT(*) FROM payment_notification WHERE verdict = 'BAD_SIGNATURE'") >=
        1);
  CHECK(count(run, "SELECT COUNT(*) FROM payment_notification WHERE verdict = 'ACCEPTED'") == 3);

  // sweep: payments (one with another amount), a close, an unpaid order.
  const int swept = run.wxrecon("sweep", {"sweep"}).wait();
  CHECK((swept == 0 || swept == 3));
  CHECK(count(run,
              "SELECT COUNT(*) FROM merchant_order WHERE out_trade_no = 'SCAN-C1' AND "
              "state = 'CLOSED'") == 1);
  CHECK(count(run,
              "SELECT COUNT(*) FROM merchant_order WHERE out_trade_no = 'SCAN-S2' AND "
              "state = 'REVIEW'") == 1);
  // ... and with merchant "other"'s key wrong: WeChat answers SIGNERROR, a configuration failure.
  run.db().session() << "UPDATE merchant_order SET next_check_at = NULL WHERE state = 'NOTPAY'",
      now;
  CHECK(run.wxrecon("sweep-wrong-key", {"sweep"}, "", "wrong_other.key").wait() == 2);

  // bill, report, rerun, resolve for the day.
  const std::string d = formatIsoDate(day);
  const int billed = run.wxrecon("bill", {"bill", "--date", d}).wait();
  CHECK((billed == 0 || billed == 3));
  CHECK(run.wxrecon("report", {"report", "--from", d, "--to", d}).wait() == 0);
  const int rerun =
      run.wxrecon("rerun", {"rerun", "--from", d, "--to", d, "--recheck-final"}).wait();
  CHECK((rerun == 0 || rerun == 3));
  std::int64_t discrepancy_id = 0;
  run.db().session() << "SELECT MIN(id) FROM discrepancy WHERE kind = 'AMOUNT_MISMATCH'",
      into(discrepancy_id), now;
  REQUIRE(discrepancy_id > 0);
  CHECK(run.wxrecon("resolve", {"resolve", "--discrepancy", std::to_string(discrepancy_id),
                                "--note", "checked by the secret scan", "--by", "t15"})
            .wait() == 0);

  // daemon: a few sweeps, then SIGTERM.
  RecordedProcess& daemon = run.wxreconBackground("daemon", {"daemon"});
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  CHECK(daemon.stop(SIGTERM) == 0);
  CHECK(notify.stop(SIGTERM) == 0);

  // sign (with and without --show-string, a failing --verify) and parse-bill on every archive.
  const std::string lines = "appid=" + shop.appid + "\nmch_id=" + shop.mch_id +
                            "\nnonce_str=scan\nout_trade_no=SCAN-N1\n";
  CHECK(run.wxrecon("sign", {"sign", "--key-env", "WXT_SCAN_KEY_shop", "--show-string"}, lines)
            .wait() == 0);
  CHECK(run.wxrecon("sign-hmac",
                    {"sign", "--sign-type", "HMAC-SHA256", "--key-env", "WXT_SCAN_KEY_shop"}, lines)
            .wait() == 0);
  const std::string forged = notificationBody(run, shop, "SCAN-N1", run.wrongKey());
  CHECK(
      run.wxrecon("sign-verify",
                  {"sign", "--key-env", "WXT_SCAN_KEY_shop", "--xml", "--verify", "--show-string"},
                  forged)
          .wait() == 1);
  const std::vector<std::string> archived = filesUnder(run.path() + "/bills");
  REQUIRE(!archived.empty());
  for (const auto& f : archived) {
    CHECK(run.wxrecon("parse-bill", {"parse-bill", f}).wait() == 0);
    CHECK(run.wxrecon("parse-bill-json", {"parse-bill", "--json", f}).wait() == 0);
  }

  // ---- the scan ----
  SecretScanner scan;
  for (const auto& [name, value] : run.secrets()) scan.addSecret(name, value);
  for (const char* log : {"/sim/notifications", "/sim/requests"}) {
    scan.scanText(std::string("wxpay-sim ") + log, httpExchange(run.simUrl(), "GET", log).body);
  }
  for (const Merchant* m : {&shop, &other}) {
    scan.scanText("wxpay-sim ground truth",
                  httpExchange(run.simUrl(), "GET", "/sim/orders?mch_id=" + m->mch_id).body);
  }
  std::size_t cmdline_samples = 0;
  for (const auto& [name, p] : run.processes()) {
    p->stop(SIGTERM);  // only wxpay-sim is still running
    scan.scanText(name + " stdout", p->out());
    scan.scanText(name + " stderr", p->err());
    scan.scanText(name + " argv", p->argvText());
    for (const auto& c : p->cmdlines()) {
      scan.scanText(name + " /proc/pid/cmdline", c);
      ++cmdline_samples;
    }
  }
  const std::size_t logs = scan.scanTree("log file", run.path() + "/logs");
  const std::size_t reports = scan.scanTree("report", run.path() + "/reports");
  const std::size_t bills = scan.scanTree("archived bill", run.path() + "/bills");
  for (const auto& f : filesUnder(run.path())) {
    if (f.size() > 4 && f.substr(f.size() - 4) == ".ini") scan.scanFile("config", f);
  }
  const std::string dump = dumpDatabase(run.db(), run.path());
  scan.scanText("mariadb-dump", dump);

  // The scan looked at what it claims to have looked at.
  CHECK(run.processes().size() >= 16);
  CHECK(cmdline_samples >= run.processes().size());
  CHECK(logs >= 9);  // every command that reads the config
  CHECK(reports >= 2);
  CHECK(bills >= 2);
  CHECK_THAT(dump, Catch::Contains("INSERT INTO `payment_notification`"));
  CHECK_THAT(dump, Catch::Contains("SCAN-N2"));
  for (const auto& f : filesUnder(run.path() + "/logs")) {
    INFO(f);
    CHECK_THAT(readFileBytes(f), Catch::Contains(" event="));
  }
  // level = debug took effect (notify-server logs each accepted notification at debug).
  CHECK_THAT(readFileBytes(run.path() + "/logs/notify-server.log"), Catch::Contains(" Debug "));
  INFO(scan.needles() << " needles over " << scan.sources() << " sources, " << scan.bytes()
                      << " bytes");
  for (const auto& hit : scan.hits()) UNSCOPED_INFO(hit);
  CHECK(scan.hits().empty());
}

TEST_CASE("T15's scan finds a key planted in each place it searches", "[secrets][t15]") {
  TestDatabase db;
  TempDir dir;
  const std::string key = generateSecret();
  const std::string other_key = generateSecret();
  Poco::File(dir.path() + "/logs/sub").createDirectories();
  dir.write("logs/sub/a.log",
            "2026-11-28T01:00:00.000Z Debug run=1 event=x sign=" + md5Hex(key) + "\n");
  std::string upper = md5Hex(key);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  db.session() << "CREATE TABLE planted (v BLOB)", now;
  std::string fragment = "<detail>" + key.substr(7, 12) + "</detail>";
  db.session() << "INSERT INTO planted VALUES (?)", use(fragment), now;
  // Lives until its sampler has read its cmdline (a fixed 0.3 s could pass unsampled on a
  // loaded machine), then stopped. The planted argument is the shell's $0, which it ignores;
  // given to sleep, it made sleep exit at once ("invalid time interval"), and the sampler saw
  // the cmdline only when it was lucky. A loop, so the shell does not exec sleep and the sleep
  // its SIGKILL orphans ends within a second.
  RecordedProcess argv_plant("/bin/sh",
                             {"-c", "while :; do sleep 1; done", "x" + key.substr(20, 12)}, {},
                             dir.path() + "/sleep.out", dir.path() + "/sleep.err");
  for (int i = 0; i < 2000; ++i) {
    const auto seen = argv_plant.cmdlines();
    if (std::any_of(seen.begin(), seen.end(),
                    [](const std::string& c) { return c.rfind("/bin/sh -c ", 0) == 0; })) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  argv_plant.stop(SIGKILL);

  auto scanAll = [&](SecretScanner& scan) {
    scan.scanTree("log file", dir.path() + "/logs");
    scan.scanText("mariadb-dump", dumpDatabase(db, dir.path()));
    for (const auto& c : argv_plant.cmdlines()) scan.scanText("/proc/pid/cmdline", c);
    scan.scanText("stdout", "summary: sign " + upper + "\n");
  };
  SecretScanner scan;
  scan.addSecret("planted key", key);
  // The key, its MD5 in lower and upper hex (each 32 characters), and 21 fragments of each.
  CHECK(scan.needles() == 3 * (1 + 21));
  scanAll(scan);
  std::string hits;
  for (const auto& h : scan.hits()) hits += h + "\n";
  INFO(hits);
  CHECK_THAT(hits, Catch::Contains("log file") && Catch::Contains("md5 of planted key"));
  CHECK_THAT(hits, Catch::Contains("mariadb-dump: planted key [fragment at 7]"));
  CHECK_THAT(hits, Catch::Contains("/proc/pid/cmdline: planted key [fragment at 20]"));
  CHECK_THAT(hits, Catch::Contains("stdout: MD5 of planted key"));

  // The same places hold nothing of another generated key.
  SecretScanner clean;
  clean.addSecret("another key", other_key);
  scanAll(clean);
  CHECK(clean.hits().empty());
}
