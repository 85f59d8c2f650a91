#pragma once
// One exception hierarchy for the whole library. Library code throws; only the CLI's main()
// catches and turns the exit code into the process status. Nothing in the library prints or exits.

#include <stdexcept>
#include <string>

namespace clvkit {

/// Process exit codes, stable and documented in the README.
enum class ExitCode : int {
  ok = 0,
  usage = 1,  ///< bad command line or option value
  input = 2,  ///< bad input data (file, line, column named in the message)
  model = 3,  ///< a model cannot be fitted or evaluated (the parameter or customer is named)
  io = 4,     ///< a file could not be read or written
};

/// Base of every error clvkit throws; carries the exit code the CLI returns.
class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const noexcept { return code_; }

 private:
  ExitCode code_;
};

/// An option or argument value is invalid (e.g. "--bins 0").
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(ExitCode::usage, message) {}
};

/// Input data is malformed; messages have the form "file:line:column: reason".
class InputError : public Error {
 public:
  explicit InputError(const std::string& message) : Error(ExitCode::input, message) {}
};

/// A model cannot be fitted or evaluated; the message names the parameter or customer.
class ModelError : public Error {
 public:
  explicit ModelError(const std::string& message) : Error(ExitCode::model, message) {}
};

/// A file could not be opened, read, written or renamed.
class IoError : public Error {
 public:
  explicit IoError(const std::string& message) : Error(ExitCode::io, message) {}
};

}  // namespace clvkit
