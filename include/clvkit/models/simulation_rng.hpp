#pragma once
// The random streams of the simulations (the log simulator, simulate.hpp, and the forecast,
// forecast.hpp) and the variates drawn from them, plus LatentState, the small fixed-size record
// into which a model draws one simulated customer's latent traits (PurchaseModel::draw_customer,
// SpendModel::draw_customer_spend).
//
// Every variate is computed here from raw 64-bit words (no std:: distributions, whose results are
// implementation-defined), so a stream's variates depend only on its seed and the sequence of
// calls made on it, not on the standard library. They still go through the C library's log, exp
// and sqrt: sqrt is exact everywhere, but another libm could round log or exp differently in the
// last bit, which in rare draws can change a result.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace clvkit {

/// xoshiro256** (Blackman & Vigna 2018): 256 bits of state, period 2^256 - 1. Cheap to seed,
/// which matters with one stream per customer. Also holds the second normal of the last polar
/// pair (see sample_standard_normal), so a stream's variates depend only on its seed and the
/// sequence of calls made on it.
class SimulationRng {
 public:
  /// The state is filled with four successive splitmix64 outputs starting from `seed`.
  explicit SimulationRng(std::uint64_t seed) noexcept;

  /// The stream of customer `index` under `seed`: seeded with a splitmix64 mix of both, so
  /// neighbouring customers and neighbouring seeds get unrelated streams.
  static SimulationRng for_customer(std::uint64_t seed, std::uint64_t index) noexcept;

  /// The next 64 uniformly distributed bits.
  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

 private:
  friend double sample_standard_normal(SimulationRng& rng) noexcept;
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
  double spare_normal_ = 0.0;
  bool has_spare_normal_ = false;
};

/// The splitmix64 finaliser: a bijective 64-bit mixer (Steele, Lea & Flood 2014).
std::uint64_t splitmix64_mix(std::uint64_t x) noexcept;

/// Uniform on the open interval (0, 1): (k + 1/2) 2^-52 for the top 52 bits k of one word.
double sample_uniform(SimulationRng& rng) noexcept;

/// Exponential with rate 1: -log U.
double sample_exponential(SimulationRng& rng) noexcept;

/// Standard normal by Marsaglia's polar method. Each accepted point gives two independent
/// normals: the first is returned, the second kept in `rng` and returned by the next call.
double sample_standard_normal(SimulationRng& rng) noexcept;

/// log of a Gamma(shape, 1) variate. Marsaglia & Tsang (2000), "A simple method for generating
/// gamma variables", for shape >= 1; for shape < 1 their boost: log G(shape + 1) + log(U) / shape,
/// which stays finite where the variate itself underflows. Requires shape > 0 and finite.
double sample_log_gamma(SimulationRng& rng, double shape) noexcept;

/// Gamma(shape, rate) variate (mean shape / rate, variance shape / rate^2); may underflow to 0 for
/// small shapes. Requires shape and rate positive and finite.
double sample_gamma(SimulationRng& rng, double shape, double rate) noexcept;

/// Beta(a, b) variate as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b), formed in log space so that
/// small shapes give 0 or 1 rather than 0/0. Requires a and b positive and finite.
double sample_beta(SimulationRng& rng, double a, double b) noexcept;

/// Gamma(shape, 1) variates for one fixed shape, with Marsaglia & Tsang's constants computed
/// once: a model that draws the same shape for every customer or purchase keeps one (the spend
/// draw happens once per simulated row and would otherwise pay a sqrt and a division each time).
/// draw and draw_log give the same variates as sample_gamma(rng, shape, 1) and
/// sample_log_gamma(rng, shape), consuming the stream the same way. Requires shape > 0 and finite.
class GammaSampler {
 public:
  explicit GammaSampler(double shape) noexcept;
  /// A Gamma(shape, 1) variate; may underflow to 0 for small shapes.
  double draw(SimulationRng& rng) const noexcept;
  /// log of a Gamma(shape, 1) variate, finite where the variate itself underflows.
  double draw_log(SimulationRng& rng) const noexcept;

 private:
  bool boost_;  // shape < 1: draw Gamma(shape + 1) and multiply by U^(1/shape)
  double inv_shape_;
  double d_;
  double c_;
};

/// sample_beta(rng, a, b) with the shapes' constants computed once: log X then log Y are drawn
/// from `a` and `b`.
double sample_beta(SimulationRng& rng, const GammaSampler& a, const GammaSampler& b) noexcept;

/// The latent traits of one simulated customer as a model draws them (PurchaseModel::draw_customer:
/// BG/NBD's lambda and p; SpendModel::draw_customer_spend: Gamma-Gamma's nu). A fixed-size value,
/// so that simulating millions of customers allocates nothing per customer. The first
/// latent_names().size() values are the model's named traits, in that order; the model may keep
/// values it derives from them in the rest, for its later draws of the same customer.
struct LatentState {
  static constexpr std::size_t kCapacity = 4;
  std::array<double, kCapacity> values{};
};

/// A simulated customer's latent traits for an error message: the values ("lambda = 1e+12 per time
/// unit and dropout p = 1e-07") and the parameters that drew them ("r, alpha, a and b").
struct LatentDescription {
  std::string values;
  std::string parameters;
};

}  // namespace clvkit
