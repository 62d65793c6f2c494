package dev.pvll.cli;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.kernels.LaunchEnvironment;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The commands that run in one process only refuse a launcher's job of several ranks, naming the command and the rank. */
class JobTest {
  @Test
  void aSingleProcessCommandRefusesSeveralRanks() {
    LaunchEnvironment slurm = LaunchEnvironment.from(Map.of("SLURM_PROCID", "1", "SLURM_NTASKS", "2"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Job.requireSingle("pvll compare", slurm));
    assertTrue(e.getMessage().startsWith("pvll compare runs in one process, not as Slurm: rank 1 of 2"), e.getMessage());
    assertTrue(e.getMessage().contains("without mpirun or srun"), e.getMessage());
    assertTrue(Main.isBadInput(e), "exit code 2, one line");
    assertDoesNotThrow(() -> Job.requireSingle("pvll compare", LaunchEnvironment.from(Map.of("OMPI_COMM_WORLD_SIZE", "1",
        "OMPI_COMM_WORLD_RANK", "0"))));
  }
}
