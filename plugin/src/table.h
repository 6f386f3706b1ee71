// kubectl's plain table output: upper-case headers, columns padded to the
// widest cell plus three spaces, no trailing spaces.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace tfws::plugin {

void PrintTable(std::ostream& out, const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& rows);

}  // namespace tfws::plugin
