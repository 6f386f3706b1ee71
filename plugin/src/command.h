// What every kubectl-tfws command is: a name, its help, its flags and the
// function that runs it. main.cc dispatches on the name; each command lives in
// its own cmd_<name>.cc and registers itself in AllCommands() (commands.cc).
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "args.h"

namespace tfws::plugin {

struct Invocation {
  ParsedArgs args;
  std::ostream& out;
  std::ostream& err;
};

struct Command {
  std::string name;
  std::string summary;   // one line for `kubectl tfws --help`
  std::string usage;     // "kubectl tfws create NAME [flags]"
  std::string details;   // paragraphs and examples for `kubectl tfws NAME --help`
  std::vector<FlagSpec> flags;
  // Returns the process exit code (0, or 1 as kubectl does on failure).
  std::function<int(const Invocation&)> run;
};

// The full `--help` text of one command.
std::string CommandHelp(const Command& command);

// Every command, in the order `kubectl tfws --help` lists them.
const std::vector<Command>& AllCommands();

// One factory per command file.
Command CreateCommand();
Command ListCommand();
Command GpusCommand();
Command TokenCommand();
Command StopCommand();
Command StartCommand();
Command RestartCommand();
Command DescribeCommand();
Command LogsCommand();
Command OpenCommand();
Command SshCommand();
Command SshConfigCommand();
Command SshProxyCommand();

}  // namespace tfws::plugin
