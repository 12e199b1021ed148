// Status and Result<T>: errors as values inside the core (STYLE.md, leveldb's Status).
//
// The code says what the caller should do:
//   kUnavailable        transient (network, 5xx, SYSTEMERROR, lock wait): retry later
//   kAborted            a concurrent writer won (compare-and-set lost): re-read, then retry
//   kInvalidArgument    the input is wrong (bad config value, malformed field): don't retry
//   kFailedPrecondition the world is not in a state that allows this: don't retry blindly
//   kDataLoss           data that should be intact is not (checksum mismatch, truncated file)
//   kNotFound           the thing asked for does not exist
//   kPermissionDenied   a signature or identity check failed
//   kInternal           a bug
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace wx {

enum class StatusCode {
  kOk = 0,
  kUnavailable,
  kAborted,
  kInvalidArgument,
  kFailedPrecondition,
  kDataLoss,
  kNotFound,
  kPermissionDenied,
  kInternal,
};

const char* statusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }
  static Status unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status aborted(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
  static Status invalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status failedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status dataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
  static Status notFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status permissionDenied(std::string m) {
    return {StatusCode::kPermissionDenied, std::move(m)};
  }
  static Status internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool isOk() const { return code_ == StatusCode::kOk; }
  bool isRetryable() const {
    return code_ == StatusCode::kUnavailable || code_ == StatusCode::kAborted;
  }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "<CodeName>: <message>", or "OK".
  std::string toString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none. Never holds an OK status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {
    if (std::get<Status>(v_).isOk()) v_ = Status::internal("Result built from an OK status");
  }

  bool isOk() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return isOk(); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  // The error; an OK Status when a value is held.
  Status status() const { return isOk() ? Status::ok() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace wx
