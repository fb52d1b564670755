#pragma once
// uw::lower_this_thread_priority — for background threads (WAL checkpoints,
// search indexing) that should yield to the event loop and the writer on a
// busy machine. On Linux setpriority(PRIO_PROCESS, tid) renices just the
// calling thread. Returns false (and changes nothing) if the kernel refuses.
namespace uw {

bool lower_this_thread_priority(int nice);

}  // namespace uw
