// Command-line parsing for kubectl-tfws, in kubectl's style: flags may come
// before or after positional arguments, `--name value`, `--name=value`, `-n
// value`, `-nvalue`, boolean flags without a value, repeated flags collected in
// order, and everything after a bare `--` kept verbatim (for `ssh NAME -- -v`).
//
// Pure; throws UsageError naming the flag and what it expects.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tfws::plugin {

// Bad command line: the caller prints the message and the command's usage.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct FlagSpec {
  std::string name;          // long name without dashes: "gpus"
  char short_name = 0;       // 'n' for -n; 0 = none
  bool takes_value = true;   // false: a boolean switch (--dry-run, -A)
  bool repeated = false;     // may be given several times (--dataset)
  std::string value_name;    // for help: "N", "FILE"
  std::string help;
};

class ParsedArgs {
 public:
  std::vector<std::string> positional;
  std::vector<std::string> after_dashes;  // arguments after a bare `--`
  bool saw_dashes = false;

  bool Has(const std::string& name) const { return values_.contains(name); }
  // The last value given, or fallback.
  std::string Get(const std::string& name, const std::string& fallback = {}) const;
  // Every value in command-line order (repeated flags).
  const std::vector<std::string>& All(const std::string& name) const;
  bool Bool(const std::string& name) const;
  // An integer flag in [min, max]; nullopt when absent. Throws UsageError otherwise.
  std::optional<int> Int(const std::string& name, int min, int max) const;

  void Add(const std::string& name, std::string value) { values_[name].push_back(std::move(value)); }

 private:
  std::map<std::string, std::vector<std::string>> values_;
};

// A kubectl-style duration: "90s", "5m", "1h", "1h30m" or plain seconds ("300").
// `flag` names the flag in the UsageError.
std::chrono::seconds ParseDuration(const std::string& text, const std::string& flag);

// Flags every command accepts: --kubeconfig, --context, -n/--namespace, -h/--help.
const std::vector<FlagSpec>& GlobalFlags();

// Parses args (the command name already removed) against specs + GlobalFlags().
ParsedArgs ParseArgs(const std::vector<std::string>& args, const std::vector<FlagSpec>& specs);

// The "Flags:" block of a help text, one flag per line with its help.
std::string FormatFlags(const std::vector<FlagSpec>& specs);

}  // namespace tfws::plugin
