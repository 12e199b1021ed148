// Independent checks for simulator conformance tests: digests from OpenSSL directly and field
// extraction by plain string search, so a bug shared by wxrecon's signer/XML codec and the
// simulator cannot make a test pass (tests only).
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace wx::test {

inline std::string hexUpper(const unsigned char* p, unsigned n) {
  std::string s;
  char b[3];
  for (unsigned i = 0; i < n; ++i) {
    std::snprintf(b, sizeof b, "%02X", p[i]);
    s += b;
  }
  return s;
}

inline std::string md5Upper(const std::string& text) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(text.data(), text.size(), d, &n, EVP_md5(), nullptr);
  return hexUpper(d, n);
}

inline std::string hmacSha256Upper(const std::string& key, const std::string& text) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), d, &n);
  return hexUpper(d, n);
}

// The text of <name>...</name> with a CDATA wrapper removed; "" when absent.
inline std::string xmlValue(const std::string& body, const std::string& name) {
  const std::string open = "<" + name + ">", close = "</" + name + ">";
  auto a = body.find(open);
  if (a == std::string::npos) return "";
  a += open.size();
  auto b = body.find(close, a);
  if (b == std::string::npos) return "";
  std::string v = body.substr(a, b - a);
  if (v.rfind("<![CDATA[", 0) == 0 && v.size() >= 12) v = v.substr(9, v.size() - 12);
  return v;
}

inline bool hasElement(const std::string& body, const std::string& name) {
  return body.find("<" + name + ">") != std::string::npos;
}

// Replaces every "{NAME}" of `tmpl` with its value.
inline std::string fill(std::string tmpl,
                        const std::vector<std::pair<std::string, std::string>>& v) {
  for (const auto& [k, val] : v) {
    const std::string key = "{" + k + "}";
    for (auto p = tmpl.find(key); p != std::string::npos; p = tmpl.find(key, p + val.size())) {
      tmpl.replace(p, key.size(), val);
    }
  }
  return tmpl;
}

// Splits a bill data row ("`a,`b,`") into its fields (the leading backticks removed).
inline std::vector<std::string> billFields(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == ',' && i + 1 < line.size() && line[i + 1] == '`') {
      out.push_back(cur);
      cur.clear();
      ++i;  // skip the backtick
      continue;
    }
    if (i == 0 && line[i] == '`') continue;
    cur += line[i];
  }
  out.push_back(cur);
  return out;
}

}  // namespace wx::test
