// The one hardened parse of WeChat's flat XML (RELIABILITY.md invariant 14), and its writer.
//
// A body is <xml><field>value</field>...</xml>: one level, no attributes, CDATA or text.
// parseXmlFields() turns it into one FieldMap that feeds BOTH signature verification and the
// business logic (never parse twice). Rejected, each with its own XmlReject reason: a body over
// the size cap, invalid UTF-8, any <!DOCTYPE> or entity declaration/reference other than the five
// predefined ones and numeric character references, a root other than <xml>, attributes,
// nesting, duplicate field names, text outside fields, malformed XML, too many fields.
// The parser never opens files or URLs, runs in linear time and does not recurse.
//
// Decisions beyond XML 1.0 (all documented rejections, never silent repairs):
//  - "<!DOCTYPE"/"<!ENTITY" anywhere in the body, any case, even inside CDATA -> kDoctype;
//  - a leading UTF-8 BOM, comments and processing instructions (other than a leading
//    <?xml version="1.0" encoding="UTF-8"?>) -> kMalformed; a non-UTF-8 encoding -> kMalformed;
//  - XML-illegal characters (C0 controls but TAB/LF/CR, U+FFFE/U+FFFF) -> kInvalidUtf8; a
//    character reference to one (&#0;, &#xD800;) -> kMalformed;
//  - CDATA or text directly inside <xml> -> kTextOutsideField (whitespace is ignored);
//  - <a/> and <a></a> give an empty value; whitespace inside a field is kept;
//  - CRLF and lone CR in values become LF, as in every conforming parser.
// Checks run in this order: size cap, DOCTYPE scan, UTF-8 scan, structure (first error wins).
// On rejection `fields` is empty.
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
  kDoctype,    // <!DOCTYPE ...> (and so any entity declaration)
  kEntity,     // an entity reference that is not predefined / numeric
  kBadRoot,    // root element is not <xml>, or there are several roots
  kAttribute,  // an attribute on any element
  kNested,     // an element inside a field
  kDuplicateField,
  kTextOutsideField,
  kTooManyFields,
  kMalformed,  // not well-formed XML (incl. truncated)
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
// split across CDATA sections and a CR is written as &#13;, so parseXmlFields(write(m)) == m
// byte for byte. Integer-looking fields are still written as CDATA (WeChat accepts both).
// Precondition: names are XML names and values valid UTF-8 made of XML characters (true of
// every map parseXmlFields returns); otherwise the output will not parse.
std::string writeXmlFields(const FieldMap& fields);

}  // namespace wx
