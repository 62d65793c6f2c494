package dev.pvll.supernet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pvll.testing.Mpirun;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The step engine on two ranks (mpirun -np 2, {@link DataParallelStepWorker}) against one process
 * with the whole batches: each step's loss and correct count, the first step's summed gradients,
 * the weights, momentum and BN statistics after 12 steps (batches of 7 split 4 + 3, and of 5),
 * validation of an uneven last batch with batch statistics and of an empty shard, and GDAS's edge
 * gradients, all within 2e-5. About 5 s on 2 cores.
 */
class DataParallelStepTest {
  @TempDir java.nio.file.Path dir;

  @Test
  void twoRanksComputeWhatOneProcessDoesWithTheWholeBatch() throws Exception {
    Mpirun.Run run = Mpirun.run(dir.resolve("step.log"), List.of(), List.of(Mpirun.java(DataParallelStepWorker.class.getName(), List.of())),
        2, 120, null);
    assertEquals(0, run.exitCode(), run.output());
    for (int r = 0; r < 2; r++) {
      assertTrue(run.output().contains("rank " + r + ": PASS"), "rank " + r + " did not pass:\n" + run.output());
      assertTrue(run.output().contains("rank " + r + ": first step's gradients: largest difference"), run.output());
      assertTrue(run.output().contains("rank " + r + ": validation EVAL:"), run.output());
    }
  }
}
