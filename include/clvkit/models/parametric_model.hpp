#pragma once
// What every model of clvkit says about itself, whatever its family (purchase_model.hpp,
// spend_model.hpp): a stable key, a name for people, its parameters in the paper's order and
// symbols, and the latent traits of a simulated customer.

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clvkit/models/simulation_rng.hpp"

namespace clvkit {

class ParametricModel {
 public:
  virtual ~ParametricModel() = default;

  /// Stable key of the model family, used in JSON, model files and options: "bgnbd".
  virtual std::string_view key() const noexcept = 0;
  /// Name for people: "BG/NBD".
  virtual std::string_view label() const noexcept = 0;
  /// Parameter names in the paper's order and symbols: "r", "alpha", "a", "b".
  virtual std::vector<std::string> parameter_names() const = 0;
  /// The natural parameters, in the order of parameter_names.
  virtual std::vector<double> parameters() const = 0;

  /// Names of the latent traits a simulated customer's LatentState holds first, at most
  /// LatentState::kCapacity: BG/NBD {"lambda", "p"}, Gamma-Gamma {"nu"}.
  virtual std::vector<std::string> latent_names() const = 0;
  /// The traits in `state` for an error message (cold path), e.g. when a simulated customer
  /// makes implausibly many purchases or an amount overflows.
  virtual LatentDescription describe_latent(const LatentState& state) const = 0;
};

/// Checks that `params` has one value per name of `names` before a model is made from them;
/// throws ModelError "<key>: 3 parameters given, but the model has 4 (r, alpha, a, b)".
void require_parameter_count(std::string_view key, std::span<const double> params,
                             std::initializer_list<std::string_view> names);

}  // namespace clvkit
