#include "log_scan.hpp"

#include <fast_float/fast_float.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "amount.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/csv.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/io/mapped_file.hpp"
#include "clvkit/util/parallel.hpp"
#include "clvkit/util/utf8.hpp"

namespace clvkit::detail {
namespace {

// A block is cut at the last record boundary after this many bytes (by default): large enough
// that the per-block work (a task hand-off, a few vector clears) is noise, small enough that the
// three batches alive at once stay in the last-level cache on a few threads, so the bytes read()
// copies in are still cached when they are parsed (4 MiB blocks cost ~40% more system time).
constexpr std::size_t kDefaultBlockBytes = std::size_t{1} << 20;
// Blocks per batch and thread: every thread parses a few blocks per batch, so one slow block,
// or the batch's read, does not leave the other threads idle at the batch's end (2 instead of 4
// made the parse-only pass over 100M rows 1.32-1.41 s instead of 1.21-1.30 s on 2 threads).
constexpr std::size_t kBlocksPerThread = 4;
// Three batches are alive at once (read, parsed, applied), each block with its bytes and its
// rows (~2-3 MB together): at most this many blocks a batch keeps that near 250 MB on machines
// with many threads.
constexpr std::size_t kMaxBlocksPerBatch = 32;

std::string_view trim(std::string_view text, bool tabs_too) noexcept {
  const auto is_blank = [tabs_too](char c) { return c == ' ' || (tabs_too && c == '\t'); };
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

// Error messages quote the offending text, shortened so that one bad row cannot flood a log.
std::string quote_token(std::string_view token) {
  constexpr std::size_t kMaxShown = 60;
  std::string quoted(1, '\'');
  quoted.append(token.substr(0, kMaxShown));
  quoted.append(token.size() > kMaxShown ? "...'" : "'");
  return quoted;
}

/// A bad row found by a worker, located by its line within the block; the caller, who knows
/// where the block starts, turns it into the file's InputError.
struct RowError {
  std::int64_t line;
  std::size_t column;
  std::string reason;
};

[[noreturn, gnu::cold, gnu::noinline]] void throw_row_error(std::int64_t line, std::size_t column,
                                                            std::string reason) {
  throw RowError{line, column, std::move(reason)};
}

[[noreturn, gnu::cold, gnu::noinline]] void throw_bad_amount(std::string_view text,
                                                             std::int64_t line,
                                                             std::size_t column) {
  double value = 0.0;
  const std::string_view trimmed = trim(text, true);
  const auto result = fast_float::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), value,
                                             fast_float::chars_format::fixed);
  const bool out_of_range = result.ec == std::errc() &&
                            result.ptr == trimmed.data() + trimmed.size() && std::isfinite(value);
  throw_row_error(line, column,
                  out_of_range ? "amount " + quote_token(text) + " out of range (|amount| < 1e12)"
                               : "unparsable amount " + quote_token(text) +
                                     " (expected a decimal number such as 12.50)");
}

struct Columns {
  std::size_t id = 0, date = 0, amount = 0;
};

// Finds the configured columns in the header record.
Columns locate_columns(const CsvReader& header, const IngestOptions& options) {
  const auto fail = [&](const std::string& reason) {
    throw InputError(header.source() + ":" + std::to_string(header.line()) + ":0: " + reason);
  };
  const auto find = [&](const std::string& name) {
    std::size_t found = header.size();
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (trim(header[i], true) != name) continue;
      if (found != header.size()) {
        fail("column '" + name + "' appears twice in the header (fields " +
             std::to_string(found + 1) + " and " + std::to_string(i + 1) + ")");
      }
      found = i;
    }
    if (found == header.size()) {
      // A log whose lines end with a lone CR (classic Mac OS) is one long header line: say so
      // rather than list "fields" with carriage returns in them.
      for (std::size_t i = 0; i < header.size(); ++i) {
        if (header[i].find('\r') != std::string_view::npos) {
          fail("missing column '" + name +
               "': the header line runs on into the data, whose lines end with a lone CR (old "
               "Mac line ends); convert them to LF or CRLF");
        }
      }
      std::string names;
      for (std::size_t i = 0; i < header.size(); ++i) {
        names += (i ? ", " : "") + std::string(trim(header[i], true));
      }
      fail("missing column '" + name + "' (header has: " + names + ")");
    }
    return found;
  };
  return Columns{find(options.customer_col), find(options.date_col), find(options.amount_col)};
}

/// Everything a worker needs to check rows, shared read-only by all workers.
struct RowRules {
  const IngestOptions& options;
  const DateParser& dates;
  Columns columns;
  std::size_t header_fields = 0;
  char delimiter = ',';
  std::size_t partitions = 1;
  bool merge_runs = false;
};

/// What a worker found in one block.
struct BlockResult {
  std::vector<std::vector<ParsedRow>> rows;  ///< accepted rows, per partition, in file order
  IngestStats stats;
  Day first_day = std::numeric_limits<Day>::max();
  Day last_day = std::numeric_limits<Day>::min();
  std::int64_t line_ends = 0;     ///< physical lines in the block ('\n' bytes)
  std::optional<RowError> error;  ///< the block's first bad row under a fail policy
};

/// Applies ingest's row checks and policies to the records of one block, in order.
class RowChecker {
 public:
  RowChecker(const RowRules& rules, const char* base, BlockResult& out)
      : rules_(rules), base_(base), out_(out) {}

  /// One non-blank record with `count` fields, the first min(count, header_fields) of them in
  /// `fields`, starting on the block's 1-based physical line `line`.
  void row(const std::string_view* fields, std::size_t count, std::int64_t line) {
    if (count == rules_.header_fields && common_row(fields)) return;
    IngestStats& stats = out_.stats;
    const IngestOptions& options = rules_.options;
    const bool fail_bad_rows = options.on_bad_row == BadRowPolicy::fail;
    ++stats.rows_read;
    if (count != rules_.header_fields) [[unlikely]] {
      if (fail_bad_rows) {
        throw_row_error(line, std::min(count, rules_.header_fields) + 1,
                        "expected " + std::to_string(rules_.header_fields) + " fields, found " +
                            std::to_string(count));
      }
      return reject(RejectReason::wrong_field_count);
    }
    const Columns& columns = rules_.columns;
    const std::string_view id = trim(fields[columns.id], false);
    if (id.empty()) [[unlikely]] {
      if (fail_bad_rows) {
        throw_row_error(line, columns.id + 1,
                        "empty customer id in column '" + options.customer_col + "'");
      }
      return reject(RejectReason::empty_id);
    }
    // Ids reach JSON outputs as they are, so one that is not UTF-8 is a bad row, not text to
    // repair: two customers whose ids differ only in their invalid bytes must stay two.
    if (!is_valid_utf8(id)) [[unlikely]] {
      if (fail_bad_rows) throw_row_error(line, columns.id + 1, "invalid UTF-8 in customer id");
      return reject(RejectReason::invalid_utf8);
    }
    Day day = 0;
    if (!parse_date(trim(fields[columns.date], true), day)) [[unlikely]] {
      if (fail_bad_rows) {
        throw_row_error(line, columns.date + 1,
                        "unparsable date " + quote_token(fields[columns.date]) + " (expected " +
                            rules_.dates.expectation() + ")");
      }
      return reject(RejectReason::bad_date);
    }
    Amount amount;
    if (!parse_amount(trim(fields[columns.amount], true), amount)) [[unlikely]] {
      if (fail_bad_rows) throw_bad_amount(fields[columns.amount], line, columns.amount + 1);
      return reject(RejectReason::bad_amount);
    }
    if (options.as_of && day > *options.as_of) {
      ++stats.rows_after_as_of;
      return;
    }
    if (amount.negative) {
      if (options.returns == ReturnsPolicy::fail) {
        throw_row_error(
            line, columns.amount + 1,
            "negative amount " + quote_token(fields[columns.amount]) + " (returns=fail)");
      }
      if (options.returns == ReturnsPolicy::drop) return reject(RejectReason::negative_amount);
      ++stats.returns_netted;
    } else if (amount.zero) {
      if (options.zero_amounts == ZeroAmountPolicy::fail) {
        throw_row_error(
            line, columns.amount + 1,
            "zero amount " + quote_token(fields[columns.amount]) + " (zero-amounts=fail)");
      }
      if (options.zero_amounts == ZeroAmountPolicy::drop) {
        return reject(RejectReason::zero_amount);
      }
      ++stats.zero_amount_rows;
    }
    accept(id, day, amount);
  }

 private:
  // The row as nearly every log writes it: an id without surrounding spaces, a "YYYY-MM-DD"
  // date, an amount in the exact decimal form, and policies that keep returns (net) and zero
  // amounts: checked and accepted without trimming or policy branches. False, having counted
  // nothing, for any other row, which row() then checks in full.
  bool common_row(const std::string_view* fields) {
    if (!common_policies_) return false;
    const Columns& columns = rules_.columns;
    const std::string_view id = fields[columns.id];
    const std::string_view date = fields[columns.date];
    Day day = 0;
    Amount amount;
    if (id.empty() || id.front() == ' ' || id.back() == ' ' || !is_ascii(id) || date.size() != 10 ||
        !parse_iso_day(date.data(), day) || !parse_amount_exact(fields[columns.amount], amount)) {
      return false;
    }
    IngestStats& stats = out_.stats;
    ++stats.rows_read;
    if (rules_.options.as_of && day > *rules_.options.as_of) {
      ++stats.rows_after_as_of;
      return true;
    }
    if (amount.negative) {
      ++stats.returns_netted;
    } else if (amount.zero) {
      ++stats.zero_amount_rows;
    }
    accept(id, day, amount);
    return true;
  }

  // A used row: added to the open run or recorded as a new one, and counted. Under a period
  // the row's day is its period's first day from here on.
  void accept(std::string_view id, Day day, const Amount& amount) {
    if (rules_.options.period) [[unlikely]] day = period_start(day, *rules_.options.period);
    IngestStats& stats = out_.stats;
    if (!amount.negative && extend_run(id, day, amount.units)) {
      // counted below; the run's record already holds the row
    } else {
      const std::uint64_t hash = hash_id(id);
      const std::size_t partition = partition_of(hash, rules_.partitions);
      std::vector<ParsedRow>& rows = out_.rows[partition];
      rows.push_back(
          ParsedRow{hash, amount.units, amount.units, static_cast<std::uint32_t>(id.data() - base_),
                    static_cast<std::uint32_t>(id.size()), day, day, 1, amount.negative,
                    amount.zero});
      if (!amount.negative && rules_.merge_runs) {
        open_rows_ = &rows;
        open_index_ = rows.size() - 1;
      }
    }
    ++stats.rows_used;
    out_.first_day = std::min(out_.first_day, day);
    out_.last_day = std::max(out_.last_day, day);
  }

  void reject(RejectReason reason) noexcept { ++out_.stats.rejected[static_cast<int>(reason)]; }

  // Adds a purchase row to the open run when it has the run's id and a day not before the run's
  // last: a log grouped by customer then costs one record (and one hash) per customer and block.
  // Rows in between that were rejected or are returns do not matter: a customer's accumulation
  // does not depend on the order of its rows. A sum that would overflow starts a new record, so
  // that the table, which checks its sums, reports it.
  bool extend_run(std::string_view id, Day day, std::int64_t units) noexcept {
    if (open_rows_ == nullptr) return false;
    ParsedRow& run = (*open_rows_)[open_index_];
    if (run.id_length != id.size() || day < run.last ||
        !same_id_bytes(base_ + run.id_offset, id.data(), id.size())) {
      return false;
    }
    std::int64_t units_sum, first_day_sum = run.first_day_units;
    if (__builtin_add_overflow(run.units, units, &units_sum) ||
        (day == run.first && __builtin_add_overflow(first_day_sum, units, &first_day_sum))) {
      return false;
    }
    run.units = units_sum;
    run.first_day_units = first_day_sum;
    if (day != run.last) {
      run.last = day;
      ++run.days;
    }
    return true;
  }

  // Automatic dates of the form "2024-01-31" are converted in place (parse_iso_day). A log spans
  // a few thousand distinct dates at most, so the other 10-character dates ("01/31/2024" under
  // a format) are remembered in a small direct-mapped cache keyed by their bytes: a hit costs
  // two loads and a compare instead of a parse. Other lengths (dates with times) are parsed
  // every time. Only successful parses are cached.
  // `day` is written through a reference rather than returned as std::optional: on this path,
  // once a row, the optional went through the stack and stalled on store forwarding.
  bool parse_date(std::string_view text, Day& day) {
    const auto parse = [&] {
      const std::optional<Day> parsed = rules_.dates.parse(text);
      if (parsed) day = *parsed;
      return parsed.has_value();
    };
    if (text.size() != 10) return parse();
    if (automatic_dates_) return parse_iso_day(text.data(), day) || parse();
    std::uint64_t head;
    std::uint16_t tail;
    std::memcpy(&head, text.data(), 8);
    std::memcpy(&tail, text.data() + 8, 2);
    // Both parts multiplied on their own: xor-ing the tail into the head's bytes first would
    // make "2024-01-1x" and "2024-10-0x" the same key (the month's and the day's digits cancel).
    const std::size_t slot = static_cast<std::size_t>(
        (head * 0x9E3779B97F4A7C15ull + std::uint64_t{tail} * 0xC2B2AE3D27D4EB4Full) >>
        (64 - kDateCacheBits));
    DateCacheEntry& entry = date_cache_[slot];
    if (entry.head == head && entry.tail == tail && entry.valid) {
      day = entry.day;
      return true;
    }
    if (!parse()) return false;
    entry = DateCacheEntry{head, tail, true, day};
    return true;
  }

  static constexpr unsigned kDateCacheBits = 11;
  struct DateCacheEntry {
    std::uint64_t head = 0;
    std::uint16_t tail = 0;
    bool valid = false;
    Day day = 0;
  };

  const RowRules& rules_;
  const char* base_;
  BlockResult& out_;
  std::vector<ParsedRow>* open_rows_ = nullptr;  ///< the partition list holding the open run
  std::size_t open_index_ = 0;
  const bool automatic_dates_ = rules_.dates.format().empty();
  const bool common_policies_ = automatic_dates_ && rules_.options.returns == ReturnsPolicy::net &&
                                rules_.options.zero_amounts == ZeroAmountPolicy::keep;
  // Only formatted dates use the cache: automatic ones would zero 32 KiB a block for nothing.
  std::vector<DateCacheEntry> date_cache_ =
      std::vector<DateCacheEntry>(automatic_dates_ ? 0 : std::size_t{1} << kDateCacheBits);
};

// Records of a block without any '"': every record is one line and every delimiter separates
// fields, so 16 bytes at a time are compared with the delimiter and '\n' and only those
// positions are visited. Fields and line ends are exactly the CsvReader's for such input.
void check_unquoted_records(const char* begin, const char* end, const RowRules& rules,
                            RowChecker& checker, std::int64_t& line_ends) {
  const std::size_t header_fields = rules.header_fields;
  const char delimiter = rules.delimiter;
  std::vector<std::string_view> fields(header_fields);
  std::size_t count = 0;
  const char* field_start = begin;
  std::int64_t line = 1;
  const auto end_field = [&](const char* at) {
    if (count < header_fields)
      fields[count] = {field_start, static_cast<std::size_t>(at - field_start)};
    ++count;
    field_start = at + 1;
  };
  const auto end_record = [&](const char* at) {
    const char* field_end = at;
    if (field_end > field_start && field_end[-1] == '\r') --field_end;  // CRLF
    if (count > 0 || field_end > field_start) {  // else a blank line, which is no record
      if (count < header_fields) {
        fields[count] = {field_start, static_cast<std::size_t>(field_end - field_start)};
      }
      checker.row(fields.data(), count + 1, line);
    }
    count = 0;
    field_start = at + 1;
  };
  const char* p = begin;
#if defined(__SSE2__)
  const __m128i newline_bytes = _mm_set1_epi8('\n');
  const __m128i delimiter_bytes = _mm_set1_epi8(delimiter);
  for (; end - p >= 16; p += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const auto newlines =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, newline_bytes)));
    unsigned marks =
        newlines | static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, delimiter_bytes)));
    while (marks != 0) {
      const int bit = __builtin_ctz(marks);
      marks &= marks - 1;
      if ((newlines >> bit) & 1u) {
        end_record(p + bit);
        ++line;
      } else {
        end_field(p + bit);
      }
    }
  }
#endif
  for (; p < end; ++p) {
    if (*p == '\n') {
      end_record(p);
      ++line;
    } else if (*p == delimiter) {
      end_field(p);
    }
  }
  if (count > 0 || field_start < end) end_record(end);  // a last record without a line end
  line_ends = line - 1;
}

// Records of a block with quotes: the general CSV reader, decoding quoted fields in place.
void check_quoted_records(std::span<char> data, const RowRules& rules, RowChecker& checker,
                          std::int64_t& line_ends) {
  CsvReader reader(data, std::string(), rules.delimiter, true, 1);
  while (reader.next()) checker.row(reader.fields().data(), reader.size(), reader.line());
  line_ends = reader.next_line() - 1;
}

/// Leaves new elements uninitialised: a block's bytes are overwritten by the read that follows
/// the resize, so zero-filling gigabytes of them first would be wasted work.
template <class T>
struct UninitialisedAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitialisedAllocator<U>;
  };
  template <class U>
  void construct(U* where) noexcept {
    ::new (static_cast<void*>(where)) U;
  }
  template <class U, class... Args>
  void construct(U* where, Args&&... args) {
    ::new (static_cast<void*>(where)) U(std::forward<Args>(args)...);
  }
};
using Bytes = std::vector<char, UninitialisedAllocator<char>>;

/// A piece of the input: whole records in data[begin, end), and what a worker made of them.
/// `data` is bytes.data(), or for a mapped log without quotes in the block, the log's own bytes.
struct Block {
  Bytes bytes;
  const char* data = nullptr;
  std::size_t begin = 0;
  std::size_t end = 0;
  bool has_quotes = false;
  std::int64_t first_line = 0;  ///< the file's line of the block's first byte, once merged
  BlockResult result;
};

// The InputError of a customer whose spend overflowed at `row` of `block`: its line is the
// block's first line plus the line ends before the row's id. (In a block with quotes, decoded
// in place, a field before the id that holds both doubled quotes and line ends can shift the
// count by the line ends it holds; such logs are not where sums of 9.2e12 come from.)
[[noreturn, gnu::cold, gnu::noinline]] void throw_spend_overflow(const std::string& source,
                                                                 const Block& block,
                                                                 const ParsedRow& row,
                                                                 const Columns& columns) {
  const char* const records = block.data + block.begin;
  const char* const id = block.data + row.id_offset;
  const std::int64_t line =
      block.first_line + static_cast<std::int64_t>(std::count(records, id, '\n'));
  throw SpendOverflowError(source + ":" + std::to_string(line) + ":" +
                           std::to_string(columns.amount + 1) + ": customer " +
                           quote_token({id, row.id_length}) +
                           ": total spend exceeds the representable range (|total| < 9.2e12)");
}

void parse_block(const RowRules& rules, Block& block) {
  BlockResult& out = block.result;
  out.rows.resize(rules.partitions);
  for (std::vector<ParsedRow>& rows : out.rows) rows.clear();
  out.stats = IngestStats{};
  out.first_day = std::numeric_limits<Day>::max();
  out.last_day = std::numeric_limits<Day>::min();
  out.line_ends = 0;
  out.error.reset();
  RowChecker checker(rules, block.data, out);
  try {
    if (block.has_quotes) {
      check_quoted_records({block.bytes.data() + block.begin, block.end - block.begin}, rules,
                           checker, out.line_ends);
    } else {
      check_unquoted_records(block.data + block.begin, block.data + block.end, rules, checker,
                             out.line_ends);
    }
  } catch (RowError& error) {
    out.error = std::move(error);
  } catch (const CsvSyntaxError& error) {
    out.error = RowError{error.line(), error.column(), error.reason()};
  }
}

/// Reads the input in blocks that end at record boundaries: from a stream into each block's
/// bytes, or from a mapped log in place.
class BlockReader {
 public:
  BlockReader(const LogInput& input, const std::string& source, std::size_t block_bytes)
      : in_(input.stream), mapped_(input.mapped), source_(source), block_bytes_(block_bytes) {}
  std::size_t block_bytes() const noexcept { return block_bytes_; }

  /// Appends up to `count` more bytes of input to `bytes`; false at the end of the input. (A
  /// mapped log is copied from where the last call stopped: it is only used for the header.)
  bool read_more(Bytes& bytes, std::size_t count) {
    if (eof_) return false;
    const std::size_t old_size = bytes.size();
    std::size_t got = 0;
    if (in_ == nullptr) {
      got = std::min(count, mapped_.size() - copied_);
      bytes.insert(bytes.end(), mapped_.data() + copied_, mapped_.data() + copied_ + got);
      copied_ += got;
    } else {
      bytes.resize(old_size + count);
      in_->read(bytes.data() + old_size, static_cast<std::streamsize>(count));
      got = static_cast<std::size_t>(in_->gcount());
      if (in_->bad()) throw IoError(source_ + ": read error");
      bytes.resize(old_size + got);
    }
    if (got < count) eof_ = true;  // istream::read is short only at the end of the stream
    return got > 0;
  }

  /// Bytes read past the last cut, which start the next block.
  Bytes& carry() noexcept { return carry_; }
  /// True once the end of the input has been read.
  bool at_end() const noexcept { return eof_; }

  /// Drops the first `count` bytes of the input (the header, read with read_more): the first
  /// block starts after them.
  void skip(std::size_t count) {
    carry_.erase(carry_.begin(), carry_.begin() + static_cast<std::ptrdiff_t>(count));
    if (in_ == nullptr) {
      position_ = count;
      carry_.clear();
      eof_ = position_ == mapped_.size();
    }
  }

  /// Fills `block` with the next whole records; false when the input is exhausted.
  bool next(Block& block, char delimiter) {
    if (in_ == nullptr) return next_mapped(block, delimiter);
    block.bytes.swap(carry_);
    carry_.clear();
    block.begin = 0;
    std::size_t target = block_bytes_;
    for (;;) {
      if (block.bytes.size() < target) read_more(block.bytes, target - block.bytes.size());
      if (block.bytes.empty()) return false;
      const std::size_t cut = last_boundary(block, delimiter);
      if (cut > 0 || eof_) {
        block.data = block.bytes.data();
        block.end = eof_ ? block.bytes.size() : cut;
        carry_.assign(block.bytes.begin() + static_cast<std::ptrdiff_t>(block.end),
                      block.bytes.end());
        return true;
      }
      target = block.bytes.size() * 2;  // one record longer than the block: read on
    }
  }

  /// Where the next block starts in a mapped log (its size at the end).
  std::size_t position() const noexcept { return position_; }

 private:
  // A mapped log's next block: its pages mapped at once (populate_mapped), then cut like a read
  // one. A block with quotes is copied into block.bytes, where it can be decoded.
  bool next_mapped(Block& block, char delimiter) {
    if (position_ >= mapped_.size()) return false;
    std::size_t target = block_bytes_;
    for (;;) {
      const std::size_t size = std::min(target, mapped_.size() - position_);
      const std::span<const char> window = mapped_.subspan(position_, size);
      populate_mapped(window);
      eof_ = position_ + size == mapped_.size();
      block.begin = 0;
      block.has_quotes = std::memchr(window.data(), '"', window.size()) != nullptr;
      if (block.has_quotes) {
        block.bytes.assign(window.begin(), window.end());
        block.data = block.bytes.data();
      } else {
        block.bytes.clear();
        block.data = window.data();
      }
      const std::size_t cut = eof_ ? size : boundary_before(block, size, delimiter);
      if (cut > 0) {
        block.end = cut;
        position_ += cut;
        return true;
      }
      target = size * 2;  // one record longer than the block: read on
    }
  }

  std::size_t boundary_before(Block& block, std::size_t size, char delimiter) {
    if (!block.has_quotes) {
      const void* newline = memrchr(block.data, '\n', size);
      return newline == nullptr
                 ? 0
                 : static_cast<std::size_t>(static_cast<const char*>(newline) - block.data) + 1;
    }
    CsvReader scanner(std::span<char>(block.bytes.data(), size), source_, delimiter, false);
    while (scanner.skip()) {
    }
    return scanner.consumed();
  }

  // The end of the last whole record in block.bytes, 0 if there is none (or, at the end of the
  // input, anything: the whole rest is the last block). Without quotes it is after the last line
  // end; with them, the CSV reader finds it without decoding anything.
  std::size_t last_boundary(Block& block, char delimiter) {
    char* const data = block.bytes.data();
    const std::size_t size = block.bytes.size();
    block.has_quotes = std::memchr(data, '"', size) != nullptr;
    if (eof_) return size;
    if (!block.has_quotes) {
      const void* newline = memrchr(data, '\n', size);
      return newline == nullptr
                 ? 0
                 : static_cast<std::size_t>(static_cast<const char*>(newline) - data) + 1;
    }
    CsvReader scanner(std::span<char>(data, size), source_, delimiter, false);
    while (scanner.skip()) {
    }
    return scanner.consumed();
  }

  std::istream* in_;              ///< null for a mapped log
  std::span<const char> mapped_;  ///< the mapped log
  std::size_t copied_ = 0;        ///< mapped bytes read_more copied
  std::size_t position_ = 0;      ///< where the next mapped block starts
  const std::string& source_;
  std::size_t block_bytes_;
  Bytes carry_;
  bool eof_ = false;
};

/// Blocks read together, parsed together, then applied together.
struct Batch {
  std::vector<Block> blocks;
  std::size_t count = 0;       ///< blocks filled
  std::size_t mapped_end = 0;  ///< for a mapped log, where its last block ends
};

RowOrderProbe probe_row_order(const std::vector<Block>& blocks, std::size_t count) {
  RowOrderProbe probe;
  const std::size_t partitions = count == 0 ? 0 : blocks[0].result.rows.size();
  for (std::size_t partition = 0; partition < partitions; ++partition) {
    const ParsedRow* previous = nullptr;
    const char* previous_base = nullptr;
    for (std::size_t b = 0; b < count; ++b) {
      const char* base = blocks[b].data;
      for (const ParsedRow& row : blocks[b].result.rows[partition]) {
        if (row.is_return) continue;
        if (previous != nullptr) {
          const bool same_id = row.hash == previous->hash && row.id_length == previous->id_length &&
                               same_id_bytes(base + row.id_offset,
                                             previous_base + previous->id_offset, row.id_length);
          const bool step_back = row.first < previous->last;
          (same_id ? probe.same_id_pairs : probe.new_id_pairs) += 1;
          (same_id ? probe.same_id_steps_back : probe.new_id_steps_back) += step_back ? 1 : 0;
        }
        previous = &row;
        previous_base = base;
      }
    }
  }
  return probe;
}

// The header: the first record of the first bytes, read on until it is whole. The reader is left
// at the first byte after it.
struct Header {
  Columns columns;
  std::size_t fields = 0;
  char delimiter = ',';
  std::int64_t next_line = 0;  ///< the line number of the first data row
};

Header read_header(BlockReader& reader, const std::string& source, const IngestOptions& options) {
  Bytes& head = reader.carry();
  reader.read_more(head, reader.block_bytes());
  std::size_t skip = 0;
  std::optional<CsvReader> header;
  for (;;) {
    skip = head.size() >= 3 && std::memcmp(head.data(), "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    const bool complete = reader.at_end();
    header.emplace(std::span<char>(head.data() + skip, head.size() - skip), source,
                   options.delimiter, complete, 1);
    if (header->next()) break;
    if (complete) throw InputError(source + ":1:0: empty log: no header line");
    reader.read_more(head, std::max(head.size(), reader.block_bytes()));
  }
  Header result{locate_columns(*header, options), header->size(), header->delimiter(),
                header->next_line()};
  const std::size_t header_bytes = skip + header->consumed();
  header.reset();
  reader.skip(header_bytes);
  return result;
}

// Adds the results of a parsed batch's blocks in file order: statistics, day range and line
// count (`next_line`, the line of the batch's first row, moves past the batch). Throws the
// InputError of the first bad row.
void merge_batch(Batch& batch, const std::string& source, std::int64_t& next_line,
                 IngestStats& stats, Day& first_day, Day& last_day) {
  for (std::size_t b = 0; b < batch.count; ++b) {
    batch.blocks[b].first_line = next_line;
    const BlockResult& result = batch.blocks[b].result;
    if (result.error) {
      throw InputError(source + ":" + std::to_string(next_line + result.error->line - 1) + ":" +
                       std::to_string(result.error->column) + ": " + result.error->reason);
    }
    next_line += result.line_ends;
    stats.rows_read += result.stats.rows_read;
    stats.rows_used += result.stats.rows_used;
    stats.rows_after_as_of += result.stats.rows_after_as_of;
    for (int reason = 0; reason < static_cast<int>(RejectReason::count_); ++reason) {
      stats.rejected[reason] += result.stats.rejected[reason];
    }
    stats.returns_netted += result.stats.returns_netted;
    stats.zero_amount_rows += result.stats.zero_amount_rows;
    first_day = std::min(first_day, result.first_day);
    last_day = std::max(last_day, result.last_day);
  }
}

}  // namespace

std::string describe_stats(const IngestStats& stats) {
  std::string text = std::to_string(stats.rows_read) + " rows read, " +
                     std::to_string(stats.rows_used) + " used, " +
                     std::to_string(stats.rows_after_as_of) + " after the as-of day, " +
                     std::to_string(stats.rows_rejected()) + " rejected";
  std::string reasons;
  for (int reason = 0; reason < static_cast<int>(RejectReason::count_); ++reason) {
    if (stats.rejected[reason] == 0) continue;
    reasons += (reasons.empty() ? "" : ", ") +
               std::string(reject_reason_key(static_cast<RejectReason>(reason))) + " " +
               std::to_string(stats.rejected[reason]);
  }
  return reasons.empty() ? text : text + " (" + reasons + ")";
}

LogScan scan_log(const LogInput& input, const std::string& source, const IngestOptions& options,
                 int threads, std::size_t partitions, const ChooseRuns& choose_runs,
                 IngestStats& stats, const ApplyRows& apply) {
  const DateParser dates(options.date_format);
  BlockReader reader(input, source,
                     options.block_bytes == 0 ? kDefaultBlockBytes : options.block_bytes);
  const Header header = read_header(reader, source, options);
  RowRules rules{options,
                 dates,
                 header.columns,
                 header.fields,
                 header.delimiter,
                 std::max<std::size_t>(partitions, 1),
                 false};
  std::int64_t next_line = header.next_line;

  LogScan scan;
  scan.delimiter = rules.delimiter;
  Day first_day = std::numeric_limits<Day>::max();
  Day last_day = std::numeric_limits<Day>::min();

  // A software pipeline over batches: while batch k is parsed, batch k + 1 is read and batch
  // k - 1 is applied, partition by partition. One fork-join per step; each block's result is
  // merged in file order, which fixes the statistics and the error reported.
  const std::size_t per_batch = std::min(
      kMaxBlocksPerBatch, static_cast<std::size_t>(std::max(threads, 1)) * kBlocksPerThread);
  std::array<Batch, 3> batches;
  for (Batch& batch : batches) batch.blocks.resize(per_batch);
  const auto read_batch = [&](Batch& batch) {
    batch.count = 0;
    while (batch.count < per_batch && reader.next(batch.blocks[batch.count], rules.delimiter)) {
      ++batch.count;
    }
    batch.mapped_end = reader.position();
  };
  // A mapped log's pages are unmapped once their batch is applied, so that the process holds a
  // few batches of the log, not all of it (the kernel's page cache keeps them either way).
  std::size_t released = 0;
  read_batch(batches[0]);
  for (std::size_t step = 0;; ++step) {
    Batch& reading = batches[(step + 1) % 3];
    Batch& parsing = batches[step % 3];
    Batch& applying = batches[(step + 2) % 3];
    const std::size_t apply_count = step == 0 ? 0 : applying.count;
    if (parsing.count == 0 && apply_count == 0) break;
    const bool read_next = parsing.count > 0;
    if (!read_next) reading.count = 0;
    const std::size_t first_parse = read_next ? 1 : 0;
    const std::size_t first_apply = first_parse + parsing.count;
    const std::size_t apply_tasks = apply_count == 0 ? 0 : rules.partitions;
    parallel_for(threads, first_apply + apply_tasks, [&](std::size_t task) {
      if (task < first_parse) {
        read_batch(reading);
      } else if (task < first_apply) {
        parse_block(rules, parsing.blocks[task - first_parse]);
      } else {
        const std::size_t partition = task - first_apply;
        for (std::size_t b = 0; b < apply_count; ++b) {
          const Block& block = applying.blocks[b];
          try {
            apply(partition, block.data, block.result.rows[partition]);
          } catch (const SpendOverflow& overflow) {
            throw_spend_overflow(source, block, *overflow.row, rules.columns);
          }
        }
      }
    });
    if (input.stream == nullptr && apply_count > 0) {
      released = release_mapped(input.mapped, released, applying.mapped_end);
    }
    merge_batch(parsing, source, next_line, stats, first_day, last_day);
    if (step == 0 && choose_runs) {
      rules.merge_runs = choose_runs(probe_row_order(parsing.blocks, parsing.count));
    }
    if (options.progress && parsing.count > 0) options.progress(stats.rows_read);
  }
  if (stats.rows_read == 0 && !input.may_have_no_rows) {
    throw InputError(source + ": empty log: the header is not followed by any data row");
  }
  scan.first_day = first_day;
  scan.last_day = last_day;
  return scan;
}

}  // namespace clvkit::detail
