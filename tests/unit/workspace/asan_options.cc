// ASan options built into unit_workspace: the slow (DWARF) unwinder on every
// allocation, so a leak that starts inside libcpprest (built without frame
// pointers) shows the cpprestsdk frames tests/lsan.supp names; the fast
// unwinder stops at the first libcpprest frame. Costs ~2 s over the binary.
extern "C" const char* __asan_default_options() { return "fast_unwind_on_malloc=0"; }
