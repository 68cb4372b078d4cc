//! Buffers reused across steps: a dropped tensor's buffer goes back to a free list keyed by its
//! size class, and the next tensor of that class takes it, so memory stays flat across epochs
//! (a training step allocates the same sizes every time).

use std::collections::HashMap;
use std::sync::Mutex;

/// Bytes of device memory held for tensors, for checks that memory does not grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GpuMemory {
    /// Bytes of buffers that back live tensors.
    pub in_use_bytes: u64,
    /// Bytes of buffers kept in the pool for reuse.
    pub pooled_bytes: u64,
    /// Buffers created since the device was opened (a growing count means no reuse).
    pub buffers_created: u64,
}

/// The free lists and the counts behind [`GpuMemory`].
#[derive(Default)]
pub(crate) struct BufferPool {
    state: Mutex<PoolState>,
}

#[derive(Default)]
struct PoolState {
    free: HashMap<u64, Vec<wgpu::Buffer>>,
    stats: GpuMemory,
}

/// The size class of a request: the next of 1, 1¼, 1½, 1¾ times a power of two (at most 25 %
/// unused), and never under 256 bytes (a zero-sized buffer cannot be bound).
pub(crate) fn size_class(bytes: u64) -> u64 {
    let bytes = bytes.max(256);
    let top = 63 - bytes.leading_zeros() as u64;
    let quarter = (1u64 << top) / 4;
    bytes.div_ceil(quarter) * quarter
}

impl BufferPool {
    /// A buffer of at least `bytes`, from the pool or new.
    pub(crate) fn take(&self, device: &wgpu::Device, bytes: u64) -> wgpu::Buffer {
        let class = size_class(bytes);
        let mut state = self.state.lock().expect("GPU pool");
        let reused = state.free.get_mut(&class).and_then(Vec::pop);
        state.stats.in_use_bytes += class;
        match reused {
            Some(buffer) => {
                state.stats.pooled_bytes -= class;
                buffer
            }
            None => {
                state.stats.buffers_created += 1;
                drop(state);
                device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("tensor"),
                    size: class,
                    usage: wgpu::BufferUsages::STORAGE
                        | wgpu::BufferUsages::COPY_SRC
                        | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                })
            }
        }
    }

    /// Returns a buffer for reuse.
    pub(crate) fn give_back(&self, buffer: wgpu::Buffer) {
        let class = buffer.size();
        let mut state = self.state.lock().expect("GPU pool");
        state.stats.in_use_bytes -= class;
        state.stats.pooled_bytes += class;
        state.free.entry(class).or_default().push(buffer);
    }

    /// The counts now.
    pub(crate) fn stats(&self) -> GpuMemory {
        self.state.lock().expect("GPU pool").stats
    }

    /// Frees every pooled buffer (the memory goes back to the driver).
    pub(crate) fn clear(&self) {
        let mut state = self.state.lock().expect("GPU pool");
        state.free.clear();
        state.stats.pooled_bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::size_class;

    #[test]
    fn size_classes_round_up_by_at_most_a_quarter() {
        assert_eq!(size_class(0), 256);
        assert_eq!(size_class(256), 256);
        assert_eq!(size_class(257), 320);
        assert_eq!(size_class(1000), 1024);
        assert_eq!(size_class(1025), 1280);
        for bytes in [300u64, 5000, 123_457, 10_000_000] {
            let c = size_class(bytes);
            assert!(c >= bytes && c <= bytes + bytes / 4 + 64, "{bytes} → {c}");
        }
    }
}
