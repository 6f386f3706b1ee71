// Incremental decoding of a watch stream: bytes in, complete events out.
//
// The API server writes one JSON object per line, but the network hands the
// body over in chunks cut anywhere (mid-line, mid-UTF-8 sequence, several lines
// per chunk). Feed the chunks in arrival order; each complete line is handed on
// exactly once, in order. "\r\n" endings and empty lines are tolerated. A line
// longer than the configured bound throws WatchDecodeError instead of growing
// memory without limit; a line that is not a watch event JSON also throws it.
//
// Not thread-safe: one decoder per stream, used by the thread reading it.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "kube/api_error.h"
#include "kube/watch_event.h"

namespace tfws::kube {

// The stream is not a valid watch stream. It derives from TransportError so a
// watcher treats it like a broken connection (reconnect), not a server verdict.
class WatchDecodeError : public TransportError {
 public:
  using TransportError::TransportError;
};

// Splits a byte stream into lines.
class LineDecoder {
 public:
  // 64 MiB: comfortably above the API server's largest object (etcd's 1.5 MiB
  // request limit, times JSON expansion), far below "unbounded".
  static constexpr std::size_t kDefaultMaxLineBytes = 64u << 20;

  explicit LineDecoder(std::size_t max_line_bytes = kDefaultMaxLineBytes)
      : max_line_bytes_(max_line_bytes) {}

  // Calls on_line for every line completed by chunk (without the line ending;
  // empty lines are skipped). Stops early and returns false when on_line does.
  bool Feed(std::string_view chunk, const std::function<bool(std::string_view line)>& on_line);

  // Bytes of an unfinished line held back for the next chunk.
  std::size_t pending_bytes() const { return pending_.size(); }

 private:
  std::size_t max_line_bytes_;
  std::string pending_;
};

// Turns the stream into WatchEvents.
class WatchDecoder {
 public:
  explicit WatchDecoder(std::size_t max_line_bytes = LineDecoder::kDefaultMaxLineBytes)
      : lines_(max_line_bytes) {}

  // Calls on_event for every event completed by chunk; returns false when on_event did.
  bool Feed(std::string_view chunk, const std::function<bool(WatchEvent&&)>& on_event);

  // True when the stream ended cleanly (no half line left over).
  bool AtLineBoundary() const { return lines_.pending_bytes() == 0; }

  // Parses one line: {"type": "...", "object": {...}}. Throws WatchDecodeError.
  static WatchEvent ParseEvent(std::string_view line);

 private:
  LineDecoder lines_;
};

}  // namespace tfws::kube
