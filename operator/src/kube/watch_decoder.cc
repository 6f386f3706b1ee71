#include "kube/watch_decoder.h"

namespace tfws::kube {
namespace {

std::string_view TrimLineEnding(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::string Excerpt(std::string_view line) {
  constexpr std::size_t kMax = 120;
  std::string out(line.substr(0, kMax));
  if (line.size() > kMax) out += "...";
  return out;
}

}  // namespace

bool LineDecoder::Feed(std::string_view chunk,
                       const std::function<bool(std::string_view)>& on_line) {
  while (!chunk.empty()) {
    std::size_t newline = chunk.find('\n');
    if (newline == std::string_view::npos) {
      if (pending_.size() + chunk.size() > max_line_bytes_) {
        std::size_t seen = pending_.size() + chunk.size();
        pending_.clear();
        throw WatchDecodeError("watch stream: a line exceeds " + std::to_string(max_line_bytes_) +
                               " bytes (" + std::to_string(seen) + " bytes without a newline)");
      }
      pending_.append(chunk);
      return true;
    }
    std::string_view piece = chunk.substr(0, newline);
    chunk.remove_prefix(newline + 1);
    if (pending_.size() + piece.size() > max_line_bytes_ + 1) {  // +1: a trailing '\r'
      pending_.clear();
      throw WatchDecodeError("watch stream: a line exceeds " + std::to_string(max_line_bytes_) +
                             " bytes");
    }
    std::string_view line;
    if (pending_.empty()) {
      line = TrimLineEnding(piece);
    } else {
      pending_.append(piece);
      line = TrimLineEnding(pending_);
    }
    bool keep_going = true;
    if (!line.empty()) keep_going = on_line(line);
    pending_.clear();
    if (!keep_going) return false;
  }
  return true;
}

WatchEvent WatchDecoder::ParseEvent(std::string_view line) {
  Json parsed = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    throw WatchDecodeError("watch stream: a line is not valid JSON: " + Excerpt(line));
  }
  if (!parsed.is_object()) {
    throw WatchDecodeError("watch stream: an event is not a JSON object: " + Excerpt(line));
  }
  auto type = parsed.find("type");
  if (type == parsed.end() || !type->is_string() || type->get_ref<const std::string&>().empty()) {
    throw WatchDecodeError("watch stream: an event has no \"type\": " + Excerpt(line));
  }
  auto object = parsed.find("object");
  if (object == parsed.end() || !object->is_object()) {
    throw WatchDecodeError("watch stream: event " + type->get<std::string>() +
                           " has no \"object\": " + Excerpt(line));
  }
  return WatchEvent{type->get<std::string>(), std::move(*object)};
}

bool WatchDecoder::Feed(std::string_view chunk, const std::function<bool(WatchEvent&&)>& on_event) {
  return lines_.Feed(chunk, [&](std::string_view line) { return on_event(ParseEvent(line)); });
}

}  // namespace tfws::kube
