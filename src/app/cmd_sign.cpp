// `wxrecon sign` (DESIGN.md §1): a support tool over the same signer and XML parser the worker
// uses. The key comes only from the environment variable named by --key-env; it is never
// printed, not even masked by length.
// Exit codes: 0 sign printed / sign valid; 1 sign invalid, or the input (XML body) rejected;
// 2 usage: no --key-env, variable unset or empty, bad --sign-type, malformed key=value lines.
// --verify without --sign-type accepts both algorithms (the sign's form decides, and the
// output names the one tried); with --sign-type only that one, as a merchant's config would.
#include <cstdlib>
#include <istream>
#include <iterator>
#include <ostream>
#include <string>
#include <vector>

#include "app/commands.h"
#include "common/secret.h"
#include "wechat/sign_type.h"
#include "wechat/signer.h"
#include "wechat/xml_codec.h"

namespace wx {

namespace {

// More than any WeChat body or field list; the XML parser applies its own (smaller) cap.
constexpr std::size_t kMaxInput = 1 << 20;

// Reads at most kMaxInput + 1 bytes (one more tells "too large" apart).
std::string readInput(std::istream& in) {
  std::string data;
  char buf[8192];
  while (data.size() <= kMaxInput && in.read(buf, sizeof buf).gcount() > 0) {
    data.append(buf, static_cast<std::size_t>(in.gcount()));
  }
  return data;
}

// key=value lines: split at the first '=', raw values (no trimming), CRLF tolerated, blank
// lines skipped. Errors name the line.
Result<FieldMap> parseLines(const std::string& text) {
  FieldMap fields;
  std::size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const std::size_t eq = line.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::invalidArgument("line " + std::to_string(line_no) + ": expected key=value");
    }
    std::string name = line.substr(0, eq);
    if (!fields.emplace(name, line.substr(eq + 1)).second) {
      return Status::invalidArgument("line " + std::to_string(line_no) + ": field '" + name +
                                     "' given twice");
    }
  }
  return fields;
}

// The string to sign as the signer feeds it, with the key replaced by "***".
void printMaskedString(std::ostream& out, const FieldMap& fields) {
  const std::string s = stringToSign(fields);
  out << s << (s.empty() ? "" : "&") << "key=" << Secret::masked() << "\n";
}

}  // namespace

int runSign(CommandContext& ctx) {
  std::ostream& err = ctx.err();
  std::ostream& out = ctx.out();

  if (!ctx.has("key-env") || ctx.get("key-env").empty()) {
    err << "wxrecon sign: --key-env VAR is required: the API key is read from the environment "
           "variable VAR (never from the command line)\n";
    return kExitUsage;
  }
  const std::string var = ctx.get("key-env");
  const char* raw_key = std::getenv(var.c_str());
  if (raw_key == nullptr || *raw_key == '\0') {
    err << "wxrecon sign: environment variable " << var << " is " << (raw_key ? "empty" : "not set")
        << "; export the API key in it\n";
    return kExitUsage;
  }
  const Secret key{std::string(raw_key)};

  std::vector<SignType> allowed = {SignType::kMd5, SignType::kHmacSha256};
  SignType type = SignType::kMd5;
  if (ctx.has("sign-type")) {
    auto parsed = parseSignType(ctx.get("sign-type"));
    if (!parsed) {
      err << "wxrecon sign: --sign-type must be MD5 or HMAC-SHA256\n";
      return kExitUsage;
    }
    type = *parsed;
    allowed = {type};  // with --verify, an explicit type is the only one accepted
  }

  const std::string input = readInput(ctx.in());
  if (input.size() > kMaxInput) {
    err << "wxrecon sign: input larger than " << kMaxInput << " bytes\n";
    return kExitFailed;
  }

  FieldMap fields;
  if (ctx.has("xml")) {
    XmlParseResult parsed = parseXmlFields(input);
    if (!parsed.ok()) {
      err << "wxrecon sign: XML rejected (" << xmlRejectName(parsed.reject) << "): " << parsed.error
          << "\n";
      if (ctx.has("verify")) {
        out << "invalid: XML rejected (" << xmlRejectName(parsed.reject) << ")\n";
      }
      return kExitFailed;
    }
    fields = std::move(parsed.fields);
  } else {
    auto parsed = parseLines(input);
    if (!parsed) {
      err << "wxrecon sign: " << parsed.status().message() << "\n";
      return kExitUsage;
    }
    fields = std::move(*parsed);
  }

  if (ctx.has("verify")) {
    const VerifyResult v = verifySign(fields, allowed, key);
    if (ctx.has("show-string")) printMaskedString(out, fields);
    if (v.ok()) {
      out << "valid: " << v.explanation << "\n";
      return kExitOk;
    }
    out << "invalid (" << signCheckName(v.check) << "): " << v.explanation << "\n";
    return kExitFailed;
  }

  if (ctx.has("show-string")) printMaskedString(out, fields);
  out << computeSign(fields, type, key) << "\n";
  return kExitOk;
}

}  // namespace wx
