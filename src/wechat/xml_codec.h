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
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace wx {

// Field name -> value, ordered by the byte value of the name (the signing order), names unique.
// A flat vector kept sorted: one allocation for all the fields instead of a tree node per field
// (every WeChat answer and notification is parsed into one). It offers the part of std::map's
// interface the code uses, with std::map's meaning, except that:
//  - iteration yields const pairs: a name cannot be changed in place, a value changes through
//    operator[] or at();
//  - any insertion or erasure invalidates every iterator and reference into the map.
// Lookups are binary searches. Inserting in name order (the order writeXmlFields() writes, and
// the usual order of WeChat's bodies) appends without a search; inserting out of order moves the
// later fields, so the parser collects a body's fields and sorts them once (assignUnique).
class FieldMap {
 public:
  using value_type = std::pair<std::string, std::string>;
  using const_iterator = std::vector<value_type>::const_iterator;
  using iterator = const_iterator;
  using size_type = std::size_t;

  FieldMap() = default;
  // As std::map: of a name given twice, the first value is kept.
  FieldMap(std::initializer_list<value_type> fields);

  const_iterator begin() const { return fields_.begin(); }
  const_iterator end() const { return fields_.end(); }
  size_type size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  void clear() { fields_.clear(); }

  // end() when absent.
  const_iterator find(std::string_view name) const;
  size_type count(std::string_view name) const { return find(name) == end() ? 0 : 1; }
  // Throws std::out_of_range naming the field when absent.
  const std::string& at(std::string_view name) const;
  std::string& at(std::string_view name);
  // The value, inserted empty when absent.
  std::string& operator[](std::string_view name);
  // Inserts when the name is absent; an existing value is left alone. Returns the field and
  // whether it was inserted.
  std::pair<const_iterator, bool> emplace(std::string name, std::string value);
  std::pair<const_iterator, bool> insert(value_type field) {
    return emplace(std::move(field.first), std::move(field.second));
  }
  // Returns how many were erased (0 or 1).
  size_type erase(std::string_view name);

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  // Replaces the contents with `fields`, given in any order (sorted once, not field by field:
  // n log n for the parser's untrusted bodies). When a name occurs more than once, takes nothing,
  // leaves the map empty and returns the index in `fields` of the first repeat in their order (the
  // earliest field whose name an earlier one has); otherwise takes them all (`fields` is left
  // empty) and returns npos.
  size_type assignUnique(std::vector<value_type>& fields);

  friend bool operator==(const FieldMap& a, const FieldMap& b) { return a.fields_ == b.fields_; }
  friend bool operator!=(const FieldMap& a, const FieldMap& b) { return !(a == b); }

 private:
  // The first field whose name is not less than `name` (byte order): where `name` is or goes.
  std::vector<value_type>::const_iterator lowerBound(std::string_view name) const;
  // The same, mutable, checking the last field first (appending in name order needs no search).
  std::vector<value_type>::iterator insertionPoint(std::string_view name);

  std::vector<value_type> fields_;
};

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
