// Fuzzes the decoding of customer histories (the records of a state file, past its checksum) and
// an update over them. Input: byte 0 bit 0 = numeric ids, byte 1 = the customer count, the rest
// one chunk of records. Properties: decoding either yields histories whose invariants hold (days
// strictly ascending, early returns ascending and before the first purchase day) or throws
// InputError; an update with a small log either throws InputError/UsageError or gives a base
// consistent with the histories (one summary per history with a purchase day, in order); nothing
// else escapes and nothing crashes.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/summary/customer_histories.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const bool numeric = (data[0] & 1) != 0;
  const std::uint32_t customers = data[1];
  auto bytes = std::make_shared<std::vector<std::uint8_t>>(data + 2, data + size);
  std::vector<clvkit::CustomerHistories::Chunk> chunks;
  chunks.push_back({std::span<const std::uint8_t>(*bytes), customers});
  try {
    clvkit::CustomerHistories histories =
        clvkit::CustomerHistories::from_chunks(std::move(chunks), numeric, bytes, "fuzz.bin");
    std::size_t with_days = 0;
    histories.for_each([&](const clvkit::CustomerHistory& h) {
      for (std::size_t k = 1; k < h.days.size(); ++k) {
        clvkit::fuzz::require(h.days[k - 1] < h.days[k], "days strictly ascending");
      }
      for (std::size_t k = 0; k < h.early_returns.size(); ++k) {
        if (k > 0) {
          clvkit::fuzz::require(h.early_returns[k - 1].day < h.early_returns[k].day,
                                "early returns ascending");
        }
        if (!h.days.empty()) {
          clvkit::fuzz::require(h.early_returns[k].day < h.days.front(),
                                "early returns before the first purchase day");
        }
      }
      with_days += h.days.empty() ? 0 : 1;
    });
    histories.as_of = 20000;
    std::istringstream log("customer_id,date,amount\n1,2024-10-10,5.00\nz,2024-10-11,-1.00\n");
    clvkit::IngestOptions options;
    const clvkit::HistoryUpdate update =
        clvkit::update_histories(histories, log, "day.csv", options);
    clvkit::fuzz::require(update.base_index.size() == update.histories.size(),
                          "one base index per history");
    clvkit::fuzz::require(update.base.customers.size() <= update.histories.size(),
                          "at most one summary per history");
    clvkit::fuzz::require(update.base.customers.size() + 1 >= with_days,
                          "every history with a purchase day stays summarised");
  } catch (const clvkit::InputError&) {
  } catch (const clvkit::UsageError&) {
  }
  return 0;
}
