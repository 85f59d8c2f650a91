#include "clvkit/rfm/scoring.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>

#include "clvkit/error.hpp"
#include "clvkit/util/format.hpp"
#include "clvkit/util/parallel.hpp"

namespace clvkit {
namespace {

constexpr int min_bins = 2;
constexpr int max_bins = 9;  // scores are single digits, see rfm_cell

// Values per parallel task: a constant, so the split of the work does not depend on the thread
// count.
constexpr std::size_t kBlock = 1 << 16;

std::size_t block_count(std::size_t n) { return (n + kBlock - 1) / kBlock; }

// Calls visit(i) for every i of `block` of [0, n), in order.
template <class Visit>
void for_each_in_block(std::size_t n, std::size_t block, const Visit& visit) {
  const std::size_t end = std::min(n, (block + 1) * kBlock);
  for (std::size_t i = block * kBlock; i < end; ++i) visit(i);
}

[[noreturn]] void throw_spend_not_finite(const CustomerSummary& customer, MonetaryBasis basis,
                                         double spend) {
  throw InputError("rfm scores: customer '" + customer.id +
                   "': " + (basis == MonetaryBasis::total ? "total_spend" : "avg_spend") + " is " +
                   format_number(spend, 15) + ", but must be finite");
}

// The spend the M score is computed from. Throws InputError naming the customer when it is not
// finite. Called for every customer: the throw is out of line, so that this inlines.
double scored_spend(const CustomerSummary& customer, MonetaryBasis basis) {
  const double spend = basis == MonetaryBasis::total ? customer.total_spend : customer.avg_spend;
  if (!std::isfinite(spend)) [[unlikely]] {
    throw_spend_not_finite(customer, basis, spend);
  }
  return spend;
}

// ---- Quantile scores on order keys ----
//
// Ranking values only needs their order, so each value becomes an unsigned key ordered like it,
// and the bins are found without sorting (a sort cost most of the time of scoring millions of
// customers): each bin edge is decided by the tie group at one rank (see quantile_edges). That
// group is found from the number of keys per bucket of their top bits: a bucket holding a
// single distinct key is a whole tie group; from any other, the keys are collected and the rank
// selected among them. One pass over the keys counts them, one per such bucket collects, one
// scores.

// An unsigned key that sorts like v (not NaN): IEEE bit patterns read as integers sort
// non-negative doubles; negative ones need every bit flipped. + 0.0 makes -0 and +0 one key, as
// they compare equal and so are one tie group.
std::uint64_t order_key(double v) noexcept {
  const std::uint64_t bits = std::bit_cast<std::uint64_t>(v + 0.0);
  return (bits >> 63) != 0 ? ~bits : bits | (std::uint64_t{1} << 63);
}

// The keys in one bucket: their number and their range.
struct Bucket {
  std::size_t count = 0;
  std::uint64_t lowest = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t highest = 0;
};

// Keys counted by bucket, a bucket being the keys' top 16 bits (sign, exponent and the top four
// mantissa bits: a sixteenth of an octave), or fewer for fewer than 2^16 keys, so that small
// inputs do not pay for a large table.
struct KeyBuckets {
  int shift = 63;  ///< a key's bucket is key >> shift
  std::vector<Bucket> buckets;
  std::vector<std::size_t> end_rank;  ///< per bucket: how many keys are in it or below it
};

constexpr int kMaxBucketBits = 16;
// Bucket tables counted in parallel, merged after: a few per thread so a slow thread does not
// hold up the rest, but a bounded number, as each is 1.5 MB.
constexpr std::size_t kMaxBucketTables = 16;

int bucket_shift(std::size_t n) {
  return 64 - std::clamp(static_cast<int>(std::bit_width(n)), 1, kMaxBucketBits);
}

// keys[i] = key_of(i) for every i, and the keys counted by bucket. Contiguous slices of the
// range each count into their own table; counts and key ranges merge exactly, so the result
// does not depend on the slicing. When key_of throws, the exception of the lowest index that
// throws propagates (each slice stops at its first).
template <class KeyOf>
KeyBuckets fill_keys(std::span<std::uint64_t> keys, const KeyOf& key_of, int threads) {
  const std::size_t n = keys.size();
  KeyBuckets out;
  out.shift = bucket_shift(n);
  const std::size_t bucket_count = std::size_t{1} << (64 - out.shift);
  const std::size_t slices = std::min(
      {block_count(n), kMaxBucketTables, 2 * static_cast<std::size_t>(std::max(1, threads))});
  std::vector<std::vector<Bucket>> tables(slices);
  parallel_for(threads, slices, [&](std::size_t slice) {
    std::vector<Bucket>& table = tables[slice];
    table.resize(bucket_count);  // here, so that each thread faults in its own table
    for (std::size_t i = n * slice / slices; i < n * (slice + 1) / slices; ++i) {
      const std::uint64_t key = key_of(i);
      keys[i] = key;
      Bucket& bucket = table[key >> out.shift];
      ++bucket.count;
      bucket.lowest = std::min(bucket.lowest, key);
      bucket.highest = std::max(bucket.highest, key);
    }
  });
  out.buckets.resize(bucket_count);
  for (const std::vector<Bucket>& table : tables) {
    for (std::size_t b = 0; b < bucket_count; ++b) {
      out.buckets[b].count += table[b].count;
      out.buckets[b].lowest = std::min(out.buckets[b].lowest, table[b].lowest);
      out.buckets[b].highest = std::max(out.buckets[b].highest, table[b].highest);
    }
  }
  out.end_rank.resize(bucket_count);
  std::size_t below = 0;
  for (std::size_t b = 0; b < bucket_count; ++b) out.end_rank[b] = below += out.buckets[b].count;
  return out;
}

// The keys equal to `key`, which rank [begin, end) among all keys in ascending order.
struct TieGroup {
  std::uint64_t key = 0;
  std::size_t begin = 0;
  std::size_t end = 0;
};

// The keys in `bucket`, in index order.
std::vector<std::uint64_t> keys_in_bucket(std::span<const std::uint64_t> keys,
                                          const KeyBuckets& table, std::size_t bucket,
                                          int threads) {
  const std::size_t n = keys.size();
  std::vector<std::vector<std::uint64_t>> found(block_count(n));
  parallel_for(threads, found.size(), [&](std::size_t block) {
    for_each_in_block(n, block, [&](std::size_t i) {
      if (keys[i] >> table.shift == bucket) found[block].push_back(keys[i]);
    });
  });
  std::vector<std::uint64_t> out;
  out.reserve(table.buckets[bucket].count);
  for (const std::vector<std::uint64_t>& part : found) {
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

// The tie group holding rank `rank` (< keys.size()) of the ascending keys. A bucket of one
// distinct key answers from the counts alone; from any other, its keys are collected (a pass
// over all keys) and the rank selected among them (linear: they are not sorted).
TieGroup group_at_rank(std::span<const std::uint64_t> keys, const KeyBuckets& table,
                       std::size_t rank, int threads) {
  const auto at = std::upper_bound(table.end_rank.begin(), table.end_rank.end(), rank);
  const auto bucket = static_cast<std::size_t>(at - table.end_rank.begin());
  const std::size_t bucket_begin = *at - table.buckets[bucket].count;
  if (table.buckets[bucket].lowest == table.buckets[bucket].highest) {
    return {table.buckets[bucket].lowest, bucket_begin, *at};
  }
  std::vector<std::uint64_t> in_bucket = keys_in_bucket(keys, table, bucket, threads);
  const auto nth = in_bucket.begin() + static_cast<std::ptrdiff_t>(rank - bucket_begin);
  std::nth_element(in_bucket.begin(), nth, in_bucket.end());
  const std::uint64_t key = *nth;
  const auto below = static_cast<std::size_t>(std::count_if(
      in_bucket.begin(), in_bucket.end(), [key](std::uint64_t k) { return k < key; }));
  const auto equal = static_cast<std::size_t>(std::count(in_bucket.begin(), in_bucket.end(), key));
  return {key, bucket_begin + below, bucket_begin + below + equal};
}

// The bin edges of the tie rule documented at quantile_scores, as keys: a key scores 1 + the
// number of edges below it. The rule walks the tie groups in ascending order, but only the
// group where a bin reaches its target can close it: a group before it leaves the bin below
// target (in_bin + group < target), so 2 * in_bin + group < 2 * target and it cannot overshoot
// either. So each bin needs one group, group_at(rank) for the rank where the target is
// reached. Closing the bin before that group makes the group's key - 1 the edge (no key lies
// between it and the bin's largest key, so both score every key alike); closing after it, the
// group's key.
std::vector<std::uint64_t> quantile_edges(std::size_t n, int bins,
                                          const std::function<TieGroup(std::size_t)>& group_at) {
  std::vector<std::uint64_t> edges;
  std::size_t closed = 0;  // keys in closed bins: the current bin starts at this rank
  for (int bin = 1; bin < bins && closed < n; ++bin) {
    // The target, remaining / bins_left, is kept as that fraction: the comparisons are
    // cross-multiplied, so no rounding decides a boundary.
    const std::size_t remaining = n - closed;
    const auto bins_left = static_cast<std::size_t>(bins - bin + 1);
    const TieGroup group = group_at(closed + (remaining + bins_left - 1) / bins_left - 1);
    const std::size_t in_bin = group.begin - closed;
    const std::size_t size = group.end - group.begin;
    // Nearest to target: the group goes to the next bin when in_bin + size - target exceeds
    // target - in_bin.
    if (in_bin > 0 && (2 * in_bin + size) * bins_left > 2 * remaining) {
      edges.push_back(group.key - 1);
      closed = group.begin;
    } else {
      edges.push_back(group.key);
      closed = group.end;
    }
  }
  return edges;
}

int score_of(std::uint64_t key, std::span<const std::uint64_t> edges) noexcept {
  int score = 1;
  for (const std::uint64_t edge : edges) score += key > edge ? 1 : 0;
  return score;
}

// The quantile scores of keys.size() values: key_of(i) is the order key of value i, `keys` a
// buffer for all of them (may be uninitialised), set_score(i, score) takes the scores. On up to
// `threads` threads; nothing depends on their number.
template <class KeyOf, class SetScore>
void score_by_quantile(std::span<std::uint64_t> keys, int bins, const KeyOf& key_of,
                       const SetScore& set_score, int threads) {
  const KeyBuckets table = fill_keys(keys, key_of, threads);
  const std::vector<std::uint64_t> edges = quantile_edges(keys.size(), bins, [&](std::size_t rank) {
    return group_at_rank(keys, table, rank, threads);
  });
  parallel_for(threads, block_count(keys.size()), [&](std::size_t block) {
    for_each_in_block(keys.size(), block,
                      [&](std::size_t i) { set_score(i, score_of(keys[i], edges)); });
  });
}

[[noreturn]] void throw_nan_value(std::size_t index) {
  throw UsageError("quantile scores: value " + std::to_string(index) + " is NaN");
}

}  // namespace

std::string rfm_cell(RfmScore score) {
  const auto digit = [](std::uint8_t s) { return static_cast<char>('0' + s % 10); };
  return std::string{digit(score.r), digit(score.f), digit(score.m)};
}

std::vector<int> quantile_scores(std::span<const double> values, int bins, int threads) {
  if (bins < 1) {
    throw UsageError("quantile scores: bins is " + std::to_string(bins) +
                     ", but must be at least 1");
  }
  const std::size_t n = values.size();
  const auto key_buffer = std::make_unique_for_overwrite<std::uint64_t[]>(n);
  std::vector<int> scores(n);
  score_by_quantile(
      std::span<std::uint64_t>(key_buffer.get(), n), bins,
      [values](std::size_t i) {
        if (std::isnan(values[i])) [[unlikely]] {
          throw_nan_value(i);
        }
        return order_key(values[i]);
      },
      [&scores](std::size_t i, int score) { scores[i] = score; }, threads);
  return scores;
}

std::vector<double> quantile_edges_of_counts(std::vector<ValueCount> counts, int bins) {
  if (bins < 1) {
    throw UsageError("quantile edges: bins is " + std::to_string(bins) +
                     ", but must be at least 1");
  }
  for (const ValueCount& c : counts) {
    if (std::isnan(c.value)) throw UsageError("quantile edges: a value is NaN");
    if (c.count <= 0) {
      throw UsageError("quantile edges: value " + format_number(c.value, 17) + " has count " +
                       std::to_string(c.count) + ", but counts must be positive");
    }
  }
  std::sort(counts.begin(), counts.end(),
            [](const ValueCount& a, const ValueCount& b) { return order_key(a.value) < order_key(b.value); });
  // end_rank[i]: values up to and including distinct value i, in ascending order.
  std::vector<std::size_t> end_rank(counts.size());
  std::size_t n = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (i > 0 && order_key(counts[i].value) == order_key(counts[i - 1].value)) {
      throw UsageError("quantile edges: value " + format_number(counts[i].value, 17) +
                       " is given twice");
    }
    end_rank[i] = n += static_cast<std::size_t>(counts[i].count);
  }
  const std::vector<std::uint64_t> key_edges = quantile_edges(n, bins, [&](std::size_t rank) {
    const auto i = static_cast<std::size_t>(
        std::upper_bound(end_rank.begin(), end_rank.end(), rank) - end_rank.begin());
    return TieGroup{order_key(counts[i].value), end_rank[i] - static_cast<std::size_t>(counts[i].count),
                    end_rank[i]};
  });
  // Each key edge as the largest value at or below it: no value lies between the two.
  std::vector<double> edges;
  edges.reserve(key_edges.size());
  for (const std::uint64_t edge : key_edges) {
    const auto above = std::upper_bound(
        counts.begin(), counts.end(), edge,
        [](std::uint64_t key, const ValueCount& c) { return key < order_key(c.value); });
    edges.push_back(std::prev(above)->value);
  }
  return edges;
}

int threshold_score(double value, std::span<const double> edges) noexcept {
  int below = 0;
  for (const double edge : edges) {
    if (edge < value) ++below;
  }
  return 1 + below;
}

int threshold_recency_score(double days_since_last, std::span<const double> edges) noexcept {
  return static_cast<int>(edges.size()) + 2 - threshold_score(days_since_last, edges);
}

void check_threshold_edges(std::span<const double> edges, int bins, const std::string& what) {
  if (std::ssize(edges) != bins - 1) {
    throw UsageError(what + " edges: " + std::to_string(edges.size()) + " given, but " +
                     std::to_string(bins) + " bins need " + std::to_string(bins - 1));
  }
  for (std::size_t i = 0; i < edges.size(); ++i) {
    if (!std::isfinite(edges[i])) {
      throw UsageError(what + " edges: edge " + std::to_string(i + 1) + " is " +
                       format_number(edges[i], 15) + ", but must be finite");
    }
    if (i > 0 && !(edges[i - 1] < edges[i])) {
      throw UsageError(what + " edges must be strictly increasing, but " +
                       format_number(edges[i], 15) + " follows " + format_number(edges[i - 1], 15));
    }
  }
}

void check_scoring_spec(const ScoringSpec& spec, int bins) {
  if (bins < min_bins || bins > max_bins) {
    throw UsageError("rfm scores: bins is " + std::to_string(bins) + ", but must be in " +
                     std::to_string(min_bins) + ".." + std::to_string(max_bins));
  }
  if (spec.method == ScoringMethod::threshold) {
    check_threshold_edges(spec.recency_edges, bins, "recency_days");
    check_threshold_edges(spec.frequency_edges, bins, "purchase_days");
    check_threshold_edges(spec.monetary_edges, bins, "monetary");
  }
}

std::vector<RfmScore> score_customers(const std::vector<CustomerSummary>& customers,
                                      const ScoringSpec& spec, int bins, int threads) {
  check_scoring_spec(spec, bins);
  const std::size_t n = customers.size();
  // Fresh memory: its pages are faulted in on every thread before resize writes them.
  std::vector<RfmScore> scores;
  scores.reserve(n);
  populate_pages(scores.data(), n * sizeof(RfmScore), threads);
  scores.resize(n);
  if (spec.method == ScoringMethod::threshold) {
    parallel_for(threads, block_count(n), [&](std::size_t block) {
      for_each_in_block(n, block, [&](std::size_t i) {
        const CustomerSummary& c = customers[i];
        const double spend = scored_spend(c, spec.monetary_basis);
        scores[i].r = static_cast<std::uint8_t>(
            threshold_recency_score(static_cast<double>(c.days_since_last), spec.recency_edges));
        scores[i].f = static_cast<std::uint8_t>(
            threshold_score(static_cast<double>(c.purchase_days), spec.frequency_edges));
        scores[i].m = static_cast<std::uint8_t>(threshold_score(spend, spec.monetary_edges));
      });
    });
    return scores;
  }
  // One key buffer for the three dimensions in turn: a third of the fresh memory of three.
  const auto key_buffer = std::make_unique_for_overwrite<std::uint64_t[]>(n);
  const std::span<std::uint64_t> keys(key_buffer.get(), n);
  // M first: a spend that is not finite fails before any work is spent on R and F.
  score_by_quantile(
      keys, bins,
      [&](std::size_t i) { return order_key(scored_spend(customers[i], spec.monetary_basis)); },
      [&](std::size_t i, int score) { scores[i].m = static_cast<std::uint8_t>(score); }, threads);
  score_by_quantile(
      keys, bins,
      [&](std::size_t i) { return order_key(-static_cast<double>(customers[i].days_since_last)); },
      [&](std::size_t i, int score) { scores[i].r = static_cast<std::uint8_t>(score); }, threads);
  score_by_quantile(
      keys, bins,
      [&](std::size_t i) { return order_key(static_cast<double>(customers[i].purchase_days)); },
      [&](std::size_t i, int score) { scores[i].f = static_cast<std::uint8_t>(score); }, threads);
  return scores;
}

namespace {

// Ascending edges on a value whose higher values score higher (F, M), from `largest[k]`, the
// largest value scored k (-inf when none): edge k is the largest value scored k or less; from
// the highest score used on, a chain of the next doubles above the largest value, so that
// nothing this base holds scores above it.
std::vector<double> edges_scoring_up(const std::vector<double>& largest, int bins) {
  std::vector<double> edges;
  double below = -std::numeric_limits<double>::infinity();
  for (int k = 1; k < bins; ++k) {
    below = std::max(below, largest[static_cast<std::size_t>(k)]);
    // Past the highest score used (or an empty bin, which quantile scores do not leave below
    // it) the largest value repeats: the next double above keeps the edges increasing.
    if (!edges.empty() && below <= edges.back()) below = std::nextafter(edges.back(), HUGE_VAL);
    edges.push_back(below);
  }
  return edges;
}

}  // namespace

ScoringSpec threshold_spec_from_scores(const std::vector<CustomerSummary>& customers,
                                       const std::vector<RfmScore>& scores,
                                       const ScoringSpec& spec, int bins) {
  if (customers.empty() || customers.size() != scores.size()) {
    throw UsageError("threshold edges need scored customers (" + std::to_string(customers.size()) +
                     " customers, " + std::to_string(scores.size()) + " scores)");
  }
  // The largest value of each score, in one pass over the customers. R is on days since the
  // last purchase, fewer days scoring higher: its edges are taken on -days.
  const auto none = std::vector<double>(static_cast<std::size_t>(bins) + 1,
                                        -std::numeric_limits<double>::infinity());
  std::vector<double> largest_f = none;
  std::vector<double> largest_m = none;
  std::vector<double> largest_r = none;
  for (std::size_t i = 0; i < customers.size(); ++i) {
    const CustomerSummary& c = customers[i];
    double& f = largest_f[scores[i].f];
    f = std::max(f, static_cast<double>(c.purchase_days));
    double& m = largest_m[scores[i].m];
    m = std::max(m, scored_spend(c, spec.monetary_basis));
    double& r = largest_r[scores[i].r];
    r = std::max(r, -static_cast<double>(c.days_since_last));
  }
  ScoringSpec out = spec;
  out.method = ScoringMethod::threshold;
  out.frequency_edges = edges_scoring_up(largest_f, bins);
  out.monetary_edges = edges_scoring_up(largest_m, bins);
  // The R edges on -days, negated and reversed. threshold_recency_score counts edges strictly
  // below the days where threshold_score counts those strictly below the value, so each negated
  // edge moves to the next double below (days are whole numbers: nothing falls between).
  const std::vector<double> up = edges_scoring_up(largest_r, bins);
  out.recency_edges.clear();
  for (auto edge = up.rbegin(); edge != up.rend(); ++edge) {
    out.recency_edges.push_back(std::nextafter(-*edge, -HUGE_VAL));
  }
  check_scoring_spec(out, bins);
  return out;
}

}  // namespace clvkit
