// How the process uses glibc's malloc (measured in bench/README.md).
//
// Arenas: glibc gives a thread that allocates while another holds the arena
// an arena of its own, up to 8 per core. The operator's informer, worker and
// HTTP threads each end up with one, and each keeps what was freed in it: with
// 1,000 workspaces that was about an eighth of the RSS (run 3: 44.0 MiB with
// the default, 38.5 MiB capped at 2, same cluster). The threads mostly wait on
// the network, so two arenas cost no measurable contention.
//
// Freed memory: after a create storm the heap is full of holes (decoded
// objects, request bodies) that glibc keeps mapped. Returning free pages to
// the kernel now and then brings RSS back to what the cache really holds.
#pragma once

namespace tfws::runtime {

// Caps glibc's malloc arenas at `arenas` unless MALLOC_ARENA_MAX is set in the
// environment (that setting wins). Call first thing in main, before any
// thread starts. A no-op with other C libraries. Returns the cap in effect,
// or 0 when the library's default is kept.
int CapMallocArenas(int arenas);

// Returns the free pages of every arena to the kernel (malloc_trim). Cheap
// with few arenas (a walk of their free lists); a no-op with other C
// libraries. Thread-safe.
void ReturnFreedMemory();

}  // namespace tfws::runtime
