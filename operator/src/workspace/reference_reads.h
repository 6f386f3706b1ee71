// ReferenceReads: the user's Secrets and claims a workspace spec refers to, as
// this process last read them.
//
// They carry no tfws label, so no informer sees them change, and reading them
// on every pass (a Pod status change, our own status write) would cost a GET
// per reference per event. Instead each is read at most once per `ttl`
// (kReferenceReadTtl in production: a little less than the 30 s after which a
// missing or unusable reference is looked at again, so that retry still reads).
// What is remembered is cut down by the caller to what a pass looks at (never
// a token); "not found" is remembered too, a failed read is not.
//
// Thread-safe. The memory stays small: entries older than `ttl` are dropped
// every 256 reads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "time/clock.h"  // WallTime

namespace tfws::workspace {

inline constexpr std::chrono::seconds kReferenceReadTtl{25};

class ReferenceReads {
 public:
  explicit ReferenceReads(std::chrono::seconds ttl = kReferenceReadTtl) : ttl_(ttl) {}

  // What `read` returned for `key` (nullopt: not found) when that was less
  // than ttl before `now`; otherwise calls `read` (without holding the lock),
  // remembers its result at `now` and returns it. An exception from `read`
  // propagates and nothing is remembered.
  std::optional<nlohmann::json> Get(const std::string& key, time::WallTime now,
                                    const std::function<std::optional<nlohmann::json>()>& read);
  // Entries held (fresh or not yet dropped).
  std::size_t Size() const;

 private:
  struct Entry {
    time::WallTime at;
    std::optional<nlohmann::json> kept;
  };
  const std::chrono::seconds ttl_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
  std::uint64_t reads_ = 0;
};

}  // namespace tfws::workspace
