#include "clvkit/io/csv.hpp"

#include <algorithm>
#include <cstring>

#include "clvkit/error.hpp"

namespace clvkit {

namespace {
void check_delimiter(char delimiter) {
  if (delimiter == '"' || delimiter == '\n' || delimiter == '\r') {
    throw UsageError("csv delimiter cannot be a quote or a line end");
  }
}
}  // namespace

CsvReader::CsvReader(std::istream& in, std::string source, char delimiter, std::size_t block_size)
    : in_(&in), source_(std::move(source)), delimiter_(delimiter) {
  check_delimiter(delimiter);
  buffer_.resize(std::max<std::size_t>(block_size, 1));
  data_ = buffer_.data();
}

CsvReader::CsvReader(std::span<char> data, std::string source, char delimiter, bool complete,
                     std::int64_t first_line)
    : in_(nullptr),
      source_(std::move(source)),
      delimiter_(delimiter),
      data_(data.data()),
      end_(data.size()),
      eof_(complete),
      started_(delimiter != '\0'),
      next_line_(first_line) {
  check_delimiter(delimiter);
}

bool CsvReader::next() { return advance(true); }

bool CsvReader::skip() { return advance(false); }

bool CsvReader::advance(bool decode) {
  if (!started_ && !start()) return false;  // a span whose first line is not whole yet
  for (;;) {
    if (begin_ == end_) {
      if (eof_ || in_ == nullptr) return false;
      refill();
      continue;
    }
    std::size_t record_end = 0;
    std::int64_t line_ends = 0;
    if (scan_record(record_end, line_ends) == Scan::need_more) {
      if (in_ == nullptr) return false;  // a span that the input continues after
      refill();
      continue;
    }
    const std::int64_t record_line = next_line_;
    begin_ = record_end;
    next_line_ += line_ends + 1;
    if (fields_.size() == 1 && quoted_.empty() && fields_[0].empty()) continue;  // blank line
    if (decode) decode_quoted_fields();
    line_ = record_line;
    return true;
  }
}

bool CsvReader::start() {
  if (in_ != nullptr) {
    // A byte order mark needs three bytes, which a tiny block may not hold after one read.
    while (end_ - begin_ < 3 && !eof_) refill();
    if (end_ - begin_ >= 3 && std::memcmp(data_ + begin_, "\xEF\xBB\xBF", 3) == 0) begin_ += 3;
  }
  if (delimiter_ == '\0' && !detect_delimiter()) return false;
  started_ = true;
  return true;
}

bool CsvReader::detect_delimiter() {
  // The first line that has anything but a line end is the header. It is counted whole, and only
  // once it is whole, so that the delimiter does not depend on how the input is cut into blocks
  // (a span that ends inside it returns false, and its reader is made again with more bytes).
  // A '"' opens a quoted field only where the parser would take it as one, at the start of a
  // field after any of the candidate delimiters; elsewhere it is data, as in the parser, so a
  // stray quote in a header name does not swallow the lines after it.
  std::size_t counts[3] = {0, 0, 0};
  for (;;) {
    std::fill(std::begin(counts), std::end(counts), 0);
    bool in_quotes = false;
    bool field_start = true;
    bool non_blank = false;
    bool line_complete = false;
    for (std::size_t i = begin_; i < end_; ++i) {
      const char c = data_[i];
      if (c != '\r' && c != '\n') non_blank = true;
      if (in_quotes) {
        if (c == '"') {
          if (i + 1 < end_ && data_[i + 1] == '"') {
            ++i;  // a doubled quote is one '"' of data
          } else {
            in_quotes = false;
          }
        }
        continue;
      }
      if (c == '"' && field_start) {
        in_quotes = true;
        field_start = false;
        continue;
      }
      if (c == '\n') {
        if (non_blank) {
          line_complete = true;
          break;
        }
        field_start = true;
        continue;
      }
      counts[0] += c == ',';
      counts[1] += c == ';';
      counts[2] += c == '\t';
      field_start = c == ',' || c == ';' || c == '\t';
    }
    if (line_complete || eof_) break;
    if (in_ == nullptr) return false;
    refill();
  }
  delimiter_ = ',';
  std::size_t best = counts[0];
  if (counts[1] > best) {
    delimiter_ = ';';
    best = counts[1];
  }
  if (counts[2] > best) delimiter_ = '\t';
  return true;
}

bool CsvReader::refill() {
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    consumed_ += begin_;
    begin_ = 0;
  }
  // Only a record longer than the whole buffer fills it: grow geometrically for it.
  if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  data_ = buffer_.data();
  const std::size_t wanted = buffer_.size() - end_;
  in_->read(buffer_.data() + end_, static_cast<std::streamsize>(wanted));
  const auto got = static_cast<std::size_t>(in_->gcount());
  if (in_->bad()) throw IoError(source_ + ": read error");
  end_ += got;
  // istream::read only returns fewer bytes than asked for at the end of the stream.
  if (got < wanted) eof_ = true;
  return got > 0;
}

CsvReader::Scan CsvReader::scan_record(std::size_t& record_end, std::int64_t& line_ends) {
  fields_.clear();
  quoted_.clear();
  line_ends = 0;
  char* const base = data_;
  char* const end = base + end_;
  char* p = base + begin_;
  const char delimiter = delimiter_;
  for (;;) {
    char* const start = p;
    if (p < end && *p == '"') {
      char* search = p + 1;
      char* close = nullptr;
      for (;;) {
        auto* quote =
            static_cast<char*>(std::memchr(search, '"', static_cast<std::size_t>(end - search)));
        if (quote == nullptr) {
          if (!eof_) return Scan::need_more;
          throw CsvSyntaxError(source_, next_line_, fields_.size() + 1,
                               "unterminated quoted field (the opening quote is never closed)");
        }
        // A quote that ends the buffer may be the first half of a doubled quote.
        if (quote + 1 == end && !eof_) return Scan::need_more;
        if (quote + 1 < end && quote[1] == '"') {
          search = quote + 2;
          continue;
        }
        close = quote;
        break;
      }
      line_ends += std::count(start + 1, close, '\n');
      p = close + 1;
      while (p < end && *p != delimiter && *p != '\n') ++p;
      if (p == end && !eof_) return Scan::need_more;
      quoted_.push_back(QuotedField{fields_.size(), start, close, p});
      fields_.emplace_back();
    } else {
      while (p < end && *p != delimiter && *p != '\n') ++p;
      if (p == end && !eof_) return Scan::need_more;
      fields_.emplace_back(start, static_cast<std::size_t>(p - start));
    }
    if (p < end && *p == delimiter) {
      ++p;
      continue;
    }
    // The record ends at '\n' or at the end of the input; drop the '\r' of a CRLF.
    if (!quoted_.empty() && quoted_.back().index + 1 == fields_.size()) {
      QuotedField& last = quoted_.back();
      if (last.tail_end > last.close + 1 && last.tail_end[-1] == '\r') --last.tail_end;
    } else if (!fields_.back().empty() && fields_.back().back() == '\r') {
      fields_.back().remove_suffix(1);
    }
    if (p < end) ++p;
    record_end = static_cast<std::size_t>(p - base);
    return Scan::complete;
  }
}

void CsvReader::decode_quoted_fields() {
  // In place: the decoded text is never longer than the raw text and starts at the opening
  // quote, so writing never overtakes reading. Between the quotes every '"' is half of a "".
  for (const QuotedField& field : quoted_) {
    char* out = field.open;
    for (const char* in = field.open + 1; in < field.close; ++in) {
      *out++ = *in;
      if (*in == '"') ++in;
    }
    for (const char* in = field.close + 1; in < field.tail_end; ++in) *out++ = *in;
    fields_[field.index] = std::string_view(field.open, static_cast<std::size_t>(out - field.open));
  }
}

void append_csv_field(std::string& out, std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += text;
    return;
  }
  out += '"';
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace clvkit
