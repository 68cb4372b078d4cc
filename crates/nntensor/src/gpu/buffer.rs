//! `GpuBuffer`: a tensor's elements in device memory, taken from and returned to the pool.

use super::context::GpuContext;
use std::fmt;
use std::sync::Arc;
use wgpu::util::DeviceExt;

/// `len` f32 elements in a device buffer (perhaps larger: the pool rounds sizes up).
pub struct GpuBuffer {
    pub(crate) ctx: Arc<GpuContext>,
    buffer: Option<wgpu::Buffer>,
    len: usize,
}

impl GpuBuffer {
    /// An uninitialised buffer for `len` elements (every kernel writes all of its output).
    pub(crate) fn uninit(ctx: &Arc<GpuContext>, len: usize) -> GpuBuffer {
        let buffer = ctx.pool.take(&ctx.device, (len as u64) * 4);
        GpuBuffer {
            ctx: ctx.clone(),
            buffer: Some(buffer),
            len,
        }
    }

    /// A buffer holding `data`, copied in order with the work already recorded.
    pub(crate) fn upload(ctx: &Arc<GpuContext>, data: &[f32]) -> GpuBuffer {
        let out = GpuBuffer::uninit(ctx, data.len());
        if !data.is_empty() {
            let staging = ctx
                .device
                .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("upload"),
                    contents: bytemuck::cast_slice(data),
                    usage: wgpu::BufferUsages::COPY_SRC,
                });
            let bytes = (data.len() * 4) as u64;
            ctx.record(|e| e.copy_buffer_to_buffer(&staging, 0, out.raw(), 0, bytes));
        }
        out
    }

    /// 32-bit words (indices, offsets) in a device buffer.
    pub(crate) fn upload_u32(ctx: &Arc<GpuContext>, data: &[u32]) -> GpuBuffer {
        let floats: &[f32] = bytemuck::cast_slice(data);
        GpuBuffer::upload(ctx, floats)
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The wgpu buffer, for bindings.
    pub(crate) fn raw(&self) -> &wgpu::Buffer {
        self.buffer.as_ref().expect("live buffer")
    }

    /// The elements copied back to host memory (waits for the work recorded before).
    pub fn read(&self) -> Vec<f32> {
        if self.len == 0 {
            return Vec::new();
        }
        let bytes = (self.len * 4) as u64;
        let ctx = &self.ctx;
        let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("download"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        ctx.record(|e| e.copy_buffer_to_buffer(self.raw(), 0, &staging, 0, bytes));
        ctx.flush();
        let slice = staging.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        ctx.wait();
        rx.recv()
            .expect("GPU map callback")
            .expect("GPU buffer could not be mapped for reading");
        let data =
            bytemuck::pod_collect_to_vec(&slice.get_mapped_range().expect("mapped GPU buffer"));
        staging.unmap();
        data
    }

    /// The device number of this buffer's context.
    pub(crate) fn index(&self) -> u32 {
        self.ctx.info.index
    }
}

impl Clone for GpuBuffer {
    /// A copy in a new buffer (tensors are values: a clone never shares storage).
    fn clone(&self) -> GpuBuffer {
        let out = GpuBuffer::uninit(&self.ctx, self.len);
        if self.len > 0 {
            let bytes = (self.len * 4) as u64;
            self.ctx
                .record(|e| e.copy_buffer_to_buffer(self.raw(), 0, out.raw(), 0, bytes));
        }
        out
    }
}

impl Drop for GpuBuffer {
    fn drop(&mut self) {
        if let Some(buffer) = self.buffer.take() {
            self.ctx.pool.give_back(buffer);
        }
    }
}

impl PartialEq for GpuBuffer {
    /// Equal elements (read back from the device), as for CPU storage.
    fn eq(&self, other: &GpuBuffer) -> bool {
        self.len == other.len && self.read() == other.read()
    }
}

impl fmt::Debug for GpuBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GpuBuffer(gpu:{}, {} elements)", self.index(), self.len)
    }
}

// A panic cannot leave a GpuBuffer half-updated in a way a caller could observe beyond its
// elements (as for a Vec<f32>): wgpu's internal locks are never held across our code. So
// tensors stay usable with `catch_unwind`, on every device.
impl std::panic::UnwindSafe for GpuBuffer {}
impl std::panic::RefUnwindSafe for GpuBuffer {}
