// kubectl-tfws: the ML engineer's command line for tfws workspaces, run as
// `kubectl tfws COMMAND` (kubectl finds kubectl-tfws on PATH) or directly.
// Exit codes follow kubectl: 0 on success, 1 on any error (usage included).
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "command.h"
#include "errors.h"
#include "kube/api_error.h"

namespace {

using tfws::plugin::AllCommands;
using tfws::plugin::Command;

std::string TopLevelHelp() {
  std::string out =
      "kubectl tfws: create, reach and manage your GPU Jupyter workspaces (TFWorkspace, tfws.io).\n\n"
      "Commands:\n";
  for (const auto& c : AllCommands()) {
    out += "  " + c.name + std::string(c.name.size() < 12 ? 12 - c.name.size() : 1, ' ') + c.summary + "\n";
  }
  out +=
      "\nUsage:\n  kubectl tfws COMMAND [NAME] [flags]\n"
      "  kubectl tfws COMMAND --help    flags and examples of one command\n\n"
      "Global flags (every command): --kubeconfig FILE, --context NAME, -n/--namespace NS\n";
  return out;
}

// kubectl passes everything after "tfws" through, so global flags may come
// first (`kubectl tfws -n ml-team list`): moves them after the command name.
std::vector<std::string> CommandFirst(std::vector<std::string> args) {
  std::vector<std::string> leading;
  std::size_t i = 0;
  while (i < args.size() && args[i].size() > 1 && args[i][0] == '-' && args[i] != "-h" && args[i] != "--help" &&
         args[i] != "--version") {
    const std::string& flag = args[i];
    const bool takes_value = flag == "--kubeconfig" || flag == "--context" || flag == "--namespace" || flag == "-n";
    leading.push_back(flag);
    if (takes_value && i + 1 < args.size()) leading.push_back(args[++i]);
    ++i;
  }
  if (leading.empty() || i >= args.size()) return args;
  std::vector<std::string> out(args.begin() + static_cast<long>(i), args.end());
  // After the command's own arguments but before a `--` passthrough.
  auto dashes = std::find(out.begin(), out.end(), "--");
  out.insert(dashes, leading.begin(), leading.end());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args = CommandFirst(std::vector<std::string>(argv + 1, argv + argc));
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::cout << TopLevelHelp();
    return args.empty() ? 1 : 0;
  }
  if (args[0] == "version" || args[0] == "--version") {
    std::cout << "kubectl-tfws " << TFWS_VERSION << "\n";
    return 0;
  }
  const Command* command = nullptr;
  for (const auto& c : AllCommands()) {
    if (c.name == args[0]) command = &c;
  }
  if (!command) {
    std::cerr << "error: unknown command \"" << args[0] << "\" for \"kubectl tfws\"\n\n" << TopLevelHelp();
    return 1;
  }
  args.erase(args.begin());
  try {
    auto parsed = tfws::plugin::ParseArgs(args, command->flags);
    if (parsed.Bool("help")) {
      std::cout << CommandHelp(*command);
      return 0;
    }
    return command->run({std::move(parsed), std::cout, std::cerr});
  } catch (const tfws::plugin::UsageError& e) {
    std::cerr << "error: " << e.what() << "\nSee 'kubectl tfws " << command->name << " --help'.\n";
  } catch (const tfws::plugin::PluginError& e) {
    std::cerr << "error: " << e.what() << "\n";
  } catch (const tfws::kube::ConfigError& e) {
    std::cerr << "error: " << e.what() << "\n(kubectl-tfws reads the kubeconfig as kubectl does: --kubeconfig, "
              << "$KUBECONFIG, ~/.kube/config; --context picks a context)\n";
  } catch (const tfws::kube::TransportError& e) {
    std::cerr << "error: cannot reach the API server: " << e.what()
              << "\n(check the cluster is up and --context / $KUBECONFIG point at it)\n";
  } catch (const tfws::kube::ApiError& e) {
    std::cerr << "error: the API server refused: " << e.message() << " (HTTP " << e.code() << ")\n";
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
  }
  return 1;
}
