// Bearer token read from a file and re-read whenever the file changes
// (kubelet rotates projected service-account tokens by swapping a symlink).
//
// Thread-safe. Get() stats the file on every call (cheap) and re-reads it when
// its inode, size or modification time changed. Throws ConfigError naming the
// file when it cannot be read or is empty.
#pragma once

#include <sys/types.h>

#include <ctime>
#include <mutex>
#include <string>

#include "kube/cluster_config.h"

namespace tfws::kube {

class TokenFileCredentials final : public CredentialSource {
 public:
  // origin prefixes messages, e.g. `kubeconfig /x: user "bob": tokenFile`.
  TokenFileCredentials(std::string path, std::string origin);
  Credentials Get() override;
  bool Invalidate() override;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string origin_;
  std::mutex mutex_;
  std::string token_;
  bool loaded_ = false;
  ino_t inode_ = 0;
  off_t size_ = 0;
  timespec mtime_{};
};

}  // namespace tfws::kube
