// How many malloc arenas the process may use.
//
// glibc gives a thread that allocates while another holds the arena an arena
// of its own, up to 8 per core. The operator's informer, worker and HTTP
// threads each end up with one, and the freed memory in each is kept: with
// 1,000 workspaces that is about an eighth of the RSS (bench/README.md, run 3:
// 44.0 MiB with the default, 38.5 MiB capped at 2, same cluster). The threads
// mostly wait on the network, so two arenas cost no measurable contention.
#pragma once

namespace tfws::runtime {

// Caps glibc's malloc arenas at `arenas` unless MALLOC_ARENA_MAX is set in the
// environment (that setting wins). Call first thing in main, before any
// thread starts. A no-op with other C libraries. Returns the cap in effect,
// or 0 when the library's default is kept.
int CapMallocArenas(int arenas);

}  // namespace tfws::runtime
