#include <sstream>

#include "command.h"

namespace tfws::plugin {

std::string CommandHelp(const Command& command) {
  std::ostringstream out;
  out << command.summary << "\n\nUsage:\n  " << command.usage << "\n";
  if (!command.details.empty()) out << "\n" << command.details;
  if (!command.flags.empty()) out << "\nFlags:\n" << FormatFlags(command.flags);
  out << "\nGlobal flags:\n" << FormatFlags(GlobalFlags());
  return out.str();
}

const std::vector<Command>& AllCommands() {
  static const std::vector<Command> kCommands = {
      CreateCommand(),  ListCommand(),    GpusCommand(),      OpenCommand(),     TokenCommand(),
      SshCommand(),     SshConfigCommand(), SshProxyCommand(), StopCommand(),   StartCommand(),
      RestartCommand(), DescribeCommand(), LogsCommand(),
  };
  return kCommands;
}

}  // namespace tfws::plugin
