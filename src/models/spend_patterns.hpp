#pragma once
// Internal to src/models: the Gamma-Gamma fit's compression of (x, m) observations.

#include <vector>

#include "clvkit/models/gamma_gamma_fit.hpp"

namespace clvkit::detail {

/// A distinct (x, m) pair and how many customers share it. Spend is usually recorded in cents,
/// so large customer bases repeat pairs often; the sorted order also makes the summed
/// likelihood independent of the input order.
struct SpendPattern {
  double x = 0.0;
  double m = 0.0;
  double count = 0.0;
};

/// The distinct (x, m) pairs of valid observations (x >= 1, m > 0, both finite), sorted by x then
/// m, with their counts; on up to `threads` threads, the result not depending on them. Whole
/// x and spends within a range whose top bits m shares (the usual data) take one radix sort of
/// 8-byte keys; anything else compress_spend_pairs, with the same result.
std::vector<SpendPattern> compress_spend(const std::vector<SpendObservation>& data, int threads);

/// The same by two stable radix sorts of the 16-byte pairs, for any valid observations.
std::vector<SpendPattern> compress_spend_pairs(const std::vector<SpendObservation>& data,
                                               int threads);

}  // namespace clvkit::detail
