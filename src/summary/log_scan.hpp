#pragma once
// Internal to src/summary: one pass over a CSV transaction log, cut into blocks at record
// boundaries that worker threads parse and check in parallel. Every accepted row is handed to the
// caller's per-partition consumer in file order, so the caller's accumulation is deterministic.

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <istream>
#include <span>
#include <string>
#include <string_view>

#include "clvkit/error.hpp"
#include "clvkit/io/mapped_file.hpp"
#include "clvkit/summary/ingest.hpp"

namespace clvkit::detail {

// Amounts are accumulated as integers in millionths of the currency unit: integer sums do not
// depend on the order of the rows, so an unsorted log gives bit-for-bit the sorted result.
constexpr double kUnitsPerCurrency = 1e6;

// GCC and Clang's 128-bit integer; __extension__ tells -Wpedantic that it is deliberate.
__extension__ using Uint128 = unsigned __int128;

// 64-bit multiply-fold: the full 128-bit product with its halves xor-ed together.
inline std::uint64_t fold_multiply(std::uint64_t a, std::uint64_t b) noexcept {
  const Uint128 product = static_cast<Uint128>(a) * b;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

// The last `n` (< 8) bytes at `p` as one integer, without touching any byte outside them:
// overlapping 4-byte loads, or for 1 to 3 bytes the first, middle and last byte. Together with
// the length (which hash_id mixes in first) this determines the bytes. A byte-by-byte copy into
// a stack word instead stalls the load of that word on store forwarding, once per row.
inline std::uint64_t short_tail(const char* p, std::size_t n) noexcept {
  if (n >= 4) {
    std::uint32_t head, tail;
    std::memcpy(&head, p, 4);
    std::memcpy(&tail, p + n - 4, 4);
    return (static_cast<std::uint64_t>(tail) << 32) | head;
  }
  if (n == 0) return 0;
  const auto byte = [p](std::size_t i) {
    return static_cast<std::uint64_t>(static_cast<unsigned char>(p[i]));
  };
  return byte(0) | (byte(n / 2) << 8) | (byte(n - 1) << 16);
}

// True when the `n` bytes at `a` and at `b` are equal. Ids are short: up to 16 bytes compare as
// two overlapping words each side without a call (memcmp's call and size dispatch cost more than
// the comparison); no byte outside the `n` is read.
inline bool same_id_bytes(const char* a, const char* b, std::size_t n) noexcept {
  const auto load = [](const char* p, std::size_t offset, auto word) {
    std::memcpy(&word, p + offset, sizeof word);
    return word;
  };
  if (n >= 8 && n <= 16) {
    return ((load(a, 0, std::uint64_t{}) ^ load(b, 0, std::uint64_t{})) |
            (load(a, n - 8, std::uint64_t{}) ^ load(b, n - 8, std::uint64_t{}))) == 0;
  }
  if (n >= 4 && n < 8) {
    return ((load(a, 0, std::uint32_t{}) ^ load(b, 0, std::uint32_t{})) |
            (load(a, n - 4, std::uint32_t{}) ^ load(b, n - 4, std::uint32_t{}))) == 0;
  }
  if (n < 4) return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
  return std::memcmp(a, b, n) == 0;
}

// Hash of a customer id: 8 bytes at a time through a multiply-fold, the length mixed in first
// so that ids of different lengths differ. Ids are short, so this is a handful of
// multiplications per row.
inline std::uint64_t hash_id(std::string_view id) noexcept {
  constexpr std::uint64_t kSeed = 0x9E3779B97F4A7C15ull;
  constexpr std::uint64_t kBlock = 0xC2B2AE3D27D4EB4Full;
  constexpr std::uint64_t kTail = 0x165667B19E3779F9ull;
  constexpr std::uint64_t kFinal = 0xD6E8FEB86659FD93ull;
  const char* p = id.data();
  std::size_t n = id.size();
  std::uint64_t h = kSeed ^ (static_cast<std::uint64_t>(n) * kBlock);
  while (n >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    h = fold_multiply(h ^ word, kBlock);
    p += 8;
    n -= 8;
  }
  h = fold_multiply(h ^ short_tail(p, n), kTail);
  return fold_multiply(h, kFinal);
}

/// One accepted row, or a run of them: rows of one id that follow one another among the used
/// rows of a block, with purchase days in non-decreasing order (see scan_log). A log
/// grouped by customer is then about one record per customer and block, not one per row. The id
/// is `id_length` bytes at `id_offset` in its block (see ApplyRows).
struct ParsedRow {
  std::uint64_t hash;            ///< hash_id(id)
  std::int64_t units;            ///< the amounts, in millionths
  std::int64_t first_day_units;  ///< the amounts on day `first`, in millionths
  std::uint32_t id_offset;       ///< from the block's base
  std::uint32_t id_length;
  Day first;           ///< the row's day, or the run's first day
  Day last;            ///< the run's last day (= first for one row)
  std::uint32_t days;  ///< distinct days in the run (1 for one row)
  bool is_return;      ///< a negative amount under returns=net (always one row)
  bool is_zero;        ///< a zero amount under zero-amounts=keep (always one row)
};

/// Thrown by an ApplyRows consumer when a customer's spend leaves the range of its integer sum
/// at `row` (one of the rows it was given); scan_log turns it into the InputError that names the
/// customer and the row's line. `row` is null until the consumer knows which row it was.
struct SpendOverflow {
  const ParsedRow* row = nullptr;
};

/// The InputError scan_log throws for a SpendOverflow: "source:line:column: customer 'ID': total
/// spend exceeds ...". The row is the one that overflowed when the rows were single rows applied
/// in file order on one thread; with runs of rows (ChooseRuns) it may be the run's first row, and
/// with several partitions the customer found first need not be the first in the file, so a
/// caller that can read the log again replays it that way (see ingest_transactions).
class SpendOverflowError : public InputError {
 public:
  using InputError::InputError;
};

/// The partition of a row: from the low half of its hash, so that a partition's own table,
/// which positions ids by the high half, still sees well spread hashes.
inline std::size_t partition_of(std::uint64_t hash, std::size_t partitions) noexcept {
  return static_cast<std::size_t>(((hash & 0xFFFFFFFFu) * partitions) >> 32);
}

/// Receives the accepted rows of one partition of one block; `base` is the block's first byte,
/// valid for the duration of the call. A spend sum that overflows is reported by throwing
/// SpendOverflow with the row. Calls for one partition come in file order and never
/// overlap; calls for different partitions may run at the same time on different threads.
using ApplyRows =
    std::function<void(std::size_t partition, const char* base, std::span<const ParsedRow> rows)>;

/// What one pass over a log found besides the rows themselves.
struct LogScan {
  Day first_day = 0;  ///< earliest used day (meaningful when rows_used > 0)
  Day last_day = 0;   ///< latest used day
  char delimiter = ',';
};

/// How the purchase rows of the start of a log are ordered, seen in each partition's rows in
/// file order: pairs of consecutive rows with the same id or different ids, and how many of
/// each go back in time. A log sorted by date has (nearly) no step back; one grouped by
/// customer has long runs of one id whose days never step back; a shuffled log has neither.
struct RowOrderProbe {
  std::int64_t same_id_pairs = 0;
  std::int64_t same_id_steps_back = 0;
  std::int64_t new_id_pairs = 0;
  std::int64_t new_id_steps_back = 0;
};

/// Decides from the first rows whether purchase rows are merged into runs (see scan_log).
using ChooseRuns = std::function<bool(const RowOrderProbe& first_rows)>;

/// Where scan_log reads a log: a stream, read with read() into blocks, or the bytes of a file
/// mapped into memory (MappedFile), parsed where they are. Only blocks with a '"' are copied,
/// since quoted fields are decoded in place.
struct LogInput {
  std::istream* stream = nullptr;
  std::span<const char> mapped;  ///< the whole log, when `stream` is null
  /// Accept a header without data rows (a day without sales, for an update) instead of
  /// throwing "empty log".
  bool may_have_no_rows = false;
};

/// Calls read(LogInput) on the log at `path`: standard input for "-", the mapped bytes of a
/// regular file (parsed where the kernel caches it, without read()'s copy of every byte), else
/// the file as a stream. Throws IoError when it cannot be opened, naming a directory as one (it
/// would open as a stream whose first read fails).
template <class Read>
auto read_log_file(const std::string& path, const Read& read) {
  if (path == "-") return read(LogInput{&std::cin, {}});
  if (const std::optional<MappedFile> mapped = MappedFile::open(path)) {
    return read(LogInput{nullptr, mapped->bytes()});
  }
  if (std::error_code ignored; std::filesystem::is_directory(path, ignored)) {
    throw IoError("cannot read '" + path + "': it is a directory");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) throw IoError("cannot open '" + path + "': " + std::strerror(errno));
  return read(LogInput{&file, {}});
}

/// Reads the log from `input` (named `source`) with up to `threads` threads (options.threads is not
/// consulted), checks every row as ingest_transactions documents (header, field count, id, date,
/// amount, as-of cut-off, returns and zero-amount policies), fills `stats`, and gives every used
/// row to apply(partition_of(hash, partitions), ...). Every row of the first batch of blocks
/// is its own ParsedRow; then, if `choose_runs` is given and returns true for the probe of
/// those rows (it is called once, before any row is applied), purchase rows that follow one
/// another with the same id and non-decreasing days come as one ParsedRow. Errors are those of
/// ingest_transactions, with the file's line numbers; the first bad row in file order is the one
/// reported, whatever the thread count. options.progress is called between batches of blocks.
LogScan scan_log(const LogInput& input, const std::string& source, const IngestOptions& options,
                 int threads, std::size_t partitions, const ChooseRuns& choose_runs,
                 IngestStats& stats, const ApplyRows& apply);

/// "12 rows read, 10 used, ..." for messages about a whole log.
std::string describe_stats(const IngestStats& stats);

}  // namespace clvkit::detail
