// `danlu scenario FILE|DIR`: a claim (from the talk behind danlu, or any other) as a runnable
// check. A scenario names the danlu command(s) whose JSON output gives the figure, the claimed
// value with its tolerance, and what danlu assumed; the verdict says whether danlu's figure is
// consistent with the claim or how far off it is. danlu reports; it does not agree by
// construction: the claimed value never enters the computation.
#pragma once

#include <string>

namespace danlu {

int run_scenario(const std::string& path, bool json, const char* self_exe);

}  // namespace danlu
