#include "kube/token_file_credentials.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "kube/api_error.h"

namespace tfws::kube {

TokenFileCredentials::TokenFileCredentials(std::string path, std::string origin)
    : path_(std::move(path)), origin_(std::move(origin)) {}

Credentials TokenFileCredentials::Get() {
  std::lock_guard lock(mutex_);
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    throw ConfigError(origin_ + " \"" + path_ + "\": " + std::strerror(errno));
  }
  bool changed = !loaded_ || st.st_ino != inode_ || st.st_size != size_ ||
                 st.st_mtim.tv_sec != mtime_.tv_sec || st.st_mtim.tv_nsec != mtime_.tv_nsec;
  if (changed) {
    std::ifstream in(path_, std::ios::binary);
    if (!in) throw ConfigError(origin_ + " \"" + path_ + "\": cannot be read");
    std::ostringstream text;
    text << in.rdbuf();
    std::string token = text.str();
    while (!token.empty() &&
           (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
      token.pop_back();
    }
    if (token.empty()) throw ConfigError(origin_ + " \"" + path_ + "\": the file is empty");
    token_ = std::move(token);
    loaded_ = true;
    inode_ = st.st_ino;
    size_ = st.st_size;
    mtime_ = st.st_mtim;
  }
  return {token_, {}, {}};
}

bool TokenFileCredentials::Invalidate() {
  std::lock_guard lock(mutex_);
  // Re-read on the next Get(). A rotated file is noticed by Get() anyway, so a
  // retry with the same file content would only earn a second 401.
  loaded_ = false;
  return false;
}

}  // namespace tfws::kube
