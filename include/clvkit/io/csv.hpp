#pragma once
// A streaming RFC 4180 CSV record reader: large blocks in, one record of string_views out.

#include <cstddef>
#include <cstdint>
#include <istream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clvkit/error.hpp"

namespace clvkit {

/// A CSV syntax error (an unterminated quoted field), with its location kept apart from the
/// message so that a reader of one block of a larger input can report it in file coordinates.
class CsvSyntaxError : public InputError {
 public:
  CsvSyntaxError(const std::string& source, std::int64_t line, std::size_t column,
                 std::string reason)
      : InputError(source + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
                   reason),
        line_(line),
        column_(column),
        reason_(std::move(reason)) {}
  std::int64_t line() const noexcept { return line_; }
  std::size_t column() const noexcept { return column_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::int64_t line_;
  std::size_t column_;
  std::string reason_;
};

/// Reads CSV records from a stream in one pass, in blocks of `block_size` bytes (a record longer
/// than a block grows the buffer). Fields are views into the reader's buffer, valid until the
/// next call to next(); no allocation happens per record once the buffers have warmed up.
///
/// Dialect (RFC 4180 plus what real exports do):
///  - records end with LF or CRLF; the last record may lack a line end;
///  - a field is quoted when its first character is '"'; inside it delimiters, line ends and
///    doubled quotes ("" = one '"') are data. Characters between the closing quote and the next
///    delimiter are kept as written ("ab"c -> abc); a '"' inside an unquoted field is data;
///  - a UTF-8 byte order mark at the start of the stream is skipped;
///  - blank lines (empty or a lone "\r") are skipped and are not records;
///  - delimiter: given, or detected from the first non-blank line as whichever of ',' ';' '\t'
///    occurs most often outside quoted fields (ties prefer that order; ',' when none occurs); a
///    quoted field is one whose '"' starts a line or follows one of those three characters.
/// Nothing is trimmed: surrounding spaces are part of a field.
class CsvReader {
 public:
  static constexpr std::size_t default_block_size = std::size_t{1} << 20;

  /// `source` names the stream in error messages; `delimiter` '\0' = detect.
  CsvReader(std::istream& in, std::string source, char delimiter = '\0',
            std::size_t block_size = default_block_size);

  /// Reads the records of `data`, a piece of a larger input that starts at a record boundary on
  /// physical line `first_line`; quoted fields are decoded in place, so `data` is modified. No
  /// byte order mark is skipped. When `complete` is false the input goes on after `data`: a
  /// record cut by its end is not returned (next() returns false and consumed() is where it
  /// starts), so consumed() after the last record is the last record boundary in `data`.
  CsvReader(std::span<char> data, std::string source, char delimiter, bool complete,
            std::int64_t first_line = 1);

  /// Advances to the next non-blank record; false at the end of the input.
  /// Throws CsvSyntaxError("source:line:column: unterminated quoted field") when a quote opened
  /// at that line and field is never closed, and IoError when the stream fails.
  bool next();

  /// Advances past the next non-blank record like next(), without decoding its quoted fields
  /// (fields() is then unspecified): finds record boundaries while leaving the bytes as they are.
  bool skip();

  /// The delimiter in use; when detecting, known after the first call to next().
  char delimiter() const noexcept { return delimiter_; }
  /// The current record's fields, quotes removed and "" collapsed.
  std::span<const std::string_view> fields() const noexcept { return fields_; }
  std::size_t size() const noexcept { return fields_.size(); }
  std::string_view operator[](std::size_t index) const noexcept { return fields_[index]; }
  /// The 1-based physical line on which the current record starts (a quoted line end inside an
  /// earlier record counts as a line).
  std::int64_t line() const noexcept { return line_; }
  const std::string& source() const noexcept { return source_; }
  /// Bytes of the input consumed so far: the end of the current record (with its line end).
  std::size_t consumed() const noexcept { return consumed_ + begin_; }
  /// The physical line on which the next record would start.
  std::int64_t next_line() const noexcept { return next_line_; }

 private:
  /// A quoted field found while scanning a record, decoded only once the record is complete (a
  /// record cut by the end of the buffer is scanned again after the buffer is refilled).
  struct QuotedField {
    std::size_t index;  ///< position in fields_
    char* open;         ///< the opening quote
    char* close;        ///< the closing quote
    char* tail_end;     ///< end of the characters kept after the closing quote
  };
  enum class Scan { complete, need_more };

  bool advance(bool decode);
  /// Skips a stream's byte order mark and detects the delimiter; false when a span's first
  /// line goes on after its end (the delimiter cannot be known yet: next() returns false).
  bool start();
  bool detect_delimiter();
  bool refill();
  Scan scan_record(std::size_t& record_end, std::int64_t& line_ends);
  void decode_quoted_fields();

  std::istream* in_;  ///< nullptr when reading a span
  std::string source_;
  char delimiter_;
  std::vector<char> buffer_;  ///< the stream's blocks; unused when reading a span
  char* data_ = nullptr;      ///< buffer_.data(), or the span
  std::size_t consumed_ = 0;  ///< bytes dropped from the front of the buffer by refills
  std::size_t begin_ = 0;     ///< first unconsumed byte
  std::size_t end_ = 0;       ///< end of the bytes read
  bool eof_ = false;
  bool started_ = false;
  std::int64_t line_ = 0;
  std::int64_t next_line_ = 1;
  std::vector<std::string_view> fields_;
  std::vector<QuotedField> quoted_;
};

/// Appends `text` to `out` as one CSV field of a comma-separated file: as it is, or quoted
/// (quotes doubled) when it holds a comma, a quote or a line end.
void append_csv_field(std::string& out, std::string_view text);

}  // namespace clvkit
