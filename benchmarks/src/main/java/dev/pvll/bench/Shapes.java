package dev.pvll.bench;

/** Parses JMH shape parameters such as {@code 64x16x32x32}. */
public final class Shapes {
  private Shapes() {}

  public static int[] parse(String text) {
    String[] parts = text.split("x");
    int[] s = new int[parts.length];
    for (int i = 0; i < parts.length; i++) s[i] = Integer.parseInt(parts[i]);
    return s;
  }

  public static long[] longs(int[] shape) {
    long[] l = new long[shape.length];
    for (int i = 0; i < shape.length; i++) l[i] = shape[i];
    return l;
  }

  public static long count(int[] shape) {
    long n = 1;
    for (int d : shape) n *= d;
    return n;
  }
}
