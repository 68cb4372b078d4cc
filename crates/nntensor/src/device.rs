//! Devices and storage: the seam where a backend plugs in.
//!
//! A [`Tensor`](crate::Tensor) is a shape plus a [`Storage`]: one enum variant per backend compiled
//! into this build. Every op in `nntensor` matches on its operands' storage once and calls that
//! backend's kernel, so the crates above never see which device holds a value. A backend that is
//! not compiled in is not a variant: it costs nothing, not even a branch.

use std::fmt;

/// Where a tensor's elements live and its ops run.
///
/// ```
/// use nntensor::{Device, Tensor};
/// let x = Tensor::ones([2, 3]);
/// assert_eq!(x.device(), Device::Cpu);
/// let y = x.to(&Device::Cpu); // a copy on the same device
/// assert_eq!(y, x);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Device {
    /// Host memory and the CPU kernels of [`crate::cpu`] (AVX-512 or AVX2 when the CPU has them).
    #[default]
    Cpu,
    /// GPU number `n` of [`Device::gpu_adapters`] (feature `gpu`): device memory and WGSL kernels
    /// run by wgpu. Made by [`Device::gpu`] or [`Device::gpu_index`], which open it.
    #[cfg(feature = "gpu")]
    Gpu(u32),
}

impl Device {
    /// The preferred GPU (a discrete one, then an integrated one, then a software one such as
    /// Mesa's lavapipe), opened; an error when there is none. [`Device::gpu_info`] says which
    /// adapter and API it is.
    ///
    /// ```no_run
    /// # #[cfg(feature = "gpu")] {
    /// let gpu = nntensor::Device::gpu().expect("a GPU");
    /// println!("{}", gpu.gpu_info().unwrap());
    /// # }
    /// ```
    #[cfg(feature = "gpu")]
    pub fn gpu() -> Result<Device, crate::gpu::GpuError> {
        let index = crate::gpu::context::preferred_index()?;
        Device::gpu_index(index)
    }

    /// GPU number `index` of [`Device::gpu_adapters`], opened.
    #[cfg(feature = "gpu")]
    pub fn gpu_index(index: u32) -> Result<Device, crate::gpu::GpuError> {
        crate::gpu::context::open(index)?;
        Ok(Device::Gpu(index))
    }

    /// Every GPU adapter this build can open (Vulkan, Metal, DirectX 12; never GL).
    #[cfg(feature = "gpu")]
    pub fn gpu_adapters() -> Vec<crate::gpu::GpuInfo> {
        crate::gpu::adapters()
    }

    /// The adapter behind a GPU device (name, API, kind, driver); `None` for the CPU.
    #[cfg(feature = "gpu")]
    pub fn gpu_info(&self) -> Option<crate::gpu::GpuInfo> {
        match self {
            Device::Cpu => None,
            Device::Gpu(index) => crate::gpu::context::open(*index)
                .ok()
                .map(|c| c.info.clone()),
        }
    }

    /// A device by name: `cpu`, `gpu` (the preferred GPU) or `gpu:N`; an error naming the fix
    /// when the name is unknown, the build has no GPU backend, or no GPU answers.
    ///
    /// ```
    /// assert_eq!(nntensor::Device::from_name("cpu").unwrap(), nntensor::Device::Cpu);
    /// assert!(nntensor::Device::from_name("tpu").is_err());
    /// ```
    pub fn from_name(name: &str) -> Result<Device, String> {
        match name {
            "cpu" => Ok(Device::Cpu),
            gpu if gpu == "gpu" || gpu.starts_with("gpu:") => Device::open_gpu(gpu),
            other => Err(format!(
                "unknown device {other:?}: expected cpu, gpu or gpu:N"
            )),
        }
    }

    #[cfg(feature = "gpu")]
    fn open_gpu(name: &str) -> Result<Device, String> {
        let opened = match name.strip_prefix("gpu:") {
            None => Device::gpu(),
            Some(n) => {
                let index: u32 = n
                    .parse()
                    .map_err(|_| format!("device {name:?}: expected gpu:N with N a number"))?;
                Device::gpu_index(index)
            }
        };
        opened.map_err(|e| e.to_string())
    }

    #[cfg(not(feature = "gpu"))]
    fn open_gpu(name: &str) -> Result<Device, String> {
        Err(format!(
            "device {name:?}: this build has no GPU backend; rebuild with the cargo feature \
             `gpu` (e.g. cargo run --release --features gpu …)"
        ))
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => write!(f, "cpu"),
            #[cfg(feature = "gpu")]
            Device::Gpu(index) => write!(f, "gpu:{index}"),
        }
    }
}

/// A tensor's elements, held by one backend. The shape lives beside it in the
/// [`Tensor`](crate::Tensor); every backend stores the elements densely in row-major order.
///
/// ```
/// use nntensor::{Storage, Tensor};
/// let x = Tensor::from_vec([2], vec![1.0, 2.0]).unwrap();
/// match x.storage() {
///     Storage::Cpu(data) => assert_eq!(data, &[1.0, 2.0]),
///     #[cfg(feature = "gpu")]
///     Storage::Gpu(_) => unreachable!(),
/// }
/// ```
#[derive(Clone, PartialEq)]
pub enum Storage {
    /// Host memory: the elements in row-major order.
    Cpu(Vec<f32>),
    /// Device memory of a GPU (feature `gpu`), row-major.
    #[cfg(feature = "gpu")]
    Gpu(crate::gpu::GpuBuffer),
}

impl Storage {
    /// The device this storage belongs to.
    pub fn device(&self) -> Device {
        match self {
            Storage::Cpu(_) => Device::Cpu,
            #[cfg(feature = "gpu")]
            Storage::Gpu(b) => Device::Gpu(b.index()),
        }
    }

    /// Number of elements held.
    pub fn len(&self) -> usize {
        match self {
            Storage::Cpu(data) => data.len(),
            #[cfg(feature = "gpu")]
            Storage::Gpu(b) => b.len(),
        }
    }

    /// Whether no elements are held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Storage::Cpu(data) => f.debug_tuple("Cpu").field(&data.len()).finish(),
            #[cfg(feature = "gpu")]
            Storage::Gpu(b) => fmt::Debug::fmt(b, f),
        }
    }
}

/// Panics (at the caller's line) unless every operand of `op` lives on the same device.
#[track_caller]
pub(crate) fn same_device(op: &str, a: Device, b: Device) {
    if a != b {
        panic!(
            "{op}: operands live on different devices ({a} and {b}); move one with .to(&device)"
        );
    }
}
