//! One opened GPU: the wgpu device and queue, the compiled kernels, the command encoder that
//! collects dispatches until a result must come back, and the registry that lets a
//! [`Device::Gpu`](crate::Device::Gpu) (a plain number) find its context.

use super::pool::BufferPool;
use super::{GpuError, GpuInfo};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use wgpu::util::DeviceExt;

/// Dispatches recorded before the encoder is submitted without being asked: enough to amortise a
/// submission, few enough that the GPU starts early.
const DISPATCHES_PER_SUBMIT: usize = 256;

/// Work-group size of the one-thread-per-element kernels (each kernel's WGSL says the same).
pub(crate) const GROUP: u32 = 256;

/// Work groups per grid row: WebGPU guarantees 65,535 per dimension.
const MAX_GROUPS_X: u32 = 32_768;

/// An opened adapter with everything the kernels need.
pub(crate) struct GpuContext {
    pub(crate) info: GpuInfo,
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    pub(crate) pool: BufferPool,
    pipelines: Mutex<HashMap<&'static str, Arc<Kernel>>>,
    pending: Mutex<Pending>,
}

/// A compiled kernel and the layout of its bindings (asked for once, not per dispatch).
struct Kernel {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

/// The encoder being filled, and how many dispatches it holds.
struct Pending {
    encoder: Option<wgpu::CommandEncoder>,
    dispatches: usize,
}

/// The opened contexts, by adapter index; a context lives as long as the program.
fn registry() -> &'static Mutex<HashMap<u32, Arc<GpuContext>>> {
    static CONTEXTS: OnceLock<Mutex<HashMap<u32, Arc<GpuContext>>>> = OnceLock::new();
    CONTEXTS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The backends nnfacade opens: never GL, whose fallback adapter would silently run another API.
fn backends() -> wgpu::Backends {
    wgpu::Backends::VULKAN | wgpu::Backends::METAL | wgpu::Backends::DX12
}

fn instance() -> &'static wgpu::Instance {
    static INSTANCE: OnceLock<wgpu::Instance> = OnceLock::new();
    INSTANCE.get_or_init(|| {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
        desc.backends = backends();
        wgpu::Instance::new(desc)
    })
}

/// The adapters this build can use, in the order `Device::gpu_index` numbers them.
pub(crate) fn adapters() -> Vec<wgpu::Adapter> {
    pollster::block_on(instance().enumerate_adapters(backends()))
}

/// What an adapter says about itself.
pub(crate) fn describe(index: u32, adapter: &wgpu::Adapter) -> GpuInfo {
    let info = adapter.get_info();
    GpuInfo {
        index,
        name: info.name,
        backend: format!("{:?}", info.backend),
        device_type: format!("{:?}", info.device_type),
        driver: format!("{} {}", info.driver, info.driver_info)
            .trim()
            .to_string(),
    }
}

/// The preferred adapter's index: a discrete GPU, then an integrated one, then anything else
/// (a virtual or software GPU such as lavapipe), first in enumeration order within each kind.
pub(crate) fn preferred_index() -> Result<u32, GpuError> {
    let all = adapters();
    let rank = |a: &wgpu::Adapter| match a.get_info().device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    };
    all.iter()
        .enumerate()
        .min_by_key(|(i, a)| (rank(a), *i))
        .map(|(i, _)| i as u32)
        .ok_or(GpuError::NoAdapter)
}

/// The context of adapter `index`, opened on first use.
pub(crate) fn open(index: u32) -> Result<Arc<GpuContext>, GpuError> {
    let mut contexts = registry().lock().expect("GPU registry");
    if let Some(ctx) = contexts.get(&index) {
        return Ok(ctx.clone());
    }
    let all = adapters();
    if all.is_empty() {
        return Err(GpuError::NoAdapter);
    }
    let adapter = all.get(index as usize).ok_or(GpuError::NoSuchAdapter {
        index,
        count: all.len(),
    })?;
    let info = describe(index, adapter);
    // The adapter's own buffer limits: a training set or a wide layer is larger than WebGPU's
    // 128 MiB default binding.
    let supported = adapter.limits();
    let limits = wgpu::Limits {
        max_storage_buffer_binding_size: supported.max_storage_buffer_binding_size,
        max_buffer_size: supported.max_buffer_size,
        max_storage_buffers_per_shader_stage: supported.max_storage_buffers_per_shader_stage.min(8),
        ..wgpu::Limits::default()
    };
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("nnfacade"),
        required_features: wgpu::Features::empty(),
        required_limits: limits,
        ..Default::default()
    }))
    .map_err(|e| GpuError::DeviceRequest {
        adapter: info.name.clone(),
        reason: e.to_string(),
    })?;
    let ctx = Arc::new(GpuContext {
        info,
        device,
        queue,
        pool: BufferPool::default(),
        pipelines: Mutex::new(HashMap::new()),
        pending: Mutex::new(Pending {
            encoder: None,
            dispatches: 0,
        }),
    });
    contexts.insert(index, ctx.clone());
    Ok(ctx)
}

/// The context of a device already opened by `Device::gpu*` (a `Device::Gpu` cannot exist
/// otherwise, except by hand: then this panics naming the fix).
#[track_caller]
pub(crate) fn get(index: u32) -> Arc<GpuContext> {
    match open(index) {
        Ok(ctx) => ctx,
        Err(e) => panic!("gpu:{index}: {e}"),
    }
}

/// A buffer binding of a dispatch.
pub(crate) type Binding<'a> = &'a wgpu::Buffer;

impl GpuContext {
    /// The compiled kernel `name` (a WGSL source of [`super::kernels`]), compiled on first use.
    fn pipeline(&self, name: &'static str) -> Arc<Kernel> {
        let mut pipelines = self.pipelines.lock().expect("GPU pipelines");
        if let Some(p) = pipelines.get(name) {
            return p.clone();
        }
        let source = super::kernels::source(name);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(name),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(name),
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            });
        let layout = pipeline.get_bind_group_layout(0);
        let kernel = Arc::new(Kernel { pipeline, layout });
        pipelines.insert(name, kernel.clone());
        kernel
    }

    /// Records one dispatch of kernel `name` with the 32-bit parameters `params` (binding 0)
    /// and `buffers` (bindings 1, 2, …) over `groups` work groups.
    pub(crate) fn dispatch(
        &self,
        name: &'static str,
        params: &[u32],
        buffers: &[Binding<'_>],
        groups: (u32, u32),
    ) {
        if groups.0 == 0 || groups.1 == 0 {
            return;
        }
        let kernel = self.pipeline(name);
        let params = if params.is_empty() {
            &[0u32][..]
        } else {
            params
        };
        let params = self
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("params"),
                contents: as_bytes(params),
                usage: wgpu::BufferUsages::STORAGE,
            });
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: params.as_entire_binding(),
        }];
        for (i, b) in buffers.iter().enumerate() {
            entries.push(wgpu::BindGroupEntry {
                binding: i as u32 + 1,
                resource: b.as_entire_binding(),
            });
        }
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(name),
            layout: &kernel.layout,
            entries: &entries,
        });
        self.record(|encoder| {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(name),
                timestamp_writes: None,
            });
            pass.set_pipeline(&kernel.pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(groups.0, groups.1, 1);
        });
    }

    /// Runs `f` on the pending encoder (made if there is none), submitting when it is full.
    pub(crate) fn record(&self, f: impl FnOnce(&mut wgpu::CommandEncoder)) {
        let mut pending = self.pending.lock().expect("GPU encoder");
        let encoder = pending.encoder.get_or_insert_with(|| {
            self.device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None })
        });
        f(encoder);
        pending.dispatches += 1;
        if pending.dispatches >= DISPATCHES_PER_SUBMIT {
            let encoder = pending.encoder.take().expect("just filled");
            pending.dispatches = 0;
            self.queue.submit([encoder.finish()]);
        }
    }

    /// Submits whatever is recorded.
    pub(crate) fn flush(&self) {
        let mut pending = self.pending.lock().expect("GPU encoder");
        if let Some(encoder) = pending.encoder.take() {
            pending.dispatches = 0;
            self.queue.submit([encoder.finish()]);
        }
    }

    /// Waits until the GPU has finished everything submitted.
    pub(crate) fn wait(&self) {
        self.flush();
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .expect("GPU device lost while waiting for results");
    }
}

/// Work groups `(x, y)` covering `n` threads of [`GROUP`] (a kernel finds its element as
/// `gid.x + gid.y · nw.x · GROUP`).
pub(crate) fn grid(n: usize) -> (u32, u32) {
    groups_for(n.div_ceil(GROUP as usize))
}

/// A grid of `count` work groups, folded into rows when one row cannot hold them.
pub(crate) fn groups_for(count: usize) -> (u32, u32) {
    let count = count as u64;
    if count <= MAX_GROUPS_X as u64 {
        (count as u32, 1)
    } else {
        let rows = count.div_ceil(MAX_GROUPS_X as u64);
        (
            MAX_GROUPS_X,
            u32::try_from(rows).expect("too many work groups"),
        )
    }
}

/// 32-bit words seen as bytes (both plain data; no copy).
pub(crate) fn as_bytes(words: &[u32]) -> &[u8] {
    bytemuck::cast_slice(words)
}
