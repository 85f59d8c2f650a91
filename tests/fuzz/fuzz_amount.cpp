// Fuzzes the amount column's parser (src/summary/amount.hpp). Properties: no crash or UB; an
// accepted amount is finite and below the bound (|units| < 1e12 * 1e6); its flags agree with its
// units (zero means 0 units, a negative number of units is flagged negative, a positive one is
// not); and where the exact integer path accepts an amount below 1e9, the general
// floating-point path accepts it too with the same units and flags.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "amount.hpp"
#include "fuzz_check.hpp"

namespace {

using clvkit::detail::Amount;
using clvkit::fuzz::require;

constexpr std::int64_t kMaxUnits = 1'000'000'000'000'000'000;  // kMaxAbsAmount in millionths

void check_accepted(const Amount& amount, const std::string& text, const char* path) {
  const std::string detail =
      std::string(path) + " '" + text + "' -> " + std::to_string(amount.units);
  require(amount.units > -kMaxUnits && amount.units < kMaxUnits,
          "an accepted amount is below the bound", detail);
  require(!amount.zero || amount.units == 0, "a zero amount has 0 units", detail);
  require(amount.units >= 0 || amount.negative, "negative units are flagged negative", detail);
  require(amount.units <= 0 || !amount.negative, "positive units are not flagged negative", detail);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string shown(text.substr(0, 80));
  Amount exact, general, combined;
  const bool exact_ok = clvkit::detail::parse_amount_exact(text, exact);
  const bool general_ok = clvkit::detail::parse_amount_general(text, general);
  const bool combined_ok = clvkit::detail::parse_amount(text, combined);
  if (exact_ok) check_accepted(exact, shown, "exact");
  if (general_ok) check_accepted(general, shown, "general");
  require(combined_ok == (exact_ok || general_ok), "parse_amount is exact, else general", shown);
  if (exact_ok) {
    // Near the bound a double may round up to 1e12 (999999999999.999999), which the general path
    // refuses; below 1e9 it holds every millionth closely enough to agree exactly.
    constexpr std::int64_t kExactlyRepresentable = 1'000'000'000'000'000;  // 1e9 in millionths
    if (exact.units > -kExactlyRepresentable && exact.units < kExactlyRepresentable) {
      require(general_ok, "the general path accepts what the exact path accepts", shown);
      require(general.units == exact.units && general.negative == exact.negative &&
                  general.zero == exact.zero,
              "the exact and general paths agree",
              shown + ": " + std::to_string(exact.units) + " vs " + std::to_string(general.units));
    }
    require(combined.units == exact.units, "parse_amount takes the exact path first", shown);
  }
  return 0;
}
