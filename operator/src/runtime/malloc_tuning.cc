#include "runtime/malloc_tuning.h"

#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace tfws::runtime {

int CapMallocArenas(int arenas) {
  if (const char* set = std::getenv("MALLOC_ARENA_MAX"); set != nullptr && *set != '\0') {
    return std::atoi(set);  // glibc read it at startup already
  }
#if defined(__GLIBC__)
  if (arenas > 0 && mallopt(M_ARENA_MAX, arenas) == 1) return arenas;
#endif
  return 0;
}

void ReturnFreedMemory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace tfws::runtime
