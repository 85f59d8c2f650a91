#include "clvkit/models/simulation_rng.hpp"

#include <cmath>

namespace clvkit {
namespace {

constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ULL;  // 2^64 / golden ratio, odd

// Marsaglia & Tsang (2000): returns v with d * v ~ Gamma(d + 1/3, 1). The squeeze
// 1 - 0.0331 x^4 accepts most draws without a logarithm.
double marsaglia_tsang_v(SimulationRng& rng, double d, double c) noexcept {
  for (;;) {
    double x = 0.0;
    double v = 0.0;
    do {
      x = sample_standard_normal(rng);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = sample_uniform(rng);
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return v;
    if (std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) return v;
  }
}

}  // namespace

std::uint64_t splitmix64_mix(std::uint64_t x) noexcept {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

SimulationRng::SimulationRng(std::uint64_t seed) noexcept {
  // splitmix64 as a generator: never yields an all-zero state (the mixer is a bijection of
  // four distinct counter values).
  for (std::uint64_t& word : s_) {
    seed += kGolden;
    word = splitmix64_mix(seed);
  }
}

SimulationRng SimulationRng::for_customer(std::uint64_t seed, std::uint64_t index) noexcept {
  // Mixing the seed before adding the index keeps (seed, index) and (seed + 1, index - 1) apart.
  return SimulationRng(splitmix64_mix(splitmix64_mix(seed) + (index + 1) * kGolden));
}

double sample_uniform(SimulationRng& rng) noexcept {
  return (static_cast<double>(rng.next() >> 12) + 0.5) * 0x1.0p-52;
}

double sample_exponential(SimulationRng& rng) noexcept { return -std::log(sample_uniform(rng)); }

double sample_standard_normal(SimulationRng& rng) noexcept {
  if (rng.has_spare_normal_) {
    rng.has_spare_normal_ = false;
    return rng.spare_normal_;
  }
  for (;;) {
    const double u = 2.0 * sample_uniform(rng) - 1.0;
    const double v = 2.0 * sample_uniform(rng) - 1.0;
    const double s = u * u + v * v;
    if (s < 1.0 && s > 0.0) {
      // One logarithm, square root and division for two normals: the gamma draw behind every
      // amount spends most of its time here.
      const double scale = std::sqrt(-2.0 * std::log(s) / s);
      rng.spare_normal_ = v * scale;
      rng.has_spare_normal_ = true;
      return u * scale;
    }
  }
}

GammaSampler::GammaSampler(double shape) noexcept
    : boost_(shape < 1.0),
      inv_shape_(1.0 / shape),
      d_((boost_ ? shape + 1.0 : shape) - 1.0 / 3.0),
      c_(1.0 / std::sqrt(9.0 * d_)) {}

double GammaSampler::draw(SimulationRng& rng) const noexcept {
  const double g = d_ * marsaglia_tsang_v(rng, d_, c_);
  if (!boost_) return g;
  return g * std::exp(std::log(sample_uniform(rng)) * inv_shape_);
}

double GammaSampler::draw_log(SimulationRng& rng) const noexcept {
  const double log_g = std::log(d_ * marsaglia_tsang_v(rng, d_, c_));
  if (!boost_) return log_g;
  return log_g + std::log(sample_uniform(rng)) * inv_shape_;
}

double sample_beta(SimulationRng& rng, const GammaSampler& a, const GammaSampler& b) noexcept {
  const double log_x = a.draw_log(rng);
  const double log_y = b.draw_log(rng);
  // X / (X + Y) = 1 / (1 + exp(log Y - log X)); exp overflowing to inf gives exactly 0.
  return 1.0 / (1.0 + std::exp(log_y - log_x));
}

double sample_log_gamma(SimulationRng& rng, double shape) noexcept {
  return GammaSampler(shape).draw_log(rng);
}

double sample_gamma(SimulationRng& rng, double shape, double rate) noexcept {
  return GammaSampler(shape).draw(rng) / rate;
}

double sample_beta(SimulationRng& rng, double a, double b) noexcept {
  return sample_beta(rng, GammaSampler(a), GammaSampler(b));
}

}  // namespace clvkit
