//! The physical frame allocator: which frames are handed out, and in which
//! order new ones are chosen.
//!
//! Policy: the most recently freed frame first (a LIFO stack of freed
//! frames), otherwise the lowest frame never handed out since reset (a
//! watermark). Frame 0 is never handed out. Failures are reported as return
//! values (`None`, or a [`FreeError`]); the machine turns them into trace
//! results and violations.

/// Why a frame could not be freed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FreeError {
    /// The frame number is 0 or past the end of memory.
    NotAFrame,
    /// The frame is not allocated.
    AlreadyFree,
    /// The frame holds a page table.
    HoldsPageTable,
}

/// State of every frame, resettable in time proportional to the frames used.
#[derive(Debug)]
pub(crate) struct FrameAllocator {
    /// Whether each frame is currently handed out.
    allocated: Vec<bool>,
    /// Whether each allocated frame holds a page table.
    holds_table: Vec<bool>,
    /// Frames freed since reset and not yet handed out again, most recent last.
    freed: Vec<u32>,
    /// The lowest frame never handed out since reset.
    watermark: u32,
    /// How many page-table leaves point at each frame.
    leaves: Vec<u32>,
    /// Frames whose leaf count changed since reset (duplicates allowed).
    leaf_frames_touched: Vec<u32>,
    /// Leaves that point at a frame not handed out: kept up to date on
    /// every leaf write, allocation and free, so that the invariant "leaves
    /// point at frames the sim handed out" costs nothing to check.
    stray_leaves: u32,
}

impl FrameAllocator {
    /// An allocator over `frames` frames, all free.
    pub(crate) fn new(frames: u32) -> Self {
        FrameAllocator {
            allocated: vec![false; frames as usize],
            holds_table: vec![false; frames as usize],
            freed: Vec::new(),
            watermark: 1,
            leaves: vec![0; frames as usize],
            leaf_frames_touched: Vec::new(),
            stray_leaves: 0,
        }
    }

    /// Makes every frame free again, touching only frames handed out since
    /// the last reset (all lie below the watermark).
    pub(crate) fn reset(&mut self) {
        let touched = self.watermark as usize;
        self.allocated[..touched].fill(false);
        self.holds_table[..touched].fill(false);
        crate::reset_buffer(&mut self.freed, 256);
        self.watermark = 1;
        for &frame in &self.leaf_frames_touched {
            self.leaves[frame as usize] = 0;
        }
        crate::reset_buffer(&mut self.leaf_frames_touched, 1024);
        self.stray_leaves = 0;
    }

    /// The number of frames, frame 0 included.
    pub(crate) fn frame_count(&self) -> u32 {
        self.allocated.len() as u32
    }

    /// Hands out one frame by the allocation policy, or `None` when memory
    /// is exhausted.
    pub(crate) fn allocate(&mut self) -> Option<u32> {
        let frame = match self.freed.pop() {
            Some(frame) => frame,
            None if self.watermark < self.frame_count() => {
                self.watermark += 1;
                self.watermark - 1
            }
            None => return None,
        };
        self.allocated[frame as usize] = true;
        self.stray_leaves -= self.leaves[frame as usize];
        Some(frame)
    }

    /// Takes a frame back.
    pub(crate) fn free(&mut self, frame: u32) -> Result<(), FreeError> {
        if frame == 0 || frame >= self.frame_count() {
            return Err(FreeError::NotAFrame);
        }
        let index = frame as usize;
        if !self.allocated[index] {
            return Err(FreeError::AlreadyFree);
        }
        if self.holds_table[index] {
            return Err(FreeError::HoldsPageTable);
        }
        self.allocated[index] = false;
        self.freed.push(frame);
        self.stray_leaves += self.leaves[index];
        Ok(())
    }

    /// Counts a new leaf pointing at `frame` (ignored past the end of memory:
    /// such a leaf is stray for good, and counted as such).
    pub(crate) fn leaf_added(&mut self, frame: u64) {
        match usize::try_from(frame)
            .ok()
            .filter(|&index| index < self.leaves.len())
        {
            Some(index) => {
                self.leaves[index] += 1;
                self.leaf_frames_touched.push(index as u32);
                self.stray_leaves += u32::from(!self.allocated[index]);
            }
            None => self.stray_leaves += 1,
        }
    }

    /// Forgets a leaf pointing at `frame`, added by [`Self::leaf_added`].
    pub(crate) fn leaf_removed(&mut self, frame: u64) {
        match usize::try_from(frame)
            .ok()
            .filter(|&index| index < self.leaves.len())
        {
            Some(index) => {
                self.leaves[index] -= 1;
                self.stray_leaves -= u32::from(!self.allocated[index]);
            }
            None => self.stray_leaves -= 1,
        }
    }

    /// How many page-table leaves point at frames not handed out.
    pub(crate) fn stray_leaves(&self) -> u32 {
        self.stray_leaves
    }

    /// Marks an allocated frame as holding a page table (never freed after).
    pub(crate) fn mark_table(&mut self, frame: u32) {
        self.holds_table[frame as usize] = true;
    }

    /// Feeds `state` what decides the frames handed out next: the stack of
    /// freed frames and the watermark (the frames handed out follow from
    /// them, and which hold tables from the page tables).
    pub(crate) fn hash_future<H: core::hash::Hasher>(&self, state: &mut H) {
        use core::hash::Hash;
        self.freed.hash(state);
        self.watermark.hash(state);
    }

    /// Whether `frame` is a frame number and currently handed out.
    pub(crate) fn is_allocated(&self, frame: u64) -> bool {
        usize::try_from(frame)
            .ok()
            .and_then(|index| self.allocated.get(index))
            .copied()
            .unwrap_or(false)
    }
}
