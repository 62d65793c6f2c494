package dev.pvll.kernels;

import dev.pvll.kernels.bind.CudaGraphKernels;
import java.util.ArrayList;
import java.util.List;

/** Lanes of a capture: a stream per lane, an event per mark; the thread's stream switches per piece. */
final class CaptureLanes implements Lanes, AutoCloseable {
  private final Device device;
  private final CudaStream[] streams;
  private final List<CudaEvent> events = new ArrayList<>();
  private final CudaEvent[] lastOnLane;
  private final long main;
  private boolean inside;

  private record EventMark(CudaEvent event) implements Mark {}

  CaptureLanes(Device device, int count) {
    this.device = device;
    this.streams = new CudaStream[count];
    this.lastOnLane = new CudaEvent[count];
    long[] s = new long[1];
    Native.cuda("get_thread_stream", CudaGraphKernels.pvll_cuda_get_thread_stream(s));
    this.main = s[0];
    try {
      for (int i = 0; i < count; i++) streams[i] = CudaStream.create(device);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private CudaEvent newEvent() {
    CudaEvent e = CudaEvent.create(device);
    events.add(e);
    return e;
  }

  @Override
  public Mark mark() {
    if (inside) throw new IllegalStateException("lanes do not nest: mark() inside a lane's piece");
    CudaEvent e = newEvent();
    e.record(null); // the thread's stream: the capture's main stream
    return new EventMark(e);
  }

  @Override
  public Mark run(int lane, Runnable body, Mark... after) {
    if (inside) throw new IllegalStateException("lanes do not nest: run() inside a lane's piece");
    if (lane < 0 || lane >= streams.length) throw new IndexOutOfBoundsException("lane " + lane + " of " + streams.length);
    CudaStream stream = streams[lane];
    for (Mark m : after) stream.waitFor(event(m));
    if (lastOnLane[lane] == null && after.length == 0) stream.waitFor(event(mark())); // join the capture first
    Native.cuda("set_thread_stream", CudaGraphKernels.pvll_cuda_set_thread_stream(device.index(), stream.handle()));
    inside = true;
    try {
      body.run();
    } finally {
      inside = false;
      Native.cuda("set_thread_stream", CudaGraphKernels.pvll_cuda_set_thread_stream(device.index(), main));
    }
    CudaEvent end = newEvent();
    end.record(stream);
    lastOnLane[lane] = end;
    return new EventMark(end);
  }

  @Override
  public void join(Mark... marks) {
    for (Mark m : marks) event(m).makeOpsWait();
  }

  @Override
  public int count() {
    return streams.length;
  }

  /** The main stream waits for the last piece of every lane (a capture must end joined). */
  void joinAll() {
    for (CudaEvent e : lastOnLane) {
      if (e != null) e.makeOpsWait();
    }
  }

  private static CudaEvent event(Mark m) {
    if (!(m instanceof EventMark em)) throw new IllegalArgumentException("a mark of another Lanes: " + m);
    return em.event();
  }

  @Override
  public void close() {
    for (CudaEvent e : events) e.close();
    for (CudaStream s : streams) {
      if (s != null) s.close();
    }
  }
}
