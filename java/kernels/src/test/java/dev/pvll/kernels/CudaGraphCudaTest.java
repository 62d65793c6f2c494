package dev.pvll.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Graph capture and switch nodes on a GPU (skipped without one). */
class CudaGraphCudaTest {
  @Test
  void graphsAreNotOfferedOnTheCpu() {
    assertFalse(CudaGraph.supported(Device.cpu()));
    assertThrows(IllegalArgumentException.class, () -> CudaGraph.capture(Device.cpu(), b -> {}));
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.EnumSource(CudaGraph.SwitchSetting.class)
  void aSwitchRunsTheCaseTheDeviceValueNamesAtEachReplay(CudaGraph.SwitchSetting setting) {
    Device gpu = CudaPair.gpu();
    assertTrue(CudaGraph.supported(gpu), "a GPU of this project's device tests has CUDA 12.8+ (switch nodes)");
    try (Scope s = Scope.open()) {
      Tensor selector = Tensor.zeros(gpu, 2), out = Tensor.zeros(gpu, 4), x = Tensor.full(gpu, 1f, 4);
      Tensor weights = Tensor.of(gpu, new float[] {10f, 20f, 30f}, 3);
      try (CudaGraph g = CudaGraph.capture(gpu, 0, setting, (branching, lanes) -> {
        out.fill(0f);
        branching.branch(selector, 1, 4, k -> {
          if (k == 3) return; // an empty case
          try (Tensor slot = out.view(k, 1)) {
            slot.fill(k + 1f);
          }
          Tensor tmp = Tensor.empty(gpu, 4); // memory of the graph
          StepOps.scaleAddBy(x, weights, k, tmp, false);
          try (Tensor last = out.view(3, 1); Tensor t3 = tmp.view(3, 1)) {
            last.copyFrom(t3);
          }
        });
      })) {
        assertTrue(g.nodes() >= 3, "fill, set-switch kernel and switch node: " + g.nodes());
        assertTrue(g.bytes() > 0, "the captured temporaries belong to the graph");
        float[][] expected = {
          {1, 0, 0, 10}, {0, 2, 0, 20}, {0, 0, 3, 30}, {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}, {1, 0, 0, 10}};
        float[] values = {0, 1, 2, 3, 7, Float.NaN, 0.5f};
        for (int i = 0; i < values.length; i++) {
          out.fill(-1f); // a plain op before the replay: ordered before it
          selector.copyFrom(new float[] {-5f, values[i]});
          g.launch();
          assertArrayEquals(expected[i], out.toArray(), "selector " + values[i]);
        }
      }
    }
  }

  @Test
  void anErrorInsideACaptureLeavesNothingOpen() {
    Device gpu = CudaPair.gpu();
    try (Scope s = Scope.open()) {
      Tensor t = Tensor.zeros(gpu, 8);
      assertThrows(IllegalStateException.class, () -> CudaGraph.capture(gpu, b -> {
        t.fill(5f);
        b.branch(t, 0, 2, k -> {
          throw new IllegalStateException("planted");
        });
      }));
      t.fill(3f); // runs now: no capture is open any more
      assertArrayEquals(new float[] {3, 3, 3, 3, 3, 3, 3, 3}, t.toArray());
      try (CudaGraph g = CudaGraph.capture(gpu, b -> t.fill(4f))) {
        assertArrayEquals(new float[] {3, 3, 3, 3, 3, 3, 3, 3}, t.toArray(), "captured, not run");
        g.launch();
        assertEquals(4f, t.toArray()[7]);
      }
    }
  }

  /** A synchronous copy would run once, at capture time, not at each replay: refused, and the capture left clean. */
  @Test
  void synchronousCopiesAreRefusedInsideACapture() {
    Device gpu = CudaPair.gpu();
    try (Scope s = Scope.open()) {
      Tensor t = Tensor.zeros(gpu, 4);
      KernelException in = assertThrows(KernelException.class, () -> CudaGraph.capture(gpu, b -> t.copyFrom(new float[] {1, 2, 3, 4})));
      assertTrue(in.getMessage().contains("capture"), in.getMessage());
      KernelException out = assertThrows(KernelException.class, () -> CudaGraph.capture(gpu, b -> t.toArray()));
      assertTrue(out.getMessage().contains("capture"), out.getMessage());
      t.copyFrom(new float[] {5, 6, 7, 8}); // no capture is open any more
      assertArrayEquals(new float[] {5, 6, 7, 8}, t.toArray());
    }
  }

  /** A tensor the graph made and that outlives it keeps its memory until it is closed, after the graph. */
  @Test
  void aTensorMadeInTheCaptureOutlivesTheGraph() {
    Device gpu = CudaPair.gpu();
    Tensor[] kept = new Tensor[1];
    try (CudaGraph g = CudaGraph.capture(gpu, b -> kept[0] = Tensor.full(gpu, 2f, 100))) {
      g.launch();
    }
    try (Scope s = Scope.open(); Tensor t = kept[0]) {
      Tensor other = Tensor.full(gpu, 9f, 100); // may not get the memory kept[0] still holds
      assertEquals(2f, t.toArray()[99]);
      assertEquals(9f, other.toArray()[0]);
    }
  }

  @Test
  void lanesRunSideBySideAndJoinBeforeTheEnd() {
    Device gpu = CudaPair.gpu();
    try (Scope s = Scope.open()) {
      Tensor a = Tensor.zeros(gpu, 1000), b = Tensor.zeros(gpu, 1000), sum = Tensor.zeros(gpu, 1000);
      Tensor w = Tensor.of(gpu, new float[] {2f, 3f}, 2);
      try (CudaGraph g = CudaGraph.capture(gpu, 3, (branching, lanes) -> {
        Lanes.Mark start = lanes.mark();
        Lanes.Mark ma = lanes.run(0, () -> a.fill(1f), start);
        Lanes.Mark mb = lanes.run(1, () -> {
          Tensor tmp = Tensor.full(gpu, 1f, 1000); // lane memory
          StepOps.scaleAddBy(tmp, w, 0, b, false);
        }, start);
        lanes.run(2, () -> {
          StepOps.scaleAddBy(a, w, 1, sum, false);
          StepOps.scaleAddBy(b, w, 1, sum, true);
        }, ma, mb);
        // lane 2 is joined by the capture itself
      })) {
        g.launch();
        float[] out = sum.toArray();
        for (float v : out) assertEquals(3f * 1f + 3f * 2f, v);
      }
    }
  }
}
