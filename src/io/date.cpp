#include "clvkit/io/date.hpp"

#include <cstdio>
#include <cstring>

#include "clvkit/error.hpp"

namespace clvkit {
namespace {

// Day number of 1970-01-01 counted from 0000-03-01, the origin of the shifted calendar below.
constexpr std::int64_t kEpochShift = 719468;
constexpr std::int64_t kDaysPer400Years = 146097;

constexpr bool is_digit(char c) noexcept { return static_cast<unsigned char>(c - '0') <= 9; }

// Reads exactly two digits at p; the caller has checked that they are in range.
inline bool two_digits(const char* p, unsigned& value) noexcept {
  if (!is_digit(p[0]) || !is_digit(p[1])) return false;
  value = static_cast<unsigned>(p[0] - '0') * 10u + static_cast<unsigned>(p[1] - '0');
  return true;
}

// Seconds up to 60 so that a leap second ("23:59:60") is a valid time.
inline bool valid_time(unsigned hour, unsigned minute, unsigned second) noexcept {
  return hour <= 23 && minute <= 59 && second <= 60;
}

// The automatic forms: YYYY-MM-DD, then optionally [ T]HH:MM[:SS[.fff]] and Z or +HH:MM/-HH:MM.
// Written as straight-line checks: this runs once per row.
std::optional<Day> parse_iso(std::string_view text) noexcept {
  const std::size_t n = text.size();
  const char* p = text.data();
  Day date = 0;
  if (n < 10 || !parse_iso_day(p, date)) return std::nullopt;
  if (n == 10) return date;

  if (p[10] != ' ' && p[10] != 'T') return std::nullopt;
  unsigned hour = 0, minute = 0, second = 0;
  if (n < 16 || p[13] != ':' || !two_digits(p + 11, hour) || !two_digits(p + 14, minute)) {
    return std::nullopt;
  }
  std::size_t i = 16;
  if (i < n && p[i] == ':') {
    if (i + 3 > n || !two_digits(p + i + 1, second)) return std::nullopt;
    i += 3;
    if (i < n && p[i] == '.') {
      const std::size_t fraction_start = ++i;
      while (i < n && is_digit(p[i])) ++i;
      if (i == fraction_start) return std::nullopt;
    }
  }
  if (!valid_time(hour, minute, second)) return std::nullopt;
  if (i < n) {
    if (p[i] == 'Z') {
      ++i;
    } else if (p[i] == '+' || p[i] == '-') {
      unsigned offset_hours = 0, offset_minutes = 0;
      if (n - i != 6 || p[i + 3] != ':' || !two_digits(p + i + 1, offset_hours) ||
          !two_digits(p + i + 4, offset_minutes) || offset_hours > 23 || offset_minutes > 59) {
        return std::nullopt;
      }
      i = n;
    }
  }
  if (i != n) return std::nullopt;
  return date;
}

}  // namespace

Day days_from_civil(int year, unsigned month, unsigned day) noexcept {
  // Count in a calendar whose years start on March 1st, so the leap day is the last day of its
  // year, and whose 400-year eras repeat exactly (146097 days). The month lengths from March
  // follow the pattern 31,30,31,30,31 twice plus 31,28/29, which (153 * m + 2) / 5 reproduces.
  const std::int64_t y = static_cast<std::int64_t>(year) - (month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t year_of_era = y - era * 400;                               // [0, 399]
  const std::int64_t month_from_march = (month + 9) % 12;                       // March = 0
  const std::int64_t day_of_year = (153 * month_from_march + 2) / 5 + day - 1;  // [0, 365]
  const std::int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;  // [0, 146096]
  return static_cast<Day>(era * kDaysPer400Years + day_of_era - kEpochShift);
}

namespace {

struct CivilDate {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

// The inverse of days_from_civil, in the same March-based calendar. Only the era can be
// negative; within an era every count is small and non-negative, so it is unsigned 32-bit
// arithmetic, whose divisions by constants are a multiply and a shift.
CivilDate civil_from_days(Day day_number) noexcept {
  const std::int64_t z = static_cast<std::int64_t>(day_number) + kEpochShift;
  const std::int64_t era = (z >= 0 ? z : z - (kDaysPer400Years - 1)) / kDaysPer400Years;
  const auto day_of_era = static_cast<std::uint32_t>(z - era * kDaysPer400Years);  // [0, 146096]
  const std::uint32_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::uint32_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::uint32_t month_from_march = (5 * day_of_year + 2) / 153;
  const std::uint32_t day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
  const std::uint32_t month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
  return {year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

}  // namespace

const char* period_key(Period period) noexcept {
  switch (period) {
    case Period::week:
      return "week";
    case Period::month:
      return "month";
    case Period::quarter:
      return "quarter";
    case Period::year:
      return "year";
  }
  return "?";
}

std::optional<Period> parse_period(std::string_view text) noexcept {
  for (const Period p : {Period::week, Period::month, Period::quarter, Period::year}) {
    if (text == period_key(p)) return p;
  }
  return std::nullopt;
}

Day period_start(Day day, Period period) noexcept {
  if (period == Period::week) {
    // 1970-01-01 was a Thursday: Monday is 3 days before it.
    const std::int64_t since_monday = ((static_cast<std::int64_t>(day) + 3) % 7 + 7) % 7;
    return static_cast<Day>(day - since_monday);
  }
  const CivilDate date = civil_from_days(day);
  unsigned month = 1;
  if (period == Period::month) month = date.month;
  if (period == Period::quarter) month = (date.month - 1) / 3 * 3 + 1;
  return days_from_civil(static_cast<int>(date.year), month, 1);
}

Day last_complete_period_end(Day day, Period period) noexcept {
  const Day start = period_start(day, period);
  // `day` ends its period when the next day starts a new one.
  return period_start(day + 1, period) != start ? day : start - 1;
}

Day period_end(Day day, Period period) noexcept {
  // The first day of the next period is within the longest period's length of this one's start.
  constexpr Day kLongest[] = {7, 31, 92, 366};
  const Day start = period_start(day, period);
  return period_start(start + kLongest[static_cast<int>(period)], period) - 1;
}

char* format_day_to(char* out, Day day_number) noexcept {
  const auto [year, month, day] = civil_from_days(day_number);
  if (year < 0 || year > 9999) {
    // Rare: printf's "%04lld" defines the text (a sign, as many digits as needed).
    char text[32];
    const int length = std::snprintf(text, sizeof text, "%04lld-%02u-%02u",
                                     static_cast<long long>(year), month, day);
    std::memcpy(out, text, static_cast<std::size_t>(length));
    return out + length;
  }
  // Four-digit years, i.e. every real date: the same text as "%04lld-%02u-%02u", written two
  // digits at a time (this runs twice per output record).
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  const auto pair = [](char* p, std::uint32_t value) { std::memcpy(p, kPairs + 2 * value, 2); };
  const auto year4 = static_cast<std::uint32_t>(year);
  pair(out, year4 / 100);
  pair(out + 2, year4 % 100);
  out[4] = '-';
  pair(out + 5, month);
  out[7] = '-';
  pair(out + 8, day);
  return out + 10;
}

std::string format_day(Day day) {
  char text[kMaxDayChars];
  return std::string(text, format_day_to(text, day));
}

DateParser::DateParser(std::string format) : format_(std::move(format)) {
  if (format_.empty()) return;
  const auto fail = [&](const std::string& why) {
    throw UsageError("date format '" + format_ + "': " + why);
  };
  bool seen[7] = {};
  for (std::size_t i = 0; i < format_.size(); ++i) {
    Item item;
    if (format_[i] != '%') {
      item.literal = format_[i];
      items_.push_back(item);
      continue;
    }
    if (++i == format_.size()) fail("dangling '%' at the end");
    switch (format_[i]) {
      case '%':
        item.literal = '%';
        break;
      case 'Y':
        item.field = Field::year;
        break;
      case 'm':
        item.field = Field::month;
        break;
      case 'd':
        item.field = Field::day;
        break;
      case 'H':
        item.field = Field::hour;
        break;
      case 'M':
        item.field = Field::minute;
        break;
      case 'S':
        item.field = Field::second;
        break;
      default:
        fail(std::string("unsupported directive '%") + format_[i] +
             "' (supported: %Y %m %d %H %M %S %%)");
    }
    if (item.field != Field::literal) {
      auto& already = seen[static_cast<int>(item.field)];
      if (already) fail(std::string("directive '%") + format_[i] + "' appears twice");
      already = true;
      item.min_digits = item.field == Field::year ? 4 : 1;
      item.max_digits = item.field == Field::year ? 4 : 2;
    }
    items_.push_back(item);
  }
  for (const auto& [field, name] :
       {std::pair{Field::year, "%Y"}, std::pair{Field::month, "%m"}, std::pair{Field::day, "%d"}}) {
    if (!seen[static_cast<int>(field)]) fail(std::string("needs ") + name);
  }
  // Adjacent numbers cannot be told apart by a separator, so the first one takes exactly two
  // digits ("%Y%m%d" on "19970101"); a number before a literal or the end may have 1 or 2.
  for (std::size_t i = 0; i + 1 < items_.size(); ++i) {
    if (items_[i].field != Field::literal && items_[i + 1].field != Field::literal) {
      items_[i].min_digits = items_[i].max_digits;
    }
  }
}

std::optional<Day> DateParser::parse(std::string_view text) const noexcept {
  if (items_.empty()) return parse_iso(text);
  unsigned values[7] = {0, 0, 0, 0, 0, 0, 0};
  std::size_t i = 0;
  const std::size_t n = text.size();
  for (const Item& item : items_) {
    if (item.field == Field::literal) {
      if (i == n || text[i] != item.literal) return std::nullopt;
      ++i;
      continue;
    }
    unsigned value = 0;
    std::size_t digits = 0;
    while (digits < item.max_digits && i < n && is_digit(text[i])) {
      value = value * 10u + static_cast<unsigned>(text[i] - '0');
      ++digits;
      ++i;
    }
    if (digits < item.min_digits) return std::nullopt;
    values[static_cast<int>(item.field)] = value;
  }
  if (i != n) return std::nullopt;
  const int year = static_cast<int>(values[static_cast<int>(Field::year)]);
  const unsigned month = values[static_cast<int>(Field::month)];
  const unsigned day = values[static_cast<int>(Field::day)];
  if (!is_valid_date(year, month, day) ||
      !valid_time(values[static_cast<int>(Field::hour)], values[static_cast<int>(Field::minute)],
                  values[static_cast<int>(Field::second)])) {
    return std::nullopt;
  }
  return days_from_civil(year, month, day);
}

std::string DateParser::expectation() const {
  if (format_.empty()) return "YYYY-MM-DD, optionally with a time";
  return "format " + format_;
}

Day parse_iso_date_or_throw(std::string_view text, std::string_view what) {
  if (text.size() == 10) {
    if (const auto day = parse_iso(text)) return *day;
  }
  throw UsageError(std::string(what) + ": '" + std::string(text) +
                   "' is not a valid date (expected YYYY-MM-DD)");
}

}  // namespace clvkit
