//! The Rust half of the C services: one `extern "C"` function per
//! [`Environment`] method (declared for C in `csrc/cref_env.h`), each
//! converting C types and making exactly one call into the machine of the
//! operation in progress.
//!
//! These functions are called from C frames, so they must never unwind:
//! each runs its machine call under `catch_unwind`. If the machine panics
//! (a bug in `sim`), the panic message is kept, the C global
//! `cref_host_failure` is set and a harmless value is returned; the C
//! service then panics the C way, which ends the operation with a
//! `Panicked` outcome naming the failure.

use std::ffi::{c_char, c_int, c_uint, c_ulong, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Mutex;

use bindings::{cref_back_end, cref_empty_slab, cref_take_kind, vm_page};
use sim::{CacheId, CacheSpec, Machine, ObjectId, PhysAddr, PmapId, SlabBackEnd, SlabTake, VmPage};
use vm_rs::env::Environment;

/// The machine of the C operation in progress, null between operations.
///
/// Only the holder of the instance lock (a `CReference`) stores into it,
/// right before calling into C, and clears it right after the call returns;
/// the C runs on that same thread and calls the functions below only during
/// that call.
static MACHINE: AtomicPtr<Machine> = AtomicPtr::new(ptr::null_mut());

/// What went wrong in the last failed service call, for the outcome message.
static HOST_FAILURE: Mutex<Option<String>> = Mutex::new(None);

// The C sees the machine's page descriptors as `struct vm_page`.
const _: () = assert!(size_of::<VmPage>() == size_of::<vm_page>());
const _: () = assert!(align_of::<VmPage>() == align_of::<vm_page>());

/// Makes `machine` the one the C services use until the guard is dropped.
pub(crate) struct InstalledMachine(());

impl InstalledMachine {
    /// Installs `machine` for the duration of one C call. The caller must
    /// hold the instance lock and must not touch `machine` until the guard
    /// is dropped (the C services borrow it mutably in between).
    pub(crate) fn install(machine: &mut Machine) -> InstalledMachine {
        MACHINE.store(machine, Ordering::Release);
        InstalledMachine(())
    }
}

impl Drop for InstalledMachine {
    fn drop(&mut self) {
        MACHINE.store(ptr::null_mut(), Ordering::Release);
    }
}

/// Takes the description of the last machine failure, if any.
pub(crate) fn take_host_failure() -> Option<String> {
    HOST_FAILURE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take()
}

fn note_host_failure(message: String) {
    *HOST_FAILURE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(message);
    // SAFETY: cref_host_failure is a plain C int that only the thread
    // running the current C operation reads or writes, and that thread is
    // this one.
    unsafe { ptr::addr_of_mut!(bindings::cref_host_failure).write(1) };
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

/// Runs `call` on the installed machine; on a missing machine or a panic,
/// notes the failure and returns `fallback`.
fn with_machine<R>(fallback: R, call: impl FnOnce(&mut Machine) -> R) -> R {
    let machine = MACHINE.load(Ordering::Acquire);
    if machine.is_null() {
        note_host_failure("a C service ran outside an operation".to_owned());
        return fallback;
    }
    // SAFETY: a non-null MACHINE was installed by the lock holder, whose
    // C call is running on this thread right now (see `MACHINE`); the
    // holder does not use the machine until the call returns, so this is
    // the only live reference to it.
    let machine = unsafe { &mut *machine };
    match catch_unwind(AssertUnwindSafe(|| call(machine))) {
        Ok(result) => result,
        Err(payload) => {
            note_host_failure(format!(
                "the machine panicked: {}",
                panic_message(&*payload)
            ));
            fallback
        }
    }
}

fn descriptor(machine: &mut Machine, pa: Option<PhysAddr>) -> *mut vm_page {
    match pa {
        Some(pa) => machine.page_descriptor(pa).cast::<vm_page>(),
        None => ptr::null_mut(),
    }
}

fn error_code(result: Result<(), vm_rs::Error>) -> c_int {
    match result {
        Ok(()) => 0,
        Err(error) => error.code(),
    }
}

/// `vm_kmem_boot_space`.
///
/// # Safety
/// `start` and `end` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn cref_env_boot_space(start: *mut c_ulong, end: *mut c_ulong) {
    let (boot_start, boot_end) = with_machine((0, 0), |machine| machine.boot_space());
    // SAFETY: the caller passes pointers to its own variables.
    unsafe {
        start.write(boot_start);
        end.write(boot_end);
    }
}

/// `vm_phys_alloc`: a page descriptor, or null.
///
/// # Safety
/// Always safe; `unsafe` only to match the C declaration.
#[no_mangle]
pub unsafe extern "C" fn cref_env_phys_alloc(order: c_uint) -> *mut vm_page {
    with_machine(ptr::null_mut(), |machine| {
        let pa = machine.phys_alloc(order);
        descriptor(machine, pa)
    })
}

/// `vm_phys_free` of the page at `pa`.
///
/// # Safety
/// Always safe; `unsafe` only to match the C declaration.
#[no_mangle]
pub unsafe extern "C" fn cref_env_phys_free(pa: u64, order: c_uint) {
    with_machine((), |machine| machine.phys_free(PhysAddr(pa), order));
}

/// `vm_phys_lookup_page`: the descriptor of `pa`, or null.
///
/// # Safety
/// Always safe; `unsafe` only to match the C declaration.
#[no_mangle]
pub unsafe extern "C" fn cref_env_phys_lookup(pa: u64) -> *mut vm_page {
    with_machine(ptr::null_mut(), |machine| {
        let found = machine.phys_lookup(PhysAddr(pa));
        descriptor(machine, found)
    })
}

/// `pmap_kenter`.
///
/// # Safety
/// Always safe; `unsafe` only to match the C declaration.
#[no_mangle]
pub unsafe extern "C" fn cref_env_pmap_kenter(va: c_ulong, pa: u64, prot: c_int) {
    with_machine((), |machine| {
        machine.pmap_kenter(va, PhysAddr(pa), prot as u32)
    });
}

/// `pmap_kremove`.
///
/// # Safety
/// Always safe; `unsafe` only to match the C declaration.
#[no_mangle]
pub unsafe extern "C" fn cref_env_pmap_kremove(start: c_ulong, end: c_ulong) {
    with_machine((), |machine| machine.pmap_kremove(start, end));
}

/// `pmap_kgrow`: 1 when the tables grew, 0 when a page was missing.
///
/// # Safety
/// Always safe; `unsafe` only to match the C declaration.
#[no_mangle]
pub unsafe extern "C" fn cref_env_pmap_kgrow(end: c_ulong) -> c_int {
    with_machine(1, |machine| c_int::from(machine.pmap_kgrow(end).is_ok()))
}

/// `pmap_klimit`.
///
/// # Safety
/// Always safe; `unsafe` only to match the C declaration.
#[no_mangle]
pub unsafe extern "C" fn cref_env_pmap_klimit() -> c_ulong {
    with_machine(0, |machine| machine.pmap_klimit())
}

/// `pmap_enter`: 0 or an X15 error code.
///
/// # Safety
/// Always safe; `unsafe` only to match the C declaration.
#[no_mangle]
pub unsafe extern "C" fn cref_env_pmap_enter(
    pmap: u32,
    va: c_ulong,
    pa: u64,
    prot: c_int,
) -> c_int {
    with_machine(0, |machine| {
        error_code(machine.pmap_enter(PmapId(pmap), va, PhysAddr(pa), prot as u32))
    })
}

/// `pmap_extract`: the physical address, or 0.
///
/// # Safety
/// Always safe; `unsafe` only to match the C declaration.
#[no_mangle]
pub unsafe extern "C" fn cref_env_pmap_extract(pmap: u32, va: c_ulong) -> u64 {
    with_machine(0, |machine| machine.pmap_extract(PmapId(pmap), va).0)
}

/// `pmap_update`.
///
/// # Safety
/// Always safe; `unsafe` only to match the C declaration.
#[no_mangle]
pub unsafe extern "C" fn cref_env_pmap_update(pmap: u32, start: c_ulong, end: c_ulong) {
    with_machine((), |machine| machine.pmap_update(PmapId(pmap), start, end));
}

/// `pmap_create`: 0 and the id in `*pmap`, or an X15 error code.
///
/// # Safety
/// `pmap` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn cref_env_pmap_create(pmap: *mut u32) -> c_int {
    let result = with_machine(Ok(PmapId(0)), |machine| machine.pmap_create());
    match result {
        Ok(id) => {
            // SAFETY: the caller passes a pointer to its own variable.
            unsafe { pmap.write(id.0) };
            0
        }
        Err(error) => error.code(),
    }
}

/// `kmem_cache_init`: the new cache's id.
///
/// # Safety
/// `name` must be a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn cref_env_kmem_cache_init(
    name: *const c_char,
    obj_size: usize,
    align: usize,
    flags: c_int,
    back_end: cref_back_end::Type,
) -> u32 {
    // SAFETY: vm_map.c passes string literals.
    let name = unsafe { CStr::from_ptr(name) };
    let name = name.to_str().unwrap_or("(name not UTF-8)");
    let back_end = if back_end == cref_back_end::CREF_BACK_END_KENTRY {
        SlabBackEnd::Kentry
    } else {
        SlabBackEnd::Default
    };
    with_machine(0, |machine| {
        machine
            .kmem_cache_init(CacheSpec::new(
                name,
                obj_size,
                align,
                flags as u32,
                back_end,
            ))
            .0
    })
}

/// The C's name for a back end.
fn c_back_end(back_end: SlabBackEnd) -> cref_back_end::Type {
    match back_end {
        SlabBackEnd::Kentry => cref_back_end::CREF_BACK_END_KENTRY,
        SlabBackEnd::Default => cref_back_end::CREF_BACK_END_DEFAULT,
    }
}

/// `kmem_cache_slab_size`.
///
/// # Safety
/// Always safe; `unsafe` only to match the C declaration.
#[no_mangle]
pub unsafe extern "C" fn cref_env_kmem_cache_slab_size(cache: u32) -> usize {
    with_machine(0, |machine| machine.kmem_cache_slab_size(CacheId(cache)))
}

/// One step of `kmem_cache_alloc`; see `cref_env.h`.
///
/// # Safety
/// `value` and `back_end` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn cref_env_kmem_cache_take(
    cache: u32,
    value: *mut c_ulong,
    back_end: *mut cref_back_end::Type,
) -> cref_take_kind::Type {
    let take = with_machine(SlabTake::Failed, |machine| {
        machine.kmem_cache_take(CacheId(cache))
    });
    // The back end means something only when a slab is needed; the other
    // answers leave the default there.
    let (kind, answer, slab_back_end) = match take {
        SlabTake::Object(va) => (cref_take_kind::CREF_TAKE_OBJECT, va, SlabBackEnd::Default),
        SlabTake::NeedSlab {
            slab_size_bytes,
            back_end,
        } => (
            cref_take_kind::CREF_TAKE_NEED_SLAB,
            slab_size_bytes as u64,
            back_end,
        ),
        SlabTake::Failed => (cref_take_kind::CREF_TAKE_FAILED, 0, SlabBackEnd::Default),
    };
    // SAFETY: the caller passes pointers to its own variables.
    unsafe {
        value.write(answer);
        back_end.write(c_back_end(slab_back_end));
    }
    kind
}

/// `kmem_cache_grow`.
///
/// # Safety
/// Always safe; `unsafe` only to match the C declaration.
#[no_mangle]
pub unsafe extern "C" fn cref_env_kmem_cache_grow(cache: u32, slab_va: c_ulong) {
    with_machine((), |machine| {
        machine.kmem_cache_grow(CacheId(cache), slab_va)
    });
}

/// `kmem_cache_free`.
///
/// # Safety
/// Always safe; `unsafe` only to match the C declaration.
#[no_mangle]
pub unsafe extern "C" fn cref_env_kmem_cache_free(cache: u32, object_va: c_ulong) {
    with_machine((), |machine| {
        machine.kmem_cache_free(CacheId(cache), object_va)
    });
}

/// One step of a reap: 1 and the slab, or 0 when no empty slab is left.
///
/// # Safety
/// `slab` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn cref_env_kmem_reap_next(slab: *mut cref_empty_slab) -> c_int {
    match with_machine(None, |machine| machine.kmem_reap_next()) {
        Some(empty) => {
            let c_slab = cref_empty_slab {
                cache: empty.cache.0,
                va: empty.va,
                size: empty.size_bytes,
                back_end: c_back_end(empty.back_end),
            };
            // SAFETY: the caller passes a pointer to its own variable.
            unsafe { slab.write(c_slab) };
            1
        }
        None => 0,
    }
}

/// The page part of `vm_kmem_alloc`: 1 when populated, 0 otherwise.
///
/// # Safety
/// Always safe; `unsafe` only to match the C declaration.
#[no_mangle]
pub unsafe extern "C" fn cref_env_kmem_populate(va: c_ulong, size: usize) -> c_int {
    with_machine(0, |machine| c_int::from(machine.kmem_populate(va, size)))
}

/// The page part of `vm_kmem_free`.
///
/// # Safety
/// Always safe; `unsafe` only to match the C declaration.
#[no_mangle]
pub unsafe extern "C" fn cref_env_kmem_depopulate(va: c_ulong, size: usize) {
    with_machine((), |machine| machine.kmem_depopulate(va, size));
}

/// A new anonymous object's id.
///
/// # Safety
/// Always safe; `unsafe` only to match the C declaration.
#[no_mangle]
pub unsafe extern "C" fn cref_env_object_create() -> u32 {
    with_machine(0, |machine| machine.object_create().0)
}

/// `vm_object_get`: the cached page's descriptor, or null.
///
/// # Safety
/// Always safe; `unsafe` only to match the C declaration.
#[no_mangle]
pub unsafe extern "C" fn cref_env_object_get(object: u32, offset: u64) -> *mut vm_page {
    with_machine(ptr::null_mut(), |machine| {
        let page = machine.object_get(ObjectId(object), offset);
        descriptor(machine, page)
    })
}

/// The anonymous pager's `get`: 0 and the page in `*pagep`, or an X15
/// error code.
///
/// # Safety
/// `pagep` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn cref_env_pager_get(
    object: u32,
    offset: u64,
    pagep: *mut *mut vm_page,
) -> c_int {
    let result = with_machine(Err(vm_rs::Error::NoMem), |machine| {
        machine
            .pager_get(ObjectId(object), offset)
            .map(|pa| descriptor(machine, Some(pa)))
    });
    match result {
        Ok(page) => {
            // SAFETY: the caller passes a pointer to its own variable.
            unsafe { pagep.write(page) };
            0
        }
        Err(error) => error.code(),
    }
}

/// `printk`'s output: `length` bytes of text.
///
/// # Safety
/// `text` must point to `length` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn cref_env_console(text: *const c_char, length: usize) {
    // SAFETY: printk passes its formatting buffer and the length it filled.
    let bytes = unsafe { std::slice::from_raw_parts(text.cast::<u8>(), length) };
    match std::str::from_utf8(bytes) {
        Ok(text) => with_machine((), |machine| machine.console(text)),
        Err(_) => {
            let text = String::from_utf8_lossy(bytes);
            with_machine((), |machine| machine.console(&text));
        }
    }
}

/// Compile-time check that each definition above has exactly the signature
/// bindgen read from `cref_env.h`: the two function items must coerce to one
/// function pointer type.
macro_rules! check_signatures {
    ($($name:ident),* $(,)?) => {
        $( const _: () = { let _ = [bindings::$name, $name]; }; )*
    };
}

check_signatures!(
    cref_env_boot_space,
    cref_env_phys_alloc,
    cref_env_phys_free,
    cref_env_phys_lookup,
    cref_env_pmap_kenter,
    cref_env_pmap_kremove,
    cref_env_pmap_kgrow,
    cref_env_pmap_klimit,
    cref_env_pmap_enter,
    cref_env_pmap_extract,
    cref_env_pmap_update,
    cref_env_pmap_create,
    cref_env_kmem_cache_init,
    cref_env_kmem_cache_slab_size,
    cref_env_kmem_cache_take,
    cref_env_kmem_cache_grow,
    cref_env_kmem_cache_free,
    cref_env_kmem_reap_next,
    cref_env_kmem_populate,
    cref_env_kmem_depopulate,
    cref_env_object_create,
    cref_env_object_get,
    cref_env_pager_get,
    cref_env_console,
);
