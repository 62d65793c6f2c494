package dev.pvll.supernet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pvll.kernels.Device;
import org.junit.jupiter.api.Test;

/** Which way a launch runs on the CPU: AUTO is plain launches, GRAPH falls back to resident ones. */
class StepLaunchTest {
  @Test
  void onTheCpu() {
    assertEquals(StepLaunch.Kind.PLAIN, StepLaunch.AUTO.on(Device.cpu()));
    assertEquals(StepLaunch.Kind.RESIDENT, StepLaunch.of(StepLaunch.Kind.GRAPH).on(Device.cpu()));
    assertEquals(StepLaunch.Kind.RESIDENT, StepLaunch.of(StepLaunch.Kind.RESIDENT).on(Device.cpu()));
    assertEquals(StepLaunch.Kind.PLAIN, StepLaunch.of(StepLaunch.Kind.PLAIN).on(Device.cpu()));
  }
}
