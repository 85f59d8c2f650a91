// Fuzzes the log ingest differentially, through the library's API: the same bytes read three
// ways that must give the same result, or the same error, since the README promises that no
// result depends on how the log is read:
//  - a seekable stream, 1 thread, one block (the reference);
//  - a pipe (a stream that cannot seek, so every day list is kept), 3 threads, tiny blocks;
//  - the file mapped into memory (ingest_transactions_file), 3 threads, tiny blocks,
// so that records, quoted line ends and errors fall across block boundaries.
//
// Input: one byte of options (bit 0: on-bad-row skip, else fail; bits 1-2: returns net / drop /
// fail; bit 3: zero amounts drop, else keep; bit 4: date format %Y%m%d, else automatic; bits 5-7:
// block size 1..8 bytes of the tiny-block variants), then the log text. Properties: the same
// customers, accounting and days, or the same error type and message (so the same line and
// column); rows read = rows used + rows rejected + rows after the as-of day; nothing thrown
// but clvkit's errors.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "../support/pipe_buffer.hpp"
#include "clvkit/error.hpp"
#include "clvkit/summary/ingest.hpp"
#include "fuzz_check.hpp"

namespace {

using clvkit::CustomerBase;
using clvkit::IngestOptions;
using clvkit::fuzz::require;

using clvkit::test::PipeBuffer;

// One file per process for the mapped variant, removed at exit; its path is also the source name
// of the stream variants, so that the three give the same messages.
class LogFile {
 public:
  LogFile() {
    const std::filesystem::path shm = "/dev/shm";
    const std::filesystem::path dir =
        std::filesystem::is_directory(shm) ? shm : std::filesystem::temp_directory_path();
    path_ = (dir / ("clvkit-fuzz-ingest-" + std::to_string(::getpid()) + ".csv")).string();
  }
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;
  ~LogFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

const std::string& log_path() {
  static const LogFile file;
  return file.path();
}

struct Outcome {
  std::optional<CustomerBase> base;
  int error_code = 0;  ///< clvkit::ExitCode of the error thrown
  std::string error;
};

template <class Ingest>
Outcome outcome_of(Ingest&& ingest) {
  Outcome outcome;
  try {
    outcome.base = ingest();
  } catch (const clvkit::Error& e) {
    outcome.error_code = static_cast<int>(e.code());
    outcome.error = e.what();
  }
  return outcome;
}

IngestOptions options_of(std::uint8_t bits) {
  IngestOptions options;
  options.on_bad_row = (bits & 1) ? clvkit::BadRowPolicy::skip : clvkit::BadRowPolicy::fail;
  switch ((bits >> 1) & 3) {
    case 1:
      options.returns = clvkit::ReturnsPolicy::drop;
      break;
    case 2:
      options.returns = clvkit::ReturnsPolicy::fail;
      break;
    default:
      options.returns = clvkit::ReturnsPolicy::net;
      break;
  }
  options.zero_amounts =
      (bits & 8) ? clvkit::ZeroAmountPolicy::drop : clvkit::ZeroAmountPolicy::keep;
  if (bits & 16) options.date_format = "%Y%m%d";
  return options;
}

void require_same(const Outcome& reference, const Outcome& variant, const char* name) {
  const std::string what = std::string("ingest from ") + name + " agrees with the stream: ";
  if (!reference.base || !variant.base) {
    require(!reference.base && !variant.base, what + "both succeed or both fail",
            reference.error + " | " + variant.error);
    require(reference.error_code == variant.error_code && reference.error == variant.error,
            what + "the same error", reference.error + " | " + variant.error);
    return;
  }
  const CustomerBase &a = *reference.base, &b = *variant.base;
  require(a.customers.size() == b.customers.size(), what + "customer count");
  for (std::size_t i = 0; i < a.customers.size(); ++i) {
    const auto &x = a.customers[i], &y = b.customers[i];
    require(x.id == y.id && x.first_purchase == y.first_purchase &&
                x.last_purchase == y.last_purchase && x.purchase_days == y.purchase_days &&
                x.T == y.T && x.total_spend == y.total_spend && x.monetary == y.monetary,
            what + "customer", x.id + " | " + y.id);
  }
  require(a.stats.rows_read == b.stats.rows_read && a.stats.rows_used == b.stats.rows_used &&
              a.stats.rows_after_as_of == b.stats.rows_after_as_of &&
              a.stats.returns_netted == b.stats.returns_netted &&
              a.stats.zero_amount_rows == b.stats.zero_amount_rows &&
              a.stats.customers_without_purchase == b.stats.customers_without_purchase,
          what + "row accounting");
  for (int r = 0; r < static_cast<int>(clvkit::RejectReason::count_); ++r) {
    require(a.stats.rejected[r] == b.stats.rejected[r], what + "rejections",
            clvkit::reject_reason_key(static_cast<clvkit::RejectReason>(r)));
  }
  require(a.as_of == b.as_of && a.first_day == b.first_day && a.last_day == b.last_day &&
              a.delimiter == b.delimiter,
          what + "days and delimiter");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const IngestOptions options = options_of(data[0]);
  const std::size_t tiny_block = 1 + (data[0] >> 5);
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string& path = log_path();

  const Outcome reference = outcome_of([&] {
    std::istringstream in(text);
    IngestOptions one = options;
    one.threads = 1;
    // One block for any input libFuzzer makes (-max_len=4096), as the default 1 MiB is, without
    // allocating and poisoning a megabyte per execution.
    one.block_bytes = std::size_t{1} << 16;
    return clvkit::ingest_transactions(in, path, one);
  });
  IngestOptions several = options;
  several.threads = 3;
  several.block_bytes = tiny_block;
  const Outcome piped = outcome_of([&] {
    PipeBuffer buffer(text, std::ios_base::in);
    std::istream in(&buffer);
    return clvkit::ingest_transactions(in, path, several);
  });
  {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  const Outcome mapped =
      outcome_of([&] { return clvkit::ingest_transactions_file(path, several); });

  if (reference.base) {
    require(reference.base->stats.reconciles(),
            "rows read = rows used + rows rejected + rows after the as-of day");
  } else {
    require(reference.error_code == static_cast<int>(clvkit::ExitCode::input),
            "a log's fault is an InputError", reference.error);
  }
  require_same(reference, piped, "a pipe, 3 threads, tiny blocks");
  require_same(reference, mapped, "a mapped file, 3 threads, tiny blocks");
  return 0;
}
