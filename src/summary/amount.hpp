#pragma once
// Internal to src/summary: the amount column's parser (log_scan.cpp, once a row). A header of its
// own, inline, so that the row loop still inlines it and the fuzzer (tests/fuzz/fuzz_amount.cpp)
// reaches it without going through a whole log.

#include <fast_float/fast_float.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <system_error>

#include "log_scan.hpp"

namespace clvkit::detail {

// Bound on one amount: keeps amount * 1e6 far inside int64 and every realistic sum with it.
inline constexpr double kMaxAbsAmount = 1e12;

/// A parsed amount: millionths, and its sign as the decimal text had it.
struct Amount {
  std::int64_t units = 0;
  bool negative = false;  ///< below zero (a return)
  bool zero = false;      ///< exactly zero ("0", "-0.00")
};

// The general form: a decimal with '.', an optional sign, no exponent; finite and below
// kMaxAbsAmount; digits beyond the sixth decimal are rounded (half away from zero).
inline bool parse_amount_general(std::string_view text, Amount& amount) noexcept {
  const char* first = text.data();
  const char* const last = first + text.size();
  if (first != last && *first == '+') {
    ++first;
    if (first != last && *first == '-') return false;
  }
  double value = 0.0;
  const auto result = fast_float::from_chars(first, last, value, fast_float::chars_format::fixed);
  if (result.ec != std::errc() || result.ptr != last || !std::isfinite(value) ||
      std::fabs(value) >= kMaxAbsAmount) {
    return false;
  }
  amount.units = std::llround(value * kUnitsPerCurrency);
  amount.negative = value < 0.0;
  amount.zero = value == 0.0;
  return true;
}

// Amounts as exports write them ("12.5", "-3.99", "100"): at most 12 integer and 6 decimal digits
// convert exactly to millionths in integer arithmetic, which is both faster than a floating-point
// parse and free of its rounding. False for anything else (parse_amount's general path).
inline bool parse_amount_exact(std::string_view text, Amount& amount) noexcept {
  const char* p = text.data();
  const char* const end = p + text.size();
  bool negative = false;
  if (p != end && (*p == '-' || *p == '+')) negative = *p++ == '-';
  const char* const digits = p;
  // Unsigned, so that 19 or more digits wrap (defined) instead of overflowing a signed integer;
  // such a value is refused below (more than 12 digits) before it is used.
  std::uint64_t whole = 0;
  while (p != end && static_cast<unsigned char>(*p - '0') < 10) {
    whole = whole * 10 + static_cast<std::uint64_t>(*p++ - '0');
  }
  const auto whole_digits = p - digits;
  // The decimals as one integer, scaled once at the end (a scale divided per digit made a chain
  // of multiplications, one after the other, on every row).
  static constexpr std::int64_t kScale[7] = {1'000'000, 100'000, 10'000, 1'000, 100, 10, 1};
  std::int64_t fraction = 0;
  int decimals = 0;
  if (p != end && *p == '.') {
    ++p;
    while (p != end && static_cast<unsigned char>(*p - '0') < 10 && decimals < 6) {
      fraction = fraction * 10 + (*p++ - '0');
      ++decimals;
    }
  }
  if (p != end || whole_digits == 0 || whole_digits > 12) return false;
  const std::int64_t units =
      static_cast<std::int64_t>(whole) * 1'000'000 + fraction * kScale[decimals];
  amount.units = negative ? -units : units;
  amount.negative = negative && units != 0;
  amount.zero = units == 0;
  return true;
}

inline bool parse_amount(std::string_view text, Amount& amount) noexcept {
  return parse_amount_exact(text, amount) || parse_amount_general(text, amount);
}

/// An amount held as a double (rows in memory): what parse_amount reads from the shortest
/// fixed-notation text that round-trips `value` (std::to_chars with chars_format::fixed), so that
/// rows in memory and the same rows written as CSV give the same millionths. False for a value
/// that is not finite or not below kMaxAbsAmount.
///
/// Below 1e9 that is llround(value * 1e6), without the text: when the text has at most six
/// decimals it is N / 1e6 for an integer N, the double nearest it is within 2^-53 |value| of it,
/// and the product's own rounding adds as much again, so value * 1e6 is within 2e6 |value| 2^-53
/// < 0.23 of N; with more decimals parse_amount_general computes llround(value * 1e6) itself.
/// The signs agree too: a nonzero value with at most six decimals is at least 1e-6 in size, so
/// its millionths are nonzero, and both paths then call it negative exactly when value < 0.
inline bool amount_from_double(double value, Amount& amount) noexcept {
  if (!std::isfinite(value) || std::fabs(value) >= kMaxAbsAmount) return false;
  if (std::fabs(value) < 1e9) {
    amount.units = std::llround(value * kUnitsPerCurrency);
    amount.negative = value < 0.0;
    amount.zero = value == 0.0;
    return true;
  }
  char text[64];
  const auto written = std::to_chars(text, text + sizeof text, value, std::chars_format::fixed);
  return parse_amount({text, static_cast<std::size_t>(written.ptr - text)}, amount);
}

}  // namespace clvkit::detail
