// FieldMap (wechat/xml_codec.h): a vector of (name, value) kept sorted by name.
#include <algorithm>
#include <stdexcept>

#include "wechat/xml_codec.h"

namespace wx {

namespace {

// Byte order of the names, as std::map<std::string, ...>'s std::less (char_traits compare).
bool nameLess(const FieldMap::value_type& field, std::string_view name) {
  return std::string_view(field.first) < name;
}

}  // namespace

FieldMap::FieldMap(std::initializer_list<value_type> fields) {
  fields_.reserve(fields.size());
  for (const auto& f : fields) emplace(f.first, f.second);
}

std::vector<FieldMap::value_type>::const_iterator FieldMap::lowerBound(
    std::string_view name) const {
  return std::lower_bound(fields_.begin(), fields_.end(), name, nameLess);
}

std::vector<FieldMap::value_type>::iterator FieldMap::insertionPoint(std::string_view name) {
  if (fields_.empty() || nameLess(fields_.back(), name)) return fields_.end();
  return std::lower_bound(fields_.begin(), fields_.end(), name, nameLess);
}

FieldMap::const_iterator FieldMap::find(std::string_view name) const {
  const auto it = lowerBound(name);
  return it != fields_.end() && it->first == name ? it : fields_.end();
}

const std::string& FieldMap::at(std::string_view name) const {
  const auto it = find(name);
  if (it == end()) throw std::out_of_range("FieldMap::at: no field '" + std::string(name) + "'");
  return it->second;
}

std::string& FieldMap::at(std::string_view name) {
  return const_cast<std::string&>(std::as_const(*this).at(name));
}

std::string& FieldMap::operator[](std::string_view name) {
  auto it = insertionPoint(name);
  if (it == fields_.end() || it->first != name) {
    it = fields_.emplace(it, std::string(name), std::string());
  }
  return it->second;
}

std::pair<FieldMap::const_iterator, bool> FieldMap::emplace(std::string name, std::string value) {
  auto it = insertionPoint(name);
  if (it != fields_.end() && it->first == name) return {it, false};
  return {fields_.emplace(it, std::move(name), std::move(value)), true};
}

FieldMap::size_type FieldMap::erase(std::string_view name) {
  auto it = insertionPoint(name);
  if (it == fields_.end() || it->first != name) return 0;
  fields_.erase(it);
  return 1;
}

FieldMap::size_type FieldMap::assignUnique(std::vector<value_type>& fields) {
  fields_.clear();
  const auto not_before = [](const value_type& a, const value_type& b) {
    return !(a.first < b.first);
  };
  if (std::adjacent_find(fields.begin(), fields.end(), not_before) == fields.end()) {
    fields_ = std::move(fields);  // already in name order, no name twice
    fields.clear();
    return npos;
  }
  // (name, position) sorted: a repeat is an entry whose name is the one before it.
  std::vector<std::pair<std::string_view, std::size_t>> order;
  order.reserve(fields.size());
  for (std::size_t i = 0; i < fields.size(); ++i) order.emplace_back(fields[i].first, i);
  std::sort(order.begin(), order.end());
  std::size_t repeat = npos;
  for (std::size_t i = 1; i < order.size(); ++i) {
    if (order[i].first == order[i - 1].first) repeat = std::min(repeat, order[i].second);
  }
  if (repeat != npos) return repeat;
  std::sort(fields.begin(), fields.end(),
            [](const value_type& a, const value_type& b) { return a.first < b.first; });
  fields_ = std::move(fields);
  fields.clear();
  return npos;
}

}  // namespace wx
