#include "clvkit/rfm/scoring.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

#include "clvkit/error.hpp"
#include "clvkit/util/format.hpp"

namespace clvkit {
namespace {

constexpr int min_bins = 2;
constexpr int max_bins = 9;  // scores are single digits, see rfm_cell

void check_finite_spend(const std::vector<CustomerSummary>& customers, MonetaryBasis basis) {
  for (const CustomerSummary& customer : customers) {
    const double spend = basis == MonetaryBasis::total ? customer.total_spend : customer.avg_spend;
    if (!std::isfinite(spend)) {
      throw InputError("rfm scores: customer '" + customer.id +
                       "': " + (basis == MonetaryBasis::total ? "total_spend" : "avg_spend") +
                       " is " + format_number(spend, 15) + ", but must be finite");
    }
  }
}

}  // namespace

std::string rfm_cell(RfmScore score) {
  const auto digit = [](std::uint8_t s) { return static_cast<char>('0' + s % 10); };
  return std::string{digit(score.r), digit(score.f), digit(score.m)};
}

std::vector<int> quantile_scores(std::span<const double> values, int bins) {
  if (bins < 1) {
    throw UsageError("quantile scores: bins is " + std::to_string(bins) +
                     ", but must be at least 1");
  }
  const std::size_t n = values.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isnan(values[i])) {
      throw UsageError("quantile scores: value " + std::to_string(i) + " is NaN");
    }
  }
  // Ties get one score, so a score depends only on the value: the bins are found on the sorted
  // values (a plain sort of doubles, far faster than sorting indices by value) as the largest
  // value of each bin, and each customer's score is then looked up among those.
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());

  std::vector<double> bin_max;  // largest value of bins 1, 2, ...
  // The current bin's target is remaining / bins_left, kept as that exact fraction: every
  // comparison below is the cross-multiplied integer form, so no rounding decides a boundary.
  int bin = 1;
  std::int64_t remaining = static_cast<std::int64_t>(n);  // customers not in a closed bin
  std::int64_t bins_left = bins;                          // bins not closed, the current included
  std::int64_t in_bin = 0;
  const auto close_bin = [&](double largest) {
    bin_max.push_back(largest);
    ++bin;
    remaining -= in_bin;
    --bins_left;
    in_bin = 0;
  };
  std::size_t start = 0;
  while (start < n) {
    std::size_t end = start + 1;
    while (end < n && sorted[end] == sorted[start]) ++end;
    const auto group = static_cast<std::int64_t>(end - start);
    // Nearest to target: leave the group to the next bin when in_bin + group - target exceeds
    // target - in_bin, i.e. 2 * in_bin + group > 2 * target.
    if (in_bin > 0 && bin < bins && (2 * in_bin + group) * bins_left > 2 * remaining) {
      close_bin(sorted[start - 1]);
    }
    in_bin += group;
    if (bin < bins && in_bin * bins_left >= remaining) close_bin(sorted[end - 1]);
    start = end;
  }

  std::vector<int> scores(n);
  for (std::size_t i = 0; i < n; ++i) {
    int score = 1;
    for (const double largest : bin_max) score += values[i] > largest ? 1 : 0;
    scores[i] = score;
  }
  return scores;
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
                                      const ScoringSpec& spec, int bins) {
  check_scoring_spec(spec, bins);
  check_finite_spend(customers, spec.monetary_basis);
  const std::size_t n = customers.size();
  const auto spend = [&](const CustomerSummary& c) {
    return spec.monetary_basis == MonetaryBasis::total ? c.total_spend : c.avg_spend;
  };
  std::vector<RfmScore> scores(n);
  if (spec.method == ScoringMethod::threshold) {
    for (std::size_t i = 0; i < n; ++i) {
      const CustomerSummary& c = customers[i];
      scores[i].r = static_cast<std::uint8_t>(
          threshold_recency_score(static_cast<double>(c.days_since_last), spec.recency_edges));
      scores[i].f = static_cast<std::uint8_t>(
          threshold_score(static_cast<double>(c.purchase_days), spec.frequency_edges));
      scores[i].m = static_cast<std::uint8_t>(threshold_score(spend(c), spec.monetary_edges));
    }
    return scores;
  }
  std::vector<double> values(n);
  for (std::size_t i = 0; i < n; ++i)
    values[i] = -static_cast<double>(customers[i].days_since_last);
  const std::vector<int> r = quantile_scores(values, bins);
  for (std::size_t i = 0; i < n; ++i) values[i] = static_cast<double>(customers[i].purchase_days);
  const std::vector<int> f = quantile_scores(values, bins);
  for (std::size_t i = 0; i < n; ++i) values[i] = spend(customers[i]);
  const std::vector<int> m = quantile_scores(values, bins);
  for (std::size_t i = 0; i < n; ++i) {
    scores[i] = RfmScore{static_cast<std::uint8_t>(r[i]), static_cast<std::uint8_t>(f[i]),
                         static_cast<std::uint8_t>(m[i])};
  }
  return scores;
}

}  // namespace clvkit
