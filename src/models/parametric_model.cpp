#include "clvkit/models/parametric_model.hpp"

#include "clvkit/error.hpp"

namespace clvkit {

void require_parameter_count(std::string_view key, std::span<const double> params,
                             std::initializer_list<std::string_view> names) {
  if (params.size() == names.size()) return;
  std::string listed;
  for (const std::string_view name : names) {
    listed += (listed.empty() ? "" : ", ") + std::string(name);
  }
  throw ModelError(std::string(key) + ": " + std::to_string(params.size()) +
                   " parameters given, but the model has " + std::to_string(names.size()) + " (" +
                   listed + ")");
}

}  // namespace clvkit
