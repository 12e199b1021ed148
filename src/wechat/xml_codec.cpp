// Hand-written strict parser for WeChat's flat XML. No expat, no Poco SAX: nothing here can
// expand an entity, fetch a DTD or open a file (WECHATPAY_V2.md §4, the 2018 XXE).
//
// Passes, each linear in the body size, no recursion:
//   1. size cap, before looking at a single byte;
//   2. "<!DOCTYPE" / "<!ENTITY" anywhere (case-insensitive, even inside CDATA: §4 says reject
//      bodies containing <!DOCTYPE, and no genuine WeChat body carries one);
//   3. UTF-8 validity and XML 1.0 Char legality of every byte;
//   4. the structure: [<?xml ...?>] ws <xml> (ws | <name>content</name>)* </xml> ws.
// Decisions: a leading BOM is rejected (kMalformed; WeChat never sends one and accepting it buys
// nothing); comments and processing instructions are rejected (kMalformed); line ends are
// normalised (CRLF and lone CR become LF) as every conforming parser does, so the signature
// matches the one WeChat's SDK-side parsers would compute; character references to non-XML
// characters (&#0;, surrogates) are kMalformed.
#include "wechat/xml_codec.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace wx {

const char* xmlRejectName(XmlReject r) {
  switch (r) {
    case XmlReject::kNone:
      return "none";
    case XmlReject::kTooLarge:
      return "too_large";
    case XmlReject::kInvalidUtf8:
      return "invalid_utf8";
    case XmlReject::kDoctype:
      return "doctype";
    case XmlReject::kEntity:
      return "entity";
    case XmlReject::kBadRoot:
      return "bad_root";
    case XmlReject::kAttribute:
      return "attribute";
    case XmlReject::kNested:
      return "nested";
    case XmlReject::kDuplicateField:
      return "duplicate_field";
    case XmlReject::kTextOutsideField:
      return "text_outside_field";
    case XmlReject::kTooManyFields:
      return "too_many_fields";
    case XmlReject::kMalformed:
      return "malformed";
  }
  return "unknown";
}

namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// XML NameStartChar / NameChar, approximated for non-ASCII: any byte >= 0x80 (UTF-8 validity
// is already established by then, so names are well-formed UTF-8).
bool isNameStart(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u == ':' || u >= 0x80;
}
bool isNameChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return isNameStart(c) || (u >= '0' && u <= '9') || u == '-' || u == '.';
}

// A name for an error message: at most 64 bytes (cut at a UTF-8 boundary), quoted.
std::string quoteName(std::string_view name) {
  std::size_t n = name.size();
  bool cut = false;
  if (n > 64) {
    n = 64;
    while (n > 0 && (static_cast<unsigned char>(name[n]) & 0xC0) == 0x80) --n;
    cut = true;
  }
  return "'" + std::string(name.substr(0, n)) + (cut ? "...'" : "'");
}

bool isXmlChar(uint32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Returns the offset of the first byte that is not valid UTF-8 or not an XML Char, or npos.
// `why` says which.
std::size_t findBadUtf8(std::string_view s, const char** why) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
        *why = "control character not allowed in XML";
        return i;
      }
      ++i;
      continue;
    }
    std::size_t len;
    uint32_t cp;
    unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // > U+10FFFF
    } else {
      *why = (c == 0xC0 || c == 0xC1) ? "overlong UTF-8 sequence"
             : c >= 0xF5              ? "UTF-8 lead byte beyond U+10FFFF"
                                      : "unexpected UTF-8 continuation byte";
      return i;
    }
    if (i + len > n) {
      *why = "truncated UTF-8 sequence";
      return i;
    }
    if (p[i + 1] < lo || p[i + 1] > hi) {
      *why = (c == 0xED && p[i + 1] >= 0xA0 && p[i + 1] <= 0xBF)   ? "UTF-16 surrogate in UTF-8"
             : (c == 0xF4 && p[i + 1] >= 0x90 && p[i + 1] <= 0xBF) ? "code point beyond U+10FFFF"
             : ((c == 0xE0 || c == 0xF0) && p[i + 1] >= 0x80 && p[i + 1] < lo)
                 ? "overlong UTF-8 sequence"
                 : "invalid UTF-8 continuation byte";
      return i;
    }
    for (std::size_t k = 1; k < len; ++k) {
      if (k > 1 && (p[i + k] & 0xC0) != 0x80) {
        *why = "invalid UTF-8 continuation byte";
        return i;
      }
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (cp == 0xFFFE || cp == 0xFFFF) {
      *why = "U+FFFE/U+FFFF is not an XML character";
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

bool startsWithNoCase(std::string_view s, std::size_t pos, std::string_view upper) {
  if (s.size() - pos < upper.size()) return false;
  for (std::size_t k = 0; k < upper.size(); ++k) {
    char c = s[pos + k];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != upper[k]) return false;
  }
  return true;
}

// How many times `c` occurs in `s` (string_view::find is memchr).
std::size_t countByte(std::string_view s, char c) {
  std::size_t n = 0;
  for (std::size_t at = s.find(c); at != std::string_view::npos; at = s.find(c, at + 1)) ++n;
  return n;
}

class Parser {
 public:
  Parser(std::string_view s, const XmlLimits& limits, XmlParseResult& r)
      : s_(s), limits_(limits), r_(r) {}

  void run() {
    // Every field has a '/' (in "</name>" or "<name/>"): room for all the fields at once.
    fields_.reserve(std::min(countByte(s_, '/'), limits_.max_fields));
    parse();
    finish();
  }

 private:
  void parse() {
    if (s_.empty()) return fail(XmlReject::kMalformed, "empty body");
    if (s_.size() >= 3 && s_.compare(0, 3, "\xEF\xBB\xBF") == 0) {
      return fail(XmlReject::kMalformed, "byte order mark at offset 0 (not accepted)");
    }
    if (s_.compare(0, 5, "<?xml") == 0 && s_.size() > 5 && isSpace(s_[5])) {
      if (!xmlDecl()) return;
    }
    // Prolog: only whitespace before the root.
    skipSpace();
    if (eof()) return fail(XmlReject::kMalformed, "no root element");
    if (s_[i_] != '<') return fail(XmlReject::kBadRoot, at("text before the root element"));
    if (!markup(/*in_root=*/false)) return;
    if (!root()) return;
    skipSpace();
    if (!eof()) return fail(XmlReject::kBadRoot, at("content after </xml>"));
  }

  // Moves the fields into the result, sorted by name. A name given twice is kDuplicateField at
  // its first repeat, also when the structure failed later in the body (those fields all came
  // before the failure: the first error in the body wins).
  void finish() {
    const std::size_t repeat = r_.fields.assignUnique(fields_);
    if (repeat != FieldMap::npos) {
      r_.reject = XmlReject::kDuplicateField;
      r_.error = "duplicate field " + quoteName(fields_[repeat].first) + " at offset " +
                 std::to_string(unordered_at_[repeat - unordered_from_]);
    } else if (failed()) {
      r_.fields.clear();
    }
  }

  bool eof() const { return i_ >= s_.size(); }
  void skipSpace() {
    while (!eof() && isSpace(s_[i_])) ++i_;
  }
  std::string at(const std::string& what) const {
    return what + " at offset " + std::to_string(i_);
  }
  void fail(XmlReject reason, std::string error) {
    r_.reject = reason;
    r_.error = std::move(error);
  }
  bool failed() const { return r_.reject != XmlReject::kNone; }
  bool truncated(const std::string& where) {
    fail(XmlReject::kMalformed, "truncated body: end of input " + where);
    return false;
  }

  // Markup that may not appear where we are (<!--, <?, <!...); DOCTYPE/ENTITY were caught by
  // the pre-scan. Returns false after failing.
  bool markup(bool in_root) {
    if (s_.compare(i_, 4, "<!--") == 0) {
      fail(XmlReject::kMalformed, at("comment (not accepted)"));
      return false;
    }
    if (s_.compare(i_, 2, "<?") == 0) {
      fail(XmlReject::kMalformed, at("processing instruction (not accepted)"));
      return false;
    }
    if (s_.compare(i_, 9, "<![CDATA[") == 0) {
      fail(in_root ? XmlReject::kTextOutsideField : XmlReject::kBadRoot,
           at("CDATA section outside any field"));
      return false;
    }
    if (s_.compare(i_, 2, "<!") == 0) {
      fail(XmlReject::kMalformed, at("markup declaration"));
      return false;
    }
    return true;
  }

  // <?xml version="1.0" [encoding="UTF-8"] [standalone="yes|no"]?>
  bool xmlDecl() {
    i_ = 5;
    const std::size_t end = s_.find("?>", i_);
    if (end == std::string_view::npos) return truncated("inside the XML declaration");
    bool seen_version = false;
    int order = 0;
    while (true) {
      const std::size_t before = i_;
      skipSpace();
      if (i_ == end) break;
      if (i_ == before) {
        fail(XmlReject::kMalformed, at("XML declaration: expected whitespace"));
        return false;
      }
      std::size_t name_start = i_;
      while (i_ < end && isNameChar(s_[i_])) ++i_;
      const std::string_view name = s_.substr(name_start, i_ - name_start);
      skipSpace();
      if (i_ >= end || s_[i_] != '=') {
        fail(XmlReject::kMalformed, at("XML declaration: expected '='"));
        return false;
      }
      ++i_;
      skipSpace();
      if (i_ >= end || (s_[i_] != '"' && s_[i_] != '\'')) {
        fail(XmlReject::kMalformed, at("XML declaration: expected a quoted value"));
        return false;
      }
      const char q = s_[i_++];
      const std::size_t close = s_.find(q, i_);
      if (close == std::string_view::npos || close > end) {
        fail(XmlReject::kMalformed, at("XML declaration: unterminated value"));
        return false;
      }
      const std::string_view value = s_.substr(i_, close - i_);
      i_ = close + 1;
      if (name == "version" && order == 0) {
        if (value != "1.0") {
          fail(XmlReject::kMalformed, "XML declaration: version must be 1.0");
          return false;
        }
        seen_version = true;
        order = 1;
      } else if (name == "encoding" && order == 1) {
        std::string v(value);
        for (char& c : v) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
        if (v != "UTF-8") {
          fail(XmlReject::kMalformed, "XML declaration: encoding " + quoteName(value) +
                                          " is not UTF-8 (only UTF-8 bodies are accepted)");
          return false;
        }
        order = 2;
      } else if (name == "standalone" && order >= 1 && order <= 2) {
        if (value != "yes" && value != "no") {
          fail(XmlReject::kMalformed, "XML declaration: standalone must be yes or no");
          return false;
        }
        order = 3;
      } else {
        fail(XmlReject::kMalformed, "XML declaration: unexpected " + quoteName(name));
        return false;
      }
    }
    if (!seen_version) {
      fail(XmlReject::kMalformed, "XML declaration without version");
      return false;
    }
    i_ = end + 2;
    return true;
  }

  // At '<' + name start. Reads "name" ws* ('>' | '/>'); sets *empty for '/>'.
  bool startTag(std::string_view* name, bool* empty) {
    const std::size_t tag_at = i_;
    ++i_;
    const std::size_t start = i_;
    while (!eof() && isNameChar(s_[i_])) ++i_;
    *name = s_.substr(start, i_ - start);
    const std::size_t after_name = i_;
    skipSpace();
    if (eof()) return truncated("inside the tag <" + std::string(name->substr(0, 64)) + ">");
    if (s_[i_] == '>') {
      ++i_;
      *empty = false;
      return true;
    }
    if (s_[i_] == '/') {
      if (i_ + 1 >= s_.size()) return truncated("inside a tag");
      if (s_[i_ + 1] != '>') {
        fail(XmlReject::kMalformed, at("expected '>' after '/'"));
        return false;
      }
      i_ += 2;
      *empty = true;
      return true;
    }
    if (i_ > after_name && isNameStart(s_[i_])) {
      fail(XmlReject::kAttribute,
           "attribute on element " + quoteName(*name) + " at offset " + std::to_string(tag_at));
      return false;
    }
    fail(XmlReject::kMalformed, at("unexpected character in tag " + quoteName(*name)));
    return false;
  }

  // At "</". Reads the end tag and checks it closes `name`.
  bool endTag(std::string_view name) {
    const std::size_t tag_at = i_;
    i_ += 2;
    const std::size_t start = i_;
    while (!eof() && isNameChar(s_[i_])) ++i_;
    const std::string_view got = s_.substr(start, i_ - start);
    skipSpace();
    if (eof()) return truncated("inside the end tag of " + quoteName(name));
    if (s_[i_] != '>') {
      fail(XmlReject::kMalformed, at("unexpected character in end tag"));
      return false;
    }
    ++i_;
    if (got != name) {
      fail(XmlReject::kMalformed, "end tag " + quoteName(got) + " at offset " +
                                      std::to_string(tag_at) + " does not close " +
                                      quoteName(name));
      return false;
    }
    return true;
  }

  // The root element: at '<'.
  bool root() {
    if (i_ + 1 >= s_.size()) return truncated("at the root element");
    if (!isNameStart(s_[i_ + 1])) {
      fail(XmlReject::kBadRoot, at("expected the <xml> root element"));
      return false;
    }
    std::string_view name;
    bool empty = false;
    const std::size_t tag_at = i_;
    if (!startTag(&name, &empty)) return false;
    if (name != "xml") {
      fail(XmlReject::kBadRoot, "root element is " + quoteName(name) + " at offset " +
                                    std::to_string(tag_at) + ", not 'xml'");
      return false;
    }
    if (empty) return true;
    while (true) {
      skipSpace();
      if (eof()) return truncated("inside <xml> (no </xml>)");
      if (s_[i_] != '<') {
        fail(XmlReject::kTextOutsideField, at("text outside any field"));
        return false;
      }
      if (i_ + 1 >= s_.size()) return truncated("inside <xml>");
      if (s_[i_ + 1] == '/') return endTag("xml");
      if (!markup(/*in_root=*/true)) return false;
      if (!isNameStart(s_[i_ + 1])) {
        fail(XmlReject::kMalformed, at("'<' not followed by a name"));
        return false;
      }
      if (!field()) return false;
    }
  }

  // One <name>content</name>, at '<'.
  bool field() {
    std::string_view name;
    bool empty = false;
    const std::size_t tag_at = i_;
    if (!startTag(&name, &empty)) return false;
    if (++count_ > limits_.max_fields) {
      fail(XmlReject::kTooManyFields, "more than " + std::to_string(limits_.max_fields) +
                                          " fields (at offset " + std::to_string(tag_at) + ")");
      return false;
    }
    std::string value;
    if (!empty && !content(name, value)) return false;
    // Repeats are found by finish(); a field can repeat an earlier name only from the first one
    // out of name order on, so only those tag offsets are kept (none for a body in name order).
    if (unordered_from_ == FieldMap::npos && !fields_.empty() && !(fields_.back().first < name)) {
      unordered_from_ = fields_.size();
    }
    if (unordered_from_ != FieldMap::npos) unordered_at_.push_back(tag_at);
    fields_.emplace_back(std::string(name), std::move(value));
    return true;
  }

  // Appends s_[from, to) to out with line ends normalised.
  static void appendNormalized(std::string& out, std::string_view text) {
    std::size_t k = 0;
    while (k < text.size()) {
      const std::size_t cr = text.find('\r', k);
      if (cr == std::string_view::npos) {
        out.append(text.substr(k));
        return;
      }
      out.append(text.substr(k, cr - k));
      out += '\n';
      k = cr + 1;
      if (k < text.size() && text[k] == '\n') ++k;
    }
  }

  // Field content up to and including its end tag.
  bool content(std::string_view name, std::string& value) {
    while (true) {
      const std::size_t run = i_;
      while (!eof() && s_[i_] != '<' && s_[i_] != '&' && s_[i_] != ']') ++i_;
      appendNormalized(value, s_.substr(run, i_ - run));
      if (eof()) return truncated("inside field " + quoteName(name));
      const char c = s_[i_];
      if (c == ']') {
        if (s_.compare(i_, 3, "]]>") == 0) {
          fail(XmlReject::kMalformed, at("']]>' in text of field " + quoteName(name)));
          return false;
        }
        value += ']';
        ++i_;
        continue;
      }
      if (c == '&') {
        if (!reference(name, value)) return false;
        continue;
      }
      // c == '<'
      if (s_.compare(i_, 9, "<![CDATA[") == 0) {
        const std::size_t start = i_ + 9;
        const std::size_t close = s_.find("]]>", start);
        if (close == std::string_view::npos) {
          return truncated("inside a CDATA section of field " + quoteName(name));
        }
        appendNormalized(value, s_.substr(start, close - start));
        i_ = close + 3;
        continue;
      }
      if (i_ + 1 >= s_.size()) return truncated("inside field " + quoteName(name));
      if (s_[i_ + 1] == '/') return endTag(name);
      if (isNameStart(s_[i_ + 1])) {
        fail(XmlReject::kNested, at("element nested inside field " + quoteName(name)));
        return false;
      }
      if (!markup(/*in_root=*/true)) return false;
      fail(XmlReject::kMalformed, at("'<' in text of field " + quoteName(name)));
      return false;
    }
  }

  // At '&': one of the five predefined entities or a numeric character reference.
  bool reference(std::string_view field, std::string& value) {
    const std::size_t amp = i_;
    // The longest legal reference is "&#x10FFFF;" / "&#1114111;" (10 bytes); names we know
    // are shorter. Look for ';' within a bounded window so this stays linear.
    const std::size_t window = 12;
    std::size_t semi = i_ + 1;
    while (semi < s_.size() && semi - amp <= window && s_[semi] != ';' && s_[semi] != '&' &&
           s_[semi] != '<' && !isSpace(s_[semi])) {
      ++semi;
    }
    if (semi >= s_.size()) return truncated("inside a reference in field " + quoteName(field));
    const std::string_view body = s_.substr(amp + 1, semi - amp - 1);
    if (s_[semi] != ';') {
      // "&name" without ';' is malformed; a long name is almost surely a custom entity.
      const bool named = !body.empty() && isNameStart(body[0]);
      if (named && semi - amp > window) {
        fail(XmlReject::kEntity, "unknown entity reference at offset " + std::to_string(amp) +
                                     " in field " + quoteName(field));
      } else {
        fail(XmlReject::kMalformed, "'&' without a short reference ending in ';' at offset " +
                                        std::to_string(amp) + " in field " + quoteName(field));
      }
      return false;
    }
    i_ = semi + 1;
    if (body == "amp") return value += '&', true;
    if (body == "lt") return value += '<', true;
    if (body == "gt") return value += '>', true;
    if (body == "quot") return value += '"', true;
    if (body == "apos") return value += '\'', true;
    if (!body.empty() && body[0] == '#') {
      uint32_t cp = 0;
      const bool hex = body.size() > 1 && body[1] == 'x';
      const std::string_view digits = body.substr(hex ? 2 : 1);
      bool ok = !digits.empty();
      for (char d : digits) {
        uint32_t v;
        if (d >= '0' && d <= '9') {
          v = static_cast<uint32_t>(d - '0');
        } else if (hex && d >= 'a' && d <= 'f') {
          v = static_cast<uint32_t>(d - 'a' + 10);
        } else if (hex && d >= 'A' && d <= 'F') {
          v = static_cast<uint32_t>(d - 'A' + 10);
        } else {
          ok = false;
          break;
        }
        cp = cp * (hex ? 16 : 10) + v;
        if (cp > 0x10FFFF) {
          ok = false;
          break;
        }
      }
      if (!ok || !isXmlChar(cp)) {
        fail(XmlReject::kMalformed, "character reference at offset " + std::to_string(amp) +
                                        " in field " + quoteName(field) +
                                        " is not an XML character");
        return false;
      }
      appendUtf8(value, cp);
      return true;
    }
    if (!body.empty() && isNameStart(body[0])) {
      fail(XmlReject::kEntity, "unknown entity &" + std::string(body) + "; at offset " +
                                   std::to_string(amp) + " in field " + quoteName(field));
    } else {
      fail(XmlReject::kMalformed, "malformed reference at offset " + std::to_string(amp) +
                                      " in field " + quoteName(field));
    }
    return false;
  }

  std::string_view s_;
  const XmlLimits& limits_;
  XmlParseResult& r_;
  std::size_t i_ = 0;
  std::size_t count_ = 0;
  std::vector<FieldMap::value_type> fields_;     // in body order
  std::size_t unordered_from_ = FieldMap::npos;  // the first field not after the one before it
  std::vector<std::size_t> unordered_at_;  // tag offsets of the fields from unordered_from_ on
};

// Offset of the first "<!DOCTYPE" or "<!ENTITY" (any case), or npos.
std::size_t findDoctype(std::string_view s) {
  for (std::size_t p = s.find("<!"); p != std::string_view::npos; p = s.find("<!", p + 2)) {
    if (startsWithNoCase(s, p + 2, "DOCTYPE") || startsWithNoCase(s, p + 2, "ENTITY")) return p;
  }
  return std::string_view::npos;
}

}  // namespace

XmlParseResult parseXmlFields(std::string_view body, const XmlLimits& limits) {
  XmlParseResult r;
  if (body.size() > limits.max_body_bytes) {
    r.reject = XmlReject::kTooLarge;
    r.error = "body of " + std::to_string(body.size()) + " bytes exceeds the cap of " +
              std::to_string(limits.max_body_bytes);
    return r;
  }
  if (const std::size_t p = findDoctype(body); p != std::string_view::npos) {
    r.reject = XmlReject::kDoctype;
    r.error = "DOCTYPE or ENTITY declaration at offset " + std::to_string(p) + " (never accepted)";
    return r;
  }
  const char* why = nullptr;
  if (const std::size_t p = findBadUtf8(body, &why); p != std::string_view::npos) {
    r.reject = XmlReject::kInvalidUtf8;
    r.error = std::string(why) + " at offset " + std::to_string(p);
    return r;
  }
  Parser(body, limits, r).run();
  return r;
}

namespace {

// Appends `v` as character data: CDATA sections, split so that "]]>" never appears inside one,
// and CR written as &#13; (a raw CR would be normalised to LF by any parser, ours included).
void appendCharData(std::string& out, std::string_view v) {
  bool open = false;
  for (std::size_t k = 0; k < v.size(); ++k) {
    const char c = v[k];
    if (c == '\r') {
      if (open) out += "]]>";
      open = false;
      out += "&#13;";
      continue;
    }
    if (!open) {
      out += "<![CDATA[";
      open = true;
    }
    out += c;
    // After "]]" followed by '>', close and reopen so the '>' lands in the next section.
    if (c == ']' && k + 2 < v.size() && v[k + 1] == ']' && v[k + 2] == '>') {
      out += "]]]><![CDATA[";  // writes the second ']' and reopens
      ++k;                     // the second ']' is written
    }
  }
  if (open) out += "]]>";
}

}  // namespace

std::string writeXmlFields(const FieldMap& fields) {
  std::string out;
  std::size_t size = 11;
  for (const auto& [k, v] : fields) size += 2 * k.size() + v.size() + 17;
  out.reserve(size);
  out += "<xml>";
  for (const auto& [k, v] : fields) {
    out += '<';
    out += k;
    out += '>';
    appendCharData(out, v);
    out += "</";
    out += k;
    out += '>';
  }
  out += "</xml>";
  return out;
}

}  // namespace wx
