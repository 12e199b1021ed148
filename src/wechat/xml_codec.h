// The one hardened parse of WeChat's flat XML (RELIABILITY.md invariant 14), and its writer.
//
// A body is <xml><field>value</field>...</xml>: one level, no attributes, CDATA or text.
// parseXmlFields() turns it into one FieldMap that feeds BOTH signature verification and the
// business logic (never parse twice). Rejected, each with its own XmlReject reason: a body over
// the size cap, invalid UTF-8, any <!DOCTYPE> or entity declaration/reference other than the five
// predefined ones and numeric character references, a root other than <xml>, attributes,
// nesting, duplicate field names, text outside fields, malformed XML, too many fields.
// The parser never opens files or URLs.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace wx {

// Field name -> value, ordered by byte value of the name (the signing order).
using FieldMap = std::map<std::string, std::string>;

enum class XmlReject {
  kNone = 0,
  kTooLarge,
  kInvalidUtf8,
  kDoctype,        // <!DOCTYPE ...> (and so any entity declaration)
  kEntity,         // an entity reference that is not predefined / numeric
  kBadRoot,        // root element is not <xml>, or there are several roots
  kAttribute,      // an attribute on any element
  kNested,         // an element inside a field
  kDuplicateField,
  kTextOutsideField,
  kTooManyFields,
  kMalformed,      // not well-formed XML (incl. truncated)
};
const char* xmlRejectName(XmlReject r);  // "too_large", "doctype", ...

struct XmlLimits {
  std::size_t max_body_bytes = 65536;
  std::size_t max_fields = 256;
};

struct XmlParseResult {
  FieldMap fields;
  XmlReject reject = XmlReject::kNone;
  std::string error;  // human-readable, names the field or position; empty when accepted
  bool ok() const { return reject == XmlReject::kNone; }
};

XmlParseResult parseXmlFields(std::string_view body, const XmlLimits& limits = {});

// <xml><k><![CDATA[v]]></k>...</xml> in map order, no whitespace. A value containing "]]>" is
// split across CDATA sections so it round-trips byte for byte. Integer-looking fields are
// still written as CDATA (WeChat accepts both).
std::string writeXmlFields(const FieldMap& fields);

}  // namespace wx
