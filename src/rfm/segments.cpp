#include "clvkit/rfm/segments.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <sstream>
#include <utility>

#include "clvkit/error.hpp"

namespace clvkit {
namespace detail {

/// The built-in schemes as {name, JSON text}, one per models/segments/NAME.json, compiled in:
/// defined in the source the build generates (cmake/embed_segment_schemes.cmake), so that a
/// scheme loads by name wherever the binary is, with no path into the source tree.
std::span<const std::pair<std::string_view, std::string_view>>
builtin_segment_scheme_texts() noexcept;

}  // namespace detail

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Messages. Every problem is reported as "<source>: <where>: <reason>", where <where> names the
// segment by name (or by 1-based position until its name is known) and the rule by position.

std::string segment_where(const std::string& name, std::size_t index) {
  return name.empty() ? "segment " + std::to_string(index + 1) : "segment '" + name + "'";
}

std::string rule_where(const std::string& segment_name, std::size_t segment_index,
                       std::size_t rule_index) {
  return segment_where(segment_name, segment_index) + " rule " + std::to_string(rule_index + 1);
}

std::string cell_name(int r, int f, int m) {
  return std::to_string(r) + "-" + std::to_string(f) + "-" + std::to_string(m);
}

/// A place in the file: fail() throws InputError "<source>: <context>: <reason>".
struct Where {
  const std::string* source;
  std::string context;

  [[noreturn]] void fail(const std::string& reason) const {
    throw InputError(*source + ": " + (context.empty() ? std::string() : context + ": ") + reason);
  }
  Where in(const std::string& sub_context) const {
    return Where{source, context.empty() ? sub_context : context + " " + sub_context};
  }
};

// ---------------------------------------------------------------------------------------------
// Duplicate keys. nlohmann_json keeps the last of repeated keys silently, so a second "rules"
// in a segment would drop the first without a word. The parser callback sees every key; the
// frames below track where in the document it is, to name the segment and rule.

struct Frame {
  bool object = false;
  std::set<std::string> keys;
  std::string key;        // current key (objects)
  std::string name;       // value of this object's "name" field, once seen
  std::size_t count = 0;  // completed elements (arrays)
};

std::string frames_where(const std::vector<Frame>& frames) {
  // frames[0] is the top-level object; segments live at frames[1] (array) / frames[2] (object).
  if (frames.size() < 2) return "";
  if (frames[0].key == "segments" && !frames[1].object) {
    if (frames.size() < 3) return "segments";
    const Frame& segment = frames[2];
    std::string where = segment_where(segment.name, frames[1].count);
    if (frames.size() >= 5 && segment.key == "rules" && !frames[3].object) {
      where = rule_where(segment.name, frames[1].count, frames[3].count);
    } else if (frames.size() >= 4) {
      where += " " + segment.key;
    }
    return where;
  }
  return frames[0].key;
}

json parse_json(std::string_view text, const std::string& source) {
  std::vector<Frame> frames;
  const auto element_done = [&frames] {
    if (!frames.empty() && !frames.back().object) ++frames.back().count;
  };
  json::parser_callback_t callback = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        frames.push_back(Frame{true, {}, {}, {}, 0});
        break;
      case json::parse_event_t::array_start:
        frames.push_back(Frame{false, {}, {}, {}, 0});
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        frames.pop_back();
        element_done();
        break;
      case json::parse_event_t::key: {
        Frame& top = frames.back();
        top.key = parsed.get<std::string>();
        if (!top.keys.insert(top.key).second) {
          const std::string where = frames_where(frames);
          throw InputError(source + ": " + (where.empty() ? "" : where + ": ") +
                           "duplicate field '" + top.key + "'");
        }
        break;
      }
      case json::parse_event_t::value:
        if (!frames.empty() && frames.back().object && frames.back().key == "name" &&
            parsed.is_string()) {
          frames.back().name = parsed.get<std::string>();
        }
        element_done();
        break;
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), callback);
  } catch (const json::exception& e) {
    // parse_error, and out_of_range for a number beyond double (1e999).
    // what() is "[json.exception.parse_error.101] parse error at line 3, column 5: ..."; keep
    // the part after the bracketed id, which names the line and column.
    std::string reason = e.what();
    if (const auto close = reason.find("] ");
        reason.starts_with("[json.") && close != std::string::npos) {
      reason.erase(0, close + 2);
    }
    throw InputError(source + ": invalid JSON: " + reason);
  }
}

// ---------------------------------------------------------------------------------------------
// Typed field access with located messages.

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  return out;
}

/// Requires an object whose keys are all in `allowed` (plus "comment", a free-text string
/// permitted in every object of a scheme file).
void check_object(const json& j, const Where& where, std::initializer_list<const char*> allowed) {
  if (!j.is_object()) where.fail(std::string("must be a JSON object, not ") + j.type_name());
  for (const auto& item : j.items()) {
    const std::string& key = item.key();
    if (key == "comment") {
      if (!item.value().is_string()) where.fail("field 'comment' must be a string");
      continue;
    }
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
      std::vector<std::string> names(allowed.begin(), allowed.end());
      names.emplace_back("comment");
      where.fail("unknown field '" + key + "' (expected " + join(names, ", ") + ")");
    }
  }
}

const json* find_field(const json& j, const char* key) {
  const auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

const json& require_field(const json& j, const char* key, const Where& where) {
  const json* field = find_field(j, key);
  if (field == nullptr) where.fail(std::string("missing field '") + key + "'");
  return *field;
}

std::string string_value(const json& j, const char* key, const Where& where) {
  if (!j.is_string()) {
    where.fail(std::string("field '") + key + "' must be a string, not " + j.type_name());
  }
  return j.get<std::string>();
}

std::string optional_string(const json& j, const char* key, const Where& where) {
  const json* field = find_field(j, key);
  return field == nullptr ? std::string() : string_value(*field, key, where);
}

int int_value(const json& j, const std::string& what, const Where& where) {
  if (!j.is_number_integer()) {
    where.fail(what + " must be an integer, not " +
               (j.is_number() ? std::string("'") + j.dump() + "'" : std::string(j.type_name())));
  }
  // Out-of-range values are reported by the range checks; just keep them from overflowing.
  constexpr std::int64_t limit = 1'000'000;
  const auto value = j.is_number_unsigned()
                         ? static_cast<std::int64_t>(std::min<std::uint64_t>(
                               j.get<std::uint64_t>(), static_cast<std::uint64_t>(limit)))
                         : std::clamp<std::int64_t>(j.get<std::int64_t>(), -limit, limit);
  return static_cast<int>(value);
}

std::vector<double> edges_value(const json& j, const char* key, const Where& where) {
  if (!j.is_array()) {
    where.fail(std::string("field '") + key + "' must be an array of numbers, not " +
               j.type_name());
  }
  std::vector<double> edges;
  for (const json& edge : j) {
    if (!edge.is_number()) {
      where.fail(std::string("field '") + key + "' must be an array of numbers, but holds " +
                 edge.dump());
    }
    edges.push_back(edge.get<double>());
  }
  return edges;
}

std::optional<ScoreRange> range_value(const json& rule, const char* key, const Where& where) {
  const json* field = find_field(rule, key);
  if (field == nullptr) return std::nullopt;
  if (!field->is_array() || field->size() != 2) {
    where.fail(std::string("field '") + key + "' must be an inclusive range [lo, hi], not " +
               field->dump());
  }
  const std::string what = std::string("field '") + key + "' bound";
  return ScoreRange{int_value((*field)[0], what, where), int_value((*field)[1], what, where)};
}

/// Reads a scoring object whose fields check_object has already vetted.
ScoringSpec parse_scoring(const json& j, const Where& where) {
  const std::string method = string_value(require_field(j, "method", where), "method", where);
  ScoringSpec spec;
  if (method == "quantile") {
    for (const char* key : {"recency_days", "purchase_days", "monetary"}) {
      if (find_field(j, key) != nullptr) {
        where.fail(std::string("field '") + key + "' is used by method 'threshold' only");
      }
    }
    spec.method = ScoringMethod::quantile;
  } else if (method == "threshold") {
    spec.method = ScoringMethod::threshold;
    spec.recency_edges =
        edges_value(require_field(j, "recency_days", where), "recency_days", where);
    spec.frequency_edges =
        edges_value(require_field(j, "purchase_days", where), "purchase_days", where);
    spec.monetary_edges = edges_value(require_field(j, "monetary", where), "monetary", where);
  } else {
    where.fail("method is '" + method + "', but must be 'quantile' or 'threshold'");
  }
  if (const json* basis = find_field(j, "monetary_basis")) {
    const std::string value = string_value(*basis, "monetary_basis", where);
    if (value == "total") {
      spec.monetary_basis = MonetaryBasis::total;
    } else if (value == "average") {
      spec.monetary_basis = MonetaryBasis::average;
    } else {
      where.fail("monetary_basis is '" + value + "', but must be 'total' or 'average'");
    }
  }
  return spec;
}

Segment parse_segment(const json& j, std::size_t index, const Where& top) {
  Where where = top.in(segment_where("", index));
  if (!j.is_object()) where.fail(std::string("must be a JSON object, not ") + j.type_name());
  Segment segment;
  // Read the name first, so every later message can name the segment.
  segment.name = string_value(require_field(j, "name", where), "name", where);
  if (!segment.name.empty()) where = top.in(segment_where(segment.name, index));
  check_object(j, where, {"name", "description", "labels", "descriptions", "rules"});
  segment.description = string_value(require_field(j, "description", where), "description", where);
  if (const json* labels = find_field(j, "labels")) {
    if (!labels->is_object()) {
      where.fail(std::string("field 'labels' must be an object of language: name, not ") +
                 labels->type_name());
    }
    for (const auto& [language, label] : labels->items()) {
      if (!label.is_string() || label.get<std::string>().empty()) {
        where.fail("label '" + language + "' must be a non-empty string");
      }
      segment.labels.emplace(language, label.get<std::string>());
    }
  }
  if (const json* descriptions = find_field(j, "descriptions")) {
    if (!descriptions->is_object()) {
      where.fail(std::string("field 'descriptions' must be an object of language: text, not ") +
                 descriptions->type_name());
    }
    for (const auto& [language, text] : descriptions->items()) {
      if (!text.is_string() || text.get<std::string>().empty()) {
        where.fail("description '" + language + "' must be a non-empty string");
      }
      segment.descriptions.emplace(language, text.get<std::string>());
    }
  }
  const json& rules = require_field(j, "rules", where);
  if (!rules.is_array()) {
    where.fail(std::string("field 'rules' must be an array, not ") + rules.type_name());
  }
  for (std::size_t k = 0; k < rules.size(); ++k) {
    const Where rule_at = top.in(rule_where(segment.name, index, k));
    check_object(rules[k], rule_at, {"r", "f", "m"});
    segment.rules.push_back(SegmentRule{range_value(rules[k], "r", rule_at),
                                        range_value(rules[k], "f", rule_at),
                                        range_value(rules[k], "m", rule_at)});
  }
  return segment;
}

// ---------------------------------------------------------------------------------------------
// Files.

std::string read_file(const fs::path& path) {
  std::error_code ignored;
  if (fs::is_directory(path, ignored)) {
    throw IoError("cannot read segment scheme file '" + path.string() + "': it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot open segment scheme file '" + path.string() + "'");
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw IoError("cannot read segment scheme file '" + path.string() + "'");
  return std::move(content).str();
}

// ---------------------------------------------------------------------------------------------
// Checks of a whole scheme.

// Every segment named (uniquely) and described, with rules whose ranges lie in 1..bins.
void check_segments(const Where& top, const std::vector<Segment>& segments, int bins) {
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const Segment& segment = segments[i];
    const Where where = top.in(segment_where(segment.name, i));
    if (segment.name.empty()) where.fail("name is empty");
    for (std::size_t k = 0; k < i; ++k) {
      if (segments[k].name == segment.name) {
        where.fail("duplicate segment name (segments " + std::to_string(k + 1) + " and " +
                   std::to_string(i + 1) + ")");
      }
    }
    if (segment.description.empty()) where.fail("description is empty");
    if (segment.rules.empty()) where.fail("no rules");
    for (std::size_t k = 0; k < segment.rules.size(); ++k) {
      const Where rule_at = top.in(rule_where(segment.name, i, k));
      const SegmentRule& rule = segment.rules[k];
      for (const auto& [key, range] :
           {std::pair{"r", rule.r}, std::pair{"f", rule.f}, std::pair{"m", rule.m}}) {
        if (!range) continue;
        const std::string shown = std::string("'") + key + "' [" + std::to_string(range->lo) +
                                  ", " + std::to_string(range->hi) + "]";
        if (range->lo > range->hi) rule_at.fail("range " + shown + " is empty (lo > hi)");
        if (range->lo < 1 || range->hi > bins) {
          rule_at.fail("range " + shown + " is outside 1.." + std::to_string(bins));
        }
      }
    }
  }
}

// Every cell of `lookup` (segment per R-F-M cell, -1 = none) covered, and every segment and rule
// given at least one cell (`rule_cells`: the cells each rule of each segment took).
void check_coverage(const Where& top, const std::vector<Segment>& segments, int bins,
                    const std::vector<int>& lookup,
                    const std::vector<std::vector<int>>& rule_cells) {
  const auto uncovered = std::count(lookup.begin(), lookup.end(), -1);
  if (uncovered > 0) {
    const auto first =
        static_cast<int>(std::find(lookup.begin(), lookup.end(), -1) - lookup.begin());
    const int r = first / (bins * bins) + 1;
    const int f = first / bins % bins + 1;
    const int m = first % bins + 1;
    top.fail("no rule covers cell " + cell_name(r, f, m) + " (R-F-M; " + std::to_string(uncovered) +
             " of " + std::to_string(lookup.size()) +
             " cells uncovered; add a rule, e.g. a last catch-all segment with rule {})");
  }
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::vector<int>& taken = rule_cells[i];
    if (std::all_of(taken.begin(), taken.end(), [](int n) { return n == 0; })) {
      top.fail(segment_where(segments[i].name, i) +
               " is unreachable: every cell it covers is taken by earlier rules");
    }
    for (std::size_t k = 0; k < taken.size(); ++k) {
      if (taken[k] == 0) {
        top.fail(rule_where(segments[i].name, i, k) +
                 " is unreachable: every cell it covers is taken by earlier rules");
      }
    }
  }
}

}  // namespace

const std::string& Segment::label_or_name(std::string_view language) const {
  const auto it = labels.find(std::string(language));
  return it == labels.end() ? name : it->second;
}

SegmentScheme::SegmentScheme(std::string name, std::string description, int bins,
                             ScoringSpec scoring, std::vector<Segment> segments, std::string source,
                             std::vector<std::string> value_order)
    : name_(std::move(name)),
      description_(std::move(description)),
      bins_(bins),
      scoring_(std::move(scoring)),
      segments_(std::move(segments)),
      source_(std::move(source)),
      value_order_(std::move(value_order)) {
  const Where top{&source_, ""};
  if (name_.empty()) top.fail("scheme name is empty");
  if (bins_ < 2 || bins_ > 9) {
    top.fail("bins is " + std::to_string(bins_) + ", but must be in 2..9");
  }
  try {
    check_scoring_spec(scoring_, bins_);
  } catch (const UsageError& e) {
    top.in("scoring").fail(e.what());
  }
  if (segments_.empty()) top.fail("no segments");
  check_segments(top, segments_, bins_);

  // First match wins: walk the rules in order and give each cell to the first rule covering it.
  // A rule (and so a segment) that gets no cell can never be assigned.
  const std::size_t cells = static_cast<std::size_t>(bins_) * bins_ * bins_;
  lookup_.assign(cells, -1);
  const auto lo = [](const std::optional<ScoreRange>& range) { return range ? range->lo : 1; };
  const auto hi = [&](const std::optional<ScoreRange>& range) { return range ? range->hi : bins_; };
  std::vector<std::vector<int>> rule_cells(segments_.size());
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    for (const SegmentRule& rule : segments_[i].rules) {
      int taken = 0;
      for (int r = lo(rule.r); r <= hi(rule.r); ++r) {
        for (int f = lo(rule.f); f <= hi(rule.f); ++f) {
          for (int m = lo(rule.m); m <= hi(rule.m); ++m) {
            int& cell = lookup_[cell_index(RfmScore{static_cast<std::uint8_t>(r),
                                                    static_cast<std::uint8_t>(f),
                                                    static_cast<std::uint8_t>(m)})];
            if (cell < 0) {
              cell = static_cast<int>(i);
              ++taken;
            }
          }
        }
      }
      rule_cells[i].push_back(taken);
    }
  }
  check_coverage(top, segments_, bins_, lookup_, rule_cells);

  // The value order names every segment once: a segment left out would have no rank, and a
  // partial order would have to be guessed at.
  if (!value_order_.empty()) {
    const Where at = top.in("value_order");
    value_rank_.assign(segments_.size(), -1);
    for (std::size_t rank = 0; rank < value_order_.size(); ++rank) {
      const auto it = std::find_if(segments_.begin(), segments_.end(), [&](const Segment& s) {
        return s.name == value_order_[rank];
      });
      if (it == segments_.end()) at.fail("'" + value_order_[rank] + "' is not a segment");
      int& slot = value_rank_[static_cast<std::size_t>(it - segments_.begin())];
      if (slot >= 0) at.fail("'" + value_order_[rank] + "' is listed twice");
      slot = static_cast<int>(rank);
    }
    for (std::size_t i = 0; i < segments_.size(); ++i) {
      if (value_rank_[i] < 0) {
        at.fail("segment '" + segments_[i].name +
                "' is missing: the value order must list every segment once");
      }
    }
  }
}

void SegmentScheme::check_value_order(std::string_view feature) const {
  if (has_value_order()) return;
  throw UsageError("segment scheme '" + name_ + "' (" + source_ + ") has no value_order, which " +
                   std::string(feature) +
                   " needs: add \"value_order\": [segment names, most valuable first] to the "
                   "scheme file (see models/segments/README.md); the file order of the segments "
                   "is the order their rules are tried, not a ranking, so none is guessed");
}

int SegmentScheme::value_rank(int index) const {
  check_value_order("a segment ranking");
  if (index < 0 || static_cast<std::size_t>(index) >= segments_.size()) {
    throw UsageError("segment scheme '" + name_ + "': no segment " + std::to_string(index));
  }
  return value_rank_[static_cast<std::size_t>(index)];
}

int SegmentScheme::top_segment() const {
  check_value_order("a segment ranking");
  return static_cast<int>(std::find(value_rank_.begin(), value_rank_.end(), 0) -
                          value_rank_.begin());
}

std::size_t SegmentScheme::cell_index(RfmScore score) const noexcept {
  const auto b = static_cast<std::size_t>(bins_);
  return ((score.r - 1u) * b + (score.f - 1u)) * b + (score.m - 1u);
}

int SegmentScheme::segment_of(RfmScore score) const {
  const auto in_range = [&](std::uint8_t s) { return s >= 1 && s <= bins_; };
  if (!in_range(score.r) || !in_range(score.f) || !in_range(score.m)) {
    throw UsageError("segment scheme '" + name_ + "': score " +
                     cell_name(score.r, score.f, score.m) + " is outside 1.." +
                     std::to_string(bins_));
  }
  return lookup_[cell_index(score)];
}

int SegmentScheme::cell_count(int index) const {
  return static_cast<int>(std::count(lookup_.begin(), lookup_.end(), index));
}

SegmentScheme parse_segment_scheme(std::string_view json_text, const std::string& source) {
  const json document = parse_json(json_text, source);
  const Where top{&source, ""};
  check_object(document, top,
               {"name", "description", "bins", "scoring", "segments", "value_order"});
  std::string name = string_value(require_field(document, "name", top), "name", top);
  std::string description = optional_string(document, "description", top);
  const int bins = int_value(require_field(document, "bins", top), "field 'bins'", top);
  const json& scoring_json = require_field(document, "scoring", top);
  const Where scoring_at = top.in("scoring");
  check_object(scoring_json, scoring_at,
               {"method", "monetary_basis", "recency_days", "purchase_days", "monetary"});
  ScoringSpec scoring = parse_scoring(scoring_json, scoring_at);
  const json& segments_json = require_field(document, "segments", top);
  if (!segments_json.is_array()) {
    top.fail(std::string("field 'segments' must be an array, not ") + segments_json.type_name());
  }
  std::vector<Segment> segments;
  for (std::size_t i = 0; i < segments_json.size(); ++i) {
    segments.push_back(parse_segment(segments_json[i], i, top));
  }
  std::vector<std::string> value_order;
  if (const json* order = find_field(document, "value_order")) {
    if (!order->is_array() || order->empty()) {
      top.fail("field 'value_order' must be a non-empty array of segment names, not " +
               order->dump());
    }
    for (const json& entry : *order) {
      value_order.push_back(string_value(entry, "value_order", top));
    }
  }
  return SegmentScheme(std::move(name), std::move(description), bins, std::move(scoring),
                       std::move(segments), source, std::move(value_order));
}

SegmentLabels segment_labels(const SegmentScheme& scheme, std::string_view language) {
  SegmentLabels out;
  const bool english = language == "en";
  for (const Segment& s : scheme.segments()) {
    const auto label = s.labels.find(std::string(language));
    const auto description = s.descriptions.find(std::string(language));
    const bool labelled = english || label != s.labels.end();
    out.names.push_back(english || !labelled ? s.name : label->second);
    out.descriptions.push_back(
        english || description == s.descriptions.end() ? s.description : description->second);
    if (!labelled) out.unlabelled.push_back(s.name);
  }
  return out;
}

std::vector<std::string> available_segment_schemes() {
  std::vector<std::string> names;
  for (const auto& [name, text] : detail::builtin_segment_scheme_texts()) {
    names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

SegmentScheme load_segment_scheme(const std::string& name_or_path) {
  if (name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".json")) {
    return parse_segment_scheme(read_file(name_or_path), name_or_path);
  }
  for (const auto& [name, text] : detail::builtin_segment_scheme_texts()) {
    if (name == name_or_path) return parse_segment_scheme(text, "built-in:" + name_or_path);
  }
  throw UsageError("unknown segment scheme '" + name_or_path +
                   "'; available: " + join(available_segment_schemes(), ", ") +
                   " (built in; a path containing '/' or ending in .json loads that file)");
}

std::vector<RfmScore> score_customers(const std::vector<CustomerSummary>& customers,
                                      const SegmentScheme& scheme, int bins_override) {
  if (bins_override != 0 && bins_override != scheme.bins()) {
    throw UsageError("segment scheme '" + scheme.name() + "' is defined for " +
                     std::to_string(scheme.bins()) + " bins, but " + std::to_string(bins_override) +
                     " were requested");
  }
  return score_customers(customers, scheme.scoring(), scheme.bins());
}

}  // namespace clvkit
