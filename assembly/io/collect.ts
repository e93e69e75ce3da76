// When to run the garbage collector. The minimal runtime frees nothing by
// itself, and one __collect marks every live object of the module (the
// field table, the key tables, their strings): that costs more than
// normalizing a small record. The host's copies are not the collector's
// (io/host_alloc.ts), and a call that maps an event makes no garbage; what
// does (the text of an error, a string made for an unusual input) is small.
// So the collector runs when the heap has had to grow since it last ran,
// which garbage piling up would make it do, and otherwise now and then.

/** Collect at least once in this many calls. */
const MAX_CALLS: i32 = 1024;

let calls: i32 = 0;
/** Memory pages after the last collection (0: none yet). */
let pages: i32 = 0;

/** Call once, at the end of the module's start: the tables are built, and
 *  what building them left behind (the rows' words, the key texts' parts)
 *  is a fixed, small amount. Counting from here, the first call does not
 *  collect just to free that. Fluent Bit before 4.1 instantiates the module
 *  afresh for every filter call, so there every call is a first call, and
 *  that collection (it marks every table) cost more than the call itself. */
export function startDone(): void {
  pages = memory.size();
}

/** Call first thing in every export. Collecting then is safe: the host has
 *  copied the previous result, and this call's copies are not managed. */
export function collectGarbage(): void {
  if (++calls >= MAX_CALLS || memory.size() > pages) {
    __collect();
    calls = 0;
    pages = memory.size();
  }
}
