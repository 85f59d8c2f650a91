#pragma once
// Named RFM segment schemes: an ordered list of segments, each a union of boxes in R x F x M
// score space, read from JSON files an analyst edits (format in models/segments/README.md; the
// files in models/segments/ are compiled in as the built-in schemes). The first matching rule
// wins; every cell must be covered and every segment reachable, both checked when a scheme is
// built.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clvkit/rfm/scoring.hpp"
#include "clvkit/summary/customer_summary.hpp"

namespace clvkit {

/// Inclusive score range [lo, hi] of one dimension, within 1..bins and lo <= hi.
struct ScoreRange {
  int lo = 1;
  int hi = 1;
};

/// One box of score cells. An absent dimension matches any score.
struct SegmentRule {
  std::optional<ScoreRange> r;
  std::optional<ScoreRange> f;
  std::optional<ScoreRange> m;
};

struct Segment {
  std::string name;                           ///< unique within the scheme, shown in reports
  std::string description;                    ///< one sentence: who these customers are
  std::map<std::string, std::string> labels;  ///< language code -> translated name (optional)
  std::vector<SegmentRule> rules;             ///< union of boxes, tried in order
  /// language code -> translated description (optional; last, so that {name, description,
  /// labels, rules} still initialises a Segment)
  std::map<std::string, std::string> descriptions;
  /// labels[language] when present, else the name.
  const std::string& label_or_name(std::string_view language) const;
};

/// A validated segment scheme with an O(1) lookup from score cell to segment.
class SegmentScheme {
 public:
  /// Builds and validates a scheme. `source` (a file name) prefixes every error message.
  /// Throws InputError naming the source and the segment/rule when: bins is outside 2..9; the
  /// scoring spec is invalid (see check_scoring_spec); there are no segments; a segment name is
  /// empty or repeated; a description is empty; a segment has no rules; a range is empty
  /// (lo > hi) or outside 1..bins; some cell is matched by no rule ("no rule covers cell
  /// 1-3-2"); a segment, or one rule, is unreachable because earlier rules take all its cells;
  /// `value_order` is given but is not every segment name exactly once.
  ///
  /// `value_order` ranks the segments by value, most valuable first (rfm11: Champions first);
  /// empty = the scheme has none (what needs it, such as next_purchase, refuses the scheme).
  SegmentScheme(std::string name, std::string description, int bins, ScoringSpec scoring,
                std::vector<Segment> segments, std::string source = "segment scheme",
                std::vector<std::string> value_order = {});

  const std::string& name() const noexcept { return name_; }
  const std::string& description() const noexcept { return description_; }
  int bins() const noexcept { return bins_; }
  const ScoringSpec& scoring() const noexcept { return scoring_; }
  const std::vector<Segment>& segments() const noexcept { return segments_; }
  /// Where the scheme came from: the file path it was loaded from, "built-in:NAME" for a
  /// built-in scheme, or the name given to the constructor.
  const std::string& source() const noexcept { return source_; }

  /// Index into segments() of the first segment with a rule matching `score`, O(1).
  /// Throws UsageError when a score is outside 1..bins().
  int segment_of(RfmScore score) const;

  /// Number of score cells (R, F, M) assigned to segment `index`.
  int cell_count(int index) const;

  /// Whether the scheme ranks its segments by value (the file's "value_order").
  bool has_value_order() const noexcept { return !value_rank_.empty(); }
  /// The segment names from the most valuable down; empty when the scheme has no value order.
  const std::vector<std::string>& value_order() const noexcept { return value_order_; }
  /// Rank of segment `index` in the value order: 0 = the most valuable (the top segment). A
  /// lower rank is a better segment. Throws UsageError when the scheme has no value order
  /// (check_value_order) or `index` is not a segment.
  int value_rank(int index) const;
  /// Index of the most valuable segment. Throws UsageError as value_rank does.
  int top_segment() const;
  /// Throws UsageError "segment scheme 'x' (source) has no value_order, which <feature> needs:
  /// ..." when the scheme has none: a value order is never guessed from the file order.
  void check_value_order(std::string_view feature) const;

 private:
  std::size_t cell_index(RfmScore score) const noexcept;

  std::string name_;
  std::string description_;
  int bins_;
  ScoringSpec scoring_;
  std::vector<Segment> segments_;
  std::string source_;
  std::vector<std::string> value_order_;
  std::vector<int> value_rank_;  ///< per segment index: its rank in value_order_; empty = none
  std::vector<int> lookup_;  ///< segment index per cell, index ((r-1)*bins + f-1)*bins + m-1
};

/// Parses a scheme from JSON text (format in models/segments/README.md); `source` names the
/// text in messages. Throws InputError for invalid JSON, duplicate keys, unknown fields,
/// missing or mistyped fields, and everything the SegmentScheme constructor rejects, e.g.
/// "rfm11.json: segment 'Champions' rule 1: unknown field 'x'".
SegmentScheme parse_segment_scheme(std::string_view json_text, const std::string& source);

/// How a scheme's segments are shown in one language (the report, the terminal tables).
struct SegmentLabels {
  std::vector<std::string> names;         ///< per segment: its label, else its name
  std::vector<std::string> descriptions;  ///< per segment: its description in the language, else
                                          ///< the scheme's
  std::vector<std::string> unlabelled;    ///< names of the segments without a label
};

/// The segments of `scheme` in `language` ("en": the names and descriptions as they are, nothing
/// unlabelled, whatever labels the scheme holds). A segment without a label is shown by its
/// name and listed in `unlabelled`, so that the caller can say so once.
SegmentLabels segment_labels(const SegmentScheme& scheme, std::string_view language);

/// Names of the built-in schemes, sorted: one per models/segments/NAME.json in the source tree,
/// whose text is compiled into the library (rfm11, rfm11-thresholds, rfm8).
std::vector<std::string> available_segment_schemes();

/// Loads a scheme from a file when the argument contains '/' or ends in ".json" (source(): the
/// path), or else the built-in scheme of that name (source(): "built-in:NAME"). Built-in
/// schemes need no file at run time.
/// Throws UsageError for an unknown name (listing the built-in names), IoError when the file
/// cannot be read, InputError when its content is invalid (see parse_segment_scheme).
SegmentScheme load_segment_scheme(const std::string& name_or_path);

/// Scores customers with the scheme's scoring spec (see score_customers(customers, spec, bins)).
/// bins_override 0 means the scheme's bins; any other value must equal them, else UsageError
/// "segment scheme 'rfm11' is defined for 5 bins, but 4 were requested". Also throws what
/// score_customers(customers, spec, bins) throws.
std::vector<RfmScore> score_customers(const std::vector<CustomerSummary>& customers,
                                      const SegmentScheme& scheme, int bins_override = 0);

}  // namespace clvkit
