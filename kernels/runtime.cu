// Devices, errors and memory of libpvll_cuda.so.
// Memory: a per-device caching allocator (size-bucketed free lists) so a training step never
// calls cudaMalloc/cudaFree once the cache is warm; out-of-memory errors name the requested
// size and the free device memory. While a graph capture is open the cache is never given back
// (cudaFree would break the capture), and the synchronous copies and waits refuse to run (they
// would run once, at capture time, instead of at every replay).
// Also: scratch blocks released after their stream's work (scratch.cuh), pinned host memory,
// non-blocking streams and events for overlapping host-to-device copies with compute.
// Build: part of the CMake build (cmake --build build); checked by the Java device tests.
#include <cstdarg>
#include <cstdio>
#include <map>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "capture_pool.cuh"
#include "cuda_check.cuh"
#include "scratch.cuh"

namespace {
thread_local char last_error[1024] = "";

struct DeviceCache {
  std::multimap<size_t, void*> free_blocks;      // size -> block
  std::unordered_set<void*> is_free;             // the blocks in free_blocks (double frees are errors)
  std::unordered_map<void*, size_t> block_sizes;  // every block we own, in use or free
  long long cached = 0, in_use = 0;
};

std::mutex cache_mutex;
std::vector<DeviceCache> caches(64);

thread_local cudaStream_t thread_stream = nullptr;  // stream_of(NULL)
int open_captures = 0;                              // on any thread; guarded by cache_mutex
}  // namespace

namespace pvll_cuda {
/**
 * The memory of one captured graph: every block allocated on its device by the capturing thread
 * while the pool is attached. A block freed during the capture goes to the pool's free list of
 * its lane (the capturing stream it was freed on; inside a switch body, the stream of the switch)
 * and serves later allocations on the same lane only: work captured on one stream is ordered as
 * it is for plain launches, while two lanes may run at the same time. Blocks freed after the
 * capture stay with the graph, which still reads and writes them at every replay, until
 * capture_pool_release.
 */
struct CapturePool {
  int device;
  std::unordered_map<void*, size_t> owned;
  std::unordered_set<void*> freed;  // owned blocks no tensor holds any more
  std::map<cudaStream_t, std::multimap<size_t, void*>> free_by_lane;
  bool attached = true;
};
}  // namespace pvll_cuda

namespace {
thread_local pvll_cuda::CapturePool* attached_pool = nullptr;
thread_local cudaStream_t body_lane = nullptr;  // inside a switch body: the stream of the switch

/** The lane a capture-time allocation or free belongs to. */
cudaStream_t current_lane() { return body_lane ? body_lane : thread_stream; }
std::unordered_map<void*, pvll_cuda::CapturePool*> pool_of_block;  // guarded by cache_mutex

size_t round_size(long long bytes) {
  if (bytes <= 512) return 512;
  size_t b = 512;
  while (b < (size_t)bytes && b < (1u << 20)) b <<= 1;  // powers of two up to 1 MiB
  if (b >= (size_t)bytes) return b;
  return ((size_t)bytes + (1u << 20) - 1) / (1u << 20) * (1u << 20);  // then whole MiB
}

int release_free_blocks(int device) {
  DeviceCache& cache = caches[device];
  for (auto& entry : cache.free_blocks) {
    CUDA_CHECK("pvll_cuda_release_cache", cudaFree(entry.second));
    cache.block_sizes.erase(entry.second);
    cache.cached -= (long long)entry.first;
  }
  cache.free_blocks.clear();
  cache.is_free.clear();
  return PVLL_OK;
}
}  // namespace

namespace pvll_cuda {
cudaStream_t stream_of(void* stream) { return stream ? (cudaStream_t)stream : thread_stream; }

cudaStream_t thread_stream_get() { return thread_stream; }

void thread_stream_set(cudaStream_t stream) { thread_stream = stream; }

void capture_body_lane_set(cudaStream_t lane) { body_lane = lane; }

CapturePool* capture_pool_attach(int device) {
  auto* pool = new CapturePool{device, {}, {}, {}, true};
  std::lock_guard<std::mutex> lock(cache_mutex);
  attached_pool = pool;
  ++open_captures;
  return pool;
}

namespace {
/** Ends routing into pool. Caller holds cache_mutex. */
void detach_locked(CapturePool* pool) {
  if (pool->attached) --open_captures;
  pool->attached = false;
  pool->free_by_lane.clear();
  if (attached_pool == pool) attached_pool = nullptr;
}
}  // namespace

void capture_pool_detach(CapturePool* pool) {
  std::lock_guard<std::mutex> lock(cache_mutex);
  detach_locked(pool);
}

bool capture_open() { return attached_pool != nullptr; }

long long capture_pool_bytes(const CapturePool* pool) {
  std::lock_guard<std::mutex> lock(cache_mutex);
  long long total = 0;
  for (auto& block : pool->owned) total += (long long)block.second;
  return total;
}

void capture_pool_release(CapturePool* pool) {
  if (pool == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(cache_mutex);
    detach_locked(pool);
    DeviceCache& cache = caches[pool->device];
    for (auto& block : pool->owned) {
      pool_of_block.erase(block.first);
      // a block a live tensor still holds stays in use: it is freed like any other later
      if (!pool->freed.count(block.first)) continue;
      cache.in_use -= (long long)block.second;
      cache.free_blocks.emplace(block.second, block.first);
      cache.is_free.insert(block.first);
    }
  }
  delete pool;
}

int fail(int status, const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(last_error, sizeof last_error, format, args);
  va_end(args);
  return status;
}
}  // namespace pvll_cuda

PVLL_API const char* pvll_cuda_last_error(void) { return last_error; }
PVLL_API const char* pvll_cuda_build_status(void) { return PVLL_CUDA_BUILD_STATUS; }

PVLL_API int pvll_cuda_device_count(int* count) {
  CUDA_REQUIRE(count, "pvll_cuda_device_count: count is NULL");
  *count = 0;
  CUDA_CHECK("pvll_cuda_device_count", cudaGetDeviceCount(count));
  return PVLL_OK;
}

PVLL_API int pvll_cuda_versions(int* driver_version, int* runtime_version) {
  CUDA_REQUIRE(driver_version && runtime_version, "pvll_cuda_versions: NULL argument");
  *driver_version = 0;
  *runtime_version = 0;
  CUDA_CHECK("pvll_cuda_versions", cudaRuntimeGetVersion(runtime_version));
  CUDA_CHECK("pvll_cuda_versions", cudaDriverGetVersion(driver_version));
  return PVLL_OK;
}

PVLL_API int pvll_cuda_device_info(int device, char* name, int name_capacity, int64_t* total_bytes,
                                   int* major, int* minor, int* multiprocessors) {
  CUDA_REQUIRE(name && name_capacity > 0 && total_bytes && major && minor && multiprocessors,
               "pvll_cuda_device_info: NULL argument");
  cudaDeviceProp prop;
  CUDA_CHECK("pvll_cuda_device_info", cudaGetDeviceProperties(&prop, device));
  std::snprintf(name, (size_t)name_capacity, "%s", prop.name);
  *total_bytes = (int64_t)prop.totalGlobalMem;
  *major = prop.major;
  *minor = prop.minor;
  *multiprocessors = prop.multiProcessorCount;
  return PVLL_OK;
}

PVLL_API int pvll_cuda_memory_info(int device, int64_t* free_bytes, int64_t* total_bytes) {
  CUDA_REQUIRE(free_bytes && total_bytes, "pvll_cuda_memory_info: NULL argument");
  CUDA_CHECK("pvll_cuda_memory_info", cudaSetDevice(device));
  size_t f = 0, t = 0;
  CUDA_CHECK("pvll_cuda_memory_info", cudaMemGetInfo(&f, &t));
  *free_bytes = (int64_t)f;
  *total_bytes = (int64_t)t;
  return PVLL_OK;
}

PVLL_API int pvll_cuda_malloc(int device, int64_t bytes, void** out) {
  CUDA_REQUIRE(out && bytes >= 0 && device >= 0 && device < 64, "pvll_cuda_malloc: bad arguments");
  *out = nullptr;
  const size_t size = round_size(bytes);
  std::lock_guard<std::mutex> lock(cache_mutex);
  DeviceCache& cache = caches[device];
  pvll_cuda::CapturePool* pool = attached_pool && attached_pool->device == device ? attached_pool : nullptr;
  if (pool) {
    auto& lane = pool->free_by_lane[current_lane()];
    auto own = lane.lower_bound(size);
    if (own != lane.end() && own->first <= size * 2) {
      *out = own->second;
      pool->freed.erase(own->second);
      lane.erase(own);
      return PVLL_OK;
    }
  }
  auto hit = cache.free_blocks.lower_bound(size);
  if (hit != cache.free_blocks.end() && hit->first <= size * 2) {
    *out = hit->second;
    cache.in_use += (long long)hit->first;
    if (pool) {
      pool->owned[hit->second] = hit->first;
      pool_of_block[hit->second] = pool;
    }
    cache.is_free.erase(hit->second);
    cache.free_blocks.erase(hit);
    return PVLL_OK;
  }
  CUDA_CHECK("pvll_cuda_malloc", cudaSetDevice(device));
  void* p = nullptr;
  cudaError_t err = cudaMalloc(&p, size);
  // give the cache back and try once more; not while a capture is open (cudaFree would break it)
  if (err == cudaErrorMemoryAllocation && open_captures == 0) {
    (void)cudaGetLastError();
    int status = release_free_blocks(device);
    if (status != PVLL_OK) return status;
    err = cudaMalloc(&p, size);
  }
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    size_t f = 0, t = 0;
    cudaMemGetInfo(&f, &t);
    return pvll_cuda::fail(err == cudaErrorMemoryAllocation ? PVLL_ERR_OUT_OF_MEMORY : PVLL_ERR_CUDA,
                           "pvll_cuda_malloc: cannot allocate %lld bytes on cuda:%d (%.1f MiB free of "
                           "%.1f MiB, %.1f MiB held by pvll%s): %s",
                           (long long)bytes, device, f / 1048576.0, t / 1048576.0, (cache.cached) / 1048576.0,
                           open_captures ? "; not given back while a graph capture is open" : "",
                           cudaGetErrorString(err));
  }
  cache.block_sizes[p] = size;
  cache.cached += (long long)size;
  cache.in_use += (long long)size;
  if (pool) {
    pool->owned[p] = size;
    pool_of_block[p] = pool;
  }
  *out = p;
  return PVLL_OK;
}

PVLL_API int pvll_cuda_free(int device, void* ptr) {
  if (ptr == nullptr) return PVLL_OK;
  CUDA_REQUIRE(device >= 0 && device < 64, "pvll_cuda_free: bad device %d", device);
  std::lock_guard<std::mutex> lock(cache_mutex);
  DeviceCache& cache = caches[device];
  auto it = cache.block_sizes.find(ptr);
  CUDA_REQUIRE(it != cache.block_sizes.end(), "pvll_cuda_free: %p was not allocated by pvll on cuda:%d", ptr, device);
  CUDA_REQUIRE(!cache.is_free.count(ptr), "pvll_cuda_free: %p on cuda:%d was already freed", ptr, device);
  auto pooled = pool_of_block.find(ptr);
  if (pooled != pool_of_block.end()) {  // a graph's block: reusable within its capture, else kept
    pvll_cuda::CapturePool* pool = pooled->second;
    CUDA_REQUIRE(!pool->freed.count(ptr), "pvll_cuda_free: %p on cuda:%d was already freed (a graph's block)", ptr,
                 device);
    pool->freed.insert(ptr);
    if (pool->attached) pool->free_by_lane[current_lane()].emplace(it->second, ptr);
    return PVLL_OK;
  }
  if (attached_pool && attached_pool->device == device) {
    // made before this capture, freed during it: the graph reads it at every replay, so the graph keeps it
    attached_pool->owned[ptr] = it->second;
    attached_pool->freed.insert(ptr);
    pool_of_block[ptr] = attached_pool;
    return PVLL_OK;
  }
  cache.in_use -= (long long)it->second;
  cache.free_blocks.emplace(it->second, ptr);
  cache.is_free.insert(ptr);
  return PVLL_OK;
}

PVLL_API int pvll_cuda_cached_bytes(int device, int64_t* cached, int64_t* in_use) {
  CUDA_REQUIRE(cached && in_use && device >= 0 && device < 64, "pvll_cuda_cached_bytes: bad arguments");
  std::lock_guard<std::mutex> lock(cache_mutex);
  *cached = caches[device].cached;
  *in_use = caches[device].in_use;
  return PVLL_OK;
}

PVLL_API int pvll_cuda_release_cache(int device) {
  CUDA_REQUIRE(device >= 0 && device < 64, "pvll_cuda_release_cache: bad device %d", device);
  std::lock_guard<std::mutex> lock(cache_mutex);
  CUDA_REQUIRE(open_captures == 0, "pvll_cuda_release_cache: a graph capture is open (cudaFree would break it)");
  CUDA_CHECK("pvll_cuda_release_cache", cudaSetDevice(device));
  return release_free_blocks(device);
}

namespace {
/** The synchronous calls refuse to run inside a capture: they would run once, now, not at each replay. */
int refuse_in_capture(const char* op) {
  CUDA_REQUIRE(attached_pool == nullptr,
               "%s: a CUDA graph capture is open on this thread; a synchronous copy or wait would run once, "
               "now, instead of at every replay (copy through a tensor the graph reads, outside the capture)", op);
  return PVLL_OK;
}
}  // namespace

PVLL_API int pvll_cuda_copy_to_device(int device, const float* host, float* dev, int64_t count) {
  CUDA_REQUIRE(count >= 0, "pvll_cuda_copy_to_device: negative count");
  if (int s = refuse_in_capture("pvll_cuda_copy_to_device")) return s;
  CUDA_CHECK("pvll_cuda_copy_to_device", cudaSetDevice(device));
  CUDA_CHECK("pvll_cuda_copy_to_device", cudaMemcpy(dev, host, (size_t)count * 4, cudaMemcpyHostToDevice));
  return PVLL_OK;
}

PVLL_API int pvll_cuda_copy_to_host(int device, const float* dev, float* host, int64_t count) {
  CUDA_REQUIRE(count >= 0, "pvll_cuda_copy_to_host: negative count");
  if (int s = refuse_in_capture("pvll_cuda_copy_to_host")) return s;
  CUDA_CHECK("pvll_cuda_copy_to_host", cudaSetDevice(device));
  CUDA_CHECK("pvll_cuda_copy_to_host", cudaMemcpy(host, dev, (size_t)count * 4, cudaMemcpyDeviceToHost));
  return PVLL_OK;
}

PVLL_API int pvll_cuda_copy_device(int device, const float* src, float* dst, int64_t count, void* stream) {
  CUDA_REQUIRE(count >= 0, "pvll_cuda_copy_device: negative count");
  CUDA_CHECK("pvll_cuda_copy_device", cudaSetDevice(device));
  CUDA_CHECK("pvll_cuda_copy_device",
             cudaMemcpyAsync(dst, src, (size_t)count * 4, cudaMemcpyDeviceToDevice, ::pvll_cuda::stream_of(stream)));
  return PVLL_OK;
}

PVLL_API int pvll_cuda_synchronize(int device) {
  if (int s = refuse_in_capture("pvll_cuda_synchronize")) return s;
  {
    std::lock_guard<std::mutex> lock(cache_mutex);
    CUDA_REQUIRE(open_captures == 0,
                 "pvll_cuda_synchronize: a CUDA graph capture is open on another thread; waiting for the whole "
                 "device would break it (wait for a stream or an event instead)");
  }
  CUDA_CHECK("pvll_cuda_synchronize", cudaSetDevice(device));
  CUDA_CHECK("pvll_cuda_synchronize", cudaDeviceSynchronize());
  return PVLL_OK;
}

// ---------------------------------------------------------------- scratch (scratch.cuh)

namespace {
struct PendingBlock {
  int device;
  void* ptr;
  cudaEvent_t done;
};
std::mutex pending_mutex;
std::vector<PendingBlock> pending;   // released, waiting for their event
std::vector<cudaEvent_t> spare_events;  // recorded-and-completed events for reuse (any device)

// Returns the pending blocks whose events have completed to the cache. Caller holds pending_mutex.
void reap_pending() {
  size_t kept = 0;
  for (size_t i = 0; i < pending.size(); ++i) {
    cudaError_t err = cudaEventQuery(pending[i].done);
    if (err == cudaErrorNotReady) {
      (void)cudaGetLastError();  // "not ready" is not an error: keep it out of the next launch check
      pending[kept++] = pending[i];
      continue;
    }
    (void)cudaGetLastError();
    pvll_cuda_free(pending[i].device, pending[i].ptr);
    if (err == cudaSuccess) spare_events.push_back(pending[i].done);
    else cudaEventDestroy(pending[i].done);
  }
  pending.resize(kept);
}
}  // namespace

namespace pvll_cuda {
int scratch_alloc(size_t bytes, void** out) {
  int device = 0;
  CUDA_CHECK("scratch_alloc", cudaGetDevice(&device));
  if (attached_pool) return pvll_cuda_malloc(device, (int64_t)bytes, out);  // capture: no event queries
  {
    std::lock_guard<std::mutex> lock(pending_mutex);
    reap_pending();
  }
  return pvll_cuda_malloc(device, (int64_t)bytes, out);
}

int scratch_release(void* ptr, cudaStream_t stream) {
  if (ptr == nullptr) return PVLL_OK;
  int device = 0;
  CUDA_CHECK("scratch_release", cudaGetDevice(&device));
  if (attached_pool) return pvll_cuda_free(device, ptr);  // capture: stream-ordered reuse in the pool
  std::lock_guard<std::mutex> lock(pending_mutex);
  // Events are only reused on the device they were made on: keep it simple and make a fresh one
  // when the spare one belongs elsewhere (cudaEventRecord fails across devices).
  cudaEvent_t done = nullptr;
  if (!spare_events.empty()) {
    done = spare_events.back();
    spare_events.pop_back();
    if (cudaEventRecord(done, stream) != cudaSuccess) {
      (void)cudaGetLastError();
      cudaEventDestroy(done);
      done = nullptr;
    }
  }
  if (done == nullptr) {
    cudaError_t err = cudaEventCreateWithFlags(&done, cudaEventDisableTiming);
    if (err == cudaSuccess) err = cudaEventRecord(done, stream);
    if (err != cudaSuccess) {  // cannot defer: wait for the stream, then free at once
      (void)cudaGetLastError();
      if (done) cudaEventDestroy(done);
      CUDA_CHECK("scratch_release", cudaStreamSynchronize(stream));
      return pvll_cuda_free(device, ptr);
    }
  }
  pending.push_back({device, ptr, done});
  return PVLL_OK;
}
}  // namespace pvll_cuda

// ---------------------------------------------------------------- pinned memory, streams, events

PVLL_API int pvll_cuda_host_alloc_pinned(int64_t bytes, void** out) {
  CUDA_REQUIRE(out && bytes >= 0, "pvll_cuda_host_alloc_pinned: bad arguments");
  *out = nullptr;
  cudaError_t err = cudaHostAlloc(out, (size_t)(bytes > 0 ? bytes : 1), cudaHostAllocPortable);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    *out = nullptr;
    return pvll_cuda::fail(err == cudaErrorMemoryAllocation ? PVLL_ERR_OUT_OF_MEMORY : PVLL_ERR_CUDA,
                           "pvll_cuda_host_alloc_pinned: cannot pin %lld bytes of host memory: %s", (long long)bytes,
                           cudaGetErrorString(err));
  }
  return PVLL_OK;
}

PVLL_API int pvll_cuda_host_free_pinned(void* ptr) {
  if (ptr == nullptr) return PVLL_OK;
  CUDA_CHECK("pvll_cuda_host_free_pinned", cudaFreeHost(ptr));
  return PVLL_OK;
}

PVLL_API int pvll_cuda_stream_create(int device, void** stream) {
  CUDA_REQUIRE(stream, "pvll_cuda_stream_create: stream is NULL");
  *stream = nullptr;
  CUDA_CHECK("pvll_cuda_stream_create", cudaSetDevice(device));
  cudaStream_t s = nullptr;
  // Non-blocking: a blocking stream would serialise with every op on the legacy default stream.
  CUDA_CHECK("pvll_cuda_stream_create", cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  *stream = s;
  return PVLL_OK;
}

PVLL_API int pvll_cuda_stream_destroy(int device, void* stream) {
  if (stream == nullptr) return PVLL_OK;
  CUDA_CHECK("pvll_cuda_stream_destroy", cudaSetDevice(device));
  CUDA_CHECK("pvll_cuda_stream_destroy", cudaStreamDestroy((cudaStream_t)stream));
  return PVLL_OK;
}

PVLL_API int pvll_cuda_stream_synchronize(int device, void* stream) {
  if (stream == nullptr)
    if (int s = refuse_in_capture("pvll_cuda_stream_synchronize")) return s;
  CUDA_CHECK("pvll_cuda_stream_synchronize", cudaSetDevice(device));
  CUDA_CHECK("pvll_cuda_stream_synchronize", cudaStreamSynchronize(::pvll_cuda::stream_of(stream)));
  return PVLL_OK;
}

PVLL_API int pvll_cuda_event_create(int device, void** event) {
  CUDA_REQUIRE(event, "pvll_cuda_event_create: event is NULL");
  *event = nullptr;
  CUDA_CHECK("pvll_cuda_event_create", cudaSetDevice(device));
  cudaEvent_t e = nullptr;
  CUDA_CHECK("pvll_cuda_event_create", cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  *event = e;
  return PVLL_OK;
}

PVLL_API int pvll_cuda_event_destroy(int device, void* event) {
  if (event == nullptr) return PVLL_OK;
  CUDA_CHECK("pvll_cuda_event_destroy", cudaSetDevice(device));
  CUDA_CHECK("pvll_cuda_event_destroy", cudaEventDestroy((cudaEvent_t)event));
  return PVLL_OK;
}

PVLL_API int pvll_cuda_event_record(int device, void* event, void* stream) {
  CUDA_REQUIRE(event, "pvll_cuda_event_record: event is NULL");
  CUDA_CHECK("pvll_cuda_event_record", cudaSetDevice(device));
  CUDA_CHECK("pvll_cuda_event_record", cudaEventRecord((cudaEvent_t)event, ::pvll_cuda::stream_of(stream)));
  return PVLL_OK;
}

PVLL_API int pvll_cuda_event_synchronize(int device, void* event) {
  CUDA_REQUIRE(event, "pvll_cuda_event_synchronize: event is NULL");
  CUDA_CHECK("pvll_cuda_event_synchronize", cudaSetDevice(device));
  CUDA_CHECK("pvll_cuda_event_synchronize", cudaEventSynchronize((cudaEvent_t)event));
  return PVLL_OK;
}

PVLL_API int pvll_cuda_stream_wait_event(int device, void* stream, void* event) {
  CUDA_REQUIRE(event, "pvll_cuda_stream_wait_event: event is NULL");
  CUDA_CHECK("pvll_cuda_stream_wait_event", cudaSetDevice(device));
  CUDA_CHECK("pvll_cuda_stream_wait_event", cudaStreamWaitEvent(::pvll_cuda::stream_of(stream), (cudaEvent_t)event, 0));
  return PVLL_OK;
}

PVLL_API int pvll_cuda_copy_to_device_async(int device, const float* host, float* dev, int64_t count, void* stream) {
  CUDA_REQUIRE(count >= 0 && (count == 0 || (host && dev)), "pvll_cuda_copy_to_device_async: bad arguments");
  if (count == 0) return PVLL_OK;
  CUDA_CHECK("pvll_cuda_copy_to_device_async", cudaSetDevice(device));
  CUDA_CHECK("pvll_cuda_copy_to_device_async",
             cudaMemcpyAsync(dev, host, (size_t)count * 4, cudaMemcpyHostToDevice, ::pvll_cuda::stream_of(stream)));
  return PVLL_OK;
}

PVLL_API int pvll_cuda_read_doubles(int device, const double* dev, double* host, int count, void* stream) {
  CUDA_REQUIRE(count >= 0 && (count == 0 || (host && dev)), "pvll_cuda_read_doubles: bad arguments");
  if (int s = refuse_in_capture("pvll_cuda_read_doubles")) return s;
  if (count == 0) return PVLL_OK;
  CUDA_CHECK("pvll_cuda_read_doubles", cudaSetDevice(device));
  CUDA_CHECK("pvll_cuda_read_doubles",
             cudaMemcpyAsync(host, dev, (size_t)count * sizeof(double), cudaMemcpyDeviceToHost, ::pvll_cuda::stream_of(stream)));
  CUDA_CHECK("pvll_cuda_read_doubles", cudaStreamSynchronize(::pvll_cuda::stream_of(stream)));
  return PVLL_OK;
}
