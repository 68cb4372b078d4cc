//! The GPU backend (cargo feature `gpu`): tensors in device memory and kernels in WGSL, run by
//! `wgpu` on Vulkan, Metal or DirectX 12.
//!
//! A [`Device::Gpu`](crate::Device::Gpu) is opened with [`Device::gpu`](crate::Device::gpu) or
//! [`Device::gpu_index`](crate::Device::gpu_index); its tensors hold a [`GpuBuffer`]. Kernels are
//! recorded into one command encoder and submitted in batches; nothing waits for the GPU until a
//! value is read back (`to_vec`, `item`, `to(&Device::Cpu)`). Buffers of dropped tensors go back
//! to a pool ([`GpuMemory`]), so a training loop's memory stays flat. No kernel uses atomics: a
//! result is the same on every run on the same device.

mod buffer;
pub(crate) mod context;
pub(crate) mod conv;
pub(crate) mod elementwise;
pub(crate) mod indexing;
mod kernels;
pub(crate) mod layout;
pub(crate) mod linalg;
pub(crate) mod optim;
pub(crate) mod params;
mod pool;
pub(crate) mod reduce;

pub use buffer::GpuBuffer;
pub use pool::GpuMemory;

use thiserror::Error;

/// Why a GPU could not be opened.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum GpuError {
    /// No Vulkan, Metal or DirectX 12 adapter answered.
    #[error(
        "no GPU adapter found: install a Vulkan driver, e.g. Debian's mesa-vulkan-drivers for a \
         software one, or use Device::Cpu"
    )]
    NoAdapter,
    /// `Device::gpu_index(n)` with `n` past the adapters found.
    #[error("no GPU adapter number {index}: {count} found (see Device::gpu_adapters())")]
    NoSuchAdapter {
        /// The index asked for.
        index: u32,
        /// How many adapters there are.
        count: usize,
    },
    /// The adapter refused to open a device.
    #[error("GPU adapter {adapter} could not open a device: {reason}")]
    DeviceRequest {
        /// The adapter's name.
        adapter: String,
        /// What wgpu said.
        reason: String,
    },
}

/// What an adapter is: shown so that a user knows which GPU (and which API) runs their model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuInfo {
    /// Its number for `Device::gpu_index`.
    pub index: u32,
    /// The adapter's name, e.g. "NVIDIA H200" or "llvmpipe (LLVM 15.0.6, 256 bits)".
    pub name: String,
    /// The API: "Vulkan", "Metal" or "Dx12".
    pub backend: String,
    /// "DiscreteGpu", "IntegratedGpu", "VirtualGpu", "Cpu" (a software rasteriser) or "Other".
    pub device_type: String,
    /// The driver's name and version, where the driver says.
    pub driver: String,
}

impl std::fmt::Display for GpuInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "gpu:{} {} ({}, {})",
            self.index, self.name, self.backend, self.device_type
        )?;
        if !self.driver.is_empty() {
            write!(f, ", driver {}", self.driver)?;
        }
        Ok(())
    }
}

/// Every adapter this build can open, in `Device::gpu_index` order.
pub fn adapters() -> Vec<GpuInfo> {
    context::adapters()
        .iter()
        .enumerate()
        .map(|(i, a)| context::describe(i as u32, a))
        .collect()
}

/// The memory counts of GPU `index` (zeros if it was never opened).
pub fn memory(index: u32) -> GpuMemory {
    context::open(index)
        .map(|ctx| ctx.pool.stats())
        .unwrap_or_default()
}

/// The largest tensor, in bytes, that one kernel of GPU `index` can read (the adapter's storage
/// binding limit); 0 if it cannot be opened.
pub fn max_tensor_bytes(index: u32) -> u64 {
    context::open(index)
        .map(|ctx| ctx.device.limits().max_storage_buffer_binding_size)
        .unwrap_or(0)
}

/// Frees the pooled (unused) buffers of GPU `index`.
pub fn release_pooled(index: u32) {
    if let Ok(ctx) = context::open(index) {
        ctx.wait();
        ctx.pool.clear();
    }
}

/// Waits until GPU `index` has finished all work recorded so far (for timing).
pub fn synchronize(index: u32) {
    if let Ok(ctx) = context::open(index) {
        ctx.wait();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_kernel_source_parses() {
        // naga is wgpu's shader compiler; a WGSL error here names the kernel and the line.
        for name in super::kernels::names() {
            let source = super::kernels::source(name);
            let module = match wgpu::naga::front::wgsl::parse_str(&source) {
                Ok(m) => m,
                Err(e) => panic!("{name}: {}", e.emit_to_string(&source)),
            };
            let mut validator = wgpu::naga::valid::Validator::new(
                wgpu::naga::valid::ValidationFlags::all(),
                wgpu::naga::valid::Capabilities::empty(),
            );
            if let Err(e) = validator.validate(&module) {
                panic!("{name}: {}", e.emit_to_string(&source));
            }
        }
    }
}
