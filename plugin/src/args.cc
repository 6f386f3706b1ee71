#include "args.h"

#include <sstream>

namespace tfws::plugin {

namespace {

const FlagSpec* FindLong(const std::vector<const FlagSpec*>& specs, const std::string& name) {
  for (const auto* s : specs) {
    if (s->name == name) return s;
  }
  return nullptr;
}

const FlagSpec* FindShort(const std::vector<const FlagSpec*>& specs, char c) {
  for (const auto* s : specs) {
    if (s->short_name == c) return s;
  }
  return nullptr;
}

}  // namespace

std::string ParsedArgs::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second.back();
}

const std::vector<std::string>& ParsedArgs::All(const std::string& name) const {
  static const std::vector<std::string> kNone;
  auto it = values_.find(name);
  return it == values_.end() ? kNone : it->second;
}

bool ParsedArgs::Bool(const std::string& name) const { return Get(name, "false") == "true"; }

std::optional<int> ParsedArgs::Int(const std::string& name, int min, int max) const {
  if (!Has(name)) return std::nullopt;
  const std::string text = Get(name);
  std::size_t used = 0;
  int value = 0;
  try {
    value = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || value < min || value > max) {
    throw UsageError("--" + name + ": invalid value \"" + text + "\": must be a whole number from " +
                     std::to_string(min) + " to " + std::to_string(max));
  }
  return value;
}

std::chrono::seconds ParseDuration(const std::string& text, const std::string& flag) {
  auto invalid = [&] {
    return UsageError("--" + flag + ": invalid duration \"" + text + "\": use e.g. 90s, 5m or 1h30m");
  };
  if (text.empty()) throw invalid();
  long long total = 0, number = -1;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      number = (number < 0 ? 0 : number) * 10 + (c - '0');
      if (number > 10'000'000) throw invalid();
      continue;
    }
    if (number < 0) throw invalid();
    if (c == 'h') total += number * 3600;
    else if (c == 'm') total += number * 60;
    else if (c == 's') total += number;
    else throw invalid();
    number = -1;
  }
  if (number >= 0) total += number;  // trailing bare number: seconds
  return std::chrono::seconds(total);
}

const std::vector<FlagSpec>& GlobalFlags() {
  static const std::vector<FlagSpec> kFlags = {
      {"kubeconfig", 0, true, false, "FILE", "kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config)"},
      {"context", 0, true, false, "NAME", "kubeconfig context to use instead of current-context"},
      {"namespace", 'n', true, false, "NS", "namespace (default: the context's namespace)"},
      {"help", 'h', false, false, "", "show this help"},
  };
  return kFlags;
}

ParsedArgs ParseArgs(const std::vector<std::string>& args, const std::vector<FlagSpec>& specs) {
  std::vector<const FlagSpec*> all;
  for (const auto& s : specs) all.push_back(&s);
  for (const auto& s : GlobalFlags()) all.push_back(&s);

  ParsedArgs parsed;
  auto store = [&](const FlagSpec& spec, std::string value) {
    if (!spec.takes_value && value != "true" && value != "false") {
      throw UsageError("--" + spec.name + ": invalid value \"" + value + "\": it is a switch (true or false)");
    }
    if (parsed.Has(spec.name) && !spec.repeated && spec.takes_value) {
      throw UsageError("--" + spec.name + " given twice; give it once");
    }
    parsed.Add(spec.name, std::move(value));
  };

  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      parsed.saw_dashes = true;
      parsed.after_dashes.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      parsed.positional.push_back(arg);
      continue;
    }
    const FlagSpec* spec = nullptr;
    std::optional<std::string> inline_value;
    if (arg[1] == '-') {
      std::string name = arg.substr(2);
      if (auto eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      spec = FindLong(all, name);
      if (!spec) throw UsageError("unknown flag --" + name);
    } else {
      spec = FindShort(all, arg[1]);
      if (!spec) throw UsageError(std::string("unknown shorthand flag -") + arg[1] + " in " + arg);
      if (arg.size() > 2) {
        if (!spec->takes_value) throw UsageError("-" + std::string(1, arg[1]) + " takes no value: " + arg);
        inline_value = arg[2] == '=' ? arg.substr(3) : arg.substr(2);
      }
    }
    if (inline_value) {
      store(*spec, *inline_value);
    } else if (!spec->takes_value) {
      store(*spec, "true");
    } else if (i + 1 < args.size()) {
      store(*spec, args[++i]);
    } else {
      throw UsageError("--" + spec->name + " needs a value" +
                       (spec->value_name.empty() ? "" : " (" + spec->value_name + ")"));
    }
  }
  return parsed;
}

std::string FormatFlags(const std::vector<FlagSpec>& specs) {
  std::ostringstream out;
  for (const auto& s : specs) {
    std::string left = s.short_name ? std::string("-") + s.short_name + ", " : "    ";
    left += "--" + s.name + (s.takes_value ? " " + s.value_name : "");
    out << "  " << left;
    if (left.size() < 26) {
      out << std::string(26 - left.size(), ' ');
    } else {
      out << "\n  " << std::string(26, ' ');
    }
    out << s.help << (s.repeated ? " (repeatable)" : "") << "\n";
  }
  return out.str();
}

}  // namespace tfws::plugin
