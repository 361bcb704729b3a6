//! The benches' counting allocator: bytes live now, the most live at once since
//! [`start`], and bytes allocated in all. Each bench installs it:
//!
//! ```ignore
//! #[path = "support/counting.rs"]
//! #[allow(dead_code)]
//! mod counting;
//! #[global_allocator]
//! static ALLOCATOR: counting::Counting = counting::Counting;
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// The system allocator, counted.
pub struct Counting;

static TOTAL: AtomicUsize = AtomicUsize::new(0);
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(now, Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            TOTAL.fetch_add(layout.size(), Relaxed);
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            TOTAL.fetch_add(new_size, Relaxed);
            match new_size.checked_sub(layout.size()) {
                Some(more) => grew(more),
                None => {
                    CURRENT.fetch_sub(layout.size() - new_size, Relaxed);
                }
            }
        }
        p
    }
}

/// Where a measurement starts: the bytes live and allocated so far.
#[derive(Clone, Copy)]
pub struct Mark {
    live: usize,
    total: usize,
}

/// Starts a measurement: the peak is reset to what is live now.
pub fn start() -> Mark {
    let live = CURRENT.load(Relaxed);
    PEAK.store(live, Relaxed);
    Mark { live, total: TOTAL.load(Relaxed) }
}

impl Mark {
    /// How far live memory rose above the start at most.
    pub fn peak_growth(self) -> usize {
        PEAK.load(Relaxed).saturating_sub(self.live)
    }

    /// Bytes allocated since the start (freed or not).
    pub fn allocated(self) -> usize {
        TOTAL.load(Relaxed) - self.total
    }
}
