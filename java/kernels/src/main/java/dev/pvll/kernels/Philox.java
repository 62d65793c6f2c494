package dev.pvll.kernels;

/**
 * A plain-Java mirror of the kernels' counter-based random stream (the contract is stated in
 * native/include/pvll_gumbel.h): Philox4x32-10 keyed by a 64-bit seed, counter words
 * (low32(counter), high32(counter), low32(block), high32(block)), element e taking word e % 4
 * of block e / 4, U = (u + 0.5) * 2^-32 and g = -log(-log U) in double, rounded to float.
 *
 * <p>Use it where a few draws are needed without native calls; it gives the numbers the
 * kernels give (up to, rarely, one float ulp from the last bit of the double logarithm).
 */
public final class Philox {
  private static final int M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

  private Philox() {}

  /**
   * One Philox4x32-10 block: the four output words for counter (c0..c3) and key (k0, k1).
   *
   * @param c0 counter word 0
   * @param c1 counter word 1
   * @param c2 counter word 2
   * @param c3 counter word 3
   * @param k0 key word 0
   * @param k1 key word 1
   * @return the four output words
   */
  public static int[] block(int c0, int c1, int c2, int c3, int k0, int k1) {
    for (int round = 0; round < 10; round++) {
      if (round > 0) {
        k0 += W0;
        k1 += W1;
      }
      long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
      long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
      int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
      int n1 = (int) p1;
      int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
      int n3 = (int) p0;
      c0 = n0;
      c1 = n1;
      c2 = n2;
      c3 = n3;
    }
    return new int[] {c0, c1, c2, c3};
  }

  /**
   * The four raw words of block {@code block} of draw (seed, counter).
   *
   * @param seed the key
   * @param counter the draw's sample counter
   * @param block the block (element / 4)
   * @return the four words, for elements 4 * block to 4 * block + 3
   */
  public static int[] streamBlock(long seed, long counter, long block) {
    return block((int) counter, (int) (counter >>> 32), (int) block, (int) (block >>> 32), (int) seed, (int) (seed >>> 32));
  }

  /**
   * The uniform variate in (0, 1) of one raw word: (u + 0.5) * 2^-32 with u unsigned.
   *
   * @param word a raw output word
   * @return U, never 0 or 1
   */
  public static double uniform(int word) {
    return ((word & 0xFFFFFFFFL) + 0.5) * 0x1p-32;
  }

  /**
   * The Gumbel variate of one raw word: -log(-log U) in double, rounded to float.
   *
   * @param word a raw output word
   * @return the Gumbel variate
   */
  public static float gumbel(int word) {
    return (float) -Math.log(-Math.log(uniform(word)));
  }

  /**
   * Gumbel noise of element {@code element} of draw (seed, counter).
   *
   * @param seed the key
   * @param counter the draw's sample counter
   * @param element the element's index in the draw, at least 0
   * @return the Gumbel variate
   */
  public static float gumbel(long seed, long counter, long element) {
    return gumbel(streamBlock(seed, counter, element >>> 2)[(int) (element & 3)]);
  }

  /**
   * out[i] = Gumbel noise of element (offset + i) of draw (seed, counter), as
   * {@link SamplingOps#gumbelNoise}.
   *
   * @param seed the key
   * @param counter the draw's sample counter
   * @param offset the element out[0] receives, at least 0
   * @param out filled with the noise
   * @throws IllegalArgumentException when offset is negative
   */
  public static void gumbel(long seed, long counter, long offset, float[] out) {
    if (offset < 0) throw new IllegalArgumentException("Philox.gumbel: offset must be >= 0, got " + offset);
    int i = 0;
    while (i < out.length) {
      long e = offset + i;
      int[] words = streamBlock(seed, counter, e >>> 2);
      for (int lane = (int) (e & 3); lane < 4 && i < out.length; lane++, i++) out[i] = gumbel(words[lane]);
    }
  }
}
