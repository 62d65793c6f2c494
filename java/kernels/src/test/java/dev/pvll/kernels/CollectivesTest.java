package dev.pvll.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The launcher environment, the single-process collectives and what a job gets when MPI cannot
 * serve it, in this JVM (the two-process cases are MpiCollectivesTest).
 */
class CollectivesTest {
  @Test
  void launchersAreReadInOrderOfPrecedence() {
    assertEquals(new LaunchEnvironment(LaunchEnvironment.Launcher.OPEN_MPI, 3, 8, 1), LaunchEnvironment.from(Map.of(
        "OMPI_COMM_WORLD_RANK", "3", "OMPI_COMM_WORLD_SIZE", "8", "OMPI_COMM_WORLD_LOCAL_RANK", "1",
        "SLURM_PROCID", "0", "SLURM_NTASKS", "1")));
    assertEquals(new LaunchEnvironment(LaunchEnvironment.Launcher.PMI, 2, 4, 0),
        LaunchEnvironment.from(Map.of("PMI_RANK", "2", "PMI_SIZE", "4")));
    assertEquals(new LaunchEnvironment(LaunchEnvironment.Launcher.SLURM, 5, 16, 1), LaunchEnvironment.from(Map.of(
        "SLURM_PROCID", "5", "SLURM_NTASKS", "32", "SLURM_STEP_NUM_TASKS", "16", "SLURM_LOCALID", "1")));
    assertEquals(LaunchEnvironment.single(), LaunchEnvironment.from(Map.of("HOME", "/root")));
    assertEquals("Open MPI: rank 3 of 8 (local rank 1 of 8 on this host)",
        new LaunchEnvironment(LaunchEnvironment.Launcher.OPEN_MPI, 3, 8, 1).describe());
    // how many ranks share this host's cores, where the launcher says
    assertEquals(4, LaunchEnvironment.from(Map.of("OMPI_COMM_WORLD_RANK", "3", "OMPI_COMM_WORLD_SIZE", "8",
        "OMPI_COMM_WORLD_LOCAL_RANK", "3", "OMPI_COMM_WORLD_LOCAL_SIZE", "4")).localSize());
    assertEquals(2, LaunchEnvironment.from(Map.of("PMI_RANK", "1", "PMI_SIZE", "4", "MPI_LOCALNRANKS", "2")).localSize());
    assertEquals(2, LaunchEnvironment.from(Map.of("SLURM_PROCID", "5", "SLURM_NTASKS", "6", "SLURM_STEP_TASKS_PER_NODE",
        "2(x3)", "SLURM_LOCALID", "1")).localSize());
    assertTrue(LaunchEnvironment.single().isRoot());
  }

  @Test
  void aMalformedLauncherEnvironmentNamesTheVariable() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LaunchEnvironment.from(
        Map.of("OMPI_COMM_WORLD_RANK", "one", "OMPI_COMM_WORLD_SIZE", "2")));
    assertTrue(e.getMessage().contains("OMPI_COMM_WORLD_RANK='one'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> LaunchEnvironment.from(Map.of("OMPI_COMM_WORLD_SIZE", "2")));
    assertTrue(e.getMessage().contains("OMPI_COMM_WORLD_RANK is not set"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> LaunchEnvironment.from(Map.of("PMI_RANK", "4", "PMI_SIZE", "4")));
    assertTrue(e.getMessage().contains("rank 4 of 4"), e.getMessage());
  }

  @Test
  void aSingleProcessIsRankZeroOfOneAndLeavesDataAsItIs() {
    Collectives c = Collectives.open(LaunchEnvironment.single(), Device.cpu(), CollectivesConfig.DEFAULT);
    assertSame(Collectives.single(), c);
    assertEquals(0, c.rank());
    assertEquals(1, c.size());
    assertTrue(c.isRoot());
    try (Scope scope = Scope.open(); NativeDoubles d = NativeDoubles.of(Device.cpu(), 1.5, -2)) {
      Tensor t = Tensor.of(Device.cpu(), new float[] {1, 2, 3}, 3);
      c.allReduceSum(t);
      c.broadcast(t, 0);
      c.allReduceSum(d);
      double[] host = {4, 5};
      c.allReduceSum(host);
      c.barrier();
      c.waitForDevice();
      assertArrayEquals(new float[] {1, 2, 3}, t.toArray());
      assertArrayEquals(new double[] {1.5, -2}, d.toArray());
      assertArrayEquals(new double[] {4, 5}, host);
      byte[] bytes = {1, 2};
      byte[] back = c.broadcast(bytes, 0);
      assertArrayEquals(bytes, back);
      assertNotSame(bytes, back);
      assertThrows(IllegalArgumentException.class, () -> c.broadcast(t, 1));
      assertThrows(IllegalArgumentException.class, () -> c.allReduceSum((Tensor) null));
      t.close();
      assertThrows(IllegalStateException.class, () -> c.allReduceSum(t));
    }
    c.close();
    c.close();
  }

  @Test
  void theTimeoutIsASetting() {
    assertEquals(Duration.ofSeconds(120), CollectivesConfig.DEFAULT.timeout());
    assertEquals(2.5, CollectivesConfig.DEFAULT.withTimeout(Duration.ofMillis(2500)).timeoutSeconds(), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> new CollectivesConfig(Duration.ZERO));
  }

  /**
   * srun without an MPI plugin starts N processes that MPI sees as N worlds of one: joining must
   * say so instead of training N separate copies. Without a launcher in this JVM's environment,
   * the native side sees a world of one. A build without MPI says that in one line instead.
   */
  @Test
  void mpiThatCannotSeeTheLaunchersWorldIsAClearError() {
    Map<String, String> env = System.getenv();
    org.junit.jupiter.api.Assumptions.assumeTrue(!env.containsKey("OMPI_COMM_WORLD_SIZE") && !env.containsKey("PMIX_RANK")
        && !env.containsKey("PMI_RANK") && !env.containsKey("PMI_SIZE"), "this JVM itself runs under an MPI launcher");
    LaunchEnvironment slurm = LaunchEnvironment.from(Map.of("SLURM_PROCID", "1", "SLURM_NTASKS", "2"));
    String status = Collectives.mpiStatus();
    if (status.startsWith("stub")) {
      KernelException e = assertThrows(KernelException.class,
          () -> Collectives.open(slurm, Device.cpu(), CollectivesConfig.DEFAULT));
      assertEquals(KernelException.UNAVAILABLE, e.status());
      assertTrue(e.getMessage().contains("this pvll was built without MPI"), e.getMessage());
      return;
    }
    assertTrue(status.startsWith("MPI: "), status);
    KernelException e = assertThrows(KernelException.class,
        () -> Collectives.open(slurm, Device.cpu(), CollectivesConfig.DEFAULT));
    assertEquals(KernelException.UNAVAILABLE, e.status());
    assertTrue(e.getMessage().contains("Slurm started this process as rank 1 of 2, but MPI sees rank 0 of 1"),
        e.getMessage());
    assertTrue(e.getMessage().contains("srun --mpi=pmix"), e.getMessage());
  }
}
